// Splits a command line into words.
//
// Words are separated by whitespace. A double-quoted segment (`"a b"`, with `\"`, `\\`, `\n`, `\t`
// escapes) may make up a word or part of one, shell-style (`a"b c"` is the one word `ab c`). A `#`
// at the start of a word, outside quotes, begins a comment that runs to the end of the line (so
// `/tmp/a#b` stays a path). Control characters (C0 other than whitespace, DEL, C1) are rejected,
// quoted or not: they are what binary garbage in a file looks like. Columns count Characters
// (extended grapheme clusters) from 1, which is what a `^` under the echoed line needs.

/// One word of a command line.
public struct LineToken: Sendable, Hashable {
    /// The word with quotes removed and escapes resolved.
    public var text: String
    /// Column of the word's first character, 1-based, in Characters.
    public var column: Int
    /// Length of the word as written (quotes included), in Characters.
    public var length: Int
    /// True when any part of the word was quoted; quoted words never match keywords.
    public var quoted: Bool
    /// Where the word, as written, sits in the tokenized string.
    public var range: Range<String.Index>

    /// The column just past the word.
    public var endColumn: Int { column + length }
}

/// A line that could not be split into words.
public struct TokenizeError: Error, Sendable, Hashable {
    public var column: Int
    public var message: String
}

/// The words of a line, or of the part of a line before the cursor.
public struct TokenizedLine: Sendable, Hashable {
    public var tokens: [LineToken]
    /// The first problem found; `tokens` holds the words before it.
    public var error: TokenizeError?
    /// True when the line ends in whitespace (or is empty): a cursor there starts a new word.
    public var endsInSpace: Bool
    /// True when the line ends inside an open quote (an error for a whole line, a partial
    /// quoted word for completion).
    public var openQuote: Bool
    /// True when a comment ended the line.
    public var hasComment: Bool
    /// Column just past the last character before any comment.
    public var endColumn: Int
}

public enum Tokenizer {
    /// Splits `line` into words. An unbalanced quote or a control character is an error with its
    /// column; `tokens` then holds the words before it.
    public static func tokenize(_ line: String) -> TokenizedLine {
        var result = scan(line)
        if result.error == nil, result.openQuote, let quoteColumn = result.openQuoteColumn {
            result.line.error = TokenizeError(column: quoteColumn, message: "unbalanced quote")
        }
        return result.line
    }

    /// Splits the text before the cursor into the complete words and the partial word the cursor
    /// is in (empty, at the cursor's column, when the cursor follows whitespace). An open quote is
    /// not an error here: the partial word is then the quoted text so far.
    public static func tokenizeForCompletion(_ prefix: String) -> (complete: TokenizedLine, partial: LineToken) {
        var result = scan(prefix).line
        if result.error == nil, !result.hasComment, !result.endsInSpace, let last = result.tokens.last {
            result.tokens.removeLast()
            return (result, last)
        }
        let column = result.endColumn
        let partial = LineToken(text: "", column: column, length: 0, quoted: false,
                                range: prefix.endIndex..<prefix.endIndex)
        return (result, partial)
    }

    private struct Scan {
        var line: TokenizedLine
        var openQuoteColumn: Int?
        var openQuote: Bool { line.openQuote }
        var error: TokenizeError? { line.error }
    }

    private static func scan(_ line: String) -> Scan {
        line.utf8.allSatisfy({ $0 < 0x80 }) ? scanASCII(line) : scanCharacters(line)
    }

    /// Both scanners, for tests that check they agree on ASCII lines.
    static func scanners(_ line: String) -> (ascii: TokenizedLine, characters: TokenizedLine) {
        (scanASCII(line).line, scanCharacters(line).line)
    }

    /// The general scanner, a Character at a time.
    private static func scanCharacters(_ line: String) -> Scan {
        var tokens: [LineToken] = []
        var i = line.startIndex
        var column = 1
        var lastWasSpace = true
        var hasComment = false

        func fail(_ column: Int, _ message: String, open: Bool = false, openColumn: Int? = nil) -> Scan {
            Scan(line: TokenizedLine(tokens: tokens, error: TokenizeError(column: column, message: message),
                                     endsInSpace: false, openQuote: open, hasComment: false, endColumn: column),
                 openQuoteColumn: openColumn)
        }

        while i < line.endIndex {
            let c = line[i]
            if c.isWhitespace {
                i = line.index(after: i)
                column += 1
                lastWasSpace = true
                continue
            }
            if c == "#" {
                hasComment = true
                break
            }
            // A word: unquoted runs and quoted segments until whitespace outside quotes.
            lastWasSpace = false
            let start = i
            let startColumn = column
            var text = ""
            var quoted = false
            while i < line.endIndex {
                let c = line[i]
                if c.isWhitespace { break }
                if isControl(c) { return fail(column, "invalid character \(describe(c))") }
                if c != "\"" {
                    text.append(c)
                    i = line.index(after: i)
                    column += 1
                    continue
                }
                quoted = true
                let quoteColumn = column
                i = line.index(after: i)
                column += 1
                var closed = false
                while i < line.endIndex {
                    let q = line[i]
                    if isControl(q) && !q.isWhitespace { return fail(column, "invalid character \(describe(q))") }
                    i = line.index(after: i)
                    column += 1
                    if q == "\"" { closed = true; break }
                    if q == "\\" {
                        guard i < line.endIndex else { break }
                        let e = line[i]
                        if isControl(e) && !e.isWhitespace { return fail(column, "invalid character \(describe(e))") }
                        i = line.index(after: i)
                        column += 1
                        switch e {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        default: text.append(e)
                        }
                        continue
                    }
                    text.append(q)
                }
                if !closed {
                    tokens.append(LineToken(text: text, column: startColumn, length: column - startColumn,
                                            quoted: true, range: start..<i))
                    return Scan(line: TokenizedLine(tokens: tokens, error: nil, endsInSpace: false, openQuote: true,
                                                    hasComment: false, endColumn: column),
                                openQuoteColumn: quoteColumn)
                }
            }
            tokens.append(LineToken(text: text, column: startColumn, length: column - startColumn,
                                    quoted: quoted, range: start..<i))
        }
        return Scan(line: TokenizedLine(tokens: tokens, error: nil, endsInSpace: lastWasSpace || hasComment,
                                        openQuote: false, hasComment: hasComment, endColumn: column),
                    openQuoteColumn: nil)
    }

