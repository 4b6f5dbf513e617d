public import NTPAdmin
import CommandGrammar
import NTPWire

/// Owns the shell's side of transactional configuration: the `archive` directive, the
/// `configure` mode and the candidate this shell edits (a runner over an engine that serves
/// nothing, loaded with the running configuration), and what it asks of the engine host
/// (``ConfigurationHost``: in-process, or the control socket's `transaction` call).
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

    /// The transaction commands' entry from ``execute`` (`archive`).
    func transactionCommand(_ p: ParsedCommand, line: String) -> Output {
        let a = p.arguments
        if let dir = a.string("directory") { transaction.archiveDirectory = dir }
        if let keep = a.int("keep") { transaction.archiveKeep = keep }
        running.set(id: "archive", key: "", line: canonical(line), origin: currentOrigin)
        return Output()
    }

    /// The words of configure mode, and in configure mode the configuration commands (they
    /// edit the candidate); nil for every other command (it runs as it always does).
    func routeTransaction(_ p: ParsedCommand, line: String, origin: Origin) -> Output? {
        let inMode = transaction.candidate != nil
        if let at = transaction.discardedAt {
            switch p.id {
            case "end", "exit", "configure": transaction.discardedAt = nil
            case "discard" where p.arguments.keys.isEmpty: transaction.discardedAt = nil
            case "commit", "rollback", "show-configuration", "show-configuration-compare":
                return .failure(Self.locate("the candidate was discarded at \(at); nothing of it is committed ('end' leaves configure mode)", origin: origin))
            default:
                guard CommandsManual.configuration.contains(p.id) else { return nil }
                return .failure(Self.locate("the candidate was discarded at \(at); this line is not run ('end' leaves configure mode)", origin: origin))
            }
            if p.id != "configure" { return Output(text: "leaving configure mode\n") }
        }
        let out: Output
        switch p.id {
        case "configure": out = configure(exclusive: p.arguments.flag("exclusive"))
        case "commit": out = commit(p.arguments)
        case "rollback": out = rollback(p.arguments.int("number") ?? 1)
        case "end": out = leave()
        case "show-configuration": out = showConfiguration()
        case "show-configuration-compare": out = compare(rollback: p.arguments.int("rollback"), json: json || p.arguments.flag("json"))
        case "show-configuration-history": out = history(json: json || p.arguments.flag("json"))
        case "exit" where inMode: out = leave()
        case "discard" where inMode && p.arguments.keys.isEmpty: out = leave()
        default:
            guard inMode, CommandsManual.configuration.contains(p.id) else { return nil }
            return editCandidate(line, origin: origin)
        }
        guard let error = out.error else { return out }
        return Output(text: out.text, error: Self.locate(error, column: 1, origin: origin, shell: "% " + error), status: out.status)
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

    private func configure(exclusive: Bool) -> Output {
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
    private func leave() -> Output {
        guard transaction.candidate != nil else { return .failure("not in configure mode") }
        transaction.candidate = nil
        _ = try? ask(.close)
        return Output(text: "leaving configure mode\n")
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

    private func commit(_ a: Arguments) -> Output {
        guard let candidate = transaction.candidate else { return .failure("commit: not in configure mode ('configure' opens a candidate)") }
        do throws(AdminError) {
            if a.flag("check") {
                _ = try ask(.check(candidate.submitted))
                return Output(text: "configuration check succeeds\n")
            }
            let confirm = a.flag("confirmed") ? (a.double("duration") ?? Self.defaultConfirmWithin) : nil
            let answer = try ask(.commit(candidate.submitted, comment: a.string("comment"), confirmWithin: confirm))
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

    private func rollback(_ n: Int) -> Output {
        guard let candidate = transaction.candidate else { return .failure("rollback: not in configure mode ('configure' opens a candidate)") }
        do throws(AdminError) {
            transaction.candidate = try makeCandidate(try askText(.archived(n)), exclusive: candidate.exclusive)
            return Output(text: "archive \(n) loaded into the candidate; 'show configuration compare' shows it, 'commit' applies it\n")
        } catch {
            return .failure(error.description)
        }
    }

    private func showConfiguration() -> Output {
        if let candidate = transaction.candidate { return Output(text: candidate.text) }
        do throws(AdminError) { return Output(text: try askText(.running)) } catch { return .failure(error.description) }
    }

    /// Running (or archive N) to the candidate; outside configure mode, archive N to running.
    private func compare(rollback n: Int?, json: Bool) -> Output {
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

    private func history(json: Bool) -> Output {
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
