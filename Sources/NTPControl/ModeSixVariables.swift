public import NTPEngine
public import NTPWire

/// What a mode 6 variable's number means, for `rv`'s readers and JSON.
public enum VariableUnit: String, Sendable {
    case none, milliseconds, ppm, log2Seconds = "log2 s", seconds, timestamp, address, text, bits
}

/// One variable `rv` shows and mode 6 READVAR serves: its name, unit, whether a bare `rv`
/// includes it, and its value as ntpd writes it on the wire (nil: omitted, as ntpd omits
/// variables it has no value for).
public struct ModeSixVariable<Subject>: Sendable {
    public let name: String
    public let unit: VariableUnit
    public let isDefault: Bool
    public let wire: @Sendable (Subject) -> String?

    public init(_ name: String, _ unit: VariableUnit, isDefault: Bool = true, _ wire: @escaping @Sendable (Subject) -> String?) {
        self.name = name; self.unit = unit; self.isDefault = isDefault; self.wire = wire
    }
}

/// Facts about the host the system variables report (`processor`, `system`, `release`, `version`).
public struct HostInfo: Sendable, Equatable {
    public var processor: String?
    public var system: String?
    public var release: String?
    public var version: String
    public init(processor: String? = nil, system: String? = nil, release: String? = nil, version: String = "ntpsh") {
        self.processor = processor; self.system = system; self.release = release; self.version = version
    }
}

public struct SystemVariableSubject: Sendable {
    public var report: SystemReport
    public var host: HostInfo
    /// `tos`'s minimum poll (ntpd's `mintc`).
    public var minPoll: Int8
    public init(report: SystemReport, host: HostInfo = HostInfo(), minPoll: Int8 = NTPConstants.minPollLimit) {
        self.report = report; self.host = host; self.minPoll = minPoll
    }
}

public struct PeerVariableSubject: Sendable {
    public var report: PeerReport
    public var now: UnixTime
    /// The local address the association's packets leave from, if known.
    public var localAddress: SocketAddress?
    public init(report: PeerReport, now: UnixTime, localAddress: SocketAddress? = nil) {
        self.report = report; self.now = now; self.localAddress = localAddress
    }
}

/// ntpd's wire formats (ntp_control.c): `%.3f`, `%.6f`, `0x%08x.%08x`, quoted strings.
enum Wire {
    static func ms3(_ seconds: Double) -> String { formatFixed(seconds * 1000, 3) }
    static func ms6(_ seconds: Double) -> String { formatFixed(seconds * 1000, 6) }
    static func ms3(_ span: Seconds) -> String { ms3(span.value) }
    static func ms6(_ span: Seconds) -> String { ms6(span.value) }
    static func ppm6(_ ppm: Double) -> String { formatFixed(ppm, 6) }
    static func timestamp(_ t: NTPTimestamp) -> String { t.hexText }
    static func timestamp(_ t: UnixTime?) -> String { timestamp(t.map(NTPTimestamp.init) ?? .zero) }
    static func quoted(_ s: String) -> String { "\"" + s + "\"" }
    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
    /// ctl_putrefid: the refid's characters up to the first NUL, unprintables as `.`.
    static func refidText(_ id: ReferenceID) -> String {
        var out = ""
        for b in id.bytes {
            if b == 0 { break }
            out.append(b > 0x20 && b < 0x7F ? Character(Unicode.Scalar(b)) : ".")
        }
        return out
    }
}

/// The system variables, in NTPsec's order (REFERENCE.md), each once: `rv`, `sysinfo`,
/// `ntpstat` and the mode 6 server all read this table.
public enum SystemVariableTable {
    public typealias Variable = ModeSixVariable<SystemVariableSubject>

