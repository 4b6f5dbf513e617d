public import CommandGrammar

/// The `ntpsh-commands(7)` manual page, generated from the command table (mdoc).
public enum CommandsManual {
    /// Whether `command` is a configuration directive (a line an ntp.conf file may hold).
    public static func isDirective(_ command: Command) -> Bool { command.binding?.role == .directive }
    /// Whether `command` is one of the status views.
    static func isView(_ command: Command) -> Bool { command.binding?.role == .view }

    public static func page(_ g: Grammar, version: String) -> String {
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
            \(g.mdoc { isDirective($0) })\
            .Sh VIEWS
            Every view takes
            .Cm json ,
            or
            .Fl -json
            for the whole run.
            \(g.mdoc { isView($0) })\
            .Sh ACTIONS AND SHELL COMMANDS
            \(g.mdoc { !isDirective($0) && !isView($0) })\
            .Sh SEE ALSO
            .Xr ntpsh 1

            """
    }

    /// `ntpsh.conf(5)`: every directive of the configuration file, from the command table.
    public static func configurationPage(_ g: Grammar, version: String) -> String {
        return """
            .Dd November 21, 2026
            .Dt NTPSH.CONF 5
            .Os
            .Sh NAME
            .Nm ntpsh.conf
            .Nd ntpsh configuration file
            .Sh DESCRIPTION
            The configuration file of
            .Xr ntpsh 1
            uses the syntax of
            .Pa ntp.conf :
            one directive a line, words separated by blanks, a
            .Ql #
            starting a comment.
            Each directive is a command of the shell (see
            .Xr ntpsh-commands 7 )
            and can be typed at the prompt, where
            .Ic no
            undoes it;
            .Ic write
            saves the changes back into the file, keeping its comments.
            A file with errors is refused: every error is listed as
            .Ar file : Ns Ar line : Ns Ar column : message .
            .Sh DIRECTIVES
            \(g.mdoc { isDirective($0) && !$0.words.starts(with: ["no"]) })\
            .Sh EXAMPLES
            A LAN time server with the local clock as the last resort:
            .Bd -literal -offset indent
            driftfile /var/lib/ntp/drift
            restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap
            server ntp.ntsc.ac.cn prefer
            server ntp1.aliyun.com
            server cn.pool.ntp.org
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            .Ed
            .Sh SEE ALSO
            .Xr ntpsh 1 ,
            .Xr ntpsh-commands 7

            """
    }

    /// Tab for the text of `ntpsh -e`: the candidates for the word being typed, each returned as
    /// the whole option value (what the shell replaces).
    public static func commandLineCandidates(_ prefix: String, in grammar: Grammar) -> [String] {
        let completion = grammar.complete(prefix)
        let head = prefix.lastIndex(of: " ").map { String(prefix[...$0]) } ?? ""
        return completion.candidates.map { head + $0.text }
    }
}
