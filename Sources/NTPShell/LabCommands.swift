import NTPEngine
import CommandGrammar

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
            return Output()
        } catch {
            return .failure(error.description)
        }
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
                + (server.silent ? ", silent" : "") + "\n"
        }
        return Output(text: out)
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
        case "peer" where words.count == 3:
            guard let peer = admin.peerReports().first(where: { $0.host == words[1] || $0.address?.ip.description == words[1] }) else {
                return .failure(AdminError("no association with \(words[1])"))
            }
            switch words[2] {
            case "tally": return .success(.word(String(PeerStatusWord(peer).tally)))
            case "reach": return .success(.number(Double(peer.reach), unit: ""))
            case "reach-octal": return .success(.word(String(peer.reach, radix: 8)))
            case "stratum": return .success(.number(Double(peer.stratum), unit: ""))
            case "offset": return .success(.number(abs(peer.offset), unit: "s"))
            default: return .failure(AdminError("peer fields: tally, reach, stratum, offset"))
            }
        default:
            return .failure(AdminError("unknown field '\(words.joined(separator: " "))': offset, frequency, peers-count, sync-peer, ntpstat status, rv NAME, peer ADDRESS tally|reach|stratum|offset"))
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
