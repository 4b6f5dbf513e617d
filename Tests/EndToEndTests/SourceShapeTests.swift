import Foundation
import Testing

/// Owns the checks on the shape of Sources/ that issue 14 asks for: no function longer than
/// ``FunctionLengthTests/limit`` lines outside the declarative tables named in
/// ``FunctionLengthTests/tables``, and every file opening with a comment that says what it owns.
@Suite struct FunctionLengthTests {
    /// The longest a function body may run, lines from its declaration to its closing brace.
    static let limit = 80

    /// Functions allowed to be longer, each a declarative table (one entry per line, no
    /// logic to split), by `file:function`, with why.
    static let tables: [String: String] = [:]

    @Test func noFunctionOverTheLimit() throws {
        let sources = packageRoot.appendingPathComponent("Sources")
        var found: [String] = []
        var scanned = 0
        for file in try Self.swiftFiles(under: sources) {
            let text = try String(contentsOf: file, encoding: .utf8)
            let name = file.path.replacingOccurrences(of: sources.path + "/", with: "")
            for function in Self.functions(in: text) where function.lines > Self.limit {
                let key = "\(name):\(function.name)"
                if Self.tables[key] == nil { found.append("\(key) (line \(function.line)): \(function.lines) lines") }
            }
            scanned += 1
        }
        #expect(scanned > 100, "scanned \(scanned) files under \(sources.path)")
        #expect(found.isEmpty, "functions over \(Self.limit) lines:\n\(found.joined(separator: "\n"))")
    }

    /// The scanner sees through strings and comments, and measures nested functions apart.
    @Test func scannerMeasuresBraces() {
        let text = """
        struct S {
            func short() { let s = "}"; _ = s }
            // func commented() {
            init(x: Int) {
                let t = \"\"\"
                { not a brace }
                \"\"\"
                /* } */
                func inner() {
                }
            }
        }
        """
        let found = Self.functions(in: text)
        #expect(found.map(\.name) == ["short", "init", "inner"])
        #expect(found.map(\.lines) == [1, 8, 2])
        #expect(found.map(\.line) == [2, 4, 9])
    }

    @Test func everyFileSaysWhatItOwns() throws {
        let sources = packageRoot.appendingPathComponent("Sources")
        var silent: [String] = []
        for file in try Self.swiftFiles(under: sources) {
            let text = try String(contentsOf: file, encoding: .utf8)
            // The opening comment: what comes before the first declaration (a file comment, or
            // the first declaration's own doc comment when the file is that declaration).
            let head = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(60)
            let comment = head.prefix { line in
                let t = line.trimmingCharacters(in: .whitespaces)
                return t.isEmpty || t.hasPrefix("//") || t.hasPrefix("import ") || t.hasPrefix("public import ")
                    || t.hasPrefix("internal import ") || t.hasPrefix("@preconcurrency") || t.hasPrefix("#if") || t.hasPrefix("#endif")
            }.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            if comment.isEmpty {
                silent.append(file.path.replacingOccurrences(of: sources.path + "/", with: ""))
            }
        }
        #expect(silent.isEmpty, "files without an opening comment:\n\(silent.joined(separator: "\n"))")
    }

    struct Function: Equatable {
        var name: String
        /// 1-based line of the declaration.
        var line: Int
        /// Lines from the declaration to the closing brace, both included.
        var lines: Int
    }

    static func swiftFiles(under root: URL) throws -> [URL] {
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "swift" { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Each `func`, `init` and `deinit` with a body, measured by matching braces outside string
    /// literals and comments.
    static func functions(in text: String) -> [Function] {
        let chars = Array(text.unicodeScalars)
        var found: [Function] = []
        // Open declarations waiting for their body's brace, and those inside a body: the
        // brace depth at which each closes.
        var pending: (name: String, line: Int, parens: Int)?
        var open: [(name: String, line: Int, depth: Int)] = []
        var depth = 0
        var line = 1
        var parens = 0
        var i = 0
        func at(_ s: String, _ k: Int) -> Bool {
            let u = Array(s.unicodeScalars)
            return k + u.count <= chars.count && Array(chars[k..<k + u.count]) == u
        }
        func isIdentifier(_ c: Unicode.Scalar) -> Bool { c == "_" || CharacterSet.alphanumerics.contains(c) }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1; i += 1; continue }
            // A declaration without a body (a protocol's requirement) ends at its line: the next
            // line that does not go on with the signature drops it.
            if let p = pending, c != " ", parens == p.parens, line > p.line, !"{-)".unicodeScalars.contains(c),
               !Self.continues(chars, before: i) {
                pending = nil
            }
            if at("//", i) {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if at("/*", i) {
                i += 2
                while i < chars.count && !at("*/", i) { if chars[i] == "\n" { line += 1 }; i += 1 }
                i += 2
                continue
            }
            if c == "\"" || (c == "#" && at("#\"", i)) {
                // A string literal: raw (#"…"#), multi-line ("""…""") or plain, with escapes.
                var hashes = 0
                while i < chars.count && chars[i] == "#" { hashes += 1; i += 1 }
                let multi = at("\"\"\"", i)
                let quote = multi ? "\"\"\"" : "\""
                let close = quote + String(repeating: "#", count: hashes)
                i += quote.unicodeScalars.count
                while i < chars.count && !at(close, i) {
                    if chars[i] == "\\" && hashes == 0 { i += 1 }
                    if i < chars.count && chars[i] == "\n" { line += 1 }
                    i += 1
                }
                i += close.unicodeScalars.count
                continue
            }
            if isIdentifier(c) {
                var j = i
                while j < chars.count && isIdentifier(chars[j]) { j += 1 }
                let word = String(String.UnicodeScalarView(chars[i..<j]))
                let before = i == 0 ? " " : chars[i - 1]
                if (word == "func" || word == "init" || word == "deinit") && before != "." && pending == nil {
                    var name = word
                    if word == "func" {
                        var k = j
                        while k < chars.count && chars[k] == " " { k += 1 }
                        var e = k
                        while e < chars.count && !"(<".unicodeScalars.contains(chars[e]) && chars[e] != " " { e += 1 }
                        name = String(String.UnicodeScalarView(chars[k..<e]))
                    }
                    pending = (name, line, parens)
                }
                i = j
                continue
            }
            switch c {
            case "(": parens += 1
            case ")": parens -= 1
            case "{":
                if let p = pending, p.parens == parens {
                    open.append((p.name, p.line, depth))
                    pending = nil
                }
                depth += 1
            case "}":
                depth -= 1
                if let last = open.last, last.depth == depth {
                    open.removeLast()
                    found.append(Function(name: last.name, line: last.line, lines: line - last.line + 1))
                }
            default: break
            }
            i += 1
        }
        return found.sorted { $0.line < $1.line }
    }

    /// Whether the signature goes on across the line break before `i` (a `->`, `throws`,
    /// `where`, a comma, or a line that starts with one of them).
    private static func continues(_ chars: [Unicode.Scalar], before i: Int) -> Bool {
        var k = i - 1
        while k >= 0 && (chars[k] == " " || chars[k] == "\n") { k -= 1 }
        if k >= 0 && ",>:".unicodeScalars.contains(chars[k]) { return true }
        // The line being read starts with a continuation word.
        var e = i
        while e < chars.count && chars[e] != "\n" && chars[e] != " " { e += 1 }
        let word = String(String.UnicodeScalarView(chars[i..<e]))
        return ["->", "throws", "throws(", "rethrows", "where", "async"].contains { word.hasPrefix($0) }
            || word.hasPrefix("throws(") || word.hasPrefix("async")
    }
}
