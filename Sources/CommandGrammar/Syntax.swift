// The syntax of a command's arguments as a tree, and the result-builder vocabulary that declares it
// with each token's help next to the token.

/// One token of a command's syntax: a keyword or a typed argument, with its help.
public struct Token: Sendable, Hashable {
    public var kind: TokenKind
    /// What `?`, help and man pages show for an argument (`ADDRESS`); the keyword for keywords.
    public var name: String
    public var help: String
    /// Where a matched word is stored in `Arguments`; nil stores nothing (plain keywords).
    public var key: String?
    /// Name of the completion hook that offers values (`"association"`, `"path"`).
    public var completion: String?

    public init(kind: TokenKind, name: String? = nil, help: String, key: String? = nil, completion: String? = nil) {
        self.kind = kind
        self.name = name ?? kind.defaultPlaceholder
        self.help = help
        self.key = key
        self.completion = completion ?? (kind == .path ? "path" : nil)
    }
}

/// A command's syntax tree.
public indirect enum Syntax: Sendable, Hashable {
    case token(Token)
    /// Everything in order.
    case sequence([Syntax])
    /// `[ x ]`: zero or one.
    case optional(Syntax)
    /// `( a | b )`: exactly one of them.
    case alternatives([Syntax])
    /// `x...` (one or more) or `[x...]` (zero or more).
    case repetition(Syntax, atLeastOne: Bool)
    /// Options in any order, each at most once; each option should start with a keyword.
    case options([Syntax])
}

/// Something that can appear in a syntax declaration.
public protocol SyntaxComponent: Sendable {
    var syntax: Syntax { get }
}

@resultBuilder
public enum SyntaxBuilder {
    public static func buildExpression<C: SyntaxComponent>(_ component: C) -> [Syntax] { [component.syntax] }
    public static func buildExpression(_ syntax: Syntax) -> [Syntax] { [syntax] }
    public static func buildBlock(_ parts: [Syntax]...) -> [Syntax] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Syntax]?) -> [Syntax] { part ?? [] }
    public static func buildEither(first: [Syntax]) -> [Syntax] { first }
    public static func buildEither(second: [Syntax]) -> [Syntax] { second }
    public static func buildArray(_ parts: [[Syntax]]) -> [Syntax] { parts.flatMap { $0 } }
}

extension Syntax: SyntaxComponent {
    public var syntax: Syntax { self }

    /// A single element for a list of parts (no one-element sequences).
    static func group(_ parts: [Syntax]) -> Syntax { parts.count == 1 ? parts[0] : .sequence(parts) }

    /// Whether a word of this syntax may be a file path (a ``TokenKind/path`` token anywhere).
    public var namesFile: Bool {
        switch self {
        case .token(let t): t.kind == .path
        case .sequence(let parts), .alternatives(let parts), .options(let parts): parts.contains { $0.namesFile }
        case .optional(let s), .repetition(let s, _): s.namesFile
        }
    }
}

/// A literal word. With a key, the matched keyword is stored under it (so `args.flag(key)` and
/// `args.string(key)` see it).
public struct Keyword: SyntaxComponent {
    public var syntax: Syntax
    public init(_ word: String, help: String, key: String? = nil) {
        syntax = .token(Token(kind: .keyword(word), help: help, key: key))
    }
}

/// A keyword stored under its own name (or `key`): `args.flag("iburst")`.
public struct Flag: SyntaxComponent {
    public var syntax: Syntax
    public init(_ word: String, help: String, key: String? = nil) {
        syntax = .token(Token(kind: .keyword(word), help: help, key: key ?? word))
    }
}

/// A typed argument. The key defaults to the placeholder name in lower case.
public struct Argument: SyntaxComponent {
    public var syntax: Syntax
    public init(_ kind: TokenKind, name: String? = nil, help: String, key: String? = nil, completion: String? = nil) {
        var token = Token(kind: kind, name: name, help: help, completion: completion)
        token.key = key ?? token.name.lowercased()
        syntax = .token(token)
    }
}

/// A keyword followed by one argument (`minpoll EXPONENT`), stored under the keyword (or `key`);
/// or, with a body, a keyword followed by the body's syntax (the keyword itself stored as a flag
/// under `key` when one is given).
public struct Option: SyntaxComponent {
    public var syntax: Syntax
    public init(_ word: String, _ kind: TokenKind, name: String? = nil, help: String, argumentHelp: String? = nil,
                key: String? = nil, completion: String? = nil) {
        syntax = .sequence([
            .token(Token(kind: .keyword(word), help: help)),
            Argument(kind, name: name, help: argumentHelp ?? help, key: key ?? word, completion: completion).syntax,
        ])
    }
    public init(_ word: String, help: String, key: String? = nil, @SyntaxBuilder _ body: () -> [Syntax]) {
        syntax = .sequence([.token(Token(kind: .keyword(word), help: help, key: key))] + body())
    }
}

/// `[ … ]`: the parts, all together, or nothing.
public struct Optionally: SyntaxComponent {
    public var syntax: Syntax
    public init(@SyntaxBuilder _ body: () -> [Syntax]) { syntax = .optional(.group(body())) }
}

/// `( a | b | … )`: exactly one of the parts (each part one alternative; use `Seq` for several
/// tokens in one alternative).
public struct OneOf: SyntaxComponent {
    public var syntax: Syntax
    public init(@SyntaxBuilder _ body: () -> [Syntax]) { syntax = .alternatives(body()) }
}

/// Several tokens as one part (an alternative of more than one word).
public struct Seq: SyntaxComponent {
    public var syntax: Syntax
    public init(@SyntaxBuilder _ body: () -> [Syntax]) { syntax = .group(body()) }
}

/// `x...`: the parts one or more times.
public struct OneOrMore: SyntaxComponent {
    public var syntax: Syntax
    public init(@SyntaxBuilder _ body: () -> [Syntax]) { syntax = .repetition(.group(body()), atLeastOne: true) }
}

/// `[x...]`: the parts zero or more times.
public struct ZeroOrMore: SyntaxComponent {
    public var syntax: Syntax
    public init(@SyntaxBuilder _ body: () -> [Syntax]) { syntax = .repetition(.group(body()), atLeastOne: false) }
}

/// Options in any order, each at most once: `[iburst] [prefer] [minpoll N]`. Each part is one
/// option and should start with a keyword.
public struct Options: SyntaxComponent {
    public var syntax: Syntax
    public init(@SyntaxBuilder _ body: () -> [Syntax]) { syntax = .options(body()) }
}
