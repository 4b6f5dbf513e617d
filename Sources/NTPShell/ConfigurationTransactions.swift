public import NTPAdmin
public import NTPWire
public import CommandGrammar

/// Owns transactional configuration in the process that owns the engine: candidate sessions
/// and the `configure exclusive` lock, the atomic commit of a whole candidate against the
/// running configuration (its delta applied, or on a refusal the old configuration restored
/// exactly), `commit confirmed`'s revert, and the archive of running configurations.
///
/// It works through the engine's own runner (the one that read the configuration file), so
/// the running configuration `write` saves and SIGHUP compares against is the one committed.
/// Not thread-safe: the daemon's ``ConfigurationKeeper`` calls it under its lock; a lab and an
/// in-process shell call it from the shell's thread.
public final class ConfigurationTransactions: ConfigurationHost {
    /// How the host checks a whole configuration text with the checks `--check-config` runs:
    /// the running configuration it makes, or its errors (`LABEL:LINE:COL: message`).
    public typealias Check = (_ text: String, _ label: String) -> Result<RunningConfig, ConfigurationErrors>
    /// Runs `action` after `seconds` of the engine's time (the daemon's loop timer, lab time);
    /// nil when this host cannot (an in-process shell: the engine ends with it).
    public typealias Schedule = (_ seconds: Double, _ action: @escaping () -> Void) -> Void

    /// The engine's runner. Unowned: a shell's runner holds its transactions (in-process, in a
    /// lab), and whoever holds these holds the runner too (the daemon's keeper).
    public unowned let runner: CommandRunner
    let check: Check
    let schedule: Schedule?
    /// Tells every shell (an engine event) and the log.
    let announce: (String) -> Void
    let now: () -> UnixTime
    public private(set) var archive: ConfigurationArchive
    /// Sessions with an open candidate, and what to call them.
    private var sessions: [UInt64: String] = [:]
    /// The session that holds `configure exclusive`.
    private var exclusive: UInt64?
    /// A `commit confirmed` waiting for its confirmation.
    private var pending: (generation: Int, revertTo: String, who: String, at: UnixTime)?
    private var generation = 0

    public init(runner: CommandRunner, archive: ConfigurationArchive, check: @escaping Check, schedule: Schedule?,
                now: @escaping () -> UnixTime, announce: @escaping (String) -> Void) {
        self.runner = runner
        self.archive = archive
        self.check = check
        self.schedule = schedule
        self.now = now
        self.announce = announce
    }

    /// A ``Check`` that loads the text into a fresh runner over `scratch()` (an engine that
    /// serves nothing: what `--check-config` runs against; a lab's own in a lab).
    public static func checking(with scratch: @escaping () throws(AdminError) -> any AdminAPI, grammar: Grammar = NTPCommands.grammar,
                                readFile: ((String) -> String?)?) -> Check {
        { text, label in
            let admin: any AdminAPI
            do throws(AdminError) { admin = try scratch() } catch { return .failure(ConfigurationErrors(["\(label): cannot check: \(error)"])) }
            let check = CommandRunner(admin: admin, grammar: grammar)
            check.readFile = readFile
            let loaded = check.loadConfiguration(text, path: label)
            return loaded.errors.isEmpty ? .success(check.running) : .failure(ConfigurationErrors(loaded.errors))
        }
    }

    /// The in-process shell's session.
    public static let localSession: UInt64 = 0

    /// How long `commit confirmed` may wait for its confirmation (seconds; the engine takes any
    /// positive time up to the bound, the grammar whole seconds from 1).
    public static let confirmRange: ClosedRange<Double> = 1...86_400

    public func transact(_ request: ConfigurationRequest) throws(AdminError) -> ConfigurationAnswer {
        try transact(request, session: Self.localSession, who: "the shell")
    }

