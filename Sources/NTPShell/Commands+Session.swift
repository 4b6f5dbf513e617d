// The shell's own commands: `watch`, `show running-config`, `write`, `sleep`, `echo`,
// `terminal monitor`, `help`, `quit`, `exit`. Each declaration carries its syntax, handler and
// attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPWire

enum SessionCommands {
    @CommandBuilder static var watch: [GrammarDeclaration] {
        // At the prompt the shell refreshes the view; in a batch it is shown once.
        Command("watch", help: "Refresh a view until a key is pressed (at the prompt)", .session, repeatsView: true, schedulable: false,
                run: { r, i in r.runCommand(i.arguments.string("view") ?? "", from: .prompt) }) {
            Optionally { Argument(.duration(0.1...3600), name: "INTERVAL", help: "Between refreshes (default 2 s)", key: "interval") }
            Argument(.text, name: "VIEW", help: "The view and its options, e.g. peers -n", key: "view")
        }
    }

    @CommandBuilder static var runningConfiguration: [GrammarDeclaration] {
        Command("show running-config", help: "The running configuration as ntp.conf text", id: "show-running-config", .view,
                usesRunningConfiguration: true, run: { r, _ in CommandRunner.Output(text: r.running.text) })
    }

    @CommandBuilder static var write: [GrammarDeclaration] {
        Command("write", help: "Save the running configuration to its file (or FILE), keeping comments; the old file stays as FILE.bak",
                .session, usesRunningConfiguration: true,
                run: { r, i in r.write(file: i.arguments.string("file"), force: i.arguments.flag("force"), follow: i.arguments.flag("follow")) }) {
            Optionally { Flag("force", help: "Write even if the file changed on disk since it was read") }
            Optionally { Flag("follow", help: "If the file is a symbolic link, replace the file it points to (refused otherwise)") }
            Optionally { Argument(.path, name: "FILE", help: "Where to write (default: the configuration file read at start)", key: "file", completion: "path") }
        }
    }

    @CommandBuilder static var shell: [GrammarDeclaration] {
        Command("sleep", help: "Let time pass", .session, schedulable: false, run: { $0.sleep($1) }) {
            Argument(.duration(0...1e7), name: "DURATION", help: "How long (e.g. 5s, 10m)", key: "duration")
        }
        Command("echo", help: "Print text", .session, run: { _, i in
            var text = i.arguments.string("text") ?? ""
            if text.count >= 2, text.first == "\"", text.last == "\"" { text = String(text.dropFirst().dropLast()) }
            return CommandRunner.Output(text: text + "\n")
        }) {
            Optionally { Argument(.text, name: "TEXT", help: "Text to print", key: "text") }
        }
        Command("terminal monitor", help: "Print engine events as they happen", id: "terminal-monitor", .session,
                run: { r, _ in r.monitor = true; return CommandRunner.Output() })
        Command("no terminal monitor", help: "Stop printing engine events", id: "no-terminal-monitor", .session,
                run: { r, _ in r.monitor = false; return CommandRunner.Output() })
    }

    @CommandBuilder static var exit: [GrammarDeclaration] {
        Command("help", help: "List commands, or describe one", .session, run: { $0.help($1) }) {
            Optionally { Argument(.text, name: "COMMAND", help: "Command to describe", key: "command") }
        }
        Command("quit", help: "Leave the shell (the engine stops)", .session, schedulable: false, run: { _, _ in CommandRunner.Output(quit: true) })
        Command("exit", help: "Same as quit (in configure mode: leave it, as end)", .session, schedulable: false, run: { _, _ in CommandRunner.Output(quit: true) })
    }
}

extension CommandRunner {
    func sleep(_ i: Invocation) -> Output {
        var left = i.arguments.double("duration") ?? 0
        while left > 0 && !isInterrupted() {
            let step = min(left, 0.25)
            admin.sleep(Seconds(step))
            left -= step
        }
        return isInterrupted() ? Output(error: "% interrupted", status: 1) : Output()
    }

    func help(_ i: Invocation) -> Output {
        if let words = i.arguments.string("command") {
            let split = words.split(separator: " ").map(String.init)
            guard let text = grammar.help(forWords: split) else { return .failure("% Unknown command: \"\(words)\"") }
            return Output(text: text + (helpNotes[split] ?? ""))
        }
        return Output(text: grammar.helpOverview())
    }
}
