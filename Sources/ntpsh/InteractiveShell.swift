import NTPAdmin
import LineEditor
import NTPEngine
import NTPWire
import NTPPlatform
import NTPShell
import NTPLab
import CommandGrammar
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C while a command runs (the terminal's ISIG is on between lines): set by the SIGINT
/// handler the shell installs around each command, read by the runner's long commands.
private let interruptRequested = Atomic<Bool>(false)

/// The interactive shell: libedit editing, Tab and `?` from the grammar, history in
/// `~/.ntpsh_history`, engine events above the prompt (`terminal monitor`), a prompt with the
/// host name and the synchronisation state. Ctrl-D or `quit` leaves; the engine then stops
/// (unless the shell is attached to a running engine: `--attach`).
final class InteractiveShell {
    let runner: CommandRunner
    let admin: any AdminAPI
    /// `--yes`: do not ask before stepping or slewing the system clock.
    let assumeYes: Bool
    /// Print engine events from a thread of their own (not in a lab: its world is single-threaded).
    let eventThread: Bool
    /// `--lab --port`: the lab's server on a real socket, served while the shell waits.
    var labSocket: LabSocketServer?
    /// A lab's time while the shell waits (and while `watch` shows a view).
    private var pacer: LabPacer?

    init(runner: CommandRunner, admin: any AdminAPI, assumeYes: Bool, eventThread: Bool = true) {
        self.runner = runner
        self.admin = admin
        self.assumeYes = assumeYes
        self.eventThread = eventThread
    }

    func run() -> Int32 {
        let home = String(cString: getenv("HOME") ?? strdup("/"))
        let editor = LineEditor(programName: "ntpsh", historyFile: home + "/.ntpsh_history")
        let runner = self.runner
        editor.complete = { line, cursor in
            let before = String(line.prefix(cursor))
            let c = runner.grammar.complete(before, hooks: runner.completionHooks())
            return LineEditor.Completion(insertion: c.insertion, candidates: c.candidates.map { ($0.text, $0.help) }, endsWord: c.isUnique)
        }
        editor.describe = { line, cursor in
            runner.grammar.describe(String(line.prefix(cursor))).render()
        }
        runner.terminalWidth = terminalWidth()
        runner.unicodeCharts = isatty(1) != 0
        if eventThread || runner.lab != nil { _ = runner.run("terminal monitor") }
        let monitor = EventMonitor(admin: admin, editor: editor)
        if eventThread { monitor.start() }
        defer { monitor.stop() }
        let pacer = runner.lab.map { LabPacer(lab: $0, runner: runner, editor: editor) }
        self.pacer = pacer
        pacer?.socket = labSocket
        if let pacer { editor.idle = { pacer.tick() } }
        editor.watchedDescriptors = labSocket?.descriptors ?? []

        while true {
            editor.prompt = prompt()
            monitor.enabled = runner.monitor
            pacer?.restart()
            guard let line = editor.readLine() else { break }
            // Lab time that passed while the line was typed, before the command sees the lab.
            pacer?.tick()
            editor.addHistory(line)
            // Matched once: what the command is decides whether to ask first or to repeat it.
            let match = runner.grammar.match(line)
            if let parsed = match.command, !confirm(parsed, editor: editor) { continue }
            if let parsed = match.command, parsed.binding?.repeatsView == true {
                watch(view: parsed.arguments.string("view") ?? "", interval: parsed.arguments.double("interval") ?? 2)
                continue
            }
            let out = runInterruptibly(line, matched: match)
            writeStdout(out.text)
            if let e = out.error { writeStderr(e + "\n") }
            if out.quit { break }
        }
        return 0
    }

    /// Runs `line` with Ctrl-C interrupting it (`sleep`, `wait sync`) instead of killing the
    /// shell and the engine with it, as ntpq, chronyc and vtysh do.
    private func runInterruptibly(_ line: String, matched: MatchResult) -> CommandRunner.Output {
        interruptRequested.store(false, ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptRequested.store(true, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        sigaction(SIGINT, &action, &previous)
        defer { sigaction(SIGINT, &previous, nil) }
        runner.isInterrupted = { interruptRequested.load(ordering: .relaxed) }
        defer { runner.isInterrupted = { false } }
        var out = runner.run(line, matched: matched)
        if interruptRequested.load(ordering: .relaxed) && out.error == nil {
            out.error = "% interrupted"
            out.status = 1
        }
        return out
    }

    /// `watch`: clears the screen and shows the view every `interval` seconds until a key is
    /// pressed (read without echo, one key, then discarded).
    private func watch(view: String, interval: Double) {
        var saved = termios()
        let haveTerminal = tcgetattr(0, &saved) == 0
        if haveTerminal {
            var raw = saved
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)  // Ctrl-C is a key that stops it too
            tcsetattr(0, TCSANOW, &raw)
        }
        defer { if haveTerminal { var s = saved; tcsetattr(0, TCSANOW, &s) } }
        pacer?.restart()
        while true {
            // In a lab, its time runs between refreshes as it does at the prompt.
            pacer?.tick()
            let out = runner.run(view)
            let header = "Every \(formatFixed(interval, 1)) s: \(view)    (press any key to stop)\n\n"
            writeStdout("\u{1B}[H\u{1B}[2J" + header + out.text + (out.error.map { $0 + "\n" } ?? ""))
            if out.error != nil { return }
            var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(interval * 1000)) > 0 {
                var byte: UInt8 = 0
                _ = read(0, &byte, 1)
                return
            }
        }
    }

    /// `host:st3>` when synchronised, `host:unsync>` when not; `(config)` in configure mode.
    private func prompt() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let host = String(decoding: bytes, as: UTF8.self).split(separator: ".").first.map(String.init) ?? "ntpsh"
        let v = admin.systemReport().variables
        // In configure mode the prompt shows the candidate: `host:st3(config)> `.
        let mode = runner.transaction.promptMark ?? ""
        return v.isSynchronized ? "\(host):st\(v.stratum)\(mode)> " : "\(host):unsync\(mode)> "
    }

    /// With the system clock, the commands declared to confirm (`step`, `slew`) say what they
    /// will do and ask first.
    private func confirm(_ parsed: ParsedCommand, editor: LineEditor) -> Bool {
        guard !assumeYes, admin.clockKind == .system, parsed.binding?.confirms == true,
              let offset = parsed.arguments.double("offset") else { return true }
        let rate = admin.engineConfiguration().maxSlewRate ?? KernelClockDriver.defaultMaxSlewRate
        let duration = KernelClockDriver.slewDuration(Seconds(offset), maxSlewRate: rate)
        let verb = parsed.id == "step" ? "Step the system clock by \(formatFixed(offset, 6)) s at once"
            : "Slew the system clock by \(formatFixed(offset, 6)) s (about \(formatFixed(duration.value, 1)) s at up to \(formatFixed(rate.value, 0)) ppm)"
        let saved = editor.prompt
        editor.prompt = "\(verb)? [y/N] "
        defer { editor.prompt = saved }
        let answer = editor.readLine()?.lowercased() ?? ""
        return answer == "y" || answer == "yes"
    }

    private func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}

