// Text generated from the grammar: syntax lines, the `help` overview, per-command help, mdoc
// fragments for man pages, and word lists for shell completion scripts.

extension Syntax {
    /// The syntax in the usual notation: `ADDRESS [iburst] [minpoll EXPONENT] (a | b) WORD...`.
    public var syntaxLine: String { render(self, nested: false) }
}

private func render(_ syntax: Syntax, nested: Bool) -> String {
    switch syntax {
    case .token(let token):
        return token.name
    case .sequence(let parts):
        let text = parts.map { render($0, nested: true) }.filter { !$0.isEmpty }.joined(separator: " ")
        return nested && parts.count > 1 ? "(" + text + ")" : text
    case .optional(let body):
        if case .alternatives(let alternatives) = body {
            return "[" + alternatives.map { render($0, nested: false) }.joined(separator: " | ") + "]"
        }
        return "[" + render(body, nested: false) + "]"
    case .alternatives(let alternatives):
        return "(" + alternatives.map { render($0, nested: false) }.joined(separator: " | ") + ")"
    case .repetition(let body, let atLeastOne):
        let one = render(body, nested: true) + "..."
        return atLeastOne ? one : "[" + one + "]"
    case .options(let options):
        return options.map { "[" + render($0, nested: false) + "]" }.joined(separator: " ")
    }
}

/// A line of per-command help: `minpoll EXPONENT` and its help.
public struct HelpEntry: Sendable, Hashable {
    public var label: String
    public var help: String
}

extension Command {
    /// `server ADDRESS [iburst] [prefer] [minpoll EXPONENT] …`
    public var syntaxLine: String {
        let rest = syntax.syntaxLine
        return (words + (rest.isEmpty ? [] : [rest])).joined(separator: " ")
    }

    /// The tokens after the command words, each with its help; an option keyword and the
    /// arguments right after it form one entry (`minpoll EXPONENT`).
    public var helpEntries: [HelpEntry] {
        var entries: [HelpEntry] = []
        var seen = Set<String>()
        func add(_ label: String, _ help: String) {
            if seen.insert(label).inserted { entries.append(HelpEntry(label: label, help: help)) }
        }
        func walk(_ s: Syntax) {
            switch s {
            case .token(let token):
                add(token.name, describeHelp(token))
            case .sequence(let parts):
                var i = 0
                while i < parts.count {
                    if case .token(let head) = parts[i], head.kind.isKeyword {
                        var label = head.name
                        var j = i + 1
                        var args: [Token] = []
                        while j < parts.count, case .token(let arg) = parts[j], !arg.kind.isKeyword {
                            label += " " + arg.name
                            args.append(arg)
                            j += 1
                        }
                        var help = head.help
                        if args.count == 1, let hint = args[0].kind.valueHint { help += " (\(hint))" }
                        add(label, help)
                        for arg in args where arg.help != head.help { add(arg.name, describeHelp(arg)) }
                        i = j
                    } else {
                        walk(parts[i])
                        i += 1
                    }
                }
            case .optional(let body), .repetition(let body, _):
                walk(body)
            case .alternatives(let parts), .options(let parts):
                for part in parts { walk(part) }
            }
        }
        walk(syntax)
        return entries
    }
}

func describeHelp(_ token: Token) -> String {
    guard let hint = token.kind.valueHint else { return token.help }
    return token.help.isEmpty ? hint : token.help + " (\(hint))"
}

extension Grammar {
    /// The `help` overview: every command's syntax line with its help under it.
    public func helpOverview() -> String {
        var out = ""
        for command in commands {
            out += command.syntaxLine + "\n"
            out += "    " + command.help + "\n"
        }
        return out
    }

    /// Help for one command: syntax, help, and each token with its help.
    public func help(for command: Command) -> String {
        var out = command.syntaxLine + "\n  " + command.help + "\n"
        let entries = command.helpEntries
        if !entries.isEmpty {
            let width = entries.map(\.label.count).max() ?? 0
            out += "\n"
            for entry in entries {
                out += "  " + entry.label + String(repeating: " ", count: width - entry.label.count + 2) + entry.help + "\n"
            }
        }
        return out
    }

    /// The commands whose words start with `words` (each word exact or a prefix: `help sh run`).
    public func commands(startingWith words: [String]) -> [Command] {
        commands.filter { command in
            guard words.count <= command.words.count else { return false }
            return zip(words, command.words).allSatisfy { typed, word in word.utf8.starts(with: typed.utf8) }
        }
    }

    /// `help WORDS…`: the help of every command the words name, or nil when they name none.
    public func help(forWords words: [String]) -> String? {
        let found = commands(startingWith: words)
        return found.isEmpty ? nil : found.map { help(for: $0) }.joined(separator: "\n")
    }

    // MARK: Shell completion

    /// The first word of every command, sorted, without duplicates.
    public var commandWords: [String] { Array(Set(commands.compactMap(\.words.first))).sorted() }

