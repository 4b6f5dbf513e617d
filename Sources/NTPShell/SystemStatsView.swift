public import NTPEngine
public import NTPControl

/// `sysinfo`, `sysstats` and `iostats`: NTPsec ntpq's `collect_display` layouts.
public enum SystemStatsView {
    // MARK: sysinfo

    static let sysinfoRows: [(String, String, Kind)] = [
        ("peeradr", "system peer:      ", .address), ("peermode", "system peer mode: ", .mode),
        ("leap", "leap indicator:   ", .twoBits), ("stratum", "stratum:          ", .number),
        ("precision", "log2 precision:   ", .number), ("rootdelay", "root delay:       ", .number),
        ("rootdisp", "root dispersion:  ", .number), ("rootdist", "root distance     ", .number),
        ("refid", "reference ID:     ", .string), ("reftime", "reference time:   ", .timestamp),
        ("sys_jitter", "system jitter:    ", .number), ("clk_jitter", "clock jitter:     ", .number),
        ("clk_wander", "clock wander:     ", .number), ("authdelay", "symm. auth. delay:", .number),
    ]

    enum Kind { case address, mode, twoBits, number, string, timestamp, uptime, packets }

    public static func sysinfo(_ subject: SystemVariableSubject, events: [EngineEvent] = []) -> String {
        let word = SystemStatusWord(subject.report, events: EventTally.system(events))
        var out = "associd=0 status=" + CFormat.hex(UInt64(word.rawValue), width: 4) + " " + word.text + ",\n"
        let values = SystemVariableTable.values(subject, names: sysinfoRows.map(\.0)).values
        for (name, legend, kind) in sysinfoRows {
            guard let wire = values.first(where: { $0.0 == name })?.1 else { continue }
            let value = PythonValue(wire: wire)
            switch kind {
            case .mode:
                let modes = ["unspec", "sym_active", "sym_passive", "client", "server", "broadcast", "control", "private", "bclient"]
                if case .int(let i) = value, i >= 0, i < modes.count { out += legend + "  " + modes[Int(i)] + "\n" }
                else { out += legend + "  mode#" + value.str + "\n" }
            case .twoBits:
                if case .int(let i) = value, (0...3).contains(i) { out += row(legend, ["00", "01", "10", "11"][Int(i)]) }
            case .string:
                if !value.str.isEmpty { out += row(legend, value.str) }
            case .timestamp:
                out += row(legend, prettyDate(wire: value.str, pivot: subject.report.now))
            default:
                out += row(legend, value.str)
            }
        }
        return out
    }

    /// `"%13s %13s\n"`.
    static func row(_ legend: String, _ value: String) -> String {
        CFormat.pad(legend, 13) + " " + CFormat.pad(value, 13) + "\n"
    }

    // MARK: sysstats, iostats

    /// ntpq's `periodize`: `[ND ]HH:MM:SS`.
    static func periodize(_ seconds: Double) -> (Int, String) {
        let n = Int(seconds.rounded(.toNearestOrEven))
        var s = n >= 86400 ? "\(n / 86400)D " : ""
        s += pad0(n % 86400 / 3600, 2) + ":" + pad0(n % 3600 / 60, 2) + ":" + pad0(n % 60, 2)
        return (n, s)
    }

    /// ntpq's `packetize`: count, and a rate in p/s or s/p (Python floats, `round(x, 0)`).
    static func packetize(_ packets: UInt64, _ period: Int) -> (String, String, String) {
        if packets == 0 || period == 0 { return (String(packets), "", "") }
        let p = Double(packets), t = Double(period)
        if packets > UInt64(period) { return (String(packets), CFormat.pythonRepr((p / t).rounded(.toNearestOrEven)), "p/s") }
        return (String(packets), CFormat.pythonRepr((t / p).rounded(.toNearestOrEven)), "s/p")
    }

    static func left(_ s: String, _ w: Int) -> String { CFormat.pad(s, w, left: true) }
    static func right(_ s: String, _ w: Int) -> String { CFormat.pad(s, w) }

    /// `sysstats`: uptime, control requests, then the server counters since start and since
    /// reset (the same here: counters are never reset), from the `ss_*` variables ntpq reads.
    public static func sysstats(_ stats: StatisticsSubject) -> String {
        let (run, up) = periodize(Double(stats.uptimeSeconds))
        var out = left("uptime:               ", 13) + " " + right(up, 13) + "\n"
        out += row("control requests:     ", String(stats.server.controlReceived))
        out += left("sysstats reset:       ", 13) + " " + right(up, 13) + " " + right(up, 13) + "\n"
        for (_, legend, value) in StatisticsVariableTable.packetRows {
            let a = packetize(value(stats.server), run)
            out += left(legend, 13) + " " + right(a.0, 13) + " " + right(a.0, 13) + " " + right(a.1, 10) + left(a.2, 3)
                + " " + right(a.1, 10) + left(a.2, 3) + "\n"
        }
        return out
    }

    /// `monstats`: the MRU list's counters and limits, from the `mru_*` variables.
    public static func monstats(_ stats: StatisticsSubject) -> String {
        var out = ""
        for (_, legend, period, value) in StatisticsVariableTable.monitorRows {
            let v = value(stats.monitor)
            out += period ? left(legend, 13) + " " + right(periodize(Double(v)).1, 13) + "\n" : row(legend, String(v))
        }
        return out
    }

    /// `iostats`: the server's packet counters (a RATE kiss is a packet sent), and the mode 6
    /// answers withheld for amplification.
    public static func iostats(_ stats: StatisticsSubject) -> String {
        let c = stats.server
        let (run, up) = periodize(stats.uptime)
        var out = left("time since reset:     ", 13) + " " + right(up, 13) + "\n"
        for (legend, n) in [("dropped packets:      ", c.dropped), ("ignored packets:      ", UInt64(0)),
                            ("received packets:     ", c.received), ("packets sent:         ", c.replied + c.kissesSent),
                            ("control refused:      ", c.controlRefused)] {
            let a = packetize(n, run)
            out += left(legend, 13) + " " + right(a.0, 13) + " " + right(a.1, 10) + left(a.2, 3) + "\n"
        }
        return out
    }

    public static func monstatsJSON(_ stats: StatisticsSubject) -> JSONValue {
        .object(StatisticsVariableTable.monitorRows.map { ($0.0, .int($0.3(stats.monitor))) })
    }

    public static func serverCountersJSON(_ c: ServerCounters, uptime: Double) -> JSONValue {
        .object([
            ("uptime_s", .double(uptime)),
            ("received", .uint(c.received)),
            ("replied", .uint(c.replied)),
            ("dropped", .uint(c.dropped)),
            ("dropped_too_short", .uint(c.droppedTooShort)),
            ("dropped_bad_version", .uint(c.droppedBadVersion)),
            ("dropped_unsupported_mode", .uint(c.droppedUnsupportedMode)),
            ("dropped_malformed", .uint(c.droppedMalformed)),
            ("restricted", .uint(c.droppedRestricted)),
            ("rate_limited", .uint(c.rateLimited)),
            ("kod_sent", .uint(c.kissesSent)),
            ("control_requests", .uint(c.controlReceived)),
            ("control_refused", .uint(c.controlRefused)),
            ("authenticated", .uint(c.authenticated)),
            ("authentication_failed", .uint(c.cryptoNAKs)),
        ])
    }

    public static func sysinfoJSON(_ subject: SystemVariableSubject, events: [EngineEvent] = []) -> JSONValue {
        ReadVarView.systemJSON(subject, names: sysinfoRows.map(\.0), events: events)
    }
}