/// Runs an interactive lab's time while the shell waits for input: real time × `lab speed`
/// (or as fast as the machine goes with `lab speed max`), nothing while `lab pause`d. Engine
/// events and `lab at` output appear above the prompt. Runs on the shell's thread (the lab's
/// world is single-threaded); time spent in commands does not count.
final class LabPacer {
    let lab: any LabControl
    let runner: CommandRunner
    let editor: LineEditor
    private var last = OSClock.monotonicNanoseconds()
    /// Requests on it are answered after the lab's time is brought up to now.
    var socket: LabSocketServer?

    init(lab: any LabControl, runner: CommandRunner, editor: LineEditor) {
        self.lab = lab; self.runner = runner; self.editor = editor
    }

    /// A new wait for input starts: time from here on counts; events so far were shown by commands.
    func restart() {
        last = OSClock.monotonicNanoseconds()
        _ = runner.admin.takeEvents()
    }

    /// How much wall time one tick may spend running a lab at `max` speed.
    static let maxTickNanoseconds: Int64 = 80_000_000

    func tick() {
        let now = OSClock.monotonicNanoseconds()
        let real = Double(now - last) / 1e9
        last = now
        if !lab.pace.paused {
            if let speed = lab.pace.speed {
                lab.advance(seconds: real * speed)
            } else {
                let stop = now + Self.maxTickNanoseconds
                while OSClock.monotonicNanoseconds() < stop { lab.advance(seconds: 16) }
                last = OSClock.monotonicNanoseconds()
            }
        }
        socket?.serve()
        let events = runner.admin.takeEvents()
        if runner.monitor { for e in events { editor.printAbove("% \(e.description)") } }
        if let out = runner.takePendingOutput() {
            for line in out.text.split(separator: "\n") { editor.printAbove(String(line)) }
            if let e = out.error { editor.printAbove(e) }
        }
    }
}

/// Prints engine events above the prompt while `terminal monitor` is on.
final class EventMonitor: @unchecked Sendable {
    let admin: any AdminAPI
    let editor: LineEditor
    private let state = Mutex<(enabled: Bool, running: Bool)>((true, true))
    private var thread: PlatformThread?

    var enabled: Bool {
        get { state.withLock { $0.enabled } }
        set { state.withLock { $0.enabled = newValue } }
    }

    init(admin: any AdminAPI, editor: LineEditor) { self.admin = admin; self.editor = editor }

    func start() {
        thread = try? PlatformThread(name: "ntpsh-monitor") { [self] in
            while state.withLock({ $0.running }) {
                usleep(200_000)
                let events = admin.takeEvents()
                guard enabled else { continue }
                for e in events { editor.printAbove("% \(e.description)") }
            }
        }
    }

    func stop() {
        state.withLock { $0.running = false }
        thread?.join()
    }
}
