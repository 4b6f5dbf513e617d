public import NTPEngine
public import NTPWire

/// Everything the shell asks of an engine. The shell talks to the engine only through this:
/// implemented in-process by NTPRuntime (`LocalAdmin`), in virtual time by NTPSimulation (labs),
/// and over the control socket (NTPService's `RemoteAdmin`, `ntpsh --attach`). Calls are
/// synchronous; implementations marshal them onto the thread that owns the engine.
///
/// Owns the shell's typed view of the admin contract. The members a node answers are written
/// once below over ``AdminTransport/perform(_:)`` (NTPAdmin's requests and answers), so every
/// transport carries them with no body per call; the rest (real time, files, sockets, the
/// per-shell event queue) each transport serves its own way. Adding a capability: a case in
/// `AdminQuery`/`AdminChange` (and its wire name), its handling in `AdminNode.answer`, its
/// typed member here (Docs/architecture.md has a worked example).
public protocol AdminAPI: AdminTransport {
    // Views
    func peerReports() -> [PeerReport]
    func systemReport() -> SystemReport
    func events() -> [EngineEvent]
    /// How long since the engine started.
    func uptime() -> Seconds
    var clockKind: ClockKind { get }

    // Configuration
    func addAssociation(_ configuration: AssociationConfiguration) -> AssociationID
    /// `server`/`peer`/`pool`: adds the association in place of those configured with its host.
    func replaceAssociation(_ configuration: AssociationConfiguration) -> AssociationID
    /// Removes the associations configured with `host`; returns how many.
    func removeAssociations(host: String) -> Int
    /// `fudge 127.127.1.0 stratum N`.
    func setLocalClockStratum(_ stratum: UInt8)
    func engineConfiguration() -> EngineConfiguration
    func setEngineConfiguration(_ configuration: EngineConfiguration)
    /// `restrict`: adds the entry or replaces the flags of the same address and prefix.
    func setRestriction(_ entry: RestrictEntry)
    /// `no restrict`: false when there is no such entry.
    func removeRestriction(network: IPAddress, prefixLength: Int) -> Bool
    /// The restrict list, most specific first, with hit counts.
    func restrictions() -> [RestrictEntry]
    /// `restrict source FLAGS` (nil: `no restrict source`): the flags for the addresses of the
    /// associations `server`, `peer` and `pool` mobilize; returns a note to show, if any.
    func setSourceRestriction(_ flags: RestrictFlags?) -> String?
    /// `mru`, `discard`, `enable`/`disable monitor`: the MRU list's bounds and the rate limit.
    func monitorSettings() -> MonitorSettings
    func setMonitorSettings(_ settings: MonitorSettings)
    /// The newest `limit` entries of the MRU list, oldest first.
    func mruEntries(newest limit: Int) -> [MRUEntry]
    /// The MRU list's counters and limits (`monstats`).
    func monitorReport() -> MonitorReport
    /// What /metrics serves, taken at once (the node's `metrics` query).
    func metricsSnapshot() -> MetricsSnapshot
    /// `keys FILE` (the runner reads and parses the file): replaces the keys.
    func setKeys(_ keys: [SymmetricKey], file: String?)
    /// `trustedkey N…` (true) and `no trustedkey N…` (false).
    func setTrusted(_ keyIDs: [UInt32], _ trusted: Bool)
    /// `controlkey N`: the key mode 6 changes must be signed with (nil: none).
    func setControlKey(_ keyID: UInt32?)
    /// The keys, trusted ids and control key as the engine holds them (for views and mode 6).
    func keyStore() -> KeyStore
    /// `interface`/`nic`: the server's sockets follow these rules (in order; the last match
    /// decides). Returns what it listens on and ignores now.
    func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String
    /// `hwtimestamp IFACE|*` (chrony's directive): what the interface (every one for `*`)
    /// offers for timestamping, one line each; on a NIC offering hardware stamps, whether they
    /// were turned on and its PTP clock read (NTP exchanges keep kernel software stamps).
    /// Throws for a named interface that does not exist.
    func hardwareTimestamping(_ interface: String) throws(AdminError) -> String
    /// `driftfile`: read now (frequency applied if the clock was never corrected), written hourly and on exit.
    func setDriftFile(_ path: String?) -> String?
    /// `metrics listen ADDRESS:PORT` (nil: `no metrics`): serve GET /metrics there. Returns what
    /// it serves now. (What it serves is ``metricsSnapshot()`` rendered by NTPMetrics, the one
    /// renderer: /metrics, `show metrics` and an older shell's `metricsText` call.)
    func setMetrics(_ address: SocketAddress?) throws(AdminError) -> String

    // Actions
    func step(by offset: Seconds) throws(AdminError)
    /// `step now`: a fresh burst to every server, then a step to their consensus; returns the
    /// offset stepped, or throws why not (no answer, no majority).
    func stepNow() throws(AdminError) -> Seconds
    /// Returns how long the slew takes.
    func slew(by offset: Seconds) throws(AdminError) -> Seconds
    /// Waits until the engine is synchronised or `timeout` passes (engine time).
    func waitForSync(timeout: Seconds) -> Bool
    /// Lets `span` pass (engine time: real time for a daemon, virtual time in a lab).
    func sleep(_ span: Seconds)
    /// Events recorded since the last call (for `terminal monitor`).
    func takeEvents() -> [EngineEvent]
    /// The engine's recent clock updates and peer samples (for `plot`).
    func sampleHistory() -> SampleHistory
    /// `statsdir`, `statistics`, `filegen`: which statistics files to write from now on, and
    /// where; returns a note or a warning to show, if any.
    func setStatistics(_ settings: StatisticsSettings) -> String?
    /// `nts …`: the NTS server and client settings (all of them, after each word); returns a
    /// note to show, if any (e.g. what the server still waits for).
    func setNTS(_ settings: NTSSettings) throws(AdminError) -> String
    /// `show nts`, `ntsinfo`: NTS settings, counters and per-association state (nil: no NTS here).
    func ntsReport() -> NTSReport?
}

