// Matching a line against the grammar.
//
// All commands are tried at once. At each word, every live thread checks the word against the
// token it waits for, and only the threads with the best match tier go on: a keyword spelled in
// full beats a number/address, which beats a keyword prefix, which beats a free word or host
// name, which beats rest-of-line text. The tier choice is made word by word (greedy), so the
// outcome is easy to predict: `restrict default` is the keyword even where a host name could
// stand. A prefix of several different keywords keeps them all alive: the words after it may rule
// out all but one (`sh run` is `show running-config` even with `shutdown` declared); if they do
// not, the line is ambiguous at that prefix (`sh` alone could be show or shutdown).

/// The outcome of matching one line.
public enum MatchResult: Sendable {
    /// A command matched.
    case ok(ParsedCommand)
    /// Nothing to do: blank, or only a comment.
    case empty
    /// The first word names no command.
    case unknownCommand(column: Int, word: String)
    /// The word at `column` (not the first) fits nothing; `expected` lists what could stand there (`<cr>` when
    /// the line could have ended before it).
    case noMatch(column: Int, word: String, expected: [String])
    /// The line ended where more is required.
    case incomplete(column: Int, expected: [String])
    /// The word at `column` is a prefix of several keywords.
    case ambiguous(column: Int, word: String, candidates: [String])
    /// The word at `column` is not a valid value (or the line cannot be split into words).
    case badArgument(column: Int, message: String)

    /// The parsed command, if the line matched.
    public var command: ParsedCommand? { if case .ok(let c) = self { c } else { nil } }

    /// The column the result points at (nil for `.ok` and `.empty`).
    public var column: Int? {
        switch self {
        case .ok, .empty: nil
        case .unknownCommand(let c, _), .noMatch(let c, _, _), .incomplete(let c, _), .ambiguous(let c, _, _), .badArgument(let c, _): c
        }
    }
}

/// A matched command with its typed arguments.
public struct ParsedCommand: Sendable {
    public let command: Command
    /// The command's position in `Grammar.commands`.
    public let index: Int
    public let arguments: Arguments
    /// The words of the line.
    public let tokens: [LineToken]

    /// The command's identity, for dispatch.
    public var id: String { command.id }
    public var action: (any Sendable)? { command.action }
}

/// The values a command line gave, by key, in line order.
public struct Arguments: Sendable {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: ArgumentValue
        /// The word as typed (unquoted).
        public var text: String
        public var column: Int
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { var seen = Set<String>(); return entries.map(\.key).filter { seen.insert($0).inserted } }

    public func values(_ key: String) -> [ArgumentValue] { entries.filter { $0.key == key }.map(\.value) }
    public subscript(key: String) -> ArgumentValue? { entries.first { $0.key == key }?.value }
    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }
    /// True when a flag (or any value) was given under `key`.
    public func flag(_ key: String) -> Bool { has(key) }
    public func column(_ key: String) -> Int? { entries.first { $0.key == key }?.column }

    /// The value as text: a keyword's full spelling, an address, a word; other kinds as typed.
    public func string(_ key: String) -> String? { entries.first { $0.key == key }.map(Self.text) }
    public func strings(_ key: String) -> [String] { entries.filter { $0.key == key }.map(Self.text) }
    public func int(_ key: String) -> Int? { ints(key).first }
    public func ints(_ key: String) -> [Int] {
        values(key).compactMap { if case .integer(let n) = $0 { n } else { nil } }
    }
    /// A decimal in its base unit (seconds, ppm); integers convert.
    public func double(_ key: String) -> Double? { doubles(key).first }
    public func doubles(_ key: String) -> [Double] {
        values(key).compactMap {
            switch $0 {
            case .decimal(let d): d
            case .integer(let n): Double(n)
            default: nil
            }
        }
    }
    public func prefix(_ key: String) -> (address: String, length: Int)? {
        for case .prefix(let address, let length) in values(key) { return (address, length) }
        return nil
    }

    static func text(_ entry: Entry) -> String {
        switch entry.value {
        case .keyword(let k): k
        case .string(let s): s
        default: entry.text
        }
    }
}

