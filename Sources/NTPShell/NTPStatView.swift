public import NTPEngine
public import NTPControl

/// `ntpstat`: Debian's ntpstat (the C tool), computed from the variables our mode 6 server
/// sends it, with its exit status (0 synchronised, 1 not, 2 cannot tell).
public enum NTPStatView {
    public struct Result: Sendable, Equatable {
        /// What ntpstat writes to standard output.
        public var text: String
        /// What it writes to standard error (only when the daemon cannot be reached).
        public var errorText: String
        public var status: Int32
    }

    /// Clock source names by system status word source code.
    static let sources = ["unspecified", "atomic clock", "VLF radio", "HF radio", "UHF radio", "local net",
                          "NTP server", "UDP/TIME", "wristwatch", "modem"]

    /// `nil`: the daemon could not be asked.
    public static func render(_ subject: SystemVariableSubject?, events: [EngineEvent] = []) -> Result {
        guard let subject else {
            return Result(text: "", errorText: "Unable to talk to NTP daemon. Is it running?\n", status: 2)
        }
        let word = SystemStatusWord(subject.report, events: EventTally.system(events))
        let values = SystemVariableTable.values(subject).values
        func field(_ name: String) -> String? { values.first { $0.0 == name }?.1 }
        var out = ""
        var status: Int32 = 0
        if word.leap == 3 {
            out += "unsynchronised\n"
            if word.lastEvent == 1 { out += "  time server re-starting\n" }
            status = 1
        } else {
            out += "synchronised to "
            out += Int(word.source) < sources.count ? sources[Int(word.source)] : "unknown source"
            if word.source == 6 {
                if let refid = field("refid") {
                    out += refid.isEmpty || refid.count > 16 ? " <IP unreadable>" : " (\(refid))"
                } else {
                    status = 1
                    out += " <IP unknown>"
                }
            }
            if let stratum = field("stratum") {
                out += stratum.isEmpty || stratum.count > 2 ? ", stratum unreadable\n" : " at stratum \(stratum) \n"
            } else {
                status = 1
                out += ", stratum unknown\n"
            }
            if let disp = field("rootdisp"), let delay = field("rootdelay") {
                if disp.isEmpty || disp.count > 10 || delay.isEmpty || delay.count > 10 {
                    out += "accuracy unreadable\n"
                } else {
                    let ms = atof(disp) + atof(delay) / 2
                    out += "   time correct to within " + CFormat.fixed(ms, 0) + " ms\n"
                }
            } else {
                status = 1
                out += "accuracy unknown\n"
            }
        }
        if let tc = field("tc") {
            if tc.isEmpty || tc.count > 2 { out += "poll interval unreadable\n" } else {
                out += "   polling server every \(1 << (Int(tc) ?? 0)) s\n"
            }
        } else {
            status = 1
            out += "poll interval unknown\n"
        }
        return Result(text: out, errorText: "", status: status)
    }

    /// C's `atof`: the longest numeric prefix, 0 when there is none.
    static func atof(_ s: String) -> Double {
        var best = 0.0
        var prefix = ""
        for c in s {
            prefix.append(c)
            if let d = Double(prefix) { best = d } else if !"+-.eE".contains(c) { break }
        }
        return best
    }

    public static func json(_ subject: SystemVariableSubject?, events: [EngineEvent] = []) -> JSONValue {
        let r = render(subject, events: events)
        guard let subject else { return .object([("status", .int(2)), ("synchronised", .null)]) }
        let word = SystemStatusWord(subject.report, events: EventTally.system(events))
        let v = subject.report.variables
        return .object([
            ("status", .int(Int64(r.status))),
            ("synchronised", .bool(r.status == 0)),
            ("source", .string(Int(word.source) < sources.count ? sources[Int(word.source)] : "unknown source")),
            ("refid", .string(SystemVariableTable.values(subject, names: ["refid"]).values.first?.1 ?? "")),
            ("stratum", .int(Int64(v.stratum))),
            ("accuracy_ms", .double((v.rootDispersion + v.rootDelay / 2) * 1000)),
            ("poll_s", .int(Int64(1) << Int64(max(0, v.timeConstant)))),
        ])
    }
}
