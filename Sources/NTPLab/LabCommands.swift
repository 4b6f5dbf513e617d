// The lab commands' handlers (`lab …`, `expect …`), over the runner's lab world (LabShell.swift's
// LabSession); their declarations are LabCommandTable.swift's.
import NTPAdmin
import NTPEngine
import NTPWire
import CommandGrammar
import NTPControl
import NTPShell

/// `lab …` and `expect …`: the training labs' commands (ntpsh --lab).
extension CommandRunner {
    static let notInLab = "not in a lab (start ntpsh --lab)"

    func labServer(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        let address = a.string("address") ?? ""
        do {
            if a.flag("add") {
                var s = LabServerSettings()
                if let v = a.double("offset") { s.offset = v }
                if let v = a.int("stratum") { s.stratum = UInt8(v) }
                if let v = a.double("delay") { s.delay = v }
                if let v = a.double("jitter") { s.jitter = v }
                if let v = a.double("loss") { s.lossPercent = v }
                if let v = a.double("frequency") { s.frequency = v }
                if let v = a.double("asymmetry") { s.asymmetry = v }
                if let v = a.string("refid") {
                    guard v.utf8.count <= 4 || IPAddress(v)?.isIPv4 == true else {
                        return .failure("refid \(v): at most four characters, or an IPv4 address")
                    }
                    s.refid = v
                }
                if let v = a.string("leap") { s.leap = Self.leapIndicator(v) }
                s.nts = a.flag("nts")
                let added = try lab.addServer(address, s)
                return Output(text: "lab server \(added) added\n")
            }
            if a.flag("remove") {
                try lab.removeServer(address)
                return Output()
            }
            if a.flag("silent") { try lab.setServer(address, .silent) }
            else if a.flag("answer") { try lab.setServer(address, .answer) }
            else if let v = a.double("falseticker") { try lab.setServer(address, .falseticker(offset: v)) }
            else if let v = a.string("kiss") {
                let code = v.uppercased()
                guard code == "NONE" || (code.utf8.count == 4 && code.allSatisfy { $0.isLetter }) else {
                    return .failure("kiss \(v): a four-letter code (RATE, DENY, RSTR, INIT…) or none")
                }
                try lab.setServer(address, .kiss(code == "NONE" ? nil : code))
            }
            else if let v = a.string("leap") { try lab.setServer(address, .leap(Self.leapIndicator(v))) }
            else if let v = a.int("stratum") { try lab.setServer(address, .stratum(UInt8(v))) }
            else if let v = a.double("mitm") {
                try lab.setServer(address, .mitm(shift: v))
                return Output(text: v == 0 ? "no man in the middle on \(address)'s path now\n"
                    : "a man in the middle moves the times of \(address)'s replies to the lab host by \(formatFixed(v * 1000, 3)) ms\n")
            }
            return Output()
        } catch {
            return .failure(error.description)
        }
    }

    static func leapIndicator(_ word: String) -> LeapIndicator {
        switch word {
        case "insert": .insertSecond
        case "delete": .deleteSecond
        case "alarm": .unsynchronized
        default: .noWarning
        }
    }

    func labClient(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        let address = a.string("address") ?? ""
        do {
            if a.flag("remove") {
                try lab.removeClient(address)
                return Output()
            }
            let interval = a.double("interval") ?? a.double("rate").map { 1 / $0 } ?? 64
            let added = try lab.addClient(address, interval: interval)
            return Output(text: "lab client \(added) added: a request every \(formatDuration(interval))\n")
        } catch {
            return .failure(error.description)
        }
    }

    func labAt(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        let time = a.double("time") ?? 0
        let command = a.string("command") ?? ""
        let match = grammar.match(command)
        guard let parsed = match.command else {
            return .failure("lab at \(formatDuration(time)): \(match.message ?? "not a command"): \(command)")
        }
        // What lets time pass or remakes the world is declared not schedulable.
        guard parsed.binding?.schedulable ?? false else {
            return .failure("lab at: '\(parsed.id.split(separator: "-").joined(separator: " "))' lets time pass or restarts; it cannot run inside the lab's time")
        }
        do {
            try lab.schedule(atElapsed: time) { [weak self] in
                guard let self else { return }
                var out = self.run(command)
                out.text = "[lab \(formatDuration(time))] \(command)\n" + out.text
                self.labSession?.scheduled.append(out)
            }
        } catch {
            return .failure(error.description)
        }
        return Output()
    }

