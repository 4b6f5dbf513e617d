public import NTPEngine
public import NTPWire

/// Everything the shell asks of an engine. The shell talks to the engine only through this:
/// implemented in-process by NTPRuntime (`LocalAdmin`), in virtual time by NTPSimulation (labs),
/// and over the control socket (NTPRuntime's `RemoteAdmin`, `ntpsh --attach`). Calls are
/// synchronous; implementations marshal them onto the thread that owns the engine.
///
/// A new member must also travel over the control socket: a `ControlCall` in ``ControlCalls``
/// (ControlProtocol.swift), its handler in `ControlCalls.all`, the method in `RemoteAdmin`, and
/// a row in Docs/control-protocol.md (four short steps, listed there).
public protocol AdminAPI: AnyObject {
    // Views
    func peerReports() -> [PeerReport]
    func systemReport() -> SystemReport
    func events() -> [EngineEvent]
    /// Seconds since the engine started.
    func uptime() -> Double
    var clockKind: ClockKind { get }

    // Configuration
    func addAssociation(_ configuration: AssociationConfiguration) -> AssociationID
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
    /// `driftfile`: read now (frequency applied if the clock was never corrected), written hourly and on exit.
    func setDriftFile(_ path: String?) -> String?

    // Actions
    func step(by offset: Double) throws(AdminError)
    /// `step now`: a fresh burst to every server, then a step to their consensus; returns the
    /// offset stepped, or throws why not (no answer, no majority).
    func stepNow() throws(AdminError) -> Double
    /// Returns how long the slew takes, seconds.
    func slew(by offset: Double) throws(AdminError) -> Double
    /// Waits until the engine is synchronised or `timeout` seconds pass (engine time).
    func waitForSync(timeout: Double) -> Bool
    /// Lets `seconds` pass (engine time: real time for a daemon, virtual time in a lab).
    func sleep(seconds: Double)
    /// Events recorded since the last call (for `terminal monitor`).
    func takeEvents() -> [EngineEvent]
    /// The engine's recent clock updates and peer samples (for `plot`).
    func sampleHistory() -> SampleHistory
    /// `statsdir`, `statistics`, `filegen`: which statistics files to write from now on, and
    /// where; returns a note or a warning to show, if any.
    func setStatistics(_ settings: StatisticsSettings) -> String?
}

extension AdminAPI {
    /// The whole MRU list, oldest first.
    public func mruEntries() -> [MRUEntry] { mruEntries(newest: .max) }
    /// An engine that keeps no history (a remote one that cannot send it) has none to plot.
    public func sampleHistory() -> SampleHistory { SampleHistory() }
    /// A remote engine applies configuration lines in its own runner (the `configure` call);
    /// an AdminAPI without the call says so.
    public func setSourceRestriction(_ flags: RestrictFlags?) -> String? {
        flags == nil ? nil : "note: this engine does not apply 'restrict source'"
    }
    public func setStatistics(_ settings: StatisticsSettings) -> String? {
        settings.isActive ? "note: this engine writes no statistics files" : nil
    }
}

/// A refused or failed administrative action, in words for the admin.
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
