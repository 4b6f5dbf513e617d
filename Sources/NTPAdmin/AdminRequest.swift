public import NTPEngine
public import NTPWire

/// Owns the admin contract as data: what a shell may ask of a node (``AdminRequest``: a query
/// or a change), what it gets back (``AdminAnswer``), and the one dispatcher that carries a
/// request out on a node's parts (``AdminNode/answer(_:)``). The in-process daemon
/// (NTPRuntime's `LocalAdmin`) and the lab (NTPSimulation's `SimulationAdmin`) both hand
/// requests to this dispatcher; neither writes a body per call.
///
/// Adding a capability: a case here (and its answer), its handling in ``AdminNode/answer(_:)``,
/// and the typed method the shell calls in `AdminAPI` (AdminAPI.swift).
public enum AdminRequest: Sendable, Equatable, Codable {
    case query(AdminQuery)
    case change(AdminChange)
}

/// A request that reads the node and changes nothing.
public enum AdminQuery: Sendable, Equatable, Codable {
    case peerReports
    case systemReport
    case events
    case engineConfiguration
    case restrictions
    case monitorSettings
    /// The newest `limit` entries of the MRU list, oldest first.
    case mruEntries(newest: Int)
    case monitorReport
    /// What /metrics serves, taken at once (the host's uptime and version with it).
    case metrics
}

/// A request that changes the node.
public enum AdminChange: Sendable, Equatable, Codable {
    case addAssociation(AssociationConfiguration)
    /// `server`, `peer`, `pool`: the association replaces those configured with the same host
    /// (one trip: the rule is the node's, not the shell's).
    case replaceAssociation(AssociationConfiguration)
    /// Removes the associations configured with `host`; answers how many.
    case removeAssociations(host: String)
    /// `fudge 127.127.1.0 stratum N`.
    case setLocalClockStratum(UInt8)
    case setEngineConfiguration(EngineConfiguration)
    /// `restrict`: adds the entry or replaces the flags of the same address and prefix.
    case setRestriction(RestrictEntry)
    /// `no restrict`: answers false when there is no such entry.
    case removeRestriction(network: IPAddress, prefixLength: Int)
    /// `restrict source FLAGS` (nil: `no restrict source`).
    case setSourceRestriction(RestrictFlags?)
    /// `keys FILE` (the runner reads and parses the file): replaces the keys.
    case setKeys([SymmetricKey], file: String?)
    /// `trustedkey N…` (true) and `no trustedkey N…` (false).
    case setTrusted([UInt32], trusted: Bool)
    /// `controlkey N` (nil: none).
    case setControlKey(UInt32?)
    case setMonitorSettings(MonitorSettings)
    /// Steps the clock by `offset`.
    case step(by: Seconds)
    /// Slews the clock by `offset`; answers how long the slew takes.
    case slew(by: Seconds)
    /// Records an event every shell sees: what the engine's host did to the configuration by
    /// itself (`commit confirmed` reverted).
    case announce(String)

    /// Whether the change adds or removes associations (the node's host then reschedules).
    public var changesAssociations: Bool {
        switch self {
        case .addAssociation, .replaceAssociation, .removeAssociations: return true
        default: return false
        }
    }
}

/// What a node answers to an ``AdminRequest``.
public enum AdminAnswer: Sendable, Equatable, Codable {
    /// A change that has nothing to report.
    case done
    case peerReports([PeerReport])
    case systemReport(SystemReport)
    case events([EngineEvent])
    case engineConfiguration(EngineConfiguration)
    case restrictions([RestrictEntry])
    case monitorSettings(MonitorSettings)
    case mruEntries([MRUEntry])
    case monitorReport(MonitorReport)
    case association(AssociationID)
    case count(Int)
    case found(Bool)
    /// A span (how long a slew takes).
    case seconds(Seconds)
    case metrics(MetricsSnapshot)
}