    /// Carries out `request` for `session` (a control-socket connection; `who` names it).
    public func transact(_ request: ConfigurationRequest, session: UInt64, who: String) throws(AdminError) -> ConfigurationAnswer {
        switch request {
        case .open(let wantsExclusive):
            if let holder = exclusive, holder != session {
                throw AdminError("configuration locked: \(sessions[holder] ?? "another shell") is in configure exclusive")
            }
            if wantsExclusive, let other = sessions.first(where: { $0.key != session }) {
                throw AdminError("configure exclusive: \(other.value) has a candidate open")
            }
            sessions[session] = who
            if wantsExclusive { exclusive = session }
            return .text(runner.running.text)
        case .close:
            close(session)
            return .done
        case .running:
            return .text(runner.running.text)
        case .check(let candidate):
            _ = try checked(candidate)
            return .done
        case .commit(let candidate, let comment, let confirmWithin):
            if let holder = exclusive, holder != session {
                throw AdminError("configuration locked: \(sessions[holder] ?? "another shell") is in configure exclusive")
            }
            // The grammar's range, checked again here: a control client need not come through it.
            if let seconds = confirmWithin?.value, !(seconds > 0 && seconds <= Self.confirmRange.upperBound) {
                throw AdminError("commit confirmed: \(seconds) s is out of range (at most \(Int(Self.confirmRange.upperBound)) s)")
            }
            return .committed(try commit(candidate, who: who, comment: comment, confirmWithin: confirmWithin?.value))
        case .history:
            return .history(archive.entries)
        case .archived(let n):
            guard let entry = archive.entry(n) else {
                throw AdminError(archive.entries.isEmpty ? "the archive is empty" : "no archive entry \(n) (1 to \(archive.entries.count))")
            }
            return .text(entry.text)
        }
    }

    /// Why a change made outside a transaction (a directive typed in an attached shell outside
    /// configure mode, ntpq's `:config`, SIGHUP's re-read) must not run now, or nil: another
    /// session holds `configure exclusive`, or a `commit confirmed` waits for its confirmation
    /// (its revert would silently take the change back with it). `session` is the asking
    /// control-socket session (nil: ntpq or SIGHUP).
    public func directChangeRefusal(session: UInt64?) -> String? {
        if let holder = exclusive, holder != session {
            return "configuration locked: \(sessions[holder] ?? "another shell") is in configure exclusive"
        }
        if let p = pending {
            return "a commit confirmed by \(p.who) is pending (it reverts at \(CivilTime(p.at)) UTC unless confirmed): "
                + "confirm it with 'commit' in configure mode, or make this change there"
        }
        return nil
    }

    /// The session ended (its shell left configure mode or disconnected): its lock goes.
    public func close(_ session: UInt64) {
        sessions[session] = nil
        if exclusive == session { exclusive = nil }
    }

    /// The candidate's running configuration when it passes every check, else its errors
    /// (each naming the candidate's line by where it came from).
    private func checked(_ candidate: ConfigurationCandidate) throws(AdminError) -> RunningConfig {
        // Only directives: a candidate comes from a client, and nothing else (`sleep`, `write`,
        // an output filter) may run in the engine's checks.
        var refused: [String] = []
        for (i, raw) in candidate.text.configurationLines.enumerated() where RunningConfig.isCommand(String(raw)) {
            let (command, filters) = CommandRunner.splitFilters(String(raw))
            let at = candidate.location(ofLine: i + 1)
            if !filters.isEmpty { refused.append("\(at):\(command.count + 1): output filters ('| ...') are not configuration"); continue }
            if case .ok(let parsed) = runner.grammar.match(command), parsed.binding?.role != .directive {
                refused.append("\(at):1: '\(parsed.command.words.joined(separator: " "))' is not a configuration directive")
            }
        }
        if !refused.isEmpty { throw AdminError(refused.joined(separator: "\n")) }
        let config: RunningConfig
        switch check(candidate.text, "candidate") {
        case .success(let c): config = c
        case .failure(let errors): throw AdminError(errors.lines.map { relabel($0, candidate) }.joined(separator: "\n"))
        }
        // A removal the engine cannot undo (no `no` form) would leave the running engine unlike
        // the configuration: refused, naming the running line.
        let delta = RunningConfig.reload(live: runner.running, read: runner.running, reread: config)
        if let stuck = delta.undo.first(where: { RunningConfig.undo($0) == nil }) {
            throw AdminError("candidate: '\(stuck.line)' cannot be removed from a running engine (it has no 'no' form); keep it or change its value")
        }
        return config
    }

