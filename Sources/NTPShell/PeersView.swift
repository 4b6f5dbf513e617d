public import NTPEngine
public import NTPWire
import NTPControl

/// `peers`: NTPsec's `ntpq -p` layout, computed as NTPsec's ntpq computes it from the values
/// our mode 6 server would send (so the two agree byte for byte).
public enum PeersView {
    /// How delay/offset/jitter are printed: NTPsec's `f8dot3` (`%8.3f`, fewer decimals above
    /// 10 s), or `f8dot4` (what NTPsec's ntpq picks when the server sends six decimals, as
    /// NTPsec's ntpd and ours do).
    public enum Decimals: Sendable { case three, four }

    public struct Options: Sendable {
        /// `-n`: addresses, never names.
        public var numeric: Bool
        /// Terminal columns: 80 when not a TTY. Beyond 80, the remote column widens by up to 24.
        public var terminalWidth: Int
        /// ntpq `-w`: a remote name too long for its column goes on a line of its own.
        public var wide: Bool
        public var decimals: Decimals
        public init(numeric: Bool = false, terminalWidth: Int = 80, wide: Bool = false, decimals: Decimals = .three) {
            self.numeric = numeric; self.terminalWidth = terminalWidth; self.wide = wide; self.decimals = decimals
        }
    }

    /// ntpq's "no associations" answer.
    public static let noAssociations = "No association IDs returned\n"

    public static func slack(_ width: Int) -> Int { max(0, min(width - 80, 24)) }

    public static func header(_ options: Options = Options()) -> String {
        let nameWidth = 15 + slack(options.terminalWidth)
        return CFormat.pad("     remote    ", nameWidth, left: true) + "       refid      "
            + "st t when poll reach   delay   offset   jitter\n"
            + String(repeating: "=", count: 79 + slack(options.terminalWidth)) + "\n"
    }

    public static func text(_ peers: [PeerReport], now: UnixTime, options: Options = Options()) -> String {
        guard !peers.isEmpty else { return noAssociations }
        return header(options) + peers.map { line($0, now: now, options: options) }.joined()
    }

    /// One line (two with `wide` and a long name), newline-terminated.
    public static func line(_ peer: PeerReport, now: UnixTime, options: Options = Options()) -> String {
        let nameWidth = 15 + slack(options.terminalWidth)
        let s = PeerVariableSubject(report: peer, now: now)
        let v = Dictionary(PeerVariableTable.values(s).values, uniquingKeysWith: { a, _ in a })
        let tally = PeerStatusWord(peer).tally
        let name = remoteName(peer, numeric: options.numeric)
        var out = String(tally)
        if options.wide && name.count > nameWidth {
            out += name + "\n" + String(repeating: " ", count: nameWidth + 2)
        } else {
            out += CFormat.pad(CFormat.cut(name, nameWidth), nameWidth, left: true) + " "
        }
        var refid = v["refid"] ?? ""
        if !refid.contains(".") && !refid.contains(":") { refid = "." + refid + "." }
        let visible = refid.count <= 15 ? refid : "-" + String(refid.suffix(14))
        out += visible + String(repeating: " ", count: max(0, 15 - refid.count))
        let whenText = interval(peer.sinceLastReply.map { Int($0.value) } ?? 0)
        let pollText = interval(1 << Int(min(PeerVariableTable.peerPoll(peer), peer.poll)))
        let fmt: (String?) -> String = { wire in
            let d = wire.flatMap { PythonValue(wire: $0).double } ?? .nan
            return options.decimals == .four ? f8dot4(d) : f8dot3(d)
        }
        out += " " + CFormat.pad(String(peer.stratum), 2) + " " + String(peer.kind.rawValue)
            + " " + CFormat.pad(CFormat.cut(whenText, 4), 4) + " " + CFormat.pad(CFormat.cut(pollText, 4), 4)
            + "  " + CFormat.octal(UInt64(peer.reach), width: 3)
            + " " + fmt(v["delay"]) + " " + fmt(v["offset"]) + " " + fmt(v["jitter"]) + "\n"
        return out
    }

