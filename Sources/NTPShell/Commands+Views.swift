// The status views, as ntpq, ntpstat and chronyc show them: `peers`, `associations`,
// `readvar`/`rv`, `sysinfo`, `sysstats`, `iostats`, `ntpstat`, `tracking`, `events`, and the
// `plot` report. Each declaration carries its syntax, handler and attributes; the handlers
// follow (the rendering is the *View files').
import CommandGrammar
import NTPAdmin
import NTPControl

enum ViewCommands {
    @CommandBuilder static var status: [GrammarDeclaration] {
        Command("peers", help: "Associations, as ntpq -p shows them", .view, json: true, run: { r, i in
            let options = PeersView.Options(numeric: i.arguments.flag("numeric"), terminalWidth: r.terminalWidth)
            let now = r.admin.systemReport().now
            let peers = r.admin.peerReports()
            return i.wantsJSON ? r.jsonOut(PeersView.json(peers, now: now, options: options))
                : CommandRunner.Output(text: PeersView.text(peers, now: now, options: options))
        }) {
            Options {
                Flag("-n", help: "Numeric addresses", key: "numeric")
                Flag("json", help: "Machine-readable output")
            }
        }
        Command("associations", help: "Association ids and status words, as ntpq -c as", .view, json: true, run: { r, i in
            let peers = r.admin.peerReports(), nts = r.admin.ntsReport()
            guard i.wantsJSON else {
                return CommandRunner.Output(text: AssociationsView.text(peers, events: r.admin.events()) + NTSView.associationLines(peers, nts))
            }
            guard case .array(let entries) = AssociationsView.json(peers, events: r.admin.events()) else { return r.jsonOut(.array([])) }
            return r.jsonOut(.array(zip(entries, peers).map { NTSView.adding(NTSView.state(of: $1, in: nts), to: $0) }))
        }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("readvar", help: "System or association variables, as ntpq -c rv", .view, json: true, run: { $0.readvar($1) }) {
            readvarSyntax()
        }
        Command("rv", help: "Same as readvar", .view, json: true, run: { $0.readvar($1) }) {
            readvarSyntax()
        }
        Command("sysinfo", help: "System summary, as ntpq -c sysinfo", .view, json: true, run: { r, i in
            let subject = r.systemSubject()
            return i.wantsJSON ? r.jsonOut(SystemStatsView.sysinfoJSON(subject, events: r.admin.events()))
                : CommandRunner.Output(text: SystemStatsView.sysinfo(subject, events: r.admin.events()))
        }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("sysstats", help: "Server packet counters, as ntpq -c sysstats", .view, json: true,
                run: { $0.serverCounters($1, SystemStatsView.sysstats) }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("iostats", help: "Input/output counters", .view, json: true, run: { $0.serverCounters($1, SystemStatsView.iostats) }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
    }

    @CommandBuilder static var clock: [GrammarDeclaration] {
        Command("ntpstat", help: "Synchronisation state, as ntpstat (status 0 synchronised, 1 not, 2 unknown)", .view, json: true,
                run: { $0.ntpstat($1) }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("tracking", help: "System clock performance, as chronyc tracking", .view, json: true, run: { r, i in
            let report = r.admin.systemReport()
            return i.wantsJSON ? r.jsonOut(TrackingView.json(report)) : CommandRunner.Output(text: TrackingView.text(report))
        }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
    }

    @CommandBuilder static var history: [GrammarDeclaration] {
        Command("plot", help: "Chart the clock's offset, frequency or jitter, or a server's offset, delay or jitter", .report,
                json: true, run: { $0.plot($1.arguments, json: $1.wantsJSON) }) {
            OneOf {
                Keyword("offset", help: "Clock offset at each update, or a server's measured offset (ms)", key: "quantity")
                Keyword("frequency", help: "The clock's frequency correction (ppm)", key: "quantity")
                Keyword("jitter", help: "Clock jitter, or a server's jitter (ms)", key: "quantity")
                Keyword("delay", help: "A server's round-trip delay (ms; default: the system peer's)", key: "quantity")
            }
            Optionally { Argument(.word, name: "ASSOC", help: "An association: its id, address or configured name", key: "assoc", completion: "association") }
            Options {
                Option("last", .duration(1...1e8), name: "DURATION", help: "Only the last DURATION (e.g. 10m, 2h)")
                Flag("json", help: "The samples as JSON")
            }
        }
        Command("events", help: "Recent engine events", .view, json: true, run: { r, i in
            let events = r.admin.events()
            if i.wantsJSON {
                return r.jsonOut(.array(events.map { .object([("time", .string(String(describing: $0.time))), ("event", .string($0.description))]) }))
            }
            return CommandRunner.Output(text: events.map { "\(formatUTC($0.time))  \($0.description)\n" }.joined())
        }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
    }

    static func readvarSyntax() -> Syntax {
        Seq {
            Optionally { Argument(.integer(0...65535), name: "ASSOCID", help: "Association id (0: the system)", key: "assoc", completion: "associd") }
            ZeroOrMore { Argument(.word, name: "VARIABLE", help: "Variable names (default: all)", key: "names") }
        }.syntax
    }
}

extension CommandRunner {
    func readvar(_ i: Invocation) -> Output {
        let a = i.arguments
        var names = a.strings("names")
        var wantsJSON = i.wantsJSON
        if names.contains("json") { wantsJSON = true; names.removeAll { $0 == "json" } }
        let selected = names.isEmpty ? nil : names.flatMap { $0.split(separator: ",").map(String.init) }
        let assoc = a.int("assoc") ?? 0
        if assoc == 0 {
            let subject = systemSubject()
            return wantsJSON ? jsonOut(ReadVarView.systemJSON(subject, names: selected, events: admin.events()))
                : Output(text: ReadVarView.system(subject, names: selected, events: admin.events(), terminalWidth: terminalWidth))
        }
        guard let peer = admin.peerReports().first(where: { Int($0.id.rawValue) == assoc }) else {
            return .failure("***Association ID \(assoc) unknown to server")
        }
        let subject = PeerVariableSubject(report: peer, now: admin.systemReport().now)
        let nts = selected == nil ? NTSView.state(of: peer, in: admin.ntsReport()) : nil
        return wantsJSON ? jsonOut(NTSView.adding(nts, to: ReadVarView.peerJSON(subject, names: selected, events: admin.events())))
            : Output(text: ReadVarView.peer(subject, names: selected, events: admin.events(), terminalWidth: terminalWidth)
                + (nts.map { "nts: " + NTSView.line($0) + "\n" } ?? ""))
    }

    /// `sysstats` and `iostats`: one JSON, two texts.
    func serverCounters(_ i: Invocation, _ text: (StatisticsSubject) -> String) -> Output {
        let stats = statisticsSubject()
        if i.wantsJSON { return jsonOut(SystemStatsView.serverCountersJSON(stats.server, uptime: stats.uptime)) }
        return Output(text: text(stats))
    }

    func ntpstat(_ i: Invocation) -> Output {
        let subject = systemSubject()
        let r = NTPStatView.render(subject, events: admin.events())
        if i.wantsJSON {
            return Output(text: NTPStatView.json(subject, events: admin.events()).rendered() + "\n", status: r.status)
        }
        return Output(text: r.text, error: r.errorText.isEmpty ? nil : r.errorText, status: r.status)
    }

    func statisticsSubject() -> StatisticsSubject {
        StatisticsSubject(server: admin.systemReport().server, uptime: admin.uptime().value, monitor: admin.monitorReport())
    }

    func systemSubject() -> SystemVariableSubject {
        SystemVariableSubject(report: admin.systemReport(), host: host)
    }

    func jsonOut(_ value: JSONValue) -> Output { Output(text: value.rendered() + "\n") }
}