extension AdminAPI {
    /// The whole MRU list, oldest first.
    public func mruEntries() -> [MRUEntry] { mruEntries(newest: .max) }
    /// An engine that keeps no history (a remote one that cannot send it) has none to plot.
    public func sampleHistory() -> SampleHistory { SampleHistory() }
    public func setStatistics(_ settings: StatisticsSettings) -> String? {
        settings.isActive ? "note: this engine writes no statistics files" : nil
    }
    /// An engine without sockets (a lab) keeps no NTS server.
    public func setNTS(_ settings: NTSSettings) throws(AdminError) -> String {
        settings.enabled ? "note: this engine serves no NTS (no sockets)\n" : ""
    }
    public func ntsReport() -> NTSReport? { nil }
}

/// The typed calls written once over ``AdminTransport``: an AdminAPI that carries requests
/// (in-process, in a lab, over the control socket) gets these members from the request's
/// answer, with no body per call.
/// The dispatcher (``AdminNode/answer(_:)``) answers each request with its own case and fails
/// only on `step` and `slew`: another answer is a broken transport, not bad input.
extension AdminAPI {
    /// Carries `request`; its answer picked by `pick`.
    private func carry<T>(_ request: AdminRequest, _ pick: (AdminAnswer) -> T?) throws(AdminError) -> T {
        let answer = try perform(request)
        guard let value = pick(answer) else { preconditionFailure("the node answered \(answer) to \(request)") }
        return value
    }

    /// Carries a request that cannot fail.
    private func carry<T>(infallible request: AdminRequest, _ pick: (AdminAnswer) -> T?) -> T {
        do throws(AdminError) { return try carry(request, pick) } catch { unanswered(request, error) }
    }

    private func ask<T>(_ query: AdminQuery, _ pick: (AdminAnswer) -> T?) -> T { carry(infallible: .query(query), pick) }
    private func make(_ change: AdminChange) { carry(infallible: .change(change)) { $0 == .done ? () : nil } }

    public func peerReports() -> [PeerReport] { ask(.peerReports) { if case .peerReports(let r) = $0 { r } else { nil } } }
    public func systemReport() -> SystemReport { ask(.systemReport) { if case .systemReport(let r) = $0 { r } else { nil } } }
    public func events() -> [EngineEvent] { ask(.events) { if case .events(let e) = $0 { e } else { nil } } }
    public func engineConfiguration() -> EngineConfiguration {
        ask(.engineConfiguration) { if case .engineConfiguration(let c) = $0 { c } else { nil } }
    }
    public func restrictions() -> [RestrictEntry] { ask(.restrictions) { if case .restrictions(let r) = $0 { r } else { nil } } }
    public func monitorSettings() -> MonitorSettings { ask(.monitorSettings) { if case .monitorSettings(let s) = $0 { s } else { nil } } }
    public func mruEntries(newest limit: Int) -> [MRUEntry] {
        ask(.mruEntries(newest: limit)) { if case .mruEntries(let e) = $0 { e } else { nil } }
    }
    public func monitorReport() -> MonitorReport { ask(.monitorReport) { if case .monitorReport(let r) = $0 { r } else { nil } } }
    public func metricsSnapshot() -> MetricsSnapshot { ask(.metrics) { if case .metrics(let s) = $0 { s } else { nil } } }

    public func addAssociation(_ configuration: AssociationConfiguration) -> AssociationID {
        carry(infallible: .change(.addAssociation(configuration))) { if case .association(let id) = $0 { id } else { nil } }
    }
    public func replaceAssociation(_ configuration: AssociationConfiguration) -> AssociationID {
        carry(infallible: .change(.replaceAssociation(configuration))) { if case .association(let id) = $0 { id } else { nil } }
    }
    public func removeAssociations(host: String) -> Int {
        carry(infallible: .change(.removeAssociations(host: host))) { if case .count(let n) = $0 { n } else { nil } }
    }
    public func setLocalClockStratum(_ stratum: UInt8) { make(.setLocalClockStratum(stratum)) }
    public func setEngineConfiguration(_ configuration: EngineConfiguration) { make(.setEngineConfiguration(configuration)) }
    public func setRestriction(_ entry: RestrictEntry) { make(.setRestriction(entry)) }
    public func removeRestriction(network: IPAddress, prefixLength: Int) -> Bool {
        carry(infallible: .change(.removeRestriction(network: network, prefixLength: prefixLength))) {
            if case .found(let found) = $0 { found } else { nil }
        }
    }
    public func setSourceRestriction(_ flags: RestrictFlags?) -> String? { make(.setSourceRestriction(flags)); return nil }
    public func setKeys(_ keys: [SymmetricKey], file: String?) { make(.setKeys(keys, file: file)) }
    public func setTrusted(_ keyIDs: [UInt32], _ trusted: Bool) { make(.setTrusted(keyIDs, trusted: trusted)) }
    public func setControlKey(_ keyID: UInt32?) { make(.setControlKey(keyID)) }
    public func setMonitorSettings(_ settings: MonitorSettings) { make(.setMonitorSettings(settings)) }
    public func announce(_ text: String) { make(.announce(text)) }
    public func step(by offset: Seconds) throws(AdminError) { try carry(.change(.step(by: offset))) { $0 == .done ? () : nil } }
    public func slew(by offset: Seconds) throws(AdminError) -> Seconds {
        try carry(.change(.slew(by: offset))) { if case .seconds(let s) = $0 { s } else { nil } }
    }
}