    /// The remote column: the configured name (ntpq shows a name) unless `numeric`, the
    /// address otherwise; the local clock as `LOCAL(u)`; a pool by its name.
    public static func remoteName(_ peer: PeerReport, numeric: Bool) -> String {
        if peer.kind == .localClock { return peer.remoteText }
        if peer.kind == .pool { return peer.host }
        if !numeric, IPAddress(peer.host) == nil { return peer.host }
        return peer.address?.ip.description ?? peer.host
    }

    /// ntpq's `prettyinterval`, with Python's true division.
    public static func interval(_ seconds: Int) -> String {
        if seconds <= 0 { return "-" }
        if seconds <= 2048 { return String(seconds) }
        var d = (Double(seconds) + 29) / 60
        if d <= 300 { return String(Int(d)) + "m" }
        d = (d + 29) / 60
        if d <= 96 { return String(Int(d)) + "h" }
        d = (d + 11) / 24
        return String(Int(d)) + "d"
    }

    /// NTPsec's `f8dot3`.
    public static func f8dot3(_ f: Double) -> String {
        if f.isNaN { return "     nan" }
        var digits: Int? = nil
        if f >= 0 {
            if f < 10000 { digits = 3 } else if f < 100_000 { digits = 2 } else if f < 1_000_000 { digits = 1 }
        } else {
            if f > -1000 { digits = 3 } else if f > -10000 { digits = 2 } else if f > -100_000 { digits = 1 }
        }
        return percentF(f, digits)
    }

    /// NTPsec's `f8dot4`.
    public static func f8dot4(_ f: Double) -> String {
        if f.isNaN { return "     nan" }
        var digits: Int? = nil
        if f >= 0 {
            if f < 1000 { digits = 4 } else if f < 10000 { digits = 3 } else if f < 100_000 { digits = 2 } else if f < 1_000_000 { digits = 1 }
        } else {
            if f > -100 { digits = 4 } else if f > -1000 { digits = 3 } else if f > -10000 { digits = 2 } else if f > -100_000 { digits = 1 }
        }
        return percentF(f, digits)
    }

    /// `%8.Nf`, or Python's `%8d` (truncation) when `digits` is nil.
    static func percentF(_ f: Double, _ digits: Int?) -> String {
        guard let digits else {
            guard f.isFinite, abs(f) < 9e18 else { return CFormat.pad(f.isNaN ? "nan" : (f < 0 ? "-inf" : "inf"), 8) }
            return CFormat.pad(String(Int64(f)), 8)
        }
        return CFormat.pad(CFormat.fixed(f, digits), 8)
    }

    // MARK: JSON

    public static func json(_ peers: [PeerReport], now: UnixTime, options: Options = Options()) -> JSONValue {
        .array(peers.map { p in
            let w = PeerStatusWord(p)
            let v = Dictionary(PeerVariableTable.values(PeerVariableSubject(report: p, now: now)).values, uniquingKeysWith: { a, _ in a })
            return .object([
                ("assid", .int(Int64(p.id.rawValue))),
                ("tally", .string(String(w.tally))),
                ("condition", .string(w.condition)),
                ("remote", .string(remoteName(p, numeric: options.numeric))),
                ("address", .optional(p.address?.description)),
                ("refid", .string(p.referenceText)),
                ("stratum", .int(Int64(p.stratum))),
                ("type", .string(String(p.kind.rawValue))),
                ("when_s", p.sinceLastReply.map { JSONValue.double($0.value) } ?? .null),
                ("poll_s", .int(Int64(1) << Int64(min(PeerVariableTable.peerPoll(p), p.poll)))),
                ("reach", .int(Int64(p.reach))),
                ("reach_octal", .string(CFormat.octal(UInt64(p.reach), width: 3, zeroPad: true))),
                ("delay_ms", .optional(v["delay"].flatMap { PythonValue(wire: $0).double })),
                ("offset_ms", .optional(v["offset"].flatMap { PythonValue(wire: $0).double })),
                ("jitter_ms", .optional(v["jitter"].flatMap { PythonValue(wire: $0).double })),
            ])
        })
    }
}
