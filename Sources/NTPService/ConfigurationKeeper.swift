public import NTPRuntime
public import NTPShell
public import NTPAdmin
public import CommandGrammar
import NTPEngine
import NTPWire
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
    /// A directive waits while another session holds `configure exclusive` or a `commit
    /// confirmed` is pending (``ConfigurationTransactions/directChangeRefusal(session:)``);
    /// `session` is the asking control-socket session.
    public func run(_ line: String, from origin: CommandRunner.Origin, session: UInt64? = nil) -> CommandRunner.Output {
        guard let binding = CommandRunner.engineOwnedCommand(line) else {
            return CommandRunner.Output(error: "'\(line)' is not a configuration command", status: 1)
        }
        guard !CommandRunner.hasOutputFilter(line) else {
            return CommandRunner.Output(
                error: CommandRunner.locate("output filters ('| ...') run in the shell that asked; the engine takes the command alone", origin: origin),
                status: 1)
        }
        return lock.withLock { _ in
            if binding.role == .directive, let refusal = transactions?.directChangeRefusal(session: session) {
                return CommandRunner.Output(error: CommandRunner.locate(refusal, origin: origin), status: 1)
            }
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
        lock.withLock { _ in
            if let refusal = transactions?.directChangeRefusal(session: nil) { return (false, refusal) }
            return runner.runRemoteConfiguration(text)
        }
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
        if let refusal = transactions?.directChangeRefusal(session: nil) {
            log.error("SIGHUP: \(path) not re-read: \(refusal); send SIGHUP again after")
            return false
        }
        let text: String
        do { text = try TextFile.read(path) } catch {
            log.error("SIGHUP: \(path): \(error); the running configuration is kept")
            return false
        }
        let reread: RunningConfig
        switch Self.check(text, path: path, grammar: runner.grammar, readFile: runner.readFile, log: log) {
        case .success(let c): reread = c
        case .failure(let failure):
            let errors = failure.lines
            for e in errors { log.error(e) }
            log.error("SIGHUP: \(path): \(errors.count) error\(errors.count == 1 ? "" : "s"); the running configuration is kept")
            return false
        }
        let reload = RunningConfig.reload(live: runner.running, read: fileConfiguration, reread: reread)
        var removed = 0, applied = 0
        for e in reload.undo {
            guard let undo = RunningConfig.undo(e) else {
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
        fileConfiguration = reread
        log.notice("SIGHUP: \(path) re-read: \(applied) line\(applied == 1 ? "" : "s") applied, \(removed) removed")
        return true
    }

    /// Checks a whole configuration text as `--check-config` does: run against an engine that
    /// serves nothing. The running configuration it makes, or every error (`PATH:LINE:COL: …`).
    public static func check(_ text: String, path: String, grammar: Grammar = NTPCommands.grammar, readFile: ((String) -> String?)?,
                             log: Log) -> Result<RunningConfig, ConfigurationErrors> {
        ConfigurationTransactions.checking(with: { () throws(AdminError) -> any AdminAPI in
            do {
                return LocalAdmin(daemon: try Daemon(settings: DaemonSettings(port: 0), clock: ObserveClock(),
                                                     log: Log(name: log.name, quiet: true, journal: log.journal)))
            } catch {
                throw AdminError("\(error)")
            }
        }, grammar: grammar, readFile: readFile)(text, path)
    }

    // MARK: - Transactions

    /// The engine's configuration transactions (``attachTransactions(stateDirectory:daemon:admin:)``).
    public private(set) var transactions: ConfigurationTransactions?

    /// Sets up transactional configuration over the engine's runner: the archive in the file
    /// of `archive directory` (read from the runner at each commit, so a change applies to
    /// the next one), else of `stateDirectory` (systemd's), else in memory only;
    /// `commit confirmed`'s revert on `daemon`'s loop timer; the revert announced to every
    /// shell through `admin` and logged.
    public func attachTransactions(stateDirectory: String?, daemon: Daemon, admin: any AdminAPI) {
        let log = self.log
        let runner = self.runner
        let directory = { runner.transaction.archiveDirectory ?? stateDirectory }
        var stored = ConfigurationArchive()
        if let dir = directory() {
            switch ArchiveFile(directory: dir).load() {
            case .success(let entries): stored = ConfigurationArchive(entries: entries)
            case .failure(let error): log.warning("archive: \(error); starting an empty one")
            }
        } else {
            log.notice("archive: no 'archive directory' and no state directory: committed configurations are kept in memory only")
        }
        stored.save = { entries throws(AdminError) in
            guard let dir = directory() else { return }
            try ArchiveFile(directory: dir).save(entries)
        }
        transactions = ConfigurationTransactions(
            runner: runner, archive: stored,
            check: { [log] text, label in Self.check(text, path: label, grammar: runner.grammar, readFile: runner.readFile, log: log) },
            schedule: { [weak self] seconds, action in
                let job = Unchecked(action)
                guard let keeper = self else { return }
                daemon.after(seconds: seconds) { [weak keeper] in keeper?.lock.withLock { _ in job.value() } }
            },
            now: { OSClock.realtime() },
            announce: { text in log.notice(text); admin.announce(text) })
    }

    /// A `transaction` call from control-socket session `session` (`who` names it).
    public func transact(_ request: ConfigurationRequest, session: UInt64, who: String) throws(AdminError) -> ConfigurationAnswer {
        try lock.withLock { _ throws(AdminError) in
            guard let transactions else { throw AdminError("this engine keeps no configuration transactions") }
            let answer = try transactions.transact(request, session: session, who: who)
            if case .committed(let r) = answer, case .commit(_, let comment, let confirm) = request {
                log.notice("configuration committed by \(who): \(r.applied) applied, \(r.removed) removed"
                           + (confirm.map { ", reverts in \(Int($0.value)) s unless confirmed" } ?? (r.confirmed ? ", confirmed" : ""))
                           + (comment.map { " (\($0))" } ?? ""))
            }
            return answer
        }
    }

    /// Session `session` is gone (its shell disconnected): its candidate and lock go too.
    public func sessionEnded(_ session: UInt64) {
        lock.withLock { _ in transactions?.close(session) }
    }
}

/// A value handed to the timer thread: it is only used there, under the keeper's lock.
private final class Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