    /// For each run of command words, the words that can follow it (`[]` → first words,
    /// `["show"]` → `running-config`, …): what a shell completion script completes positionally.
    public var commandWordTree: [(path: [String], next: [String])] {
        var next: [[String]: [String]] = [:]
        for command in commands {
            for i in command.words.indices {
                let path = Array(command.words[..<i])
                if !(next[path]?.contains(command.words[i]) ?? false) { next[path, default: []].append(command.words[i]) }
            }
        }
        return next.map { (path: $0.key, next: $0.value.sorted()) }
            .sorted { $0.path.joined(separator: " ") < $1.path.joined(separator: " ") }
    }

    /// Every keyword in the grammar (command words and argument keywords), sorted.
    public var allKeywords: [String] {
        var words = Set<String>()
        for token in program.tokens { if case .keyword(let k) = token.kind { words.insert(k) } }
        return words.sorted()
    }

    // MARK: Man pages

    /// An mdoc tag list with one item per command (syntax, help, and its tokens), for the
    /// COMMANDS section of a man page. `include` picks the commands.
    public func mdoc(include: (Command) -> Bool = { _ in true }) -> String {
        var out = ".Bl -tag -width Ds\n"
        for command in commands where include(command) { out += mdoc(for: command) }
        return out + ".El\n"
    }

    /// One `.It` item for a command.
    public func mdoc(for command: Command) -> String {
        var line = ".It " + command.words.map { "Ic " + mdocWord($0) }.joined(separator: " ")
        let rest = mdocSyntax(command.syntax)
        if !rest.isEmpty { line += " " + rest }
        var out = line + "\n" + mdocText(sentence(command.help)) + "\n"
        let entries = command.helpEntries
        if !entries.isEmpty {
            out += ".Bl -tag -width Ds -compact\n"
            for entry in entries {
                let words = entry.label.split(separator: " ").map(String.init)
                let macro = words.enumerated().map { i, w in
                    (i == 0 && !isPlaceholder(w) ? "Cm " : "Ar ") + mdocWord(w)
                }.joined(separator: " ")
                out += ".It " + macro + "\n" + mdocText(sentence(entry.help)) + "\n"
            }
            out += ".El\n"
        }
        return out
    }
}

private func isPlaceholder(_ word: String) -> Bool {
    word.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } && !word.utf8.contains { $0 >= 0x61 && $0 <= 0x7A }
}

private func sentence(_ s: String) -> String {
    guard let last = s.last else { return s }
    return ".!?".contains(last) ? s : s + "."
}

private func mdocSyntax(_ syntax: Syntax) -> String {
    switch syntax {
    case .token(let token):
        return (token.kind.isKeyword ? "Cm " : "Ar ") + mdocWord(token.name)
    case .sequence(let parts):
        return parts.map(mdocSyntax).filter { !$0.isEmpty }.joined(separator: " ")
    case .optional(let body):
        if case .alternatives(let alternatives) = body {
            return "Oo " + alternatives.map(mdocSyntax).joined(separator: " | ") + " Oc"
        }
        return "Oo " + mdocSyntax(body) + " Oc"
    case .alternatives(let alternatives):
        return "Po " + alternatives.map(mdocSyntax).joined(separator: " | ") + " Pc"
    case .repetition(let body, let atLeastOne):
        let one = mdocSyntax(body) + " No ..."
        return atLeastOne ? one : "Oo " + one + " Oc"
    case .options(let options):
        return options.map { "Oo " + mdocSyntax($0) + " Oc" }.joined(separator: " ")
    }
}

/// A word as an mdoc macro argument: quoted when it has spaces or quotes, `\&`-escaped when it
/// could be read as a macro name or a delimiter.
func mdocWord(_ word: String) -> String {
    var w = word.replacingBackslashes()
    if w.contains("\"") { w = w.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\\(dq") }
    let u = Array(w.utf8)
    let looksLikeMacro = (2...3).contains(u.count) && (u[0] >= 0x41 && u[0] <= 0x5A || u[0] == 0x25)
        && u.dropFirst().contains { $0 >= 0x61 && $0 <= 0x7A }
    let delimiter = w.count == 1 && "|.,;:?!()[]".contains(w)
    if looksLikeMacro || delimiter || w.isEmpty { w = "\\&" + w }
    if w.contains(" ") || w.contains("\t") { w = "\"" + w + "\"" }
    return w
}

/// Free text for an mdoc body line.
func mdocText(_ text: String) -> String {
    var lines: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var l = String(line).replacingBackslashes()
        if l.hasPrefix(".") || l.hasPrefix("'") { l = "\\&" + l }
        lines.append(l)
    }
    return lines.joined(separator: "\n")
}

extension String {
    fileprivate func replacingBackslashes() -> String {
        contains("\\") ? split(separator: "\\", omittingEmptySubsequences: false).joined(separator: "\\e") : self
    }
}
