public import NTPRuntime
public import NTPShell
import NTPEngine
import NTPPlatform
import Synchronization

/// The engine's one running configuration: the runner that read the configuration file, shared
/// by every attached shell (their configuration commands, `show running-config` and `write` run
/// here, one at a time) and re-read on SIGHUP.
public final class ConfigurationKeeper: @unchecked Sendable {
    public let runner: CommandRunner
    private let lock = Mutex<Void>(())
    private let log: Log
    /// The running configuration as the file gave it (the last time it was read): a reload
    /// applies what changed in the file since, and keeps what the shells changed.
    private var fileConfiguration: RunningConfig

    /// `runner` has just read the configuration file (no shell has changed anything yet).
    public init(runner: CommandRunner, log: Log) {
        self.runner = runner
        self.log = log
        fileConfiguration = runner.running
    }

    /// Runs one configuration command (or `show running-config`, `write`) from an attached shell.
    /// Output filters (`| include REGEX`) are refused: the shell that asked applies them to
    /// the text it gets back (``CommandRunner/run(_:from:)`` sends the command alone), so a
    /// regular expression from a client never runs here, under the lock.
    public func run(_ line: String, from origin: CommandRunner.Origin) -> CommandRunner.Output {
        guard CommandRunner.engineOwnedCommand(line) != nil else {
            return CommandRunner.Output(error: "'\(line)' is not a configuration command", status: 1)
        }
        guard !CommandRunner.hasOutputFilter(line) else {
            return CommandRunner.Output(
                error: CommandRunner.locate("output filters ('| ...') run in the shell that asked; the engine takes the command alone", origin: origin),
                status: 1)
        }
        return lock.withLock { _ in
            let written = runner.configFile?.text
            let out = runner.run(line, from: origin)
            // After `write` the file holds the running configuration: a later SIGHUP compares
            // against it, so a line written and then deleted from the file is removed.
            if out.error == nil, let text = runner.configFile?.text, text != written {
                fileConfiguration = runner.running
            }
            return out
        }
    }

    /// Runs the text of ntpq's `:config` (``CommandRunner/runRemoteConfiguration(_:)``) once no
    /// attached shell is using the runner. Never called on the engine's loop thread (the
    /// daemon runs `:config` on a thread of its own): the runner's calls wait for the loop.
    public func runRemote(_ text: String) -> (ok: Bool, message: String) {
        lock.withLock { _ in runner.runRemoteConfiguration(text) }
    }

    /// SIGHUP: reads the configuration file again. A file with errors changes nothing (each
    /// error is logged as FILE:LINE:COL: message); a valid one is applied as the difference
    /// from the file as last read (``RunningConfig/reload(live:read:reread:)``): entries gone
    /// from the file are undone (`no server …`, `no restrict …`), new or changed lines are run,
    /// and what the shells changed meanwhile stays. Returns whether the file was applied.
    @discardableResult
    public func reload() -> Bool {
        lock.withLock { _ in reloadLocked() }
    }

    private func reloadLocked() -> Bool {
        guard let path = runner.configFile?.path else {
            log.warning("SIGHUP: no configuration file was read; nothing to re-read")
            return false
        }
        let text: String
        do { text = try TextFile.read(path) } catch {
            log.error("SIGHUP: \(path): \(error); the running configuration is kept")
            return false
        }
        // Check the whole file first, against an engine that serves nothing (as --check-config).
        let scratch: Daemon
        do {
            scratch = try Daemon(settings: DaemonSettings(port: 0), clock: ObserveClock(), log: Log(name: log.name, quiet: true, journal: log.journal))
        } catch {
            log.error("SIGHUP: cannot check \(path): \(error); the running configuration is kept")
            return false
        }
        let check = CommandRunner(admin: LocalAdmin(daemon: scratch), grammar: runner.grammar)
        check.readFile = runner.readFile
        let loaded = check.loadConfiguration(text, path: path)
        if !loaded.errors.isEmpty {
            for e in loaded.errors { log.error(e) }
            log.error("SIGHUP: \(path): \(loaded.errors.count) error\(loaded.errors.count == 1 ? "" : "s"); the running configuration is kept")
            return false
        }
        let reload = RunningConfig.reload(live: runner.running, read: fileConfiguration, reread: check.running)
        var removed = 0, applied = 0
        for e in reload.undo {
            guard let undo = Self.undo(e) else {
                log.warning("SIGHUP: '\(e.line)' is no longer in \(path); it stays in effect until restart")
                continue
            }
            let out = runner.run(undo)
            if let error = out.error { log.warning("SIGHUP: \(undo): \(error)") } else { removed += 1 }
        }
        for e in reload.apply {
            let out = runner.run(e.line, from: e.origin.map { .file($0.file, line: $0.line) } ?? .prompt)
            if let error = out.error { log.warning("SIGHUP: \(error)") } else { applied += 1 }
        }
        runner.adoptConfiguration(reload.running, file: (path, text))
        fileConfiguration = check.running
        log.notice("SIGHUP: \(path) re-read: \(applied) line\(applied == 1 ? "" : "s") applied, \(removed) removed")
        return true
    }

    /// The command that undoes an entry, where there is one.
    static func undo(_ entry: RunningConfig.Entry) -> String? {
        switch entry.id {
        case "server", "pool", "restrict": return "no \(entry.id) \(entry.key)"
        case "driftfile": return "no driftfile"
        default: return nil
        }
    }
}