extension Grammar {
    /// Matches one line (a typed line, a batch line, a config-file line).
    public func match(_ line: String) -> MatchResult {
        let tokenized = Tokenizer.tokenize(line)
        if let error = tokenized.error { return .badArgument(column: error.column, message: error.message) }
        if tokenized.tokens.isEmpty { return .empty }
        var run = Run(program: program, tokens: tokenized.tokens, line: line)
        if let failure = run.advance(through: tokenized.tokens.count) { return failure }
        return run.finish(commands: commands)
    }
}

/// One capture in a run's arena; threads share prefixes through `parent`.
struct Capture {
    var parent: Int32
    var key: String
    var value: ArgumentValue
    var token: Int32
    /// For rest-of-line text: the raw text (set when the line ends).
    var text: String?
}

/// A keyword taken at an ambiguous prefix; threads share these chains like captures.
struct Branch {
    var parent: Int32
    var event: Int32
    var keyword: String
}

/// The state of matching one line.
struct Run {
    let program: Program
    let tokens: [LineToken]
    let line: String
    var threads: [Thread]
    var arena: [Capture] = []
    var branches: [Branch] = []
    /// Words that were a prefix of several keywords, and the ones not yet settled by later words.
    var events: [(column: Int, word: String)] = []
    var unresolved: [Int32] = []
    var visited: Visited
    /// Buffers reused from word to word.
    private var matched: [(thread: Thread, token: Int32, tier: MatchTier, value: ArgumentValue)] = []
    private var inText: [Thread] = []
    private var next: [Thread] = []
    /// Words consumed so far.
    var position = 0
    static let maxThreads = 4096

    init(program: Program, tokens: [LineToken], line: String) {
        self.program = program
        self.tokens = tokens
        self.line = line
        self.threads = program.initial
        self.visited = Visited(size: program.code.count)
    }

    /// Consumes words up to `end`; returns the failure if the line cannot go on.
    mutating func advance(through end: Int) -> MatchResult? {
        while position < end {
            if let failure = step(tokens[position], index: position) { return failure }
            position += 1
        }
        return nil
    }

    private mutating func step(_ word: LineToken, index: Int) -> MatchResult? {
        var best: MatchTier? = nil
        matched.removeAll(keepingCapacity: true)
        inText.removeAll(keepingCapacity: true)
        var rejection: String? = nil
        for thread in threads {
            if thread.textStart >= 0 { inText.append(thread); continue }
            guard case .token(let t) = program.code[Int(thread.pc)] else { continue }
            switch program.tokens[Int(t)].kind.match(word) {
            case .matched(let tier, let value):
                matched.append((thread, t, tier, value))
                if best.map({ tier > $0 }) ?? true { best = tier }
            case .rejected(let message):
                if rejection == nil, let message { rejection = message }
            }
        }
        guard let best else {
            if !inText.isEmpty { swap(&threads, &inText); resolve(); return nil }
            if let ambiguity = pendingAmbiguity() { return ambiguity }
            if let rejection { return .badArgument(column: word.column, message: rejection) }
            if index == 0 { return .unknownCommand(column: word.column, word: word.text) }
            return .noMatch(column: word.column, word: word.text, expected: expected())
        }
        matched.removeAll { $0.tier != best }
        if best == .partial {
            var keywords: [String] = []
            for m in matched { if case .keyword(let k) = m.value, !keywords.contains(k) { keywords.append(k) } }
            if keywords.count > 1 {
                let event = Int32(events.count)
                events.append((word.column, word.text))
                unresolved.append(event)
                for i in matched.indices {
                    guard case .keyword(let k) = matched[i].value else { continue }
                    branches.append(Branch(parent: matched[i].thread.branch, event: event, keyword: k))
                    matched[i].thread.branch = Int32(branches.count - 1)
                }
            }
        }
        visited.reset()
        next.removeAll(keepingCapacity: true)
        for m in matched {
            var thread = m.thread
            let token = program.tokens[Int(m.token)]
            if token.kind == .text {
                thread.textStart = Int32(index)
                next.append(thread)
                continue
            }
            if let key = token.key {
                arena.append(Capture(parent: thread.capture, key: key, value: m.value, token: Int32(index)))
                thread.capture = Int32(arena.count - 1)
            }
            thread.pc += 1
            program.addThread(&next, &visited, thread)
        }
        next += inText
        // Lint-clean grammars keep a handful of threads; an options set whose options do not start
        // with keywords can multiply them. Refuse the line rather than use unbounded time.
        if next.count > Run.maxThreads {
            return .badArgument(column: word.column, message: "too many ways to read this line")
        }
        swap(&threads, &next)
        resolve()
        return nil
    }

