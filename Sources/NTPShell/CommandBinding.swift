// What binds a declared command to the shell: its handler and its attributes (what kind of
// command it is, its identity in the running configuration, whether it asks first, whether it
// repeats a view), carried in the grammar's `Command.action`. One declaration per command, in
// the topic files (Commands+*.swift); `CommandRunner` dispatches by looking this up.
public import CommandGrammar
import NTPWire

/// What a command is: it decides where the manual lists it, what an attached shell hands to
/// the engine and what ntpq's `:config` may run.
public enum CommandRole: Sendable, Equatable {
    /// An ntp.conf directive (or its `no`): runs where the running configuration lives.
    case directive
    /// One of ntpq's, ntpstat's or chronyc's status views (the manual's VIEWS).
    case view
    /// Another read-only report (`restrictions`, `show keys`, `show metrics`, `plot`).
    case report
    /// Moves the clock or waits for it (`step`, `slew`, `wait sync`).
    case clockAction
    /// The shell's own commands (`echo`, `sleep`, `help`, `quit`, `write`, `watch`…).
    case session
    /// The lab world's commands (`ntpsh --lab`).
    case lab
}

/// A directive's place in the running configuration: the entry's kind and how its key comes
/// from the command (an entry with the same kind and key is replaced).
public struct RunningIdentity: Sendable {
    /// The entry's kind (`server` for `server` and `no server`).
    public var kind: String
    /// The key from the arguments and the canonical line.
    public var key: @Sendable (_ arguments: Arguments, _ canonicalLine: String) -> String

    /// One entry of this kind (`driftfile`, `mru`).
    public static func single(_ kind: String) -> RunningIdentity { RunningIdentity(kind: kind) { _, _ in "" } }
    /// Keyed by one argument's value (`server HOST`).
    public static func argument(_ kind: String, _ name: String) -> RunningIdentity {
        RunningIdentity(kind: kind) { a, _ in a.string(name) ?? "" }
    }
    /// Keyed by the whole line: every distinct line is an entry (`enable`, `statistics`).
    public static func line(_ kind: String) -> RunningIdentity { RunningIdentity(kind: kind) { _, line in line } }
    /// Keyed by the option words given (`tinker step`, `tos minclock maxclock`).
    public static func optionWords(_ kind: String) -> RunningIdentity {
        RunningIdentity(kind: kind) { a, _ in a.keys.joined(separator: " ") }
    }
}

/// What a command does when it runs, and what it is.
public struct CommandBinding: Sendable {
    public typealias Handler = @Sendable (CommandRunner, Invocation) -> CommandRunner.Output

    public var role: CommandRole
    /// Its entry in the running configuration (directives that keep one).
    public var identity: RunningIdentity?
    /// Reads or writes the running configuration (`show running-config`, `write`): an attached
    /// shell hands it to the engine, as the directives.
    public var usesRunningConfiguration: Bool
    /// With the system clock, the interactive shell says what it will do and asks first.
    public var confirms: Bool
    /// At the prompt it shows another command again and again (`watch`).
    public var repeatsView: Bool
    /// A view `watch` can refresh (it only reads).
    public var refreshable: Bool
    /// Prints JSON with `json` or `--json`.
    public var json: Bool
    /// Its errors already say where they come from (`includefile`: the included file's line).
    public var placesOwnErrors: Bool
    /// May run inside a lab's time (`lab at`): false for what lets time pass, remakes the
    /// world or leaves (`sleep`, `step`, `lab advance`, `quit`…).
    public var schedulable: Bool
    public var run: Handler

    /// The commands an attached shell hands to the engine's runner.
    public var isEngineOwned: Bool { role == .directive || usesRunningConfiguration }
}

/// One run of a command: what was typed and what the grammar made of it.
public struct Invocation {
    public let parsed: ParsedCommand
    public let binding: CommandBinding
    /// The command's text (without output filters).
    public let line: String
    /// `json` on the line or `--json` for the run.
    public let wantsJSON: Bool
    public var arguments: Arguments { parsed.arguments }
    public var id: String { parsed.id }
    /// The line as ntp.conf would hold it (words as written, single-spaced, no comment).
    public var canonicalLine: String { CommandRunner.canonical(line) }
    /// The running-configuration key of this line (the binding's identity).
    public var runningKey: String { binding.identity?.key(arguments, canonicalLine) ?? "" }
}

extension ParsedCommand {
    /// The shell's binding of the matched command (nil: declared without one).
    public var binding: CommandBinding? { action as? CommandBinding }
}

extension Command {
    /// Declares a shell command: syntax (the trailing body), handler and attributes in one place.
    public init(_ words: String, help: String, id: String? = nil, _ role: CommandRole,
                identity: RunningIdentity? = nil, usesRunningConfiguration: Bool = false, confirms: Bool = false,
                repeatsView: Bool = false, json: Bool = false, placesOwnErrors: Bool = false, schedulable: Bool = true,
                run: @escaping CommandBinding.Handler, @SyntaxBuilder _ body: () -> [Syntax] = { [] }) {
        let binding = CommandBinding(role: role, identity: identity, usesRunningConfiguration: usesRunningConfiguration,
                                     confirms: confirms, repeatsView: repeatsView, refreshable: role == .view || role == .report,
                                     json: json, placesOwnErrors: placesOwnErrors, schedulable: schedulable, run: run)
        self.init(words, help: help, id: id, action: binding, body)
    }

    /// The shell's binding (nil: declared without one).
    public var binding: CommandBinding? { action as? CommandBinding }
}

extension Arguments {
    /// A duration or offset argument (the grammar reads it in seconds).
    func seconds(_ key: String) -> Seconds? { double(key).map { Seconds($0) } }
    /// A frequency argument (the grammar reads it in ppm).
    func ppm(_ key: String) -> PPM? { double(key).map { PPM($0) } }
}
