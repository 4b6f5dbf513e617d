public import CommandGrammar

/// The NTP shell's commands, composed from the topic files (Commands+*.swift), where each
/// command is one declaration: syntax, handler and attributes (``CommandBinding``). Every
/// ntp.conf directive is a command (with `no …` to undo it); the config file, typed lines,
/// batch files, Tab, `?`, `help`, the man pages and the completion scripts all come from this
/// table.
public enum NTPCommands {
    /// The shell's own table (no lab commands: NTPLab's `LabShell` composes the whole one).
    public static let grammar = Grammar(declarations: declarations())

    /// The table in the order `help` and the manual list it (topics interleave where that
    /// order does); the group words' help first. `more`: another module's commands (the
    /// labs'), listed before `help`, `quit` and `exit`.
    public static func declarations(adding more: [GrammarDeclaration] = []) -> [GrammarDeclaration] {
        groupWords
            + AssociationCommands.declarations
            + DisciplineCommands.driftFile
            + MetricsCommands.directives
            + NTSCommands.directives
            + DisciplineCommands.tuning
            + AccessCommands.directives
            + MonitoringCommands.directives
            + SystemCommands.files
            + StatisticsCommands.directives
            + KeyCommands.directives
            + SystemCommands.directives
            + ViewCommands.status
            + MonitoringCommands.views
            + ViewCommands.clock
            + AccessCommands.views
            + SessionCommands.watch
            + ViewCommands.history
            + SessionCommands.runningConfiguration
            + MetricsCommands.views
            + NTSCommands.views
            + KeyCommands.views
            + SessionCommands.write
            + ClockCommands.declarations
            + SessionCommands.shell
            + more
            + SessionCommands.exit
    }

    /// Help for the words that start several commands.
    @CommandBuilder static var groupWords: [GrammarDeclaration] {
        Group("no", help: "Undo a configuration command")
        Group("metrics", help: "Prometheus metrics over HTTP")
        Group("show", help: "Show configuration")
        Group("wait", help: "Wait for a condition")
        Group("terminal", help: "Terminal settings")
        Group("no terminal", help: "Undo a terminal setting")
    }
}