    public static let variables: [Variable] = [
        Variable("leap", .bits) { String(leap($0.report).rawValue) },
        Variable("stratum", .none) { String($0.report.variables.stratum) },
        Variable("precision", .log2Seconds) { String($0.report.variables.precision.log2Seconds) },
        Variable("rootdelay", .milliseconds) { Wire.ms3($0.report.variables.rootDelay) },
        Variable("rootdisp", .milliseconds) { Wire.ms3($0.report.variables.rootDispersion) },
        Variable("rootdist", .milliseconds) { Wire.ms3($0.report.rootDistance) },
        Variable("refid", .address) { s in
            let v = s.report.variables
            if v.stratum > 1 && v.stratum < 16 { return v.referenceID.dottedQuad }
            return Wire.refidText(v.referenceID)
        },
        Variable("reftime", .timestamp) { Wire.timestamp($0.report.variables.referenceTime) },
        Variable("tc", .log2Seconds) { String($0.report.variables.timeConstant) },
        Variable("peer", .none) { String($0.report.variables.systemPeer?.rawValue ?? 0) },
        Variable("offset", .milliseconds) { Wire.ms6($0.report.variables.offset) },
        Variable("frequency", .ppm) { Wire.ppm6($0.report.variables.frequency) },
        Variable("sys_jitter", .milliseconds) { Wire.ms6($0.report.variables.systemJitter) },
        Variable("clk_jitter", .milliseconds) { Wire.ms6($0.report.variables.clockJitter) },
        Variable("clock", .timestamp) { Wire.timestamp($0.report.now) },
        Variable("processor", .text) { $0.host.processor.map(Wire.quoted) },
        Variable("system", .text) { $0.host.system.map(Wire.quoted) },
        Variable("release", .text) { $0.host.release.map(Wire.quoted) },
        Variable("version", .text) { Wire.quoted($0.host.version) },
        Variable("clk_wander", .ppm) { Wire.ppm6($0.report.variables.wander) },
        Variable("tai", .seconds) { _ in nil },
        Variable("leapsec", .text) { _ in nil },
        Variable("expire", .text) { _ in nil },
        Variable("mintc", .log2Seconds) { String($0.minPoll) },
        // Not shown by a bare `rv` (sysinfo's).
        Variable("peeradr", .address, isDefault: false) { s in
            guard let peer = s.report.systemPeer else { return "0.0.0.0:0" }
            // A reference clock by its pseudo-address, as ntpd (127.127.1.0:123).
            return peer.address?.description ?? (IPAddress(peer.host).map { SocketAddress(ip: $0, port: 123).description } ?? "0.0.0.0:0")
        },
        Variable("peermode", .none, isDefault: false) { s in s.report.systemPeer == nil ? "0" : "3" },
        // Symmetric-key authentication delay, ms (sysinfo's "symm. auth. delay").
        Variable("authdelay", .milliseconds, isDefault: false) { _ in "0.000" },
    ]

    static func leap(_ r: SystemReport) -> LeapIndicator {
        r.variables.isSynchronized ? r.variables.leap : .unsynchronized
    }

    /// `name=value` pairs as the server sends them: the defaults, or the names asked for
    /// (unknown names are skipped; `unknown` lists them).
    public static func values(_ s: SystemVariableSubject, names: [String]? = nil) -> (values: [(String, String)], unknown: [String]) {
        select(variables, s, names)
    }
}

/// The peer variables (`rv ASSOCID`), in REFERENCE.md's order.
public enum PeerVariableTable {
    public typealias Variable = ModeSixVariable<PeerVariableSubject>

