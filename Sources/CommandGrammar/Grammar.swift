// CommandGrammar owns command-line syntax and nothing else: it knows no NTP word. A grammar is a
// list of commands declared once with a result builder, each token with its help next to it:
//
//     let grammar = Grammar {
//         Group("show", help: "Show running system information")
//         Command("show running-config", help: "Current configuration")
//         Command("server", help: "Add an upstream NTP server") {
//             Argument(.host, name: "ADDRESS", help: "Server address or host name", key: "address")
//             Options {
//                 Flag("iburst", help: "Send a burst of eight packets when unreachable")
//                 Option("minpoll", .integer(3...17), name: "EXPONENT", help: "Minimum poll exponent (log2 s)")
//             }
//         }
//     }
//
// From that one declaration come matching (`match`, for typed lines, batch files and config
// files alike), Tab completion (`complete`, with caller-supplied hooks for dynamic values), `?`
// (`describe`), `help`, per-command help, mdoc for man pages, word lists for shell completion
// scripts, and `lint`. The declarations compile into one program that a Pike-style VM runs:
// every command's syntax becomes instructions, and matching steps a set of threads word by word,
// so a line costs time linear in its words whatever its length.

/// One command: its words (`show running-config`), help, argument syntax and identity.
public struct Command: Sendable {
    /// The keywords that name the command, group words included.
    public var words: [String]
    public var help: String
    /// The arguments after the words.
    public var syntax: Syntax
    /// What the caller dispatches on; defaults to the words joined by spaces.
    public var id: String
    /// An optional payload for dispatch (a handler, an enum case); the grammar never looks at it.
    public var action: (any Sendable)?
    /// The command names a file or directory to read or write (one of its arguments is a
    /// ``TokenKind/path``): callers that must not let a remote peer touch files (ntpq's
    /// `:config`) refuse it whatever the path.
    public var namesFile: Bool { syntax.namesFile }

    /// - Parameters:
    ///   - words: the command's keywords, separated by spaces (`"show running-config"`). Help for
    ///     all but the last comes from a `Group` with those words (declared anywhere in the grammar).
    public init(_ words: String, help: String, id: String? = nil, action: (any Sendable)? = nil,
                @SyntaxBuilder _ body: () -> [Syntax] = { [] }) {
        self.words = words.split(whereSeparator: { $0 == " " }).map(String.init)
        self.help = help
        self.syntax = .group(body())
        self.id = id ?? self.words.joined(separator: " ")
        self.action = action
    }
}

/// A declaration in a grammar: a command, or the help of a group word.
public enum GrammarDeclaration: Sendable {
    case command(Command)
    case wordHelp(words: [String], help: String)
}

@resultBuilder
public enum CommandBuilder {
    public static func buildExpression(_ command: Command) -> [GrammarDeclaration] { [.command(command)] }
    public static func buildExpression(_ group: Group) -> [GrammarDeclaration] { group.declarations }
    public static func buildExpression(_ declarations: [GrammarDeclaration]) -> [GrammarDeclaration] { declarations }
    public static func buildBlock(_ parts: [GrammarDeclaration]...) -> [GrammarDeclaration] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [GrammarDeclaration]?) -> [GrammarDeclaration] { part ?? [] }
    public static func buildEither(first: [GrammarDeclaration]) -> [GrammarDeclaration] { first }
    public static func buildEither(second: [GrammarDeclaration]) -> [GrammarDeclaration] { second }
    public static func buildArray(_ parts: [[GrammarDeclaration]]) -> [GrammarDeclaration] { parts.flatMap { $0 } }
}

/// Commands that share leading words (`lab speed …`, `lab load …`), and the help for those words.
/// A group with no commands only declares the help (`Group("no", help: "Negate a command")`).
public struct Group: Sendable {
    public var declarations: [GrammarDeclaration]

    public init(_ words: String, help: String, @CommandBuilder _ body: () -> [GrammarDeclaration] = { [] }) {
        let prefix = words.split(whereSeparator: { $0 == " " }).map(String.init)
        declarations = [.wordHelp(words: prefix, help: help)]
        for declaration in body() {
            switch declaration {
            case .command(var command):
                if command.id == command.words.joined(separator: " ") {
                    command.id = (prefix + command.words).joined(separator: " ")
                }
                command.words = prefix + command.words
                declarations.append(.command(command))
            case .wordHelp(let words, let help):
                declarations.append(.wordHelp(words: prefix + words, help: help))
            }
        }
    }
}

/// The compiled grammar. Immutable and Sendable: build it once, share it.
public struct Grammar: Sendable {
    /// The commands in declaration order (earlier wins when two match the same line).
    public let commands: [Command]
    /// Help for group words, keyed by the words from the start of the command.
    public let wordHelp: [[String]: String]

    let program: Program

    public init(@CommandBuilder _ body: () -> [GrammarDeclaration]) {
        self.init(declarations: body())
    }

    public init(declarations: [GrammarDeclaration]) {
        var commands: [Command] = []
        var wordHelp: [[String]: String] = [:]
        for declaration in declarations {
            switch declaration {
            case .command(let command): commands.append(command)
            case .wordHelp(let words, let help):
                if wordHelp[words]?.isEmpty ?? true { wordHelp[words] = help }
            }
        }
        self.commands = commands
        self.wordHelp = wordHelp
        self.program = Program(commands: commands, wordHelp: wordHelp)
    }

    /// The full syntax of a command: its words as keywords, then its arguments.
    public func fullSyntax(of command: Command) -> Syntax {
        var parts: [Syntax] = []
        for (i, word) in command.words.enumerated() {
            let help = i == command.words.count - 1 ? command.help : wordHelp[Array(command.words[...i])] ?? ""
            parts.append(.token(Token(kind: .keyword(word), help: help)))
        }
        if case .sequence(let rest) = command.syntax { parts += rest } else { parts.append(command.syntax) }
        return .sequence(parts)
    }
}