/// A refused or failed administrative action, in words for the admin.
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The parts of a node an ``AdminRequest`` reads and changes: the engine, the server side's
/// restrict list and MRU list, and the keys. NTPEngine's ``Node`` is one (the daemon and the
/// lab's engine host each drive one).
public protocol AdminNode: AnyObject {
    var engine: Engine { get }
    var restrictions: RestrictList { get set }
    var monitor: MRUList { get set }
    var keys: KeyStore { get set }
    /// The server side's counters (for the system report).
    var serverCounters: ServerCounters { get }
    /// Called after a change that added or removed associations.
    func associationsChanged()
}

extension AdminNode {
    /// The one dispatcher: carries `request` out on this node (on the thread that owns it).
    /// Carries `request` out; `host` supplies what the node does not know (the `metrics`
    /// query's uptime and version).
    public func answer(_ request: AdminRequest, host: AdminHost = .unknown) throws(AdminError) -> AdminAnswer {
        switch request {
        case .query(let query): return answer(query, host: host)
        case .change(let change):
            defer { if change.changesAssociations { associationsChanged() } }
            return try apply(change)
        }
    }

    private func answer(_ query: AdminQuery, host: AdminHost) -> AdminAnswer {
        switch query {
        case .peerReports: return .peerReports(engine.peerReports())
        case .systemReport: return .systemReport(engine.systemReport(server: serverCounters))
        case .events: return .events(engine.events)
        case .engineConfiguration: return .engineConfiguration(engine.configuration)
        case .restrictions: return .restrictions(restrictions.entries)
        case .monitorSettings: return .monitorSettings(monitor.settings)
        case .mruEntries(let limit): return .mruEntries(monitor.entries(newest: limit))
        case .monitorReport: return .monitorReport(monitor.report(at: engine.clock.now()))
        case .metrics:
            return .metrics(MetricsSnapshot(system: engine.systemReport(server: serverCounters), peers: engine.peerReports(),
                                            monitor: monitor.report(at: engine.clock.now()),
                                            uptime: host.uptime, version: host.version))
        }
    }

    private func apply(_ change: AdminChange) throws(AdminError) -> AdminAnswer {
        switch change {
        case .addAssociation(let configuration): return .association(engine.add(configuration))
        case .replaceAssociation(let configuration):
            engine.remove(host: configuration.host)
            return .association(engine.add(configuration))
        case .removeAssociations(let host): return .count(engine.remove(host: host))
        case .setLocalClockStratum(let stratum): engine.setLocalClockStratum(stratum)
        case .setEngineConfiguration(let configuration): engine.configuration = configuration
        case .setRestriction(let entry): restrictions.set(entry)
        case .removeRestriction(let network, let prefixLength):
            return .found(restrictions.remove(network: network, prefixLength: prefixLength))
        case .setSourceRestriction(let flags): restrictions.sourceFlags = flags
        case .setKeys(let keys, let file): self.keys.replaceKeys(keys, file: file)
        case .setTrusted(let ids, let trusted):
            if trusted { keys.trusted.formUnion(ids) } else { keys.trusted.subtract(ids) }
        case .setControlKey(let id): keys.controlKey = id
        case .setMonitorSettings(let settings): monitor.apply(settings)
        case .step(let offset):
            do throws(ClockError) { try engine.step(by: offset) } catch { throw AdminError("cannot step the clock: \(error)") }
        case .slew(let offset):
            do throws(ClockError) { return .seconds(try engine.slew(by: offset)) } catch {
                throw AdminError("cannot slew the clock: \(error)")
            }
        case .announce(let text): engine.announce(text)
        }
        return .done
    }
}

/// Carries requests to a node and brings its answers back: in-process (the daemon's loop
/// thread), in virtual time (a lab). The shell's typed calls are written once over it.
public protocol AdminTransport: AnyObject {
    func perform(_ request: AdminRequest) throws(AdminError) -> AdminAnswer
    /// A request that cannot fail on a node failed on the way (a socket's engine is gone or
    /// refused): ends the session. Never called in-process or in a lab.
    func unanswered(_ request: AdminRequest, _ error: AdminError) -> Never
}

extension AdminTransport {
    public func unanswered(_ request: AdminRequest, _ error: AdminError) -> Never {
        preconditionFailure("\(request.call) failed on the node: \(error)")
    }
}

/// A node is what the dispatcher works on.
extension Node: AdminNode {}
