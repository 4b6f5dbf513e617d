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
        var scanner = CharacterScanner(line)
        return scanLine(&scanner)
    }

    /// The same rules over bytes, for all-ASCII lines (the common case, ~10x faster). Every byte is
    /// one Character there except CR LF, which is one Character and counts as one column.
    private static func scanASCII(_ line: String) -> Scan {
        var scanner = ASCIIScanner(line)
        return scanLine(&scanner)
    }

    /// The line's words, with either scanner: whitespace between words, a comment from a `#` that
    /// starts a word, and the first word that is invalid or ends in an open quote ends the scan.
    private static func scanLine(_ scanner: inout some WordScanner) -> Scan {
        var tokens: [LineToken] = []
        var lastWasSpace = true
        var hasComment = false
        while !scanner.atEnd {
            if scanner.skipSpace() {
                lastWasSpace = true
                continue
            }
            if scanner.atComment {
                hasComment = true
                break
            }
            lastWasSpace = false
            let start = scanner.index
            let startColumn = scanner.column
            let word = scanner.scanWord()
            func token(_ text: String, quoted: Bool) -> LineToken {
                LineToken(text: text, column: startColumn, length: scanner.column - startColumn, quoted: quoted,
                          range: start..<scanner.index)
            }
            switch word {
            case .word(let text, let quoted):
                tokens.append(token(text, quoted: quoted))
            case .unclosed(let text, let quoteColumn):
                tokens.append(token(text, quoted: true))
                return Scan(line: TokenizedLine(tokens: tokens, error: nil, endsInSpace: false, openQuote: true,
                                                hasComment: false, endColumn: scanner.column),
                            openQuoteColumn: quoteColumn)
            case .invalid(let column, let character):
                let error = TokenizeError(column: column, message: "invalid character \(describe(character))")
                return Scan(line: TokenizedLine(tokens: tokens, error: error, endsInSpace: false, openQuote: false,
                                                hasComment: false, endColumn: column),
                            openQuoteColumn: nil)
            }
        }
        return Scan(line: TokenizedLine(tokens: tokens, error: nil, endsInSpace: lastWasSpace || hasComment,
                                        openQuote: false, hasComment: hasComment, endColumn: scanner.column),
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

/// How a word's scan ended.
private enum WordScan {
    /// At whitespace or the end of the line.
    case word(String, quoted: Bool)
    /// Inside a quote opened at `quoteColumn`, at the end of the line.
    case unclosed(String, quoteColumn: Int)
    /// At a control character.
    case invalid(column: Int, Character)
}

/// One of the two scanners of `Tokenizer.scanLine`: a position in the line and its column.
private protocol WordScanner {
    var index: String.Index { get }
    var column: Int { get }
    var atEnd: Bool { get }
    /// The next character starts a comment (`#`).
    var atComment: Bool { get }
    /// Steps over one whitespace character; false (and no step) for anything else.
    mutating func skipSpace() -> Bool
    /// A word (unquoted runs and quoted segments until whitespace outside quotes).
    mutating func scanWord() -> WordScan
}

/// A Character at a time: any line.
private struct CharacterScanner: WordScanner {
    let line: String
    var index: String.Index
    var column = 1

    init(_ line: String) {
        self.line = line
        index = line.startIndex
    }

    var atEnd: Bool { index == line.endIndex }
    var atComment: Bool { line[index] == "#" }

    mutating func step() {
        index = line.index(after: index)
        column += 1
    }

    mutating func skipSpace() -> Bool {
        guard line[index].isWhitespace else { return false }
        step()
        return true
    }

    mutating func scanWord() -> WordScan {
        var text = ""
        var quoted = false
        while !atEnd {
            let c = line[index]
            if c.isWhitespace { break }
            if Tokenizer.isControl(c) { return .invalid(column: column, c) }
            if c != "\"" {
                text.append(c)
                step()
                continue
            }
            quoted = true
            let quoteColumn = column
            step()
            if let end = scanQuoted(into: &text, quoteColumn: quoteColumn) { return end }
        }
        return .word(text, quoted: quoted)
    }

    /// After an opening quote: the quoted text with escapes resolved, up to the closing quote
    /// (nil: the word goes on) or to where the word ends.
    mutating func scanQuoted(into text: inout String, quoteColumn: Int) -> WordScan? {
        while !atEnd {
            let q = line[index]
            if Tokenizer.isControl(q) && !q.isWhitespace { return .invalid(column: column, q) }
            step()
            if q == "\"" { return nil }
            if q == "\\" {
                guard !atEnd else { break }
                let e = line[index]
                if Tokenizer.isControl(e) && !e.isWhitespace { return .invalid(column: column, e) }
                step()
                switch e {
                case "n": text.append("\n")
                case "t": text.append("\t")
                default: text.append(e)
                }
                continue
            }
            text.append(q)
        }
        return .unclosed(text, quoteColumn: quoteColumn)
    }
}

/// A byte at a time: all-ASCII lines.
private struct ASCIIScanner: WordScanner {
    let u: String.UTF8View
    var index: String.Index
    var column = 1

    init(_ line: String) {
        u = line.utf8
        index = u.startIndex
    }

    var atEnd: Bool { index == u.endIndex }
    var atComment: Bool { u[index] == 0x23 }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    static func isControl(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }

    /// Steps past the byte at `index` (past CR LF as one column).
    mutating func advance() {
        let b = u[index]
        u.formIndex(after: &index)
        if b == 0x0D, index < u.endIndex, u[index] == 0x0A { u.formIndex(after: &index) }
        column += 1
    }

    func invalid(_ byte: UInt8) -> WordScan { .invalid(column: column, Character(Unicode.Scalar(byte))) }

    mutating func skipSpace() -> Bool {
        guard Self.isSpace(u[index]) else { return false }
        advance()
        return true
    }

    mutating func scanWord() -> WordScan {
        var text: [UInt8] = []
        var quoted = false
        while !atEnd {
            let c = u[index]
            if Self.isSpace(c) { break }
            if Self.isControl(c) { return invalid(c) }
            u.formIndex(after: &index)
            column += 1
            if c != 0x22 {
                text.append(c)
                continue
            }
            quoted = true
            if let end = scanQuoted(into: &text, quoteColumn: column - 1) { return end }
        }
        return .word(String(decoding: text, as: UTF8.self), quoted: quoted)
    }

    /// After an opening quote: as `CharacterScanner.scanQuoted`, over bytes.
    mutating func scanQuoted(into text: inout [UInt8], quoteColumn: Int) -> WordScan? {
        while !atEnd {
            let q = u[index]
            if Self.isControl(q) && !Self.isSpace(q) { return invalid(q) }
            let from = index
            advance()
            if q == 0x22 { return nil }
            if q == 0x5C {
                guard !atEnd else { break }
                let e = u[index]
                if Self.isControl(e) && !Self.isSpace(e) { return invalid(e) }
                let escaped = index
                advance()
                switch e {
                case 0x6E: text.append(0x0A)
                case 0x74: text.append(0x09)
                default: text += u[escaped..<index]
                }
                continue
            }
            text += u[from..<index]
        }
        return .unclosed(String(decoding: text, as: UTF8.self), quoteColumn: quoteColumn)
    }
}
