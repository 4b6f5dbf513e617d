/// Owns the unified diff of two texts (`diff -u`'s format): `show configuration compare`
/// prints the running configuration against the candidate (or an archived one) this way.
///
/// The edit script is a shortest one (Myers' O((N+M)D) greedy algorithm); within a run of
/// changes the removed lines come before the added ones, and changes closer than twice the
/// context share a hunk, as GNU diff prints them. Where several shortest scripts exist
/// (repeated lines) the one chosen may differ from GNU diff's; it is as short and applies the same.
public enum UnifiedDiff {
    /// One line of the edit script.
    enum Edit: Equatable { case same(Int, Int), removed(Int), added(Int) }

    /// One hunk: where it starts on each side (the lines before it), how many lines of each
    /// side it holds, and its lines as `diff -u` prints them (` `, `-` or `+` first).
    public struct Hunk: Sendable, Equatable {
        public var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
        public var lines: [String]
        /// `@@ -START,COUNT +START,COUNT @@`.
        public var header: String { "@@ -\(UnifiedDiff.range(oldStart, oldCount)) +\(UnifiedDiff.range(newStart, newCount)) @@" }
    }

    /// The diff of `old` to `new` with `context` lines around each change; empty when the texts
    /// are the same. The header names the sides `oldLabel` and `newLabel`.
    public static func render(_ old: String, _ new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String {
        let hunks = hunks(old, new, context: context)
        guard !hunks.isEmpty else { return "" }
        return "--- \(oldLabel)\n+++ \(newLabel)\n" + hunks.map { ([$0.header] + $0.lines).map { $0 + "\n" }.joined() }.joined()
    }

    /// The hunks of the diff of `old` to `new` (none when the texts are the same).
    public static func hunks(_ old: String, _ new: String, context: Int = 3) -> [Hunk] {
        let a = Lines(old), b = Lines(new)
        let edits = grouped(script(a.keys, b.keys))
        // Where each edit stands: the old and new lines before it.
        var positions: [(old: Int, new: Int)] = []
        var o = 0, n = 0
        for e in edits {
            positions.append((o, n))
            switch e {
            case .same: o += 1; n += 1
            case .removed: o += 1
            case .added: n += 1
            }
        }
        return ranges(edits, context: context).map { range in
            let at = positions[range.lowerBound]
            var hunk = Hunk(oldStart: at.old, oldCount: 0, newStart: at.new, newCount: 0, lines: [])
            func line(_ mark: String, _ lines: Lines, _ i: Int) {
                hunk.lines.append(mark + lines.lines[i])
                if i == lines.lines.count - 1 && !lines.endsWithNewline { hunk.lines.append("\\ No newline at end of file") }
            }
            for e in edits[range] {
                switch e {
                case .same(let i, _): hunk.oldCount += 1; hunk.newCount += 1; line(" ", a, i)
                case .removed(let i): hunk.oldCount += 1; line("-", a, i)
                case .added(let j): hunk.newCount += 1; line("+", b, j)
                }
            }
            return hunk
        }
    }

    /// `diff -u`'s range: `START,COUNT` (1-based), `START` alone for one line; an empty range
    /// names the line before it.
    static func range(_ start: Int, _ count: Int) -> String {
        switch count {
        case 0: return "\(start),0"
        case 1: return "\(start + 1)"
        default: return "\(start + 1),\(count)"
        }
    }

    /// A text's lines without their newlines, and whether the last one had one.
    struct Lines {
        var lines: [String]
        var endsWithNewline: Bool
        init(_ text: String) {
            var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            endsWithNewline = text.isEmpty || text.hasSuffix("\n")
            if endsWithNewline { parts.removeLast() }
            lines = parts
        }
        /// The lines as compared: a last line without its newline differs from the same line with one.
        var keys: [String] { endsWithNewline || lines.isEmpty ? lines : lines.dropLast() + [lines[lines.count - 1] + "\u{0}"] }
    }

    /// A shortest edit script from `a` to `b` (Myers 1986: furthest-reaching D-paths).
    static func script(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        let max = n + m
        if max == 0 { return [] }
        var v = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        search: for d in 0...max {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[max + k - 1] < v[max + k + 1]) { x = v[max + k + 1] } else { x = v[max + k - 1] + 1 }
                var y = x - k
                while x < n && y < m && a[x] == b[y] { x += 1; y += 1 }
                v[max + k] = x
                if x >= n && y >= m { trace.append(v); break search }
            }
        }
        // Walk back through the trace from (n, m).
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 2, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let prevK = (k == -d || (k != d && v[max + k - 1] < v[max + k + 1])) ? k + 1 : k - 1
            let prevX = v[max + prevK], prevY = prevX - prevK
            while x > prevX && y > prevY { x -= 1; y -= 1; edits.append(.same(x, y)) }
            if d == 0 { break }
            if x == prevX { y -= 1; edits.append(.added(y)) } else { x -= 1; edits.append(.removed(x)) }
        }
        while x > 0 && y > 0 { x -= 1; y -= 1; edits.append(.same(x, y)) }
        return edits.reversed()
    }

    /// Each run of changes as its removals, then its additions.
    static func grouped(_ edits: [Edit]) -> [Edit] {
        var out: [Edit] = [], removed: [Edit] = [], added: [Edit] = []
        func flush() { out += removed + added; removed = []; added = [] }
        for e in edits {
            switch e {
            case .same: flush(); out.append(e)
            case .removed: removed.append(e)
            case .added: added.append(e)
            }
        }
        flush()
        return out
    }

    /// The hunks, as ranges of `edits`: each change with `context` unchanged lines either
    /// side; changes separated by at most twice the context share one.
    static func ranges(_ edits: [Edit], context: Int) -> [ClosedRange<Int>] {
        let changed = edits.indices.filter { if case .same = edits[$0] { false } else { true } }
        var out: [ClosedRange<Int>] = []
        var start = -1, end = -1
        func close() { if start >= 0 { out.append(Swift.max(0, start - context)...Swift.min(edits.count - 1, end + context)) } }
        for i in changed {
            if start >= 0 && i - end - 1 <= 2 * context { end = i; continue }
            close()
            start = i; end = i
        }
        close()
        return out
    }
}
