// Error messages for match results: the shell form (`% …`, with the line echoed and a `^` under
// the column) and the batch/config form (`FILE:LINE:COL: message`).

extension MatchResult {
    /// The message alone, lower-case, for `FILE:LINE:COL:` use; nil for `.ok` and `.empty`.
    public var message: String? {
        switch self {
        case .ok, .empty:
            return nil
        case .unknownCommand(_, let word):
            return "unknown command: \"\(printable(word))\""
        case .noMatch(_, let word, let expected):
            return "unexpected \"\(printable(word))\"; expected \(list(expected))"
        case .incomplete(_, let expected):
            return expected.isEmpty ? "incomplete command" : "incomplete command: expected \(list(expected))"
        case .ambiguous(_, let word, let candidates):
            return "ambiguous command: \"\(printable(word))\" could be \(candidates.joined(separator: ", "))"
        case .badArgument(_, let message):
            return message
        }
    }

    /// The message without any word of the line: for lines of a file the reader may not see
    /// (`includefile` of a file that is not a configuration file must not leak its content
    /// through errors): what was expected at the column, never what stood there.
    public var messageWithoutWords: String? {
        switch self {
        case .unknownCommand: return "unknown command"
        case .noMatch(_, _, let expected): return "unexpected word; expected \(list(expected))"
        case .ambiguous(_, _, let candidates): return "ambiguous word: could be \(candidates.joined(separator: ", "))"
        default: return message
        }
    }

    /// The shell's rendering: `% Unknown command: …`, `% Ambiguous command: "sh" could be show,
    /// shutdown`, `% Incomplete command: …`, and for errors inside the line the (possibly
    /// shortened) line with a `^` under the column first. Nil for `.ok` and `.empty`.
    public func errorMessage(line: String) -> String? {
        guard let message, let column else { return nil }
        let text = "% " + message.prefix(1).uppercased() + message.dropFirst()
        switch self {
        case .unknownCommand, .incomplete: return text + "\n"
        case .ambiguous where Tokenizer.tokenize(line).tokens.first?.column == column: return text + "\n"
        default: return caretLines(line: line, column: column) + text + "\n"
        }
    }

    /// `FILE:LINE:COL: message`, for batch files and configuration files. Nil for `.ok`/`.empty`.
    public func errorMessage(source: String, line: Int) -> String? {
        guard let message, let column else { return nil }
        return "\(source):\(line):\(column): \(message)"
    }
}

private func list(_ items: [String]) -> String {
    let shown = items.prefix(8).joined(separator: ", ")
    return items.count > 8 ? shown + ", …" : shown
}

/// A word safe to print: control characters become `?`, long words are cut.
func printable(_ word: String) -> String {
    var out = ""
    var n = 0
    for c in word {
        if n == 40 { out += "…"; break }
        out.append(Tokenizer.isControl(c) ? "?" : c)
        n += 1
    }
    return out
}

/// The line (a window of it around the column when long) and a `^` under the column. Tabs in the
/// line are kept, and copied into the padding, so the caret lines up in a terminal.
func caretLines(line: String, column: Int) -> String {
    let before = 40, after = 40
    var start = 1
    var lead = ""
    if column > before + 10 {
        start = column - before
        lead = "…"
    }
    var echo = lead
    var pad = lead.isEmpty ? "" : " "
    var col = 1
    var truncated = false
    for c in line {
        if col >= start {
            if col > column + after { truncated = true; break }
            let shown: Character = c == "\t" ? "\t" : (Tokenizer.isControl(c) || c.isNewline ? "?" : c)
            echo.append(shown)
            if col < column { pad.append(shown == "\t" ? "\t" : " ") }
        }
        col += 1
    }
    if truncated { echo += "…" }
    if column > col { pad += String(repeating: " ", count: column - col) }
    return echo + "\n" + pad + "^\n"
}
