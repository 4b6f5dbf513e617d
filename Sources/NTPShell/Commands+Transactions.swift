// Transactional configuration at the shell: the `archive` directive, `configure [exclusive]`,
// `commit`, `rollback`, `end`, `show configuration [compare | history]`. Each declaration
// carries its syntax, handler and attributes; the handlers follow, with the candidate this
// shell edits (a runner over an engine that serves nothing, loaded with the running
// configuration) and what it asks of the engine host (``ConfigurationHost``: in-process, or
// the control socket's `transaction` call).
public import NTPAdmin
import CommandGrammar
import NTPWire

enum TransactionCommands {
    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("archive", help: "Where commits keep the running configurations they replace (the state directory), and how many",
                .directive, identity: .single("archive"), run: { $0.archive($1) }) {
            Options {
                Option("directory", .path, name: "DIR", help: "Directory of the archive file (default: $STATE_DIRECTORY; else kept in memory)")
                Option("keep", .integer(1...1000), name: "N", help: "Configurations kept (50)")
            }
        }
    }

    @CommandBuilder static var session: [GrammarDeclaration] {
        Command("configure", help: "Open a candidate configuration: configuration commands edit it, views show the running engine, commit applies it",
                .session, run: { r, i in r.configure(exclusive: i.arguments.flag("exclusive")) }) {
            Optionally { Flag("exclusive", help: "Until this shell leaves configure mode, no other may open a candidate or change the configuration") }
        }
        Command("commit", help: "Apply the candidate whole, or nothing (configure mode); also confirms a pending commit confirmed",
                .session, run: { $0.commit($1.arguments) }) {
            Optionally { OneOf {
                Keyword("check", help: "Only validate the candidate, with the checks --check-config runs", key: "check")
                Seq {
                    Keyword("confirmed", help: "Revert by itself unless a plain commit confirms in time (the engine keeps the timer)", key: "confirmed")
                    Optionally { Argument(.duration(ConfigurationTransactions.confirmRange), name: "DURATION", help: "Time to confirm in (default 10m)", key: "duration") }
                }
            } }
            Optionally { Option("comment", .text, name: "TEXT", help: "Kept with the archived configuration") }
        }
        Command("rollback", help: "Load an archived configuration into the candidate (then commit) (configure mode)",
                .session, run: { r, i in r.rollback(i.arguments.int("number") ?? 1) }) {
            Argument(.integer(1...1000), name: "N", help: "Archive entry: 1 is the configuration before the last commit", key: "number")
        }
        Command("end", help: "Leave configure mode; uncommitted changes are discarded (exit and a bare discard do the same there)",
                .session, run: { r, _ in r.leave() })
    }

    @CommandBuilder static var views: [GrammarDeclaration] {
        Group("show configuration", help: "The candidate configuration, its differences and the archive")
        Command("show configuration", help: "The candidate as ntp.conf text (outside configure mode: the running configuration)",
                id: "show-configuration", .report, run: { r, _ in r.showConfiguration() })
        Command("show configuration compare", help: "Unified diff from the running configuration (or archive N) to the candidate",
                id: "show-configuration-compare", .report, json: true,
                run: { r, i in r.compare(rollback: i.arguments.int("rollback"), json: i.wantsJSON) }) {
            Optionally { Option("rollback", .integer(1...1000), name: "N", help: "Compare with archive entry N instead") }
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("show configuration history", help: "The archive of configurations that commits replaced: number, when, who, comment",
                id: "show-configuration-history", .report, json: true, run: { r, i in r.history(json: i.wantsJSON) }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
    }
}

/// This shell's side of transactional configuration: the `archive` directive's settings, the
/// engine host, and in configure mode the candidate.
public struct TransactionState {
    /// `archive directory DIR`.
    public var archiveDirectory: String?
    /// `archive keep N`.
    public var archiveKeep: Int?
    /// The engine host's transactions; nil: this shell has none (`configure` says so).
    public var host: (any ConfigurationHost)?
    /// An engine that serves nothing, for the candidate to run against (as `--check-config`).
    public var scratch: (() throws(AdminError) -> any AdminAPI)?
    /// The open candidate (configure mode), if any.
    var candidate: Candidate?
    /// A batch line failed in configure mode and the candidate was discarded there
    /// (`FILE:LINE`): until `end` (or `configure`), the batch's configuration lines and
    /// `commit` are refused rather than run at once.
    var discardedAt: String?
    public init() {}

    /// What the prompt shows in configure mode (`(config)`), else nothing.
    public var promptMark: String? { candidate.map { $0.exclusive ? "(config exclusive)" : "(config)" } }

    final class Candidate {
        var runner: CommandRunner
        let exclusive: Bool
        /// Where each entry's line came from (`FILE:LINE` of a batch line), by id and key.
        var origins: [String: String] = [:]
        init(runner: CommandRunner, exclusive: Bool) { self.runner = runner; self.exclusive = exclusive }

        var text: String { runner.running.text }
        var submitted: ConfigurationCandidate {
            ConfigurationCandidate(text: text, origins: runner.running.entries.map { origins[$0.id + " " + $0.key] })
        }
    }
}

extension CommandRunner {
    /// The default time `commit confirmed` gives to confirm, seconds.
    static let defaultConfirmWithin = 600.0

    func archive(_ i: Invocation) -> Output {
        if let dir = i.arguments.string("directory") { transaction.archiveDirectory = dir }
        if let keep = i.arguments.int("keep") { transaction.archiveKeep = keep }
        record(i)
        return Output()
    }

    /// In configure mode a directive edits the candidate, and `exit` or a bare `discard` leave
    /// it; after a batch discarded its candidate, its directives are refused. Nil: the line
    /// runs as it always does.
    func routeToCandidate(_ p: ParsedCommand, binding: CommandBinding, line: String, origin: Origin) -> Output? {
        let leaving = p.id == "exit" || (p.id == "discard" && p.arguments.keys.isEmpty)
        if let at = transaction.discardedAt {
            if leaving { transaction.discardedAt = nil; return Output(text: "leaving configure mode\n") }
            guard binding.role == .directive else { return nil }
            return .failure(Self.locate("the candidate was discarded at \(at); this line is not run ('end' leaves configure mode)", origin: origin))
        }
        guard transaction.candidate != nil else { return nil }
        if leaving { return leave() }
        guard binding.role == .directive else { return nil }
        return editCandidate(line, origin: origin)
    }

    /// Refused while a batch's discarded candidate stands (``TransactionState/discardedAt``).
    private func refusedAfterDiscard() -> Output? {
        transaction.discardedAt.map { .failure("the candidate was discarded at \($0); nothing of it is committed ('end' leaves configure mode)") }
    }

    private func ask(_ request: ConfigurationRequest) throws(AdminError) -> ConfigurationAnswer {
        guard let host = transaction.host else { throw AdminError("this shell has no configuration transactions") }
        return try host.transact(request)
    }

    private func askText(_ request: ConfigurationRequest) throws(AdminError) -> String {
        let answer = try ask(request)
        guard case .text(let text) = answer else { throw AdminError("the engine answered \(answer)") }
        return text
    }

    /// A fresh candidate holding `text` (the running configuration, or an archived one).
    private func makeCandidate(_ text: String, exclusive: Bool) throws(AdminError) -> TransactionState.Candidate {
        guard let scratch = transaction.scratch else { throw AdminError("this shell has no engine to check a candidate against") }
        let r = CommandRunner(admin: try scratch(), grammar: grammar)
        r.readFile = readFile
        let loaded = r.loadConfiguration(text, path: "running")
        if !loaded.errors.isEmpty { throw AdminError("the configuration does not load: " + loaded.errors.joined(separator: "; ")) }
        return TransactionState.Candidate(runner: r, exclusive: exclusive)
    }

    func configure(exclusive: Bool) -> Output {
        transaction.discardedAt = nil
        if transaction.candidate != nil { return .failure("already in configure mode ('end' leaves it)") }
        do throws(AdminError) {
            let running = try askText(.open(exclusive: exclusive))
            do throws(AdminError) { transaction.candidate = try makeCandidate(running, exclusive: exclusive) } catch {
                _ = try? ask(.close)
                throw error
            }
            return Output(text: "entering configure mode\(exclusive ? " (exclusive)" : ""): configuration commands edit the candidate; 'commit' applies it\n")
        } catch {
            return .failure(error.description)
        }
    }

    /// Leaves configure mode, the candidate discarded.
    func leave() -> Output {
        if transaction.discardedAt != nil { transaction.discardedAt = nil; return Output(text: "leaving configure mode\n") }
        guard let candidate = transaction.candidate else { return .failure("not in configure mode") }
        transaction.candidate = nil
        let uncommitted = (try? askText(.running)).map { $0 != candidate.text } ?? false
        _ = try? ask(.close)
        return Output(text: "leaving configure mode" + (uncommitted ? "; uncommitted changes discarded" : "") + "\n")
    }


    /// A configuration command run in the candidate. In a batch a failing line discards the
    /// candidate: nothing of the batch reaches the engine.
    private func editCandidate(_ line: String, origin: Origin) -> Output {
        guard let candidate = transaction.candidate else { return .failure("not in configure mode") }
        let before = candidate.runner.running.entries
        let out = candidate.runner.run(line, from: origin)
        if out.error == nil {
            let label: String? = switch origin {
            case .prompt: nil
            case .file(let name, let n): "\(name):\(n)"
            case .option(let n): "-e \(n)"
            }
            for e in candidate.runner.running.entries where !before.contains(e) { candidate.origins[e.id + " " + e.key] = label }
        }
        return out
    }

    /// In a batch (`-f`, `-e`, standard input) a failing line in configure mode discards the
    /// candidate: nothing of the batch reaches the engine, even with `--keep-going`.
    func discardFailedCandidate(_ out: inout Output, origin: Origin) {
        guard out.error != nil, out.status != 0, origin != .prompt, transaction.candidate != nil else { return }
        transaction.candidate = nil
        transaction.discardedAt = switch origin {
        case .prompt: nil
        case .file(let name, let n): "\(name):\(n)"
        case .option(let n): "-e \(n)"
        }
        _ = try? ask(.close)
        out.error = (out.error ?? "") + "\n% the candidate is discarded: nothing was committed"
    }

    func commit(_ a: Arguments) -> Output {
        if let refused = refusedAfterDiscard() { return refused }
        guard let candidate = transaction.candidate else { return .failure("commit: not in configure mode ('configure' opens a candidate)") }
        do throws(AdminError) {
            if a.flag("check") {
                _ = try ask(.check(candidate.submitted))
                return Output(text: "configuration check succeeds\n")
            }
            let confirm = a.flag("confirmed") ? (a.double("duration") ?? Self.defaultConfirmWithin) : nil
            // A comment may be quoted ("…"): the quotes are not part of it.
            let comment = a.string("comment").map { c in c.count >= 2 && c.first == "\"" && c.last == "\"" ? String(c.dropFirst().dropLast()) : c }
            let answer = try ask(.commit(candidate.submitted, comment: comment, confirmWithin: confirm.map { Seconds($0) }))
            guard case .committed(let report) = answer else { throw AdminError("the engine answered \(answer)") }
            // The candidate goes on from what now runs.
            transaction.candidate = try makeCandidate(try askText(.running), exclusive: candidate.exclusive)
            var text = "commit complete: \(report.applied) line\(report.applied == 1 ? "" : "s") applied, \(report.removed) removed\n"
            if report.confirmed { text += "commit confirmed: the engine will not revert\n" }
            if let at = report.revertAt, let confirm {
                text += "the engine reverts at \(formatUTC(at)) UTC (in \(formatDuration(confirm))) unless 'commit' confirms\n"
            }
            for w in report.warnings { text += "warning: \(w)\n" }
            return Output(text: text)
        } catch {
            return .failure(error.description)
        }
    }

    func rollback(_ n: Int) -> Output {
        if let refused = refusedAfterDiscard() { return refused }
        guard let candidate = transaction.candidate else { return .failure("rollback: not in configure mode ('configure' opens a candidate)") }
        do throws(AdminError) {
            transaction.candidate = try makeCandidate(try askText(.archived(n)), exclusive: candidate.exclusive)
            return Output(text: "archive \(n) loaded into the candidate; 'show configuration compare' shows it, 'commit' applies it\n")
        } catch {
            return .failure(error.description)
        }
    }

    func showConfiguration() -> Output {
        if let refused = refusedAfterDiscard() { return refused }
        if let candidate = transaction.candidate { return Output(text: candidate.text) }
        do throws(AdminError) { return Output(text: try askText(.running)) } catch { return .failure(error.description) }
    }

    /// Running (or archive N) to the candidate; outside configure mode, archive N to running.
    func compare(rollback n: Int?, json: Bool) -> Output {
        if let refused = refusedAfterDiscard() { return refused }
        do throws(AdminError) {
            let running = try askText(.running)
            let old = try n.map { n throws(AdminError) in try askText(.archived(n)) } ?? running
            let new = transaction.candidate?.text ?? running
            let oldLabel = n.map { "rollback \($0)" } ?? "running"
            let newLabel = transaction.candidate == nil ? "running" : "candidate"
            guard json else { return Output(text: UnifiedDiff.render(old, new, oldLabel: oldLabel, newLabel: newLabel)) }
            let hunks = UnifiedDiff.hunks(old, new)
            return Output(text: JSONValue.object([
                ("old", .string(oldLabel)), ("new", .string(newLabel)),
                ("hunks", .array(hunks.map { h in
                    .object([("old_start", .int(Int64(h.oldCount == 0 ? h.oldStart : h.oldStart + 1))), ("old_count", .int(Int64(h.oldCount))),
                             ("new_start", .int(Int64(h.newCount == 0 ? h.newStart : h.newStart + 1))), ("new_count", .int(Int64(h.newCount))),
                             ("lines", .array(h.lines.map { .string($0) }))])
                })),
            ]).rendered() + "\n")
        } catch {
            return .failure(error.description)
        }
    }

    func history(json: Bool) -> Output {
        do throws(AdminError) {
            let answer = try ask(.history)
            guard case .history(let entries) = answer else { throw AdminError("the engine answered \(answer)") }
            if json {
                return Output(text: JSONValue.array(entries.enumerated().map { i, e in
                    .object([("number", .int(Int64(i + 1))), ("when", .string(formatUTC(e.when))), ("who", .string(e.who)),
                             ("comment", e.comment.map { .string($0) } ?? .null), ("text", .string(e.text))])
                }).rendered() + "\n")
            }
            if entries.isEmpty { return Output(text: "the archive is empty: no commit has replaced a configuration yet\n") }
            var text = "   N  when (UTC)            lines  who / comment\n"
            for (i, e) in entries.enumerated() {
                let number = String(i + 1), lines = String(e.text.split(separator: "\n").count)
                text += String(repeating: " ", count: max(0, 4 - number.count)) + number + "  " + formatUTC(e.when) + "  "
                    + String(repeating: " ", count: max(0, 5 - lines.count)) + lines + "  " + e.who
                    + (e.comment.map { ": \($0)" } ?? "") + "\n"
            }
            return Output(text: text)
        } catch {
            return .failure(error.description)
        }
    }
}
