/// The `ntpsh-commands(7)` manual page, generated from the command table (mdoc).
public enum CommandsManual {
    public static func page(version: String) -> String {
        let g = NTPCommands.grammar
        let configuration: Set<String> = [
            "server", "pool", "no-server", "no-pool", "fudge", "driftfile", "no-driftfile", "tinker", "tos",
            "restrict", "no-restrict", "discard", "leapfile", "logfile", "statsdir", "statistics", "filegen", "keys",
            "trustedkey", "controlkey", "requestkey", "includefile", "enable", "disable", "interface", "nic",
            "broadcast", "crypto",
        ]
        let views: Set<String> = [
            "peers", "associations", "readvar", "rv", "sysinfo", "sysstats", "iostats", "ntpstat", "tracking", "events",
            "show-running-config",
        ]
        return """
            .Dd November 21, 2026
            .Dt NTPSH-COMMANDS 7
            .Os
            .Sh NAME
            .Nm ntpsh-commands
            .Nd the commands of the ntpsh shell and of its configuration files
            .Sh DESCRIPTION
            Every line of an
            .Xr ntpsh 1
            configuration file, of a batch file given with
            .Fl f ,
            of an
            .Fl e
            option, and every line typed at the prompt is one of these commands.
            Configuration directives are commands;
            .Ic no
            undoes one.
            Keywords may be shortened to any unique prefix.
            A
            .Ql #
            at the start of a word begins a comment.
            .Sh CONFIGURATION COMMANDS
            \(g.mdoc { configuration.contains($0.id) })\
            .Sh VIEWS
            Every view takes
            .Cm json ,
            or
            .Fl -json
            for the whole run.
            \(g.mdoc { views.contains($0.id) })\
            .Sh ACTIONS AND SHELL COMMANDS
            \(g.mdoc { !configuration.contains($0.id) && !views.contains($0.id) })\
            .Sh SEE ALSO
            .Xr ntpsh 1

            """
    }
}
