public import ArgumentParser
public import NTPEngine
import NTPLab
import NTPCrypto
import NTPAdmin
import NTPWire
import NTPPlatform
import NTPRuntime
import NTPService
import NTPShell
import NTPSimulation

#if canImport(Glibc)
import Glibc
#endif

/// The process interface of DESIGN.md. Flags are declared here once; the help text, man page
/// and completion scripts come from this declaration.
struct NTPSH: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntpsh",
        abstract: "An NTP engine and its administration shell.",
        discussion: """
            ntpsh reads its configuration (ntp.conf syntax: every directive is a shell command), \
            starts the engine, and then: with --daemon, serves until SIGTERM or SIGINT; with -e or -f, \
            or with standard input not a terminal, runs those commands and exits with the status of \
            the last one; otherwise opens the interactive shell. A failing command stops a batch \
            (status 1, FILE:LINE:COL: message on stderr) unless --keep-going. Usage and \
            configuration errors exit 2.
            """,
        version: ntpshVersion)

    @Option(name: [.short, .customLong("config")], help: ArgumentHelp("Configuration file (ntp.conf syntax).", valueName: "file"),
            completion: .file())
    var config: String?

    @Option(help: ArgumentHelp(
        "Clock to discipline: system (the OS clock; needs CAP_SYS_TIME), observe (read the OS clock, never change it), simulated, or auto (system when permitted, else observe).",
        valueName: "kind"))
    var clock: ClockKind = .auto

    @Option(help: ArgumentHelp("Address to serve on (repeatable). Default: every IPv4 and IPv6 address.", valueName: "addr"))
    var listen: [String] = []

    @Option(help: ArgumentHelp(
        "UDP port for NTP (default 123; 0 serves nothing). With --lab: serve the lab's time on loopback (127.0.0.1, or --listen) at this port.",
        valueName: "n"))
    var port: Int?

    @Option(name: [.short, .customLong("execute")], help: ArgumentHelp("Run this command (repeatable), then exit.", valueName: "command"),
            completion: .custom { _, _, prefix in CommandsManual.commandLineCandidates(prefix, in: LabShell.grammar) })
    var execute: [String] = []

    @Option(name: [.short, .customLong("file")], help: ArgumentHelp("Run the commands in this file ('-': standard input), then exit.", valueName: "file"),
            completion: .file())
    var file: String?

    @Flag(help: "Go on after a failing command in a batch.")
    var keepGoing = false

    @Flag(help: "Every view prints JSON.")
    var json = false

    @Flag(help: "Run the engine without a shell, in the foreground, logging to stderr, until SIGTERM or SIGINT.")
    var daemon = false

    @Option(help: ArgumentHelp(
        "With --daemon: serve the shell's commands on this Unix socket (mode 0660; changes need root, the engine's user or the socket's group). Default under systemd: $RUNTIME_DIRECTORY/ntpsh.sock.",
        valueName: "path"),
            completion: .file())
    var controlSocket: String?

    @Option(name: [.customShort("u"), .customLong("user")], help: ArgumentHelp(
        "With --daemon: after binding its sockets and reading the configuration, run as this user (and group; default the user's own), keeping only CAP_SYS_TIME and CAP_NET_BIND_SERVICE (as ntpd -u).",
        valueName: "user[:group]"))
    var user: String?

    @Flag(help: "With --daemon: once started (and after -u), confine the process with a seccomp allow-list of the system calls it makes; dangerous calls fail, unknown ones kill it (also NTPSH_SANDBOX=1).")
    var sandbox = false

    @Option(help: ArgumentHelp(
        "Attach the shell (or -e/-f) to a running engine through its control socket (default \(NTPSH.defaultControlSocket)); exit status 2 if the engine goes away.",
        valueName: "path"),
            completion: .file())
    var attach: String?

    @Flag(name: .customShort("g"), help: "Allow the first clock correction to exceed the panic threshold (1000 s).")
    var allowBigFirstCorrection = false

    @Flag(name: .customShort("x"), help: "Never step the clock; slew every correction.")
    var slewOnly = false

    @Flag(name: .customShort("q"), help: "Set the clock once, then exit (as ntpd -q).")
    var setOnce = false

    @Flag(help: "Do not ask before stepping or slewing the system clock.")
    var yes = false

    @Flag(help: "Check the configuration file and exit: 0 when it is valid, 2 when not.")
    var checkConfig = false

    @Option(help: ArgumentHelp(
        "Open a training lab: a simulated world in virtual time, its servers added with 'lab server add'. With a name, run that lab's script (unattended when standard input is not a terminal; status 0 only if every expect holds); 'list' lists the labs.",
        valueName: "name"),
            completion: .list(["list"] + LabScenarios.all.map(\.name)))
    var lab: String?

    @Option(help: .hidden)
    var generateManual: String?

    func validate() throws {
        guard (0...65535).contains(port ?? 123) else { throw ValidationError("--port must be 0 to 65535, not \(port ?? 123)") }
        if lab != nil, let bad = listen.first(where: { SocketAddress($0, port: 0).map { !$0.ip.unmapped.isLoopback } ?? false }) {
            throw ValidationError("--lab serves its time on loopback only; --listen \(bad) is not a loopback address")
        }
        for address in listen where SocketAddress(address, port: 0) == nil {
            throw ValidationError("--listen: '\(address)' is not an IPv4 or IPv6 address")
        }
        if clock == .simulated && lab == nil {
            throw ValidationError("--clock simulated runs in virtual time, inside a lab (--lab)")
        }
        if lab != nil && (daemon || checkConfig || config != nil) {
            throw ValidationError("--lab runs a simulated world; it takes no --daemon, --check-config or --config")
        }
        if let lab, !lab.isEmpty, lab != "list", LabScenarios.named(lab) == nil {
            throw ValidationError("--lab: no lab '\(lab)'; 'ntpsh --lab list' lists them")
        }
        if daemon && (!execute.isEmpty || file != nil) {
            throw ValidationError("--daemon runs no commands; use -e/-f without it")
        }
        if sandbox && !daemon {
            throw ValidationError("--sandbox confines a --daemon engine; use it with --daemon")
        }
        if user != nil && !daemon {
            throw ValidationError("-u drops privileges of a --daemon engine; use it with --daemon")
        }
        if controlSocket != nil && !daemon {
            throw ValidationError("--control-socket serves a --daemon engine; attach to it with --attach")
        }
        if attach != nil && (daemon || checkConfig || config != nil || lab != nil) {
            throw ValidationError("--attach uses a running engine; it takes no --daemon, --check-config, --config or --lab")
        }
    }

    func run() throws {
        if let page = generateManual { return try writeManual(page) }
        let batch = !execute.isEmpty || file != nil || (!daemon && !checkConfig && isatty(0) == 0)
        if let lab { return try runLab(lab, batch: batch) }
        if let attach { return try runAttached(attach.isEmpty ? Self.defaultControlSocket : attach, batch: batch) }
        let log = Log(name: "ntpsh", quiet: !daemon)
        let settings = try daemonSettings()
        let driver = try makeClock(log: log)
        let server: Daemon
        do {
            server = try Daemon(settings: settings, clock: driver, log: log)
        } catch {
            throw ExitFailure("ntpsh: \(error)", status: 2)
        }
        let admin = LocalAdmin(daemon: server)
        let runner = LabShell.runner(admin: admin, json: json)
        runner.unicodeCharts = isatty(1) != 0
        runner.readFile = Self.readIncludedFile
        runner.listDirectory = { Directory.list($0) }
        runner.writeFile = { path, text, follow in try AtomicFile.write(text, to: path, keepBackup: true, followSymlink: follow) }
        if let config { try loadConfiguration(config, into: runner) }
        // ntpq's `:config` (authenticated with the controlkey) runs through the same grammar:
        // with --daemon through the runner that read the configuration, so its running
        // configuration follows; with a shell, through one of its own (the shell's runner
        // belongs to the shell's thread).
        let configRunner = daemon ? runner : LabShell.runner(admin: admin)
        configRunner.readFile = runner.readFile
        // With --daemon, `:config` shares the one running configuration with the attached shells.
        let keeper = ConfigurationKeeper(runner: configRunner, log: log)
        server.configure = { text in keeper.runRemote(text) }
        if checkConfig {
            print("\(config ?? "(no configuration)"): configuration OK")
            return
        }

        if daemon { return try runDaemon(server, admin: admin, keeper: keeper, settings: settings, log: log) }
        try runShell(server, admin: admin, runner: runner, batch: batch, log: log)
    }

    /// `--generate-manual commands|conf`: the man page's text from the grammar.
    private func writeManual(_ page: String) throws {
        switch page {
        case "commands": writeStdout(CommandsManual.page(LabShell.grammar, version: ntpshVersion))
        case "conf": writeStdout(CommandsManual.configurationPage(LabShell.grammar, version: ntpshVersion))
        default: throw ExitFailure("ntpsh: --generate-manual commands|conf", status: 2)
        }
    }

    /// The daemon's settings from the flags.
    private func daemonSettings() throws -> DaemonSettings {
        let port = self.port ?? 123
        var settings = DaemonSettings(port: checkConfig ? 0 : UInt16(port))
        settings.listen = listen.compactMap { SocketAddress($0, port: UInt16(port)) }
        settings.engine.allowFirstBigCorrection = allowBigFirstCorrection
        settings.engine.slewOnly = slewOnly
        settings.engine.setOnceAndExit = setOnce
        settings.seed = try Self.requestedSeed() ?? (UInt64(truncatingIfNeeded: OSClock.realtime().nanoseconds) ^ UInt64(getpid()))
        settings.version = "ntpsh \(ntpshVersion)"
        settings.singleThreaded = daemon && Self.singleThreadRequested
        if settings.singleThreaded && controlSocket != nil {
            throw ExitFailure("ntpsh: --control-socket serves clients on threads of their own; \(Self.singleThreadVariable)=1 runs one thread", status: 2)
        }
        return settings
    }

    /// `--daemon`: the control socket, the archive, the user and the sandbox, then the loop
    /// until a signal.
    private func runDaemon(_ server: Daemon, admin: LocalAdmin, keeper: ConfigurationKeeper, settings: DaemonSettings, log: Log) throws {
        server.reload = { keeper.reload() }
        // The archive of committed configurations: `archive directory`, else systemd's state
        // directory; else it is kept in memory only.
        let stateDirectory = getenv("STATE_DIRECTORY").flatMap { String(cString: $0).split(separator: ":").first.map(String.init) }
        keeper.attachTransactions(stateDirectory: stateDirectory, daemon: server, admin: admin)
        if !settings.singleThreaded, let path = controlSocketPath() {
            do {
                server.control = try ControlServer(path: path, admin: admin, keeper: keeper, engineName: "ntpsh \(ntpshVersion)", log: log)
            } catch {
                throw ExitFailure("ntpsh: control socket: \(error)", status: 2)
            }
        }
        if let user { try dropPrivileges(to: user, controlSocket: server.control?.path, log: log) }
        if sandbox || getenv("NTPSH_SANDBOX").map({ String(cString: $0) == "1" }) == true {
            do {
                let rules = try Sandbox.install()
                log.notice("sandbox: seccomp filter of \(rules) system calls installed; execve refused (EPERM) as it must be")
            } catch {
                throw ExitFailure("ntpsh: \(error)", status: 2)
            }
        }
        let status = server.runUntilSignalled()
        if status != 0 { throw ExitFailure("ntpsh: stopped with status \(status)", status: status) }
    }

    /// The shell over an engine of its own: interactive, or a batch (`-e`, `-f`, a pipe).
    private func runShell(_ server: Daemon, admin: LocalAdmin, runner: CommandRunner, batch: Bool, log: Log) throws {
        // `configure` at this shell: transactions over its own runner (the engine ends with the
        // shell, so `commit confirmed` is refused; the archive is kept in memory).
        let local = ConfigurationTransactions(
            runner: runner, archive: ConfigurationArchive(),
            check: { text, label in ConfigurationKeeper.check(text, path: label, readFile: Self.readIncludedFile, log: log) },
            schedule: nil, now: { OSClock.realtime() }, announce: { admin.announce($0) })
        runner.transaction.host = local
        runner.transaction.scratch = Self.scratchEngine
        do { try server.start() } catch { throw ExitFailure("ntpsh: cannot start the engine: \(error)", status: 2) }
        defer { server.stop() }
        if batch {
            let status = runBatch(runner)
            server.stop()
            if status != 0 { throw ExitFailure("", status: status) }
            return
        }
        _ = InteractiveShell(runner: runner, admin: admin, assumeYes: yes).run()
    }

    /// `-u USER[:GROUP]`: the sockets are bound and the files read; from here on the daemon runs
    /// as that user with CAP_SYS_TIME (the clock) and CAP_NET_BIND_SERVICE (port 123 again
    /// when interfaces change) only. Before any thread starts: capabilities belong to a thread.
    private func dropPrivileges(to spec: String, controlSocket: String?, log: Log) throws {
        do {
            let target = try RunAsUser.resolve(spec)
            // The control socket stays the daemon's own (ntpsh's "the engine's user" may change things).
            if let controlSocket, chown(controlSocket, target.uid, target.gid) != 0 {
                log.warning("-u: chown \(controlSocket): \(String(cString: strerror(errno)))")
            }
            let keep: [RunAsUser.Capability] = [.sysTime, .netBindService]
            try target.become(keeping: keep)
            log.notice("running as \(target), keeping \(keep.map(\.name).joined(separator: ", "))")
        } catch {
            throw ExitFailure("ntpsh: \(error)", status: 2)
        }
    }

    /// Runs the configuration file as a batch of configuration commands. Every error is
    /// reported (not just the first) and then startup is refused.
    private func loadConfiguration(_ path: String, into runner: CommandRunner) throws {
        let text: String
        do { text = try TextFile.read(path) } catch { throw ExitFailure("ntpsh: \(path): \(error)", status: 2) }
        let loaded = runner.loadConfiguration(text, path: path)
        if !loaded.output.isEmpty { writeStderr(loaded.output) }
        let errors = loaded.errors
        if !errors.isEmpty {
            throw ExitFailure(errors.joined(separator: "\n") + "\nntpsh: \(path): \(errors.count) error\(errors.count == 1 ? "" : "s"); not started", status: 2)
        }
    }

    /// -e commands, or -f FILE, or standard input: no prompt; stops at the first failing
    /// command unless --keep-going. Returns the exit status.
    private func runBatch(_ runner: CommandRunner, serving labSocket: LabSocketServer? = nil) -> Int32 {
        var batch = BatchRun(runner: runner, keepGoing: keepGoing) { out in
            writeStdout(out.text)
            if let e = out.error { writeStderr(e + "\n") }
        }
        func runLine(_ line: String, _ origin: CommandRunner.Origin) -> Bool { batch.run(line, from: origin) }
        if !execute.isEmpty {
            for (i, line) in execute.enumerated() where !runLine(line, .option(i + 1)) { break }
            return batch.status
        }
        let name = file ?? "-"
        if name == "-" {
            // Standard input line by line, as it arrives (a pipe can drive a running engine).
            let reader = LineReader(fd: 0)
            if let labSocket { reader.watch = (labSocket.descriptors, { labSocket.serve() }) }
            var number = 0
            while let line = reader.next() {
                number += 1
                if !runLine(line, .file(name, line: number)) { break }
            }
            return batch.status
        }
        let text: String
        do { text = try TextFile.read(name) } catch {
            writeStderr("ntpsh: \(name): \(error)\n")
            return 2
        }
        for (i, line) in text.configurationLines.enumerated()
        where !runLine(String(line), .file(name, line: i + 1)) { break }
        return batch.status
    }

    /// `NTPSH_SINGLE_THREAD=1` with `--daemon`: the whole daemon on the main thread (no signal,
    /// DNS or control-socket threads), as clknetsim needs (Tests/Clknetsim).
    static let singleThreadVariable = "NTPSH_SINGLE_THREAD"
    static var singleThreadRequested: Bool {
        getenv(singleThreadVariable).map { String(cString: $0) == "1" } ?? false
    }

    /// `NTPSH_RANDOM_SEED=N` (0 to 2^64-1): the engine's randomness (poll jitter, request
    /// separation, transmit timestamps' low bits) from this seed, so a simulated run
    /// (Tests/Clknetsim) can be repeated exactly. For tests: a known seed is predictable.
    static let seedVariable = "NTPSH_RANDOM_SEED"
    static func requestedSeed() throws -> UInt64? {
        guard let raw = getenv(seedVariable).map({ String(cString: $0) }) else { return nil }
        guard let seed = UInt64(raw) else {
            throw ExitFailure("ntpsh: \(seedVariable)='\(raw)': expected a whole number from 0 to \(UInt64.max)", status: 2)
        }
        return seed
    }

    /// How `includefile` and `keys` read their file: a regular file of at most 4 MiB, never
    /// a FIFO or a device (reading one would block, or never end, in the engine's runner).
    static let readIncludedFile: @Sendable (String) -> String? = { try? TextFile.read($0, limit: 4 << 20, regularOnly: true) }

    /// Where `--attach` looks by default: the socket of the systemd service.
    static let defaultControlSocket = "/run/ntpsh/ntpsh.sock"

    /// `--control-socket PATH`, or under systemd with RuntimeDirectory= the socket in it.
    private func controlSocketPath() -> String? {
        if let controlSocket { return controlSocket }
        guard let env = getenv("RUNTIME_DIRECTORY"),
              let directory = String(cString: env).split(separator: ":").first else { return nil }
        return "\(directory)/ntpsh.sock"
    }

    /// `--attach [PATH]`: the shell (or -e/-f) against a running engine. Configuration commands,
    /// `show running-config` and `write` run in the engine's own runner (one running
    /// configuration for every attached shell; the engine writes its own file).
    private func runAttached(_ path: String, batch: Bool) throws {
        let remote: RemoteAdmin
        do {
            remote = try RemoteAdmin(path: path, client: "ntpsh \(ntpshVersion) --attach")
        } catch {
            throw ExitFailure("ntpsh: --attach: \(error)", status: 2)
        }
        // The engine may go while libedit holds the terminal (the event monitor's thread notices
        // first): put the terminal back as it was before saying so.
        var saved = termios()
        if tcgetattr(0, &saved) == 0 {
            let terminal = saved
            remote.onLost = { reason in
                var t = terminal
                tcsetattr(0, TCSANOW, &t)
                writeStderr("\nntpsh: lost the engine: \(reason)\n")
                Glibc.exit(2)
            }
        }
        let runner = LabShell.runner(admin: remote, json: json)
        runner.configurationOwner = { line, origin in remote.configure(line, origin) }
        runner.transaction.host = remote
        runner.transaction.scratch = Self.scratchEngine
        runner.readFile = Self.readIncludedFile
        runner.listDirectory = { Directory.list($0) }
        if batch {
            let status = runBatch(runner)
            if status != 0 { throw ExitFailure("", status: status) }
            return
        }
        if !remote.welcome.privileged {
            writeStdout("% attached to \(remote.welcome.engine) at \(path): views only (changes need root, the engine's user or the socket's group)\n")
        }
        _ = InteractiveShell(runner: runner, admin: remote, assumeYes: yes).run()
    }

    /// An engine that serves nothing (port 0, the clock only read): what `--check-config` and
    /// a candidate run against.
    static func scratchEngine() throws(AdminError) -> any AdminAPI {
        do {
            return LocalAdmin(daemon: try Daemon(settings: DaemonSettings(port: 0), clock: ObserveClock(), log: Log(name: "ntpsh", quiet: true)))
        } catch {
            throw AdminError("cannot make an engine to check against: \(error)")
        }
    }

    /// `--lab [NAME]`: no sockets and no real clock; the shell drives a simulated world.
    private func runLab(_ name: String, batch: Bool) throws {
        if name == "list" {
            writeStdout(LabScenarios.all.map { "\($0.name)\n    \($0.description)\n" }.joined())
            return
        }
        let scenario = LabScenarios.named(name)
        let admin = scenario.map { SimulationAdmin.lab(seed: $0.seed, clockOffset: $0.clockOffset, frequencyError: $0.frequencyError,
                                                       macProvider: OpenSSLMAC()) }
            ?? SimulationAdmin.lab(macProvider: OpenSSLMAC())
        var socketServer: LabSocketServer?
        if let port, port != 0 {
            let addresses = (listen.isEmpty ? ["127.0.0.1"] : listen).compactMap { SocketAddress($0, port: UInt16(port)) }
            do { socketServer = try LabSocketServer(addresses: addresses, admin: admin) } catch {
                throw ExitFailure("ntpsh: --lab --port \(port): cannot listen: \(error)", status: 2)
            }
        }
        admin.appendFile = { path, text -> String? in
            do throws(SystemCallError) { try AppendFile.append(text, to: path); return nil } catch { return error.description }
        }
        admin.isDirectory = { Directory.list($0) != nil }
        let runner = LabShell.runner(admin: admin, json: json, lab: admin)
        runner.unicodeCharts = isatty(1) != 0
        runner.readFile = Self.readIncludedFile
        runner.listDirectory = { Directory.list($0) }
        if let scenario {
            // On a terminal the lab teaches: its notes, each command and what it printed, and
            // between steps it waits for the student (Enter: next step; q: run the rest).
            let teacher = LabTeacher(scenario: scenario, teach: !batch, write: writeStdout, waitForStudent: Self.waitForStudent)
            let passed = teacher.run(runner)
            if batch {
                if !passed { throw ExitFailure("", status: 1) }
                // With a socket, the lab goes on serving while commands come on standard input.
                guard let socketServer else { return }
                let status = runBatch(runner, serving: socketServer)
                if status != 0 { throw ExitFailure("", status: status) }
                return
            }
        } else if batch {
            let status = runBatch(runner, serving: socketServer)
            if status != 0 { throw ExitFailure("", status: status) }
            return
        }
        let shell = InteractiveShell(runner: runner, admin: admin, assumeYes: true, eventThread: false)
        shell.labSocket = socketServer
        _ = shell.run()
    }

    /// A taught lab's pause between steps: true to go on pausing (Enter), false to run the rest
    /// without stopping (q, or the end of input).
    private static func waitForStudent() -> Bool {
        writeStdout(LabScenario.pausePrompt)
        var answer: [UInt8] = []
        var byte: UInt8 = 0
        while read(0, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return !(answer.first.map { $0 == UInt8(ascii: "q") } ?? false) }
            answer.append(byte)
        }
        return false
    }

    private func makeClock(log: Log) throws -> any ClockDriver {
        switch clock {
        case .system:
            return SystemClock()
        case .observe:
            return ObserveClock()
        case .auto:
            if SystemClock.canAdjust() {
                log.notice("clock: system (this process may adjust the clock)")
                return SystemClock()
            }
            log.notice("clock: observe (no CAP_SYS_TIME: the OS clock is read, never changed)")
            return ObserveClock()
        case .simulated:
            throw ExitFailure("ntpsh: --clock simulated needs a lab", status: 2)
        }
    }
}