// MARK: - Program

enum Instruction: Sendable {
    /// Consume one word matching token N.
    case token(Int32)
    /// Continue at each target, in order of preference.
    case split([Int32])
    case jump(Int32)
    /// Take option bit N (fails if this thread already took it).
    case mark(Int32)
    /// The command may end here.
    case accept
}

/// All commands compiled into one instruction array.
struct Program: Sendable {
    var code: [Instruction] = []
    var tokens: [Token] = []
    /// The command each instruction belongs to.
    var owner: [Int32] = []
    /// Threads at the start of a line: the closure of every command's first instruction.
    var initial: [Thread] = []

    init(commands: [Command], wordHelp: [[String]: String]) {
        var compiler = Compiler()
        var starts: [Int32] = []
        for (index, command) in commands.enumerated() {
            compiler.command = Int32(index)
            compiler.nextBit = 0
            starts.append(compiler.here)
            for (i, word) in command.words.enumerated() {
                let help = i == command.words.count - 1 ? command.help : wordHelp[Array(command.words[...i])] ?? ""
                compiler.compile(.token(Token(kind: .keyword(word), help: help)))
            }
            compiler.compile(command.syntax)
            compiler.emit(.accept)
        }
        code = compiler.code
        tokens = compiler.tokens
        owner = compiler.owner
        var visited = Visited(size: code.count)
        var threads: [Thread] = []
        for start in starts {
            addThread(&threads, &visited, Thread(pc: start, used: 0, capture: -1, textStart: -1))
        }
        initial = threads
    }

    /// Adds a thread and everything reachable from it without consuming a word.
    func addThread(_ list: inout [Thread], _ visited: inout Visited, _ thread: Thread) {
        guard visited.insert(pc: thread.pc, used: thread.used) else { return }
        switch code[Int(thread.pc)] {
        case .token, .accept:
            list.append(thread)
        case .jump(let target):
            var t = thread
            t.pc = target
            addThread(&list, &visited, t)
        case .split(let targets):
            for target in targets {
                var t = thread
                t.pc = target
                addThread(&list, &visited, t)
            }
        case .mark(let bit):
            var t = thread
            if bit < 64 {
                let mask: UInt64 = 1 << UInt64(bit)
                if thread.used & mask != 0 { return }
                t.used |= mask
            }
            t.pc += 1
            addThread(&list, &visited, t)
        }
    }
}

struct Compiler {
    var code: [Instruction] = []
    var tokens: [Token] = []
    var owner: [Int32] = []
    var command: Int32 = 0
    var nextBit: Int32 = 0

    @discardableResult
    mutating func emit(_ instruction: Instruction) -> Int {
        code.append(instruction)
        owner.append(command)
        return code.count - 1
    }

    var here: Int32 { Int32(code.count) }

    mutating func compile(_ syntax: Syntax) {
        switch syntax {
        case .token(let token):
            tokens.append(token)
            emit(.token(Int32(tokens.count - 1)))
        case .sequence(let parts):
            for part in parts { compile(part) }
        case .optional(let body):
            let split = emit(.split([]))
            let start = here
            compile(body)
            code[split] = .split([start, here])
        case .alternatives(let alternatives):
            let split = emit(.split([]))
            var starts: [Int32] = []
            var jumps: [Int] = []
            for alternative in alternatives {
                starts.append(here)
                compile(alternative)
                jumps.append(emit(.jump(0)))
            }
            for jump in jumps { code[jump] = .jump(here) }
            code[split] = .split(starts)
        case .repetition(let body, let atLeastOne):
            if atLeastOne {
                let start = here
                compile(body)
                emit(.split([start, here + 1]))
            } else {
                let loop = emit(.split([]))
                let start = here
                compile(body)
                emit(.jump(Int32(loop)))
                code[loop] = .split([start, here])
            }
        case .options(let options):
            let loop = emit(.split([]))
            var starts: [Int32] = []
            for option in options {
                starts.append(here)
                emit(.mark(nextBit))
                nextBit += 1
                compile(option)
                emit(.jump(Int32(loop)))
            }
            code[loop] = .split(starts + [here])
        }
    }
}

/// One path through the program: where it is, which options it has taken, what it captured.
struct Thread: Sendable {
    var pc: Int32
    var used: UInt64
    /// Index of the newest capture in the run's arena, -1 for none.
    var capture: Int32
    /// For a thread inside a rest-of-line token: the index of its first word; else -1.
    var textStart: Int32
    /// The keyword choices this thread made at ambiguous prefixes (index into the run's
    /// branch arena), -1 for none.
    var branch: Int32 = -1
}

/// The states already added in one step: a generation stamp per instruction for threads with no
/// options taken (the common case), a set for the rest. `reset()` starts the next step in O(1).
struct Visited {
    var stamps: [UInt32]
    var generation: UInt32 = 1
    var withOptions: Set<PairKey> = []

    struct PairKey: Hashable {
        var pc: Int32
        var used: UInt64
    }

    init(size: Int) { stamps = [UInt32](repeating: 0, count: size) }

    mutating func reset() {
        generation &+= 1
        if generation == 0 {
            for i in stamps.indices { stamps[i] = 0 }
            generation = 1
        }
        if !withOptions.isEmpty { withOptions.removeAll(keepingCapacity: true) }
    }

    mutating func insert(pc: Int32, used: UInt64) -> Bool {
        if used == 0 {
            if stamps[Int(pc)] == generation { return false }
            stamps[Int(pc)] = generation
            return true
        }
        return withOptions.insert(PairKey(pc: pc, used: used)).inserted
    }
}
