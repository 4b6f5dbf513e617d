public import NTPEngine
public import NTPAdmin

/// What `sysstats`, `iostats` and `monstats` report: the server's counters, uptime and the MRU
/// list's state.
public struct StatisticsSubject: Sendable {
    public var server: ServerCounters
    /// Seconds since the engine started (ntpd's counters are never reset here, so also since reset).
    public var uptime: Double
    public var monitor: MonitorReport
    /// NTS's counters (NTPsec's `nts_*` variables, what `ntpq -c ntsinfo` reads).
    public var nts: NTSCounters
    public init(server: ServerCounters, uptime: Double, monitor: MonitorReport, nts: NTSCounters = NTSCounters()) {
        self.server = server; self.uptime = uptime; self.monitor = monitor; self.nts = nts
    }

    /// Whole seconds of uptime, at least 1: what the `ss_uptime` and `ss_reset` variables say
    /// and `sysstats` divides by (ntpq divides by it too, and fails on 0).
    public var uptimeSeconds: Int64 { max(1, Int64(uptime.rounded(.toNearestOrEven))) }
}

/// ntpd's statistics variables (`ss_*` for sysstats, `mru_*` for monstats), served by mode 6
/// READVAR (never in a bare `rv`) and read by the shell's `sysstats` and `monstats`, so the
/// two always agree. `ss_X_r` is "since reset": the same numbers (never reset).
public enum StatisticsVariableTable {
    public typealias Variable = ModeSixVariable<StatisticsSubject>

    /// The `sysstats` rows after uptime and control requests: variable, ntpq's legend, value.
    public static let packetRows: [(String, String, @Sendable (ServerCounters) -> UInt64)] = [
        ("ss_received", "packets received:     ", { $0.received }),
        ("ss_thisver", "current version:      ", { $0.currentVersion }),
        ("ss_oldver", "older version:        ", { $0.olderVersion }),
        ("ss_ver1", "NTPv1 total:          ", { _ in 0 }),
        ("ss_ver1client", "NTPv1 clients:        ", { _ in 0 }),
        ("ss_ver1zero", "NTPv1 mode0:          ", { _ in 0 }),
        ("ss_ver1symm", "NTPv1 symm act:       ", { _ in 0 }),
        ("ss_badformat", "bad length or format: ", { $0.droppedTooShort + $0.droppedMalformed }),
        ("ss_badauth", "authentication failed:", { $0.cryptoNAKs }),
        ("ss_declined", "declined:             ", { $0.droppedUnsupportedMode + $0.droppedBadVersion }),
        ("ss_restricted", "restricted:           ", { $0.droppedRestricted }),
        ("ss_limited", "rate limited:         ", { $0.rateLimited }),
        ("ss_kodsent", "KoD responses:        ", { $0.kissesSent }),
        ("ss_processed", "processed for time:   ", { $0.replied }),
    ]

    /// `monstats` rows: variable, ntpq's legend, whether it is a period (`[ND ]HH:MM:SS`), value.
    public static let monitorRows: [(String, String, Bool, @Sendable (MonitorReport) -> Int64)] = [
        ("mru_enabled", "enabled:              ", false, { $0.settings.enabled ? 1 : 0 }),
        ("mru_hashslots", "hash slots in use:    ", false, { Int64($0.bucketsInUse) }),
        ("mru_depth", "addresses in use:     ", false, { Int64($0.entries) }),
        ("mru_deepest", "peak addresses:       ", false, { Int64($0.counters.peak) }),
        ("mru_maxdepth", "maximum addresses:    ", false, { Int64($0.settings.maxDepth) }),
        ("mru_mindepth", "reclaim above count:  ", false, { Int64($0.settings.minDepth) }),
        ("mru_maxage", "reclaim maxage:       ", true, { Int64($0.settings.maxAge) }),
        ("mru_minage", "reclaim minage:       ", true, { Int64($0.settings.minAge) }),
        ("mru_mem", "kilobytes:            ", false, { Int64(($0.memoryBytes + 1023) / 1024) }),
        ("mru_maxmem", "maximum kilobytes:    ", false, { Int64($0.settings.maxMemoryKB) }),
        ("mru_exists", "alloc: exists:        ", false, { Int64(clamping: $0.counters.exists) }),
        ("mru_new", "alloc: new:           ", false, { Int64(clamping: $0.counters.new) }),
        ("mru_recycleold", "alloc: recycle old:   ", false, { Int64(clamping: $0.counters.recycledOld) }),
        ("mru_recyclefull", "alloc: recycle full:  ", false, { Int64(clamping: $0.counters.recycledFull) }),
        ("mru_none", "alloc: none:          ", false, { Int64(clamping: $0.counters.none) }),
        ("mru_oldest_age", "age of oldest slot:   ", true, { $0.oldestAge }),
    ]

    public static let variables: [Variable] = {
        var v: [Variable] = []
        for name in ["ss_uptime", "ss_uptime_r", "ss_reset", "ss_reset_r"] {
            v.append(Variable(name, .seconds, isDefault: false) { String($0.uptimeSeconds) })
        }
        for name in ["ss_numctlreq", "ss_numctlreq_r"] {
            v.append(Variable(name, .none, isDefault: false) { String($0.server.controlReceived) })
        }
        for (name, _, value) in packetRows {
            v.append(Variable(name, .none, isDefault: false) { String(value($0.server)) })
            v.append(Variable(name + "_r", .none, isDefault: false) { String(value($0.server)) })
        }
        for (name, _, period, value) in monitorRows {
            v.append(Variable(name, period ? .seconds : .none, isDefault: false) { String(value($0.monitor)) })
        }
        for (i, name) in NTSCounters().variables.map(\.name).enumerated() {
            v.append(Variable(name, .none, isDefault: false) { String($0.nts.variables[i].value) })
        }
        // Not ntpd's: answers withheld for amplification (see ControlResponder).
        v.append(Variable("ss_ctlrefused", .none, isDefault: false) { String($0.server.controlRefused) })
        return v
    }()

    public static func values(_ s: StatisticsSubject, names: [String]) -> (values: [(String, String)], unknown: [String]) {
        select(variables, s, names)
    }
}