    /// `candidate:N:COL: …` from the check, named by the candidate line's origin.
    private func relabel(_ error: String, _ candidate: ConfigurationCandidate) -> String {
        guard error.hasPrefix("candidate:") else { return error }
        let rest = error.dropFirst("candidate:".count)
        guard let colon = rest.firstIndex(of: ":"), let n = Int(rest[..<colon]) else { return error }
        return candidate.location(ofLine: n) + rest[colon...]
    }

    /// Applies `candidate` whole, or restores the running configuration exactly and says which
    /// line the engine refused.
    private func commit(_ candidate: ConfigurationCandidate, who: String, comment: String?, confirmWithin: Double?) throws(AdminError) -> CommitReport {
        if confirmWithin != nil && schedule == nil {
            throw AdminError("commit confirmed needs an engine that outlives the shell: a --daemon (attach with --attach) or a lab")
        }
        let config = try checked(candidate)
        let before = runner.running
        let beforeText = before.text
        // A confirmed commit must be one the engine can take back by itself.
        if confirmWithin != nil,
           let stuck = RunningConfig.reload(live: config, read: config, reread: before).undo.first(where: { RunningConfig.undo($0) == nil }) {
            throw AdminError("commit confirmed: '\(stuck.line)' could not be reverted (it has no 'no' form); commit it without confirmed")
        }
        var report = CommitReport()
        if let failure = apply(config, candidate: candidate, counting: &report) {
            let problems = restore(before)
            throw AdminError(failure + (problems.isEmpty ? "; nothing was changed"
                : "\nrestoring the running configuration: " + problems.joined(separator: "; ")))
        }
        runner.running = RunningConfig.committed(config, over: before)
        let changed = runner.running.text != beforeText
        if changed {
            if let keep = runner.transaction.archiveKeep { archive.keep = keep }
            report.warnings += archive.record(ArchivedConfiguration(text: beforeText, who: who, when: now(), comment: comment))
        }
        if pending != nil && confirmWithin == nil {
            pending = nil
            report.confirmed = true
        }
        if let seconds = confirmWithin {
            generation += 1
            let g = generation
            // A confirmed commit on top of a pending one reverts to what ran before the first.
            let revertTo = pending?.revertTo ?? beforeText
            let at = now().adding(seconds: seconds)
            pending = (g, revertTo, who, at)
            report.revertAt = at
            schedule?(seconds) { [weak self] in self?.revert(generation: g) }
        }
        return report
    }

    /// Runs the delta from the running configuration to `config`; the first refusal, located
    /// at the candidate's line.
    private func apply(_ config: RunningConfig, candidate: ConfigurationCandidate, counting report: inout CommitReport) -> String? {
        let delta = RunningConfig.reload(live: runner.running, read: runner.running, reread: config)
        // Removals first: `no server X` removes every association of X and `no restrict` the
        // engine's entry whatever the notation, so a removal after an addition could take the
        // new entry too (server X -> pool X; 192.0.2.0 mask 255.255.255.0 -> 192.0.2.0/24).
        for e in delta.undo {
            guard let undo = RunningConfig.undo(e) else { continue }
            if let error = engine(undo).error { return "'\(undo)': the engine refused: \(error)" }
            report.removed += 1
        }
        for e in delta.apply {
            if let error = engine(e.line).error {
                let n = e.origin?.line ?? 0
                return "\(candidate.location(ofLine: n)):1: the engine refused '\(e.line)': \(error.hasPrefix("% ") ? String(error.dropFirst(2)) : error)"
            }
            report.applied += 1
        }
        return nil
    }

    /// Runs `line` in the engine's runner as a configuration command. When that runner is also
    /// a shell's (in-process, a lab), its open candidate is set aside meanwhile: the line is for
    /// the engine, not the candidate.
    private func engine(_ line: String) -> CommandRunner.Output {
        let candidate = runner.transaction.candidate
        runner.transaction.candidate = nil
        defer { runner.transaction.candidate = candidate }
        return runner.run(line)
    }

