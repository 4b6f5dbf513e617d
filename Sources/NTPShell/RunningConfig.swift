/// The configuration as ntp.conf text: every configuration command accepted, in order, in
/// canonical form. `no …` removes what it undoes. `show running-config` prints it; `write`
/// merges it back into the file it came from (``merged(into:file:)``), keeping everything the
/// shell did not change.
public struct RunningConfig: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The command's identity (e.g. `server`, `restrict`).
        public var id: String
        /// What identifies the entry among its kind (the server's address, the restrict target),
        /// so a later command replaces it and `no` removes it.
        public var key: String
        public var line: String
        /// The file line the entry was read from, if it came from a file.
        public var origin: Origin?
        /// The entry was changed since it was read.
        public var edited = false
    }

    public struct Origin: Sendable, Equatable {
        public var file: String
        public var line: Int
        public init(file: String, line: Int) { self.file = file; self.line = line }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Adds `line`, replacing an entry of the same id and key (which keeps its place in the file).
    public mutating func set(id: String, key: String, line: String, origin: Origin? = nil) {
        if let i = entries.firstIndex(where: { $0.id == id && $0.key == key }) {
            if entries[i].line != line { entries[i].line = line; entries[i].edited = origin == nil }
        } else {
            entries.append(Entry(id: id, key: key, line: line, origin: origin))
        }
    }

    /// Removes the entries of `id` with `key`; returns how many.
    @discardableResult
    public mutating func remove(id: String, key: String) -> Int {
        let before = entries.count
        entries.removeAll { $0.id == id && $0.key == key }
        return before - entries.count
    }

    /// `no trustedkey N…`: takes the keys out of every `trustedkey` line (a line left with none goes).
    mutating func untrust(_ ids: [UInt32]) {
        let gone = Set(ids.map(String.init))
        for i in entries.indices.reversed() where entries[i].id == "trustedkey" {
            let ids = KeyCommands.keyIDs(entries[i].line.split(separator: " ").dropFirst().map(String.init)).map(String.init)
            let kept = ids.filter { !gone.contains($0) }
            if kept.count == ids.count { continue }
            if kept.isEmpty { entries.remove(at: i); continue }
            entries[i].line = "trustedkey " + kept.joined(separator: " ")
            entries[i].key = kept.joined(separator: " ")
            entries[i].edited = true
        }
    }

    public func contains(id: String, key: String) -> Bool { entries.contains { $0.id == id && $0.key == key } }

    public var text: String { entries.map { $0.line + "\n" }.joined() }

    /// `text` (the file as read) with the running configuration merged in: lines of entries that
    /// still stand are kept as written (comments, spacing and all), an edited entry's line is
    /// replaced in place, a removed entry's line is dropped, and an entry added in the shell goes
    /// after the last line of its kind (or at the end). Comments, blank lines, order and
    /// `includefile` lines stay; entries read from included files stay in those files.
    /// An included file is merged with `additions: false`: entries added in the shell go to
    /// the main file only.
    public func merged(into text: String, file: String, additions: Bool = true) -> String {
        var byLine: [Int: Entry] = [:]
        for e in entries where e.origin?.file == file { byLine[e.origin!.line] = e }
        let added = additions ? entries.filter { $0.origin == nil } : []
        var lastOfKind: [String: Int] = [:]
        for e in entries where e.origin?.file == file { lastOfKind[e.id] = max(lastOfKind[e.id] ?? 0, e.origin!.line) }

        var out: [String] = []
        var pending = added
        let lines = text.configurationLines.map(String.init)
        let count = text.hasSuffix("\n") || text.hasSuffix("\r\n") ? lines.count - 1 : lines.count
        for n in 1...max(count, 1) where n <= count {
            let original = lines[n - 1]
            if let e = byLine[n] {
                out.append(e.edited ? e.line : original)
            } else if Self.isCommand(original) && !original.hasPrefix("includefile") {
                // A command whose entry is gone (removed, or replaced by a later line): dropped.
            } else {
                out.append(original)
            }
            // Additions go after the last line of their kind.
            let here = pending.filter { lastOfKind[$0.id] == n }
            out.append(contentsOf: here.map(\.line))
            pending.removeAll { lastOfKind[$0.id] == n }
        }
        out.append(contentsOf: pending.map(\.line))
        return out.map { $0 + "\n" }.joined()
    }

    /// A line that holds a command (not blank, not only a comment).
    static func isCommand(_ line: String) -> Bool {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return !code.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
    }
}