    /// The same rules over bytes, for all-ASCII lines (the common case, ~10x faster). Every byte is
    /// one Character there except CR LF, which is one Character and counts as one column.
    private static func scanASCII(_ line: String) -> Scan {
        let u = line.utf8
        var tokens: [LineToken] = []
        var i = u.startIndex
        var column = 1
        var lastWasSpace = true
        var hasComment = false
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }
        /// Steps past the byte at `i` (past CR LF as one column).
        func advance(_ i: inout String.Index, _ column: inout Int) {
            let b = u[i]
            u.formIndex(after: &i)
            if b == 0x0D, i < u.endIndex, u[i] == 0x0A { u.formIndex(after: &i) }
            column += 1
        }
        func fail(_ column: Int, _ byte: UInt8) -> Scan {
            let hex = String(byte, radix: 16, uppercase: true)
            let error = TokenizeError(column: column, message: "invalid character U+" + String(repeating: "0", count: 4 - hex.count) + hex)
            return Scan(line: TokenizedLine(tokens: tokens, error: error, endsInSpace: false, openQuote: false,
                                            hasComment: false, endColumn: column), openQuoteColumn: nil)
        }

        while i < u.endIndex {
            let c = u[i]
            if isSpace(c) {
                advance(&i, &column)
                lastWasSpace = true
                continue
            }
            if c == 0x23 {
                hasComment = true
                break
            }
            lastWasSpace = false
            let start = i
            let startColumn = column
            var text: [UInt8] = []
            var quoted = false
            while i < u.endIndex {
                let c = u[i]
                if isSpace(c) { break }
                if isControl(c) { return fail(column, c) }
                if c != 0x22 {
                    text.append(c)
                    u.formIndex(after: &i)
                    column += 1
                    continue
                }
                quoted = true
                let quoteColumn = column
                u.formIndex(after: &i)
                column += 1
                var closed = false
                while i < u.endIndex {
                    let q = u[i]
                    if isControl(q) && !isSpace(q) { return fail(column, q) }
                    let from = i
                    advance(&i, &column)
                    if q == 0x22 { closed = true; break }
                    if q == 0x5C {
                        guard i < u.endIndex else { break }
                        let e = u[i]
                        if isControl(e) && !isSpace(e) { return fail(column, e) }
                        let escaped = i
                        advance(&i, &column)
                        switch e {
                        case 0x6E: text.append(0x0A)
                        case 0x74: text.append(0x09)
                        default: text += u[escaped..<i]
                        }
                        continue
                    }
                    text += u[from..<i]
                }
                if !closed {
                    tokens.append(LineToken(text: String(decoding: text, as: UTF8.self), column: startColumn,
                                            length: column - startColumn, quoted: true, range: start..<i))
                    return Scan(line: TokenizedLine(tokens: tokens, error: nil, endsInSpace: false, openQuote: true,
                                                    hasComment: false, endColumn: column),
                                openQuoteColumn: quoteColumn)
                }
            }
            tokens.append(LineToken(text: String(decoding: text, as: UTF8.self), column: startColumn,
                                    length: column - startColumn, quoted: quoted, range: start..<i))
        }
        return Scan(line: TokenizedLine(tokens: tokens, error: nil, endsInSpace: lastWasSpace || hasComment,
                                        openQuote: false, hasComment: hasComment, endColumn: column),
                    openQuoteColumn: nil)
    }

    static func isControl(_ c: Character) -> Bool {
        for s in c.unicodeScalars {
            let v = s.value
            if v < 0x20 || (v >= 0x7F && v <= 0x9F) { return true }
        }
        return false
    }

    static func describe(_ c: Character) -> String {
        let scalar = c.unicodeScalars.first { $0.value < 0x20 || ($0.value >= 0x7F && $0.value <= 0x9F) }
        let hex = String(scalar?.value ?? 0, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