    /// Puts `before` back in the engine and as the running configuration; what could not be.
    private func restore(_ before: RunningConfig) -> [String] {
        var problems: [String] = []
        let back = RunningConfig.reload(live: runner.running, read: runner.running, reread: before)
        for e in back.undo {
            guard let undo = RunningConfig.undo(e), let error = engine(undo).error else { continue }
            problems.append(error)
        }
        for e in back.apply { if let error = engine(e.line).error { problems.append(error) } }
        runner.running = before
        return problems
    }

    /// `commit confirmed`'s timer: unless confirmed (or superseded) since, the configuration
    /// from before goes back, archived and announced to every shell.
    public func revert(generation g: Int) {
        guard let p = pending, p.generation == g else { return }
        pending = nil
        let candidate = ConfigurationCandidate(text: p.revertTo)
        do throws(AdminError) {
            _ = try commit(candidate, who: "ntpsh (commit confirmed by \(p.who) not confirmed)", comment: "reverted", confirmWithin: nil)
            announce("configuration reverted: the commit confirmed by \(p.who) was not confirmed in time")
        } catch {
            announce("configuration NOT reverted: the commit confirmed by \(p.who) was not confirmed, and reverting failed: \(error)")
        }
    }

    /// Whether a `commit confirmed` waits for its confirmation, and until when.
    public var revertPending: UnixTime? { pending?.at }
}

/// Every error of a configuration text, one a line (`FILE:LINE:COL: message`).
public struct ConfigurationErrors: Error, Sendable, Equatable {
    public var lines: [String]
    public init(_ lines: [String]) { self.lines = lines }
}

/// The archive of running configurations: the newest first, at most ``keep``; kept by a store
/// (the state directory's file, written atomically) or in memory only.
public struct ConfigurationArchive {
    public private(set) var entries: [ArchivedConfiguration]
    /// How many entries are kept (`archive keep N`; 50).
    public var keep: Int
    /// Writes the whole archive (nil: kept in memory only); throws why it could not.
    public var save: (([ArchivedConfiguration]) throws(AdminError) -> Void)?
    public static let defaultKeep = 50

    public init(entries: [ArchivedConfiguration] = [], keep: Int = ConfigurationArchive.defaultKeep,
                save: (([ArchivedConfiguration]) throws(AdminError) -> Void)? = nil) {
        self.entries = Array(entries.prefix(keep))
        self.keep = keep
        self.save = save
    }

    /// Entry `n`: 1 is the newest.
    public func entry(_ n: Int) -> ArchivedConfiguration? { n >= 1 && n <= entries.count ? entries[n - 1] : nil }

    /// Adds `entry` as number 1 and saves; the warnings to show (it could not be saved).
    mutating func record(_ entry: ArchivedConfiguration) -> [String] {
        entries.insert(entry, at: 0)
        if entries.count > keep { entries.removeLast(entries.count - keep) }
        guard let save else { return [] }
        do throws(AdminError) { try save(entries); return [] } catch {
            return ["the archive could not be saved: \(error)"]
        }
    }
}

extension RunningConfig {
    /// The command that undoes an entry, where there is one.
    public static func undo(_ entry: Entry) -> String? {
        switch entry.id {
        case "server", "pool", "peer", "restrict": return "no \(entry.id) \(entry.key)"
        case "driftfile", "keys", "controlkey": return "no \(entry.id)"
        case "metrics": return "no metrics"
        case "trustedkey": return "no trustedkey \(entry.key)"
        case "interface": return "no " + entry.line
        default: return nil
        }
    }

    /// The running configuration after committing `config` over `before`: `config`'s entries in
    /// its order, each keeping the file line it was read from (for `write`) and marked edited
    /// when its line changed.
    static func committed(_ config: RunningConfig, over before: RunningConfig) -> RunningConfig {
        var out = RunningConfig()
        for e in config.entries {
            if var old = before.entries.first(where: { $0.id == e.id && $0.key == e.key }) {
                if old.line != e.line { old.line = e.line; old.edited = old.origin != nil || old.edited }
                out.entries.append(old)
            } else {
                out.entries.append(Entry(id: e.id, key: e.key, line: e.line, origin: nil))
            }
        }
        return out
    }
}
