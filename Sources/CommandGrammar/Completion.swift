// Tab completion and `?` (describe): both run the matcher over the words before the cursor and
// then look at what the live threads wait for.

/// One completion offered for the word at the cursor.
public struct CompletionCandidate: Sendable, Hashable {
    public var text: String
    public var help: String
    /// False when the value goes on after insertion (a directory path ending in `/`): the shell
    /// then does not add a space.
    public var isComplete: Bool

    public init(_ text: String, help: String = "", isComplete: Bool = true) {
        self.text = text
        self.help = help
        self.isComplete = isComplete
    }
}

/// What a completion hook is asked.
public struct CompletionRequest: Sendable {
    /// The partial word (unquoted).
    public var partial: String
    /// The token being completed (its name, kind, help).
    public var token: Token
    /// The values given so far on the line, for hooks whose answer depends on them.
    public var arguments: Arguments
}

/// Completion hooks by name (`"association"`, `"key"`, `"path"`), supplied by the caller.
public struct CompletionHooks: Sendable {
    public typealias Hook = @Sendable (CompletionRequest) -> [CompletionCandidate]
    var hooks: [String: Hook] = [:]

    public init() {}

    /// Registers `hook` for tokens declared with `completion: name`.
    public mutating func register(_ name: String, _ hook: @escaping Hook) { hooks[name] = hook }

    public subscript(name: String) -> Hook? {
        get { hooks[name] }
        set { hooks[name] = newValue }
    }
}

/// The result of Tab.
public struct Completion: Sendable {
    /// The partial word at the cursor (unquoted) and its column.
    public var word: String
    public var column: Int
    /// Candidates for the word, sorted, without duplicates.
    public var candidates: [CompletionCandidate]
    /// The longest common prefix of the candidates (empty when there are none).
    public var commonPrefix: String
    /// When the words before the cursor do not match, why (Tab then offers nothing).
    public var error: MatchResult?

    /// What Tab inserts at the cursor: the common prefix past the typed word.
    public var insertion: String {
        commonPrefix.count > word.count && commonPrefix.hasPrefix(word) ? String(commonPrefix.dropFirst(word.count)) : ""
    }
    /// True when exactly one complete candidate remains (the shell adds a space after it).
    public var isUnique: Bool { candidates.count == 1 && candidates[0].isComplete }
}

/// One line of `?` output.
public struct DescribeItem: Sendable, Hashable {
    /// A keyword, an argument placeholder (`EXPONENT`), or `<cr>`.
    public var word: String
    public var help: String

    public init(word: String, help: String) {
        self.word = word
        self.help = help
    }
}

/// The result of `?`.
public struct Description: Sendable {
    public var items: [DescribeItem]
    /// When the words before the cursor do not match, why.
    public var error: MatchResult?

    /// vtysh-style: two-space indent, words padded to one column, then the help.
    public func render() -> String {
        let width = items.map(\.word.count).max() ?? 0
        var out = ""
        for item in items {
            out += "  " + item.word
            if !item.help.isEmpty {
                out += String(repeating: " ", count: width - item.word.count + 2) + item.help
            }
            out += "\n"
        }
        return out
    }
}

extension Grammar {
    /// Completes the word before the cursor; `textBeforeCursor` is the line up to the cursor.
    public func complete(_ textBeforeCursor: String, hooks: CompletionHooks = CompletionHooks()) -> Completion {
        let (line, partial) = Tokenizer.tokenizeForCompletion(textBeforeCursor)
        var completion = Completion(word: partial.text, column: partial.column, candidates: [], commonPrefix: "")
        if line.hasComment { return completion }
        if let error = line.error {
            completion.error = .badArgument(column: error.column, message: error.message)
            return completion
        }
        var run = Run(program: program, tokens: line.tokens, line: textBeforeCursor)
        if let failure = run.advance(through: line.tokens.count) {
            completion.error = failure
            return completion
        }
        var seen = Set<String>()
        var asked = Set<String>()
        var candidates: [CompletionCandidate] = []
        func offer(_ c: CompletionCandidate) {
            guard c.text.utf8.starts(with: partial.text.utf8), seen.insert(c.text).inserted else { return }
            candidates.append(c)
        }
        for thread in run.threads where thread.textStart < 0 {
            guard case .token(let t) = program.code[Int(thread.pc)] else { continue }
            let token = program.tokens[Int(t)]
            if case .keyword(let keyword) = token.kind {
                if !partial.quoted { offer(CompletionCandidate(keyword, help: token.help)) }
            } else if let name = token.completion, let hook = hooks[name], asked.insert(name).inserted {
                let request = CompletionRequest(partial: partial.text, token: token, arguments: run.arguments(of: thread))
                for candidate in hook(request) { offer(candidate) }
            }
        }
        candidates.sort { $0.text < $1.text }
        completion.candidates = candidates
        completion.commonPrefix = longestCommonPrefix(candidates.map(\.text))
        return completion
    }

    /// Completes at a cursor given in Characters from the start of `line`.
    public func complete(line: String, cursor: Int, hooks: CompletionHooks = CompletionHooks()) -> Completion {
        complete(String(line.prefix(max(0, cursor))), hooks: hooks)
    }

    /// What may come next at the cursor (`?`): keywords and arguments with their help, and `<cr>`
    /// when the command can end there. A partial word narrows the list to what it could start.
    public func describe(_ textBeforeCursor: String) -> Description {
        let (line, partial) = Tokenizer.tokenizeForCompletion(textBeforeCursor)
        if let error = line.error {
            return Description(items: [], error: .badArgument(column: error.column, message: error.message))
        }
        if line.hasComment { return Description(items: [], error: nil) }
        var run = Run(program: program, tokens: line.tokens, line: textBeforeCursor)
        if let failure = run.advance(through: line.tokens.count) { return Description(items: [], error: failure) }
        var items: [DescribeItem] = []
        var seen = Set<String>()
        var canEnd = false
        for thread in run.threads {
            if thread.textStart >= 0 { canEnd = true }
            switch program.code[Int(thread.pc)] {
            case .accept:
                canEnd = true
            case .token(let t):
                let token = program.tokens[Int(t)]
                if token.kind.isKeyword {
                    guard !partial.quoted, token.kind.couldStart(partial.text) else { continue }
                } else if !token.kind.couldStart(partial.text) {
                    continue
                }
                guard seen.insert(token.name).inserted else { continue }
                var help = token.help
                if let hint = token.kind.valueHint { help += help.isEmpty ? hint : " (\(hint))" }
                items.append(DescribeItem(word: token.name, help: help))
            default:
                continue
            }
        }
        if canEnd && partial.text.isEmpty && !partial.quoted { items.append(DescribeItem(word: "<cr>", help: "")) }
        return Description(items: items, error: nil)
    }
}

/// The longest common prefix, in Characters.
func longestCommonPrefix(_ strings: [String]) -> String {
    guard let first = strings.first else { return "" }
    var prefix = Substring(first)
    for s in strings.dropFirst() {
        var a = prefix.startIndex
        var b = s.startIndex
        while a < prefix.endIndex, b < s.endIndex, prefix[a] == s[b] {
            a = prefix.index(after: a)
            b = s.index(after: b)
        }
        prefix = prefix[..<a]
    }
    return String(prefix)
}
