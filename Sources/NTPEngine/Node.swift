/// Owns one NTP node composed once: the engine (associations, selection, the clock
/// discipline), the server side that answers clients (``ServerResponder``: restrict list, MRU
/// list, counters) and the keys both authenticate with, kept in step. The daemon drives a node
/// with real sockets and time, the simulation with virtual ones; neither wires the parts itself.
public final class Node {
    public let engine: Engine
    /// The server side (mutated in place: its MRU list is large).
    public var responder: ServerResponder

    public init(engine: Engine, keys: KeyStore) {
        self.engine = engine
        responder = ServerResponder(state: engine.serverState)
        self.keys = keys
        associationsChanged()
    }

    /// The keys the engine, the server side and mode 6 authenticate with.
    public var keys: KeyStore {
        get { engine.keys }
        set { engine.keys = newValue; responder.keys = newValue }
    }

    /// The restrict list the server side applies.
    public var restrictions: RestrictList {
        get { responder.restrictions }
        set { responder.restrictions = newValue }
    }

    /// The MRU list and rate limit of the server side.
    public var monitor: MRUList {
        get { responder.monitor }
        set { responder.monitor = newValue }
    }

    /// The server side's counters (for the system report).
    public var serverCounters: ServerCounters { responder.counters }

    /// The addresses of `peer` associations pass `nopeer`: after associations were added or removed.
    public func associationsChanged() { responder.configuredPeers = engine.peerAddresses }

    /// After the engine acted (a timer, a reply, a change): the server side answers with the
    /// engine's new state (leap, stratum, reference) and, when `peersMayHaveChanged` (the
    /// engine asked for something: a resolution may have given a peer its address), its peers.
    public func engineActed(peersMayHaveChanged: Bool) {
        responder.state = engine.serverState
        if peersMayHaveChanged { associationsChanged() }
    }
}
