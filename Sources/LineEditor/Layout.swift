// Pure text helpers for the editor: display widths, the candidate listing, quote state.

import CEditLine

enum Layout {
    /// Columns a scalar takes on the terminal: wcwidth, with control characters shown as `^X`.
    static func width(_ s: Unicode.Scalar) -> Int {
        if s.value < 0x20 || s.value == 0x7f { return 2 }
        let w = ntpsh_wcwidth(wchar_t(bitPattern: s.value))
        return w < 0 ? 1 : Int(w)
    }

    static func width<S: Sequence>(_ scalars: S) -> Int where S.Element == Unicode.Scalar {
        scalars.reduce(0) { $0 + width($1) }
    }

    /// The width of a prompt: text between two `\u{1}` takes no columns (colour sequences).
    static func promptWidth(_ prompt: String) -> Int {
        var hidden = false
        var total = 0
        for s in prompt.unicodeScalars {
            if s == "\u{1}" { hidden.toggle(); continue }
            if !hidden { total += width(s) }
        }
        return total
    }

    /// Whether the text before the cursor ends inside a double-quoted string (a `\"` does not
    /// count as a quote).
    static func insideDoubleQuotes(_ textBeforeCursor: String) -> Bool {
        var inside = false
        var escaped = false
        for s in textBeforeCursor.unicodeScalars {
            if escaped { escaped = false; continue }
            if s == "\\" { escaped = true; continue }
            if s == "\"" { inside.toggle() }
        }
        return inside
    }

    /// The Tab listing. With any help text: one candidate a line, `word  help`, words padded to
    /// one column. Without: words in as many columns as fit in `columns`, sorted down the columns.
    static func candidateLines(_ candidates: [(word: String, help: String)], columns: Int) -> [String] {
        guard !candidates.isEmpty else { return [] }
        let wordWidth = candidates.map { width($0.word.unicodeScalars) }.max() ?? 0
        if candidates.contains(where: { !$0.help.isEmpty }) {
            return candidates.map { c in
                c.help.isEmpty ? c.word : pad(c.word, to: wordWidth) + "  " + c.help
            }
        }
        let cell = wordWidth + 2
        let perRow = max(1, (max(columns, 1) + 2) / cell)
        let rows = (candidates.count + perRow - 1) / perRow
        var lines: [String] = []
        for r in 0..<rows {
            var line = ""
            var i = r
            while i < candidates.count {
                let last = i + rows >= candidates.count
                line += last ? candidates[i].word : pad(candidates[i].word, to: cell)
                i += rows
            }
            lines.append(line)
        }
        return lines
    }

    static func pad(_ s: String, to w: Int) -> String {
        s + String(repeating: " ", count: max(0, w - width(s.unicodeScalars)))
    }

    /// Text for a raw-mode terminal: every line break becomes CR LF; one trailing break is dropped.
    static func terminalText(_ message: String) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\r\n")
    }
}