    /// Drops the ambiguous prefixes that the live threads now agree on.
    private mutating func resolve() {
        guard !unresolved.isEmpty else { return }
        let settled = unresolved.filter { choices(at: $0).count <= 1 }
        unresolved.removeAll { settled.contains($0) }
    }

    /// The keywords the live threads took at an ambiguous prefix.
    private func choices(at event: Int32) -> [String] {
        var keywords: [String] = []
        for thread in threads {
            var b = thread.branch
            while b >= 0, branches[Int(b)].event > event { b = branches[Int(b)].parent }
            if b >= 0, branches[Int(b)].event == event, !keywords.contains(branches[Int(b)].keyword) {
                keywords.append(branches[Int(b)].keyword)
            }
        }
        return keywords
    }

    /// The first prefix the line has not settled, as a result.
    func pendingAmbiguity() -> MatchResult? {
        guard let event = unresolved.first else { return nil }
        let (column, word) = events[Int(event)]
        return .ambiguous(column: column, word: word, candidates: choices(at: event).sorted())
    }

    /// Ends the line: moves rest-of-line threads past their text and settles the result.
    mutating func finish(commands: [Command]) -> MatchResult {
        settleText()
        if let ambiguity = pendingAmbiguity() { return ambiguity }
        for thread in threads {
            guard case .accept = program.code[Int(thread.pc)] else { continue }
            let index = Int(program.owner[Int(thread.pc)])
            return .ok(ParsedCommand(command: commands[index], index: index, arguments: arguments(of: thread), tokens: tokens))
        }
        return .incomplete(column: (tokens.last?.endColumn ?? 0) + 1, expected: expected())
    }

    /// Threads inside rest-of-line text capture it and continue after it (the line ends here).
    mutating func settleText() {
        guard threads.contains(where: { $0.textStart >= 0 }) else { return }
        visited.reset()
        var next: [Thread] = []
        for var thread in threads {
            if thread.textStart >= 0, case .token(let t) = program.code[Int(thread.pc)] {
                let first = tokens[Int(thread.textStart)]
                let raw = String(line[first.range.lowerBound..<tokens[position - 1].range.upperBound])
                if let key = program.tokens[Int(t)].key {
                    arena.append(Capture(parent: thread.capture, key: key, value: .string(raw),
                                         token: thread.textStart, text: raw))
                    thread.capture = Int32(arena.count - 1)
                }
                thread.textStart = -1
                thread.pc += 1
                program.addThread(&next, &visited, thread)
            } else if visited.insert(pc: thread.pc, used: thread.used) {
                next.append(thread)
            }
        }
        threads = next
    }

    /// What the live threads could take next (`<cr>` when one could end here).
    func expected() -> [String] {
        var result: [String] = []
        for thread in threads {
            let item: String
            switch program.code[Int(thread.pc)] {
            case .token(let t): item = program.tokens[Int(t)].name
            case .accept: item = "<cr>"
            default: continue
            }
            if !result.contains(item) { result.append(item) }
        }
        return result
    }

    func arguments(of thread: Thread) -> Arguments {
        var entries: [Arguments.Entry] = []
        var i = thread.capture
        while i >= 0 {
            let c = arena[Int(i)]
            let token = tokens[Int(c.token)]
            entries.append(Arguments.Entry(key: c.key, value: c.value, text: c.text ?? token.text, column: token.column))
            i = c.parent
        }
        return Arguments(entries: entries.reversed())
    }
}