extension ClockKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// An error that has already been put into words, with the exit status it stands for.
struct ExitFailure: Error, CustomStringConvertible {
    var description: String
    var status: Int32
    init(_ message: String, status: Int32) { self.description = message; self.status = status }
}

let ntpshVersion = "0.2.0"

/// Entry point: usage and configuration errors exit 2 (DESIGN.md), not ArgumentParser's 64.
@main
enum Main {
    static func main() {
        do {
            // `--lab` without a name (last, or before another option): the empty lab.
            var arguments = Array(CommandLine.arguments.dropFirst())
            // `--attach` without a path: the default socket.
            for flag in ["--lab", "--attach"] {
                if let i = arguments.firstIndex(of: flag), i + 1 == arguments.count || arguments[i + 1].hasPrefix("-") {
                    arguments.insert("", at: i + 1)
                }
            }
            var command = try NTPSH.parseAsRoot(arguments)
            try command.run()
        } catch let failure as ExitFailure {
            if !failure.description.isEmpty { writeStderr(failure.description + "\n") }
            exit(failure.status)
        } catch {
            let code = NTPSH.exitCode(for: error)
            if code == .success {
                NTPSH.exit(withError: error)  // --help, --version
            }
            writeStderr(NTPSH.fullMessage(for: error) + "\n")
            exit(2)
        }
    }
}

func writeStderr(_ text: String) { writeAll(fd: 2, text) }
func writeStdout(_ text: String) { writeAll(fd: 1, text) }

func writeAll(fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// Lines from a descriptor, each returned as soon as its newline arrives.
final class LineReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var eof = false
    /// Descriptors to serve while waiting for input (a lab's socket), and how.
    var watch: (descriptors: [Int32], handle: () -> Void)?
    init(fd: Int32) { self.fd = fd }

    /// Waits until `fd` is readable, handling the watched descriptors meanwhile.
    private func waitForInput() {
        guard let watch else { return }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            + watch.descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        while true {
            for i in fds.indices { fds[i].revents = 0 }
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { if errno == EINTR { continue }; return }
            if fds.dropFirst().contains(where: { $0.revents != 0 }) { watch.handle() }
            if fds[0].revents != 0 { return }
        }
    }

    func next() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            if eof {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return String(decoding: buffer, as: UTF8.self)
            }
            waitForInput()
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}
