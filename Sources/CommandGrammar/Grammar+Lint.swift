// Grammar lint: the checks a command table must pass (a test runs it over the NTP table).

/// A problem in a grammar declaration.
public struct LintIssue: Sendable, Hashable, CustomStringConvertible {
    /// The command's syntax line (or the group words) the issue is about.
    public var command: String
    public var message: String

    public var description: String { "\(command): \(message)" }
}

extension Grammar {
    /// Checks that every command and token has help, that keywords and placeholders are
    /// well-formed, that no two commands share an id, that option sets and alternatives do not
    /// start two branches with the same keyword, and that a sample line built from each command
    /// (shortest form and fullest form) parses back to that command, so no declaration is
    /// shadowed by or ambiguous with another.
    public func lint() -> [LintIssue] {
        var issues: [LintIssue] = []
        var ids: [String: Int] = [:]
        for (index, command) in commands.enumerated() {
            let name = command.syntaxLine
            func report(_ message: String) { issues.append(LintIssue(command: name, message: message)) }

            if command.words.isEmpty { report("command has no words") }
            if command.help.isBlank { report("command has no help") }
            for i in command.words.indices.dropLast() where (wordHelp[Array(command.words[...i])] ?? "").isBlank {
                report("group word \"\(command.words[...i].joined(separator: " "))\" has no help (declare a Group for it)")
            }
            for word in command.words { checkKeyword(word, report) }
            if let earlier = ids[command.id] {
                report("id \"\(command.id)\" is also used by \(commands[earlier].syntaxLine)")
            } else {
                ids[command.id] = index
            }
            var optionCount = 0
            lintSyntax(command.syntax, report, &optionCount)
            if optionCount > 64 { report("more than 64 options: options past the 64th may be repeated") }

            for full in [false, true] {
                let sample = (command.words + sampleWords(command.syntax, full: full)).joined(separator: " ")
                switch match(sample) {
                case .ok(let parsed):
                    if parsed.index != index {
                        report("sample line \"\(sample)\" matches \(parsed.command.syntaxLine) instead (shadowed)")
                    }
                case .ambiguous(_, let word, let candidates):
                    report("sample line \"\(sample)\" is ambiguous at \"\(word)\": \(candidates.joined(separator: ", "))")
                case let other:
                    report("sample line \"\(sample)\" does not parse: \(other.message ?? "empty")")
                }
            }
        }
        return issues
    }
}

private func checkKeyword(_ word: String, _ report: (String) -> Void) {
    if word.isEmpty { report("empty keyword"); return }
    if word.contains(where: { $0.isWhitespace || $0 == "\"" || Tokenizer.isControl($0) }) || word.hasPrefix("#") {
        report("keyword \"\(word)\" cannot be typed as one word")
    }
}

private func lintSyntax(_ syntax: Syntax, _ report: (String) -> Void, _ optionCount: inout Int) {
    switch syntax {
    case .token(let token):
        if case .keyword(let word) = token.kind { checkKeyword(word, report) }
        if token.help.isBlank { report("token \(token.name) has no help") }
        if !token.kind.isKeyword && (token.name.isEmpty || token.name.contains(where: \.isWhitespace)) {
            report("argument placeholder \"\(token.name)\" must be one word")
        }
        if case .decimal(let range, _) = token.kind, !(range.lowerBound.isFinite && range.upperBound.isFinite) {
            report("token \(token.name) has a non-finite range")
        }
    case .sequence(let parts):
        for part in parts { lintSyntax(part, report, &optionCount) }
    case .optional(let body), .repetition(let body, _):
        lintSyntax(body, report, &optionCount)
    case .alternatives(let parts):
        if parts.isEmpty { report("empty alternatives") }
        checkLeadingKeywords(parts, "alternatives", report)
        for part in parts { lintSyntax(part, report, &optionCount) }
    case .options(let parts):
        optionCount += parts.count
        for part in parts where leadingKeyword(part) == nil {
            report("option \(part.syntaxLine) does not start with a keyword")
        }
        checkLeadingKeywords(parts, "options", report)
        for part in parts { lintSyntax(part, report, &optionCount) }
    }
}

private func checkLeadingKeywords(_ parts: [Syntax], _ what: String, _ report: (String) -> Void) {
    var seen = Set<String>()
    for part in parts {
        guard let word = leadingKeyword(part) else { continue }
        if !seen.insert(word).inserted { report("two \(what) start with the keyword \"\(word)\"") }
    }
}

private func leadingKeyword(_ syntax: Syntax) -> String? {
    switch syntax {
    case .token(let token): if case .keyword(let word) = token.kind { word } else { nil }
    case .sequence(let parts): parts.first.flatMap(leadingKeyword)
    default: nil
    }
}

/// Words of a line the syntax accepts: the shortest form, or the fullest (every optional part
/// and option taken, the last alternative).
private func sampleWords(_ syntax: Syntax, full: Bool) -> [String] {
    switch syntax {
    case .token(let token):
        let sample = token.kind.sample
        return [sample.contains(" ") ? "\"\(sample)\"" : sample]
    case .sequence(let parts): return parts.flatMap { sampleWords($0, full: full) }
    case .optional(let body): return full ? sampleWords(body, full: full) : []
    case .alternatives(let parts): return (full ? parts.last : parts.first).map { sampleWords($0, full: full) } ?? []
    case .repetition(let body, let atLeastOne): return atLeastOne || full ? sampleWords(body, full: full) : []
    case .options(let parts): return full ? parts.flatMap { sampleWords($0, full: full) } : []
    }
}

extension String {
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