    public static let variables: [Variable] = [
        Variable("srcadr", .address) { s in
            if s.report.kind == .localClock { return s.report.host }
            return s.report.address?.ip.description ?? "0.0.0.0"
        },
        Variable("srcport", .none) { String($0.report.address?.port ?? 123) },
        Variable("srchost", .text) { s in
            if s.report.kind == .localClock { return Wire.quoted(s.report.remoteText) }
            return IPAddress(s.report.host) == nil ? Wire.quoted(s.report.host) : nil
        },
        Variable("dstadr", .address) { $0.localAddress?.ip.description ?? "0.0.0.0" },
        Variable("dstport", .none) { String($0.localAddress?.port ?? 0) },
        Variable("leap", .bits) { String($0.report.leap.rawValue) },
        Variable("stratum", .none) { String($0.report.stratum) },
        Variable("precision", .log2Seconds) { String($0.report.precision.log2Seconds) },
        Variable("rootdelay", .milliseconds) { Wire.ms3($0.report.rootDelay) },
        Variable("rootdisp", .milliseconds) { Wire.ms3($0.report.rootDispersion) },
        Variable("refid", .address) { s in
            let t = s.report.referenceText
            if t.count >= 2, t.hasPrefix("."), t.hasSuffix(".") { return String(t.dropFirst().dropLast()) }
            return t
        },
        Variable("reftime", .timestamp) { Wire.timestamp($0.report.referenceTime) },
        Variable("rec", .timestamp) { s in
            Wire.timestamp(s.report.sinceLastReply.map { s.now + -$0 })
        },
        Variable("reach", .bits) { Wire.hex(UInt64($0.report.reach)) },
        Variable("unreach", .none) { String($0.report.unreach) },
        Variable("hmode", .none) { _ in "3" },
        Variable("pmode", .none) { $0.report.counters.received > 0 ? "4" : "0" },
        Variable("hpoll", .log2Seconds) { String($0.report.poll) },
        Variable("ppoll", .log2Seconds) { String(peerPoll($0.report)) },
        Variable("headway", .none) { _ in "0" },
        // TEST5 (0x10, bad_auth) while replies fail authentication.
        Variable("flash", .bits) { $0.report.authenticationFailure == nil ? "0x0" : "0x10" },
        Variable("keyid", .none) { String($0.report.keyID ?? 0) },
        // `xleave` associations only: the mode of the last reply (chronyc ntpdata's "Interleaved").
        Variable("xmode", .none) { s in s.report.interleaved.map { $0 ? "interleaved" : "basic" } },
        Variable("offset", .milliseconds) { Wire.ms6($0.report.offset) },
        Variable("delay", .milliseconds) { Wire.ms6($0.report.delay) },
        Variable("dispersion", .milliseconds) { Wire.ms6($0.report.dispersion) },
        Variable("jitter", .milliseconds) { Wire.ms6($0.report.jitter) },
        Variable("filtdelay", .milliseconds) { array($0.report.filter.map(\.delay)) },
        Variable("filtoffset", .milliseconds) { array($0.report.filter.map(\.offset)) },
        Variable("filtdisp", .milliseconds) { array($0.report.filter.map(\.dispersion)) },
    ]

    /// The peer's poll exponent as ntpd keeps it: the last reply's, or ours before one came.
    public static func peerPoll(_ r: PeerReport) -> Int8 {
        r.counters.received > 0 && r.peerPoll > 0 ? r.peerPoll : r.poll
    }

    /// ctl_putarray: ` %.2f` per stage in ms, newest first.
    static func array(_ seconds: [Double]) -> String {
        seconds.map { " " + formatFixed($0 * 1000, 2) }.joined()
    }

    public static func values(_ s: PeerVariableSubject, names: [String]? = nil) -> (values: [(String, String)], unknown: [String]) {
        select(variables, s, names)
    }
}

func select<S>(_ table: [ModeSixVariable<S>], _ s: S, _ names: [String]?) -> (values: [(String, String)], unknown: [String]) {
    guard let names else {
        return (table.filter(\.isDefault).compactMap { v in v.wire(s).map { (v.name, $0) } }, [])
    }
    var out: [(String, String)] = []
    var unknown: [String] = []
    for n in names {
        guard let v = table.first(where: { $0.name == n }) else { unknown.append(n); continue }
        if let w = v.wire(s) { out.append((n, w)) }
    }
    return (out, unknown)
}
