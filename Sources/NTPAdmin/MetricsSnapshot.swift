// What /metrics and `show metrics` render: the node's reports and the host's facts, taken at
// once by ``AdminNode`` (the `metrics` query); NTPMetrics renders it as Prometheus text.
public import NTPEngine

/// Everything one scrape shows, taken from the engine at one moment.
public struct MetricsSnapshot: Sendable, Equatable, Codable {
    public var system: SystemReport
    public var peers: [PeerReport]
    public var monitor: MonitorReport?
    /// Seconds since the engine started.
    public var uptime: Double
    /// The program's version, a label of `ntp_uptime_seconds`.
    public var version: String

    public init(system: SystemReport, peers: [PeerReport], monitor: MonitorReport?, uptime: Double, version: String) {
        self.system = system; self.peers = peers; self.monitor = monitor; self.uptime = uptime; self.version = version
    }
}

/// What a node's host knows that the node does not: how long the engine has run and the
/// program's version (the `metrics` query's labels).
public struct AdminHost: Sendable, Equatable {
    /// Seconds since the engine started.
    public var uptime: Double
    /// The program's version.
    public var version: String

    public init(uptime: Double, version: String) { self.uptime = uptime; self.version = version }
    /// A host that says nothing (uptime 0, no version).
    public static let unknown = AdminHost(uptime: 0, version: "")
}
