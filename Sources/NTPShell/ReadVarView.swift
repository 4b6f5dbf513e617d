public import NTPEngine
public import NTPWire
public import NTPControl

/// `readvar`/`rv`: NTPsec's ntpq cooked display of the variables our mode 6 server sends.
public enum ReadVarView {
    /// Terminal columns (80 when not a TTY); ntpq wraps at width − 2.
    public static func cook(_ values: [(String, String)], terminalWidth: Int = 80, pivot: UnixTime) -> String {
        let width = terminalWidth - 2
        let specials = ["filtdelay", "filtoffset", "filtdisp", "filterror"]
        var text = ""
        var lineLength = 0
        for (name, wire) in values {
            let value = PythonValue(wire: wire)
            var item = specials.contains(name) ? CFormat.pad(name, 10) + " =" : name + "="
            switch name {
            case "reftime", "clock", "org", "rec", "xmt":
                item += prettyDate(wire: value.str, pivot: pivot)
            case "srcadr", "peeradr", "dstadr", "refid":
                item += value.str
            case "leap":
                if case .int(let i) = value, (0...3).contains(i) { item += ["00", "01", "10", "11"][Int(i)] } else { item += value.repr }
            case "reach":
                if case .int(let i) = value { item += CFormat.octal(UInt64(max(0, i)), width: 3, zeroPad: true) } else { item += value.repr }
            case _ where specials.contains(name):
                item += value.str.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: "\t")
            case "flash":
                if case .int(let i) = value {
                    item += CFormat.hex(UInt64(max(0, i)), width: 2) + " "
                    if i == 0 { item += "ok " } else {
                        let names = ["pkt_dup", "pkt_bogus", "pkt_unsync", "pkt_denied", "pkt_auth", "pkt_stratum", "pkt_header",
                                     "pkt_autokey", "pkt_crypto", "peer_stratum", "peer_dist", "peer_loop", "peer_unreach"]
                        for (bit, n) in names.enumerated() where i & (1 << bit) != 0 { item += n + " " }
                    }
                    item.removeLast()
                } else { item += value.repr }
            default:
                item += value.repr
            }
            item += ", "
            if lineLength + item.count > width {
                if !text.isEmpty { text.removeLast() }
                text += "\n"
                lineLength = 0
            }
            text += item
            if let nl = item.lastIndex(of: "\n") { lineLength = item.distance(from: nl, to: item.endIndex) - 1 } else { lineLength += item.count }
        }
        if text.count >= 2 { text.removeLast(2) }
        return text + "\n"
    }

    /// `rv` (nil `names`) or `rv 0 NAME…`.
    public static func system(
        _ subject: SystemVariableSubject, names: [String]? = nil, events: [EngineEvent] = [], terminalWidth: Int = 80
    ) -> String {
        let (values, _) = SystemVariableTable.values(subject, names: names)
        let word = SystemStatusWord(subject.report, events: EventTally.system(events))
        var out = ""
        if names == nil || names!.isEmpty {
            out = "associd=0 status=" + CFormat.hex(UInt64(word.rawValue), width: 4) + " " + word.text + ",\n"
        }
        if values.isEmpty { return out.isEmpty ? "No system variables returned\n" : out }
        return out + cook(values, terminalWidth: terminalWidth, pivot: subject.report.now)
    }

    /// `rv ASSOCID` or `rv ASSOCID NAME…`.
    public static func peer(
        _ subject: PeerVariableSubject, names: [String]? = nil, events: [EngineEvent] = [], terminalWidth: Int = 80
    ) -> String {
        let (values, _) = PeerVariableTable.values(subject, names: names)
        let word = PeerStatusWord(subject.report, events: EventTally.peer(subject.report.id, events))
        var out = ""
        if names == nil || names!.isEmpty {
            out = "associd=\(subject.report.id.rawValue) status=" + CFormat.hex(UInt64(word.rawValue), width: 4) + " " + word.text + ",\n"
        }
        if values.isEmpty { return out.isEmpty ? "No information returned for association \(subject.report.id.rawValue)\n" : out }
        return out + cook(values, terminalWidth: terminalWidth, pivot: subject.now)
    }

    /// The variables as JSON: typed values (numbers in the units the table gives), in order.
    public static func json(associd: UInt16, status: UInt16, statusText: String, values: [(String, String)], units: [String: VariableUnit]) -> JSONValue {
        .object([
            ("associd", .int(Int64(associd))),
            ("status", .int(Int64(status))),
            ("status_text", .string(statusText)),
            ("variables", .object(values.map { name, wire in
                if name.hasPrefix("filt") {
                    return (name, .array(wire.split(separator: " ").compactMap { Double($0) }.map(JSONValue.double)))
                }
                return (name, PythonValue(wire: wire).json)
            })),
            ("units", .object(values.map { name, _ in (name, .string((units[name] ?? .none).rawValue)) })),
        ])
    }

    public static func systemJSON(_ subject: SystemVariableSubject, names: [String]? = nil, events: [EngineEvent] = []) -> JSONValue {
        let word = SystemStatusWord(subject.report, events: EventTally.system(events))
        let units = Dictionary(SystemVariableTable.variables.map { ($0.name, $0.unit) }, uniquingKeysWith: { a, _ in a })
        return json(associd: 0, status: word.rawValue, statusText: word.text,
                    values: SystemVariableTable.values(subject, names: names).values, units: units)
    }

    public static func peerJSON(_ subject: PeerVariableSubject, names: [String]? = nil, events: [EngineEvent] = []) -> JSONValue {
        let word = PeerStatusWord(subject.report, events: EventTally.peer(subject.report.id, events))
        let units = Dictionary(PeerVariableTable.variables.map { ($0.name, $0.unit) }, uniquingKeysWith: { a, _ in a })
        return json(associd: subject.report.id.rawValue, status: word.rawValue, statusText: word.text,
                    values: PeerVariableTable.values(subject, names: names).values, units: units)
    }
}