    func labSpeed(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        let word = (a.string("speed") ?? "").lowercased()
        if word == "max" {
            lab.pace.speed = nil
        } else {
            let number = word.hasSuffix("x") ? String(word.dropLast()) : word
            guard let v = Double(number), v > 0, v <= 1e6 else {
                return .failure("lab speed \(word): Nx (e.g. 60x, 0.5x, up to 1000000x) or max")
            }
            lab.pace.speed = v
        }
        return Output(text: "lab speed \(lab.pace.text)\(lab.pace.paused ? "" : "")\n")
    }

    func labPause(_ paused: Bool) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        lab.pace.paused = paused
        return Output()
    }

    func labSeed(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        do { try lab.reseed(UInt64(a.int("seed") ?? 0)) } catch { return .failure(error.description) }
        return Output()
    }

    /// `lab restart`: the engine starts again and reads the running configuration again.
    func labRestart() -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        let lines = running.text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        lab.restartEngine()
        var out = Output(text: "ntpsh restarted on the lab host; the running configuration is read again\n")
        for line in lines {
            let r = run(line)
            out.text += r.text
            if let e = r.error { out.error = (out.error.map { $0 + "\n" } ?? "") + e; out.status = 1 }
        }
        return out
    }

    func labClock(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        if let ppm = a.double("slew-rate") { lab.setClock(.slewRate(ppm: ppm)) }
        if let s = a.double("jump") { lab.setClock(.jump(seconds: s)) }
        return Output()
    }

    func labAdvance(_ a: Arguments) -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        lab.advance(seconds: a.double("duration") ?? 0)
        return Output()
    }

    func labStatusView() -> Output {
        guard let lab else { return .failure(Self.notInLab) }
        let s = lab.labStatus()
        var out = "virtual time     \(formatFixed(s.elapsed, 1)) s since the start (seed \(s.seed))\n"
        out += "clock offset     \(formatFixed(s.clockOffset * 1000, 3)) ms (true: client clock - true time)\n"
        out += "frequency error  \(formatFixed(s.frequencyError, 3)) ppm (after the engine's correction)\n"
        if s.servers.isEmpty { out += "servers          none (lab server add ADDRESS)\n" }
        for server in s.servers {
            out += "server \(server.address)" + String(repeating: " ", count: max(1, 16 - server.address.count))
                + "stratum \(server.stratum), offset \(formatFixed(server.offset * 1000, 3)) ms"
                + (server.silent ? ", silent" : "") + (server.kiss.map { ", kiss \($0)" } ?? "")
                + (server.leap == .noWarning ? "" : ", leap \(Self.leapWord(server.leap))")
                + (server.nts ? ", NTS (\(server.ntsKeySessions) KE, \(server.ntsAnswered) answered, \(server.ntsNAKs) NAKs)" : "")
                + (server.mitmShift.map { ", man in the middle \(formatFixed($0 * 1000, 0)) ms (\(server.forged) replies forged)" } ?? "") + "\n"
        }
        for c in s.clients {
            var line = "client \(c.address)" + String(repeating: " ", count: max(1, 16 - c.address.count))
            line += "every \(formatDuration(c.interval)): \(c.sent) sent, \(c.answered) answered, \(c.unanswered) unanswered"
            if c.kissed > 0 { line += ", \(c.kissed) kissed" }
            if let o = c.lastOffset { line += ", last offset \(formatFixed(o * 1000, 3)) ms" }
            out += line + "\n"
        }
        for (path, text) in s.files.sorted(by: { $0.key < $1.key }) {
            out += "file \(path): \(text.split(separator: "\n").first ?? "")\n"
        }
        for note in s.notes { out += "note             \(note)\n" }
        if s.scheduled > 0 { out += "scheduled        \(s.scheduled) lab at command\(s.scheduled == 1 ? "" : "s")\n" }
        out += "speed            \(lab.pace.text) while the shell waits for input\n"
        return Output(text: out)
    }

    static func leapWord(_ leap: LeapIndicator) -> String {
        switch leap {
        case .noWarning: "none"
        case .insertSecond: "insert"
        case .deleteSecond: "delete"
        case .unsynchronized: "alarm"
        }
    }

    // MARK: expect

    /// A value an expect compares: a number (with the unit it is shown in) or a word.
    enum ExpectValue: Equatable {
        case number(Double, unit: String)
        case word(String)

        var text: String {
            switch self {
            case .number(let v, let unit):
                switch unit {
                case "s": return formatFixed(v * 1000, 3) + "ms"
                case "ppm": return formatFixed(v, 3) + "ppm"
                default: return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : formatFixed(v, 6)
                }
            case .word(let w): return w
            }
        }

        /// `1ms`, `-20us`, `0.5`, `2s`, `15ppm`, `377`, or a word.
        static func parse(_ text: String) -> ExpectValue {
            let units: [(String, Double, String)] = [("ms", 1e-3, "s"), ("us", 1e-6, "s"), ("µs", 1e-6, "s"),
                                                    ("ns", 1e-9, "s"), ("ppm", 1, "ppm"), ("s", 1, "s")]
            for (suffix, scale, unit) in units where text.hasSuffix(suffix) {
                if let v = Double(text.dropLast(suffix.count)) { return .number(v * scale, unit: unit) }
            }
            if let v = Double(text) { return .number(v, unit: "") }
            return .word(text)
        }
    }

    static let expectOperators = ["==", "!=", "<=", ">=", "<", ">"]

    func expect(_ a: Arguments) -> Output {
        let check = (a.string("check") ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let i = check.firstIndex(where: { Self.expectOperators.contains($0) }), i > 0, i + 1 < check.count else {
            return .failure("expect FIELD OP VALUE: OP is one of \(Self.expectOperators.joined(separator: " ")) (e.g. expect offset < 1ms)")
        }
        let field = check[..<i].joined(separator: " ")
        let op = check[i]
        let expected = ExpectValue.parse(check[(i + 1)...].joined(separator: " "))
        let actual: ExpectValue
        switch expectField(Array(check[..<i])) {
        case .success(let v): actual = v
        case .failure(let e): return .failure("expect: \(e.description)")
        }
        let holds: Bool
        switch (actual, expected) {
        case (.number(let x, _), .number(let y, _)):
            switch op {
            case "==": holds = x == y
            case "!=": holds = x != y
            case "<": holds = x < y
            case "<=": holds = x <= y
            case ">": holds = x > y
            default: holds = x >= y
            }
        default:
            guard op == "==" || op == "!=" else {
                return .failure("expect: \(field) is \(actual.text); \(op) compares numbers only")
            }
            let x = if case .word(let w) = actual { w } else { actual.text }
            let y = if case .word(let w) = expected { w } else { expected.text }
            holds = (x == y) == (op == "==")
        }
        let statement = "\(field) \(op) \(check[(i + 1)...].joined(separator: " ")) (\(field) is \(actual.text))"
        return holds ? Output(text: "expect ok: \(statement)\n") : Output(error: "expect failed: \(statement)", status: 1)
    }

    private func expectField(_ words: [String]) -> Result<ExpectValue, AdminError> {
        let report = admin.systemReport()
        switch words.first {
        case "offset", "frequency":
            guard let lab else { return .failure(AdminError("\(words[0]) is the lab clock's truth: " + Self.notInLab)) }
            let s = lab.labStatus()
            return .success(words[0] == "offset" ? .number(abs(s.clockOffset), unit: "s") : .number(abs(s.frequencyError), unit: "ppm"))
        case "peers-count":
            return .success(.number(Double(admin.peerReports().count), unit: ""))
        case "sync-peer":
            return .success(.word(report.systemPeer?.host ?? "none"))
        case "ntpstat" where words.count == 2 && words[1] == "status":
            let subject = SystemVariableSubject(report: report, host: host)
            return .success(.number(Double(NTPStatView.render(subject, events: admin.events()).status), unit: ""))
        case "rv" where words.count == 2:
            let subject = SystemVariableSubject(report: report, host: host)
            guard let value = SystemVariableTable.values(subject, names: [words[1]]).values.first?.1 else {
                return .failure(AdminError("no system variable \(words[1])"))
            }
            return .success(Self.wireValue(value))
        case "client" where words.count == 3:
            guard let lab else { return .failure(AdminError("client: " + Self.notInLab)) }
            guard let c = lab.labStatus().clients.first(where: { $0.address == words[1] }) else {
                return .failure(AdminError("no lab client \(words[1])"))
            }
            switch words[2] {
            case "sent": return .success(.number(Double(c.sent), unit: ""))
            case "answered": return .success(.number(Double(c.answered), unit: ""))
            case "unanswered": return .success(.number(Double(c.unanswered), unit: ""))
            case "kissed": return .success(.number(Double(c.kissed), unit: ""))
            default: return .failure(AdminError("client fields: sent, answered, unanswered, kissed"))
            }
        case "drift-file":
            guard let lab else { return .failure(AdminError("drift-file: " + Self.notInLab)) }
            guard let entry = running.entries.first(where: { $0.id == "driftfile" }),
                  let text = lab.labFile(String(entry.line.dropFirst("driftfile ".count))),
                  let ppm = Double(text.split(separator: "\n").first ?? "") else {
                return .success(.word("none"))
            }
            return .success(.number(ppm, unit: "ppm"))
        case "peer" where words.count == 3:
            guard let peer = admin.peerReports().first(where: { $0.host == words[1] || $0.address?.ip.description == words[1] }) else {
                return .failure(AdminError("no association with \(words[1])"))
            }
            switch words[2] {
            case "tally": return .success(.word(String(PeerStatusWord(peer).tally)))
            case "reach": return .success(.number(Double(peer.reach), unit: ""))
            case "reach-octal": return .success(.word(String(peer.reach, radix: 8)))
            case "stratum": return .success(.number(Double(peer.stratum), unit: ""))
            case "offset": return .success(.number(peer.offset.magnitude.value, unit: "s"))
            default: return .failure(AdminError("peer fields: tally, reach, stratum, offset"))
            }
        case "nts" where words.count == 3:
            guard let state = admin.ntsReport()?.associations.first(where: { $0.host == words[1] }) else {
                let polled = admin.peerReports().contains { $0.host == words[1] || $0.address?.ip.description == words[1] }
                return .failure(AdminError(polled ? "\(words[1]) does not use NTS: server \(words[1]) nts"
                                                  : "no association with \(words[1]) (NTS ones: server ADDRESS nts)"))
            }
            switch words[2] {
            case "accepted": return .success(.number(Double(state.accepted), unit: ""))
            case "refused": return .success(.number(Double(state.refused), unit: ""))
            case "cookies": return .success(.number(Double(state.cookies), unit: ""))
            case "naks": return .success(.number(Double(state.naks), unit: ""))
            default: return .failure(AdminError("nts fields: accepted, refused, cookies, naks"))
            }
        default:
            return .failure(AdminError("unknown field '\(words.joined(separator: " "))': offset, frequency, peers-count, sync-peer, ntpstat status, rv NAME, peer ADDRESS tally|reach|stratum|offset, client ADDRESS sent|answered|unanswered|kissed, nts ADDRESS accepted|refused|cookies|naks, drift-file"))
        }
    }

    /// A mode-6 value as text: quotes dropped, numbers as numbers.
    static func wireValue(_ value: String) -> ExpectValue {
        var v = value
        if v.count >= 2, v.first == "\"", v.last == "\"" { v = String(v.dropFirst().dropLast()) }
        if let d = Double(v) { return .number(d, unit: "") }
        return .word(v)
    }
}
