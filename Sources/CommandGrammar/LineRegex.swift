// Regular expressions for output filters (`| include REGEX`, `| exclude REGEX`), matched in time
// linear in the line: the pattern compiles to a small program run as a Pike VM (all threads in
// step, one position at a time, each instruction at most once per position), so no pattern can
// backtrack catastrophically — `(\S+\s?)*!` costs what `x` costs, times the pattern's size.
//
// The syntax is the usual one (POSIX ERE with Perl's class escapes): literals, `.`, `[...]` and
// `[^...]` with ranges and escapes, `\d \D \w \W \s \S`, `\b \B`, `^ $`, groups `(...)` and
// `(?:...)`, `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (a lazy `?` after one is accepted:
// a filter only asks whether a line matches). Back-references and look-around need
// backtracking and are refused with a message saying so.

/// A compiled output-filter pattern. `matches(_:)` says whether the pattern occurs in a line.
public struct LineRegex: Sendable {
    /// Why a pattern was refused: the message, and the pattern's column (1-based).
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var column: Int
        public var description: String { "\(message) (at column \(column))" }
    }

    /// The most instructions a pattern compiles to (bounded repetitions are unrolled).
    public static let maxProgram = 20_000

    private let program: [RegexInstruction]

    public init(_ pattern: String) throws(SyntaxError) {
        var parser = RegexParser(Array(pattern.unicodeScalars))
        let node = try parser.parseAlternation()
        if parser.position < parser.scalars.count {
            throw SyntaxError(message: "unmatched ')'", column: parser.position + 1)
        }
        var compiler = RegexCompiler()
        try compiler.emit(node)
        compiler.code.append(.match)
        program = compiler.code
    }

    /// Whether the pattern occurs anywhere in `line`.
    public func matches(_ line: some StringProtocol) -> Bool {
        let text = Array(line.unicodeScalars)
        var current = RegexThreads(size: program.count)
        var next = RegexThreads(size: program.count)
        for position in 0...text.count {
            // A new thread at each position: the match may start anywhere.
            if add(0, at: position, text, &current) { return true }
            guard position < text.count else { break }
            let c = text[position]
            next.clear()
            for pc in current.pcs {
                let advance: Bool
                switch program[pc] {
                case .scalar(let s): advance = c == s
                case .any: advance = c != "\n"
                case .set(let set): advance = set.contains(c)
                default: advance = false
                }
                if advance, add(pc + 1, at: position + 1, text, &next) { return true }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds the thread at `pc` (following jumps, splits and assertions) to `list`; true when it
    /// reaches `match`.
    private func add(_ pc: Int, at position: Int, _ text: [Unicode.Scalar], _ list: inout RegexThreads) -> Bool {
        var stack = [pc]
        while let pc = stack.popLast() {
            guard list.mark(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let to): stack.append(to)
            case .split(let a, let b): stack.append(b); stack.append(a)
            case .lineStart: if position == 0 { stack.append(pc + 1) }
            case .lineEnd: if position == text.count { stack.append(pc + 1) }
            case .wordBoundary(let wanted):
                let before = position > 0 && RegexClass.word.contains(text[position - 1])
                let after = position < text.count && RegexClass.word.contains(text[position])
                if (before != after) == wanted { stack.append(pc + 1) }
            case .scalar, .any, .set: list.pcs.append(pc)
            }
        }
        return false
    }
}

private enum RegexInstruction: Sendable {
    case scalar(Unicode.Scalar)
    case any
    case set(RegexSet)
    case jump(Int)
    case split(Int, Int)
    case lineStart, lineEnd
    case wordBoundary(Bool)
    case match
}

/// The threads at one position, each program counter at most once.
private struct RegexThreads {
    var pcs: [Int] = []
    private var seen: [UInt32]
    private var generation: UInt32 = 1
    init(size: Int) { seen = [UInt32](repeating: 0, count: size) }
    mutating func clear() { pcs.removeAll(keepingCapacity: true); generation &+= 1 }
    /// False when `pc` was already added at this position.
    mutating func mark(_ pc: Int) -> Bool {
        if seen[pc] == generation { return false }
        seen[pc] = generation
        return true
    }
}

private enum RegexClass: Sendable {
    case digit, word, space
    func contains(_ c: Unicode.Scalar) -> Bool {
        switch self {
        case .digit: return ("0"..."9").contains(c)
        case .word: return c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
        case .space: return c.properties.isWhitespace
        }
    }
}

private struct RegexSet: Sendable {
    var ranges: [ClosedRange<Unicode.Scalar>] = []
    var classes: [(RegexClass, Bool)] = []
    var negated = false
    func contains(_ c: Unicode.Scalar) -> Bool {
        let hit = ranges.contains { $0.contains(c) } || classes.contains { $0.0.contains(c) != $0.1 }
        return hit != negated
    }
}

private indirect enum RegexNode {
    case empty
    case scalar(Unicode.Scalar)
    case any
    case set(RegexSet)
    case lineStart, lineEnd
    case wordBoundary(Bool)
    case concatenation([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)
}

private struct RegexParser {
    let scalars: [Unicode.Scalar]
    var position = 0
    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    func error(_ message: String, at column: Int? = nil) -> LineRegex.SyntaxError {
        LineRegex.SyntaxError(message: message, column: (column ?? position) + 1)
    }

    mutating func parseAlternation() throws(LineRegex.SyntaxError) -> RegexNode {
        var branches = [try parseConcatenation()]
        while peek == "|" {
            position += 1
            branches.append(try parseConcatenation())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseConcatenation() throws(LineRegex.SyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek, c != "|", c != ")" {
            items.append(try parseQuantifiers(on: try parseAtom()))
        }
        return items.isEmpty ? .empty : (items.count == 1 ? items[0] : .concatenation(items))
    }

    /// `atom` with the quantifiers that follow it (`*`, `+`, `?`, `{n,m}`, each possibly lazy),
    /// innermost first.
    mutating func parseQuantifiers(on atom: RegexNode) throws(LineRegex.SyntaxError) -> RegexNode {
        var atom = atom
        while let q = peek, "*+?{".unicodeScalars.contains(q) {
            let start = position
            let bounds: (Int, Int?)
            switch q {
            case "*": bounds = (0, nil); position += 1
            case "+": bounds = (1, nil); position += 1
            case "?": bounds = (0, 1); position += 1
            default:
                // Not a bound: the `{` is a literal, the next atom.
                guard let b = try parseBraces() else { return atom }
                bounds = b
            }
            switch atom {
            case .lineStart, .lineEnd, .wordBoundary, .empty: throw error("nothing to repeat", at: start)
            default: break
            }
            if peek == "?" { position += 1 }  // lazy: the same lines match
            else if peek == "+" { throw error("possessive quantifiers are not supported") }
            atom = .repetition(atom, min: bounds.0, max: bounds.1)
        }
        return atom
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (and a literal `{`) when what follows is not a bound.
    mutating func parseBraces() throws(LineRegex.SyntaxError) -> (Int, Int?)? {
        let start = position
        position += 1
        func number() -> Int? {
            var digits = ""
            while let c = peek, ("0"..."9").contains(c), digits.count < 6 { digits.unicodeScalars.append(c); position += 1 }
            return Int(digits)
        }
        guard let low = number() else { position = start; return nil }
        var high: Int? = low
        if peek == "," {
            position += 1
            high = number()
        }
        guard peek == "}" else { position = start; return nil }
        position += 1
        if let high, high < low { throw error("repetition {\(low),\(high)}: the bounds are reversed", at: start) }
        if max(low, high ?? low) > 1000 { throw error("repetition bound over 1000", at: start) }
        return (low, high)
    }

    mutating func parseAtom() throws(LineRegex.SyntaxError) -> RegexNode {
        let c = scalars[position]
        switch c {
        case "(":
            let open = position
            position += 1
            if peek == "?" {
                guard position + 1 < scalars.count, scalars[position + 1] == ":" else {
                    throw error("look-around and group options are not supported (filters match in linear time)", at: open)
                }
                position += 2
            }
            let inner = try parseAlternation()
            guard peek == ")" else { throw error("unmatched '('", at: open) }
            position += 1
            return inner
        case "[":
            return .set(try parseSet())
        case ".":
            position += 1
            return .any
        case "^":
            position += 1
            return .lineStart
        case "$":
            position += 1
            return .lineEnd
        case "*", "+", "?":
            throw error("nothing to repeat")
        case "\\":
            return try parseEscape(inSet: false).node
        default:
            position += 1
            return .scalar(c)
        }
    }

    /// An escape at `position` (a backslash): a class, an assertion or a literal.
    mutating func parseEscape(inSet: Bool) throws(LineRegex.SyntaxError) -> (node: RegexNode, scalar: Unicode.Scalar?) {
        let start = position
        position += 1
        guard let e = peek else { throw error("a pattern cannot end with '\\'", at: start) }
        position += 1
        func set(_ kind: RegexClass, _ negated: Bool) -> RegexNode {
            var s = RegexSet()
            s.classes = [(kind, negated)]
            return .set(s)
        }
        switch e {
        case "d": return (set(.digit, false), nil)
        case "D": return (set(.digit, true), nil)
        case "w": return (set(.word, false), nil)
        case "W": return (set(.word, true), nil)
        case "s": return (set(.space, false), nil)
        case "S": return (set(.space, true), nil)
        case "b" where !inSet: return (.wordBoundary(true), nil)
        case "B" where !inSet: return (.wordBoundary(false), nil)
        case "t": return (.scalar("\t"), "\t")
        case "n": return (.scalar("\n"), "\n")
        case "r": return (.scalar("\r"), "\r")
        case "1"..."9":
            throw error("back-references are not supported (filters match in linear time)", at: start)
        default:
            if e.properties.isAlphabetic || ("0"..."9").contains(e) {
                throw error("unknown escape '\\\(e)'", at: start)
            }
            return (.scalar(e), e)
        }
    }

    mutating func parseSet() throws(LineRegex.SyntaxError) -> RegexSet {
        let open = position
        position += 1
        var set = RegexSet()
        if peek == "^" { set.negated = true; position += 1 }
        var first = true
        while true {
            guard let c = peek else { throw error("unmatched '['", at: open) }
            if c == "]" && !first { position += 1; break }
            first = false
            var low: Unicode.Scalar
            if c == "\\" {
                let escaped = try parseEscape(inSet: true)
                guard let s = escaped.scalar else {
                    if case .set(let inner) = escaped.node { set.classes += inner.classes }
                    continue
                }
                low = s
            } else {
                low = c
                position += 1
            }
            if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                position += 1
                var high = scalars[position]
                if high == "\\" {
                    guard let s = try parseEscape(inSet: true).scalar else { throw error("a class cannot end a range") }
                    high = s
                } else {
                    position += 1
                }
                guard low <= high else { throw error("range out of order", at: position - 1) }
                set.ranges.append(low...high)
            } else {
                set.ranges.append(low...low)
            }
        }
        return set
    }
}

private struct RegexCompiler {
    var code: [RegexInstruction] = []

    mutating func append(_ i: RegexInstruction) throws(LineRegex.SyntaxError) {
        guard code.count < LineRegex.maxProgram else {
            throw LineRegex.SyntaxError(message: "regular expression too large", column: 1)
        }
        code.append(i)
    }

    mutating func emit(_ node: RegexNode) throws(LineRegex.SyntaxError) {
        switch node {
        case .empty: break
        case .scalar(let s): try append(.scalar(s))
        case .any: try append(.any)
        case .set(let s): try append(.set(s))
        case .lineStart: try append(.lineStart)
        case .lineEnd: try append(.lineEnd)
        case .wordBoundary(let b): try append(.wordBoundary(b))
        case .concatenation(let items): for item in items { try emit(item) }
        case .alternation(let branches):
            var jumps: [Int] = []
            for (i, branch) in branches.enumerated() {
                if i < branches.count - 1 {
                    let split = code.count
                    try append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(code.count)
                    try append(.jump(0))
                    code[split] = .split(split + 1, code.count)
                } else {
                    try emit(branch)
                }
            }
            for j in jumps { code[j] = .jump(code.count) }
        case .repetition(let body, let min, let max):
            for _ in 0..<min { try emit(body) }
            if let max {
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(code.count)
                    try append(.split(code.count + 1, 0))
                    try emit(body)
                }
                for s in splits { code[s] = .split(s + 1, code.count) }
            } else {
                let loop = code.count
                try append(.split(loop + 1, 0))
                try emit(body)
                try append(.jump(loop))
                code[loop] = .split(loop + 1, code.count)
            }
        }
    }
}
