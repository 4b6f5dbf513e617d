public import NTPEngine
public import NTPWire

/// The simulated world: true time, the hosts under test, the upstream servers, the links
/// between them, a name table, and one event queue that drives it all in virtual time, as fast
/// as the machine goes (chrony's clknetsim idea, in-process).
///
/// Events are packet deliveries, host wakeups and scheduled actions (faults, lab commands).
/// Before an event at true time T is handled, every host and server clock is advanced to T.
/// Hosts ask to be woken at a *local* time; the network converts it to true time with the
/// host clock's current rate and, when the clock turns out not to be there yet (a slew, a
/// step), waits the remainder: wakeups are never early and never busy-loop. Equal times are
/// handled in the order they were scheduled.
///
/// Everything random (delays, losses) comes from ``SimulationRandom`` streams derived from
/// ``seed`` and the link's endpoints, so one seed gives one history, and changing one link's
/// parameters does not change the noise on the others.
///
/// Single-threaded; not `Sendable`.
public final class SimulatedNetwork {
    /// 2026-01-01T00:00:00Z: where worlds start unless told otherwise.
    public static let defaultStartTime = UnixTime(seconds: 1_767_225_600, nanoseconds: 0)
    /// The port servers get unless added with another.
    public static let ntpPort: UInt16 = 123

    public let seed: UInt64
    /// True time at the start.
    public let startTime: UnixTime
    /// True time now.
    public private(set) var now: UnixTime
    /// The link used between endpoints that have no override.
    public var defaultLink: LinkModel
    /// Packet counts.
    public private(set) var statistics = NetworkStatistics()
    /// Called for every datagram sent (before the link decides its fate), for traces.
    public var packetObserver: ((SimulatedPacket) -> Void)?

    private enum Endpoint { case host(HostEntry), server(SimulatedServer) }

    private final class HostEntry {
        let host: any SimulatedHost
        let address: SocketAddress
        /// The local time of the wakeup in the queue, if one is.
        var pendingLocal: UnixTime?
        /// Bumped whenever the queued wakeup is superseded; stale queue entries are skipped.
        var generation: UInt64 = 0
        /// True time of the last `wake` call (to keep a host that asks for "now" again from
        /// spinning at one instant).
        var lastWake: UnixTime?
        init(host: any SimulatedHost, address: SocketAddress) { self.host = host; self.address = address }
    }

    private enum Event {
        case deliver(bytes: [UInt8], from: SocketAddress, to: SocketAddress)
        case wake(HostEntry, generation: UInt64)
        case action((SimulatedNetwork) -> Void)
    }

    private struct LinkKey: Hashable { var from: IPAddress; var to: IPAddress }

    private var queue = EventHeap<Event>()
    private var hostEntries: [HostEntry] = []
    private var serverList: [SimulatedServer] = []
    private var endpoints: [IPAddress: Endpoint] = [:]
    private var linkOverrides: [LinkKey: LinkModel] = [:]
    private var linkRandom: [LinkKey: SimulationRandom] = [:]
    private var middlemen: [LinkKey: ManInTheMiddle] = [:]
    private var names: [String: [IPAddress]] = [:]
    private var nextServerNumber: UInt32 = 1

    /// A world at `startTime` whose randomness all derives from `seed`.
    public init(seed: UInt64, startTime: UnixTime = SimulatedNetwork.defaultStartTime, defaultLink: LinkModel = .accuracyDefault) {
        self.seed = seed
        self.startTime = startTime
        now = startTime
        self.defaultLink = defaultLink
    }

    /// Seconds of true time since the start.
    public var elapsed: Double { now - startTime }

    // MARK: Hosts and servers

    /// The hosts, in the order added.
    public var hosts: [any SimulatedHost] { hostEntries.map(\.host) }
    /// The servers, in the order added.
    public var servers: [SimulatedServer] { serverList }

    /// Adds a host that receives every datagram sent to `address`'s IP (any port). Its clock is
    /// advanced to now; it must not be ahead of now.
    public func addHost(_ host: any SimulatedHost, address: SocketAddress) {
        precondition(endpoints[address.ip] == nil, "SimulatedNetwork: \(address.ip) is taken")
        host.clock.advance(to: now)
        let entry = HostEntry(host: host, address: address)
        hostEntries.append(entry)
        endpoints[address.ip] = .host(entry)
        reschedule(entry)
    }

    /// Removes a host; datagrams to it are dropped from now on.
    public func removeHost(_ host: any SimulatedHost) {
        guard let i = hostEntries.firstIndex(where: { $0.host === host }) else { return }
        let entry = hostEntries.remove(at: i)
        entry.generation &+= 1
        endpoints[entry.address.ip] = nil
    }

    /// The address a host was added with.
    public func address(of host: any SimulatedHost) -> SocketAddress? {
        hostEntries.first { $0.host === host }?.address
    }

    /// Adds a server at `address` (default: the next of 10.0.0.1, 10.0.0.2, … port 123) and,
    /// given a `name`, adds its address to that name in the name table (a pool is several
    /// servers under one name). Its clock is advanced to now. Returns the address.
    @discardableResult
    public func addServer(_ server: SimulatedServer, address: SocketAddress? = nil, name: String? = nil) -> SocketAddress {
        let chosen = address ?? nextServerAddress()
        precondition(endpoints[chosen.ip] == nil, "SimulatedNetwork: \(chosen.ip) is taken")
        server.clock.advance(to: now)
        server.address = chosen
        if let name {
            server.name = server.name ?? name
            register(name: name, addresses: [chosen.ip])
        }
        serverList.append(server)
        endpoints[chosen.ip] = .server(server)
        return chosen
    }

    /// Removes a server (and its address from the name table); requests to it are lost.
    public func removeServer(_ server: SimulatedServer) {
        serverList.removeAll { $0 === server }
        guard let address = server.address else { return }
        endpoints[address.ip] = nil
        for (name, list) in names { names[name] = list.filter { $0 != address.ip } }
    }

    /// The server at `address`'s IP, if any.
    public func server(at address: SocketAddress) -> SimulatedServer? {
        if case .server(let s)? = endpoints[address.ip] { return s }
        return nil
    }

    private func nextServerAddress() -> SocketAddress {
        while true {
            let n = nextServerNumber
            nextServerNumber += 1
            let ip = IPAddress.v4(0x0a00_0000 | n)
            if endpoints[ip] == nil { return SocketAddress(ip: ip, port: Self.ntpPort) }
        }
    }

    // MARK: Names

    /// Adds `addresses` to `name` (keeping order, no duplicates).
    public func register(name: String, addresses: [IPAddress]) {
        var list = names[name.lowercased()] ?? []
        for a in addresses where !list.contains(a) { list.append(a) }
        names[name.lowercased()] = list
    }

    /// Removes a name.
    public func unregister(name: String) { names[name.lowercased()] = nil }

    /// The addresses of `name` (case-insensitive), in the order registered; an address literal
    /// resolves to itself; empty if unknown.
    public func resolve(_ name: String) -> [IPAddress] {
        if let literal = IPAddress(name) { return [literal] }
        return names[name.lowercased()] ?? []
    }

    // MARK: Links

    /// Sets (or with nil, removes) the link between a host at `host` and a server or peer at
    /// `peer`: `outbound` carries host → peer, `inbound` peer → host.
    public func setLink(_ link: LinkModel?, host: IPAddress, peer: IPAddress) {
        linkOverrides[LinkKey(from: host, to: peer)] = link
    }

    /// The link between `host` and `peer`: the override if set, else ``defaultLink``.
    public func link(host: IPAddress, peer: IPAddress) -> LinkModel {
        linkOverrides[LinkKey(from: host, to: peer)] ?? defaultLink
    }

    /// Puts (or with nil, takes away) a man in the middle on the path of datagrams from
    /// `source` to `destination`: it alters them as they leave.
    public func setManInTheMiddle(_ middleman: ManInTheMiddle?, from source: IPAddress, to destination: IPAddress) {
        middlemen[LinkKey(from: source, to: destination)] = middleman
    }

    /// The man in the middle on that path, if any.
    public func manInTheMiddle(from source: IPAddress, to destination: IPAddress) -> ManInTheMiddle? {
        middlemen[LinkKey(from: source, to: destination)]
    }

    /// The direction a datagram from `source` to `destination` travels.
    private func direction(from source: IPAddress, to destination: IPAddress) -> LinkDirection {
        if let l = linkOverrides[LinkKey(from: source, to: destination)] { return l.outbound }
        if let l = linkOverrides[LinkKey(from: destination, to: source)] { return l.inbound }
        // Default link: a datagram from a host is outbound, anything else is inbound.
        if case .host? = endpoints[source] { return defaultLink.outbound }
        return defaultLink.inbound
    }

    /// The random stream of one direction of one link: a function of the seed and the two
    /// addresses only.
    private func randomStream(_ key: LinkKey) -> SimulationRandom {
        var mix = SplitMix64(seed: seed)
        for word in [key.from.bits128.high, key.from.bits128.low, key.to.bits128.high, key.to.bits128.low] {
            mix.state ^= word
            _ = mix.next()
        }
        return SimulationRandom(seed: seed, stream: mix.next())
    }

    // MARK: Sending and scheduling

    /// Sends a datagram now: the link decides whether it is lost and when it arrives.
    public func send(_ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress) {
        transmit(bytes, from: source, to: destination, departure: now)
    }

    /// Sends a datagram leaving at true time `departure` (now or later).
    func transmit(_ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, departure: UnixTime) {
        statistics.sent += 1
        packetObserver?(SimulatedPacket(bytes: bytes, source: source, destination: destination, departure: departure))
        let key = LinkKey(from: source.ip, to: destination.ip)
        var bytes = bytes
        if !middlemen.isEmpty { middlemen[key]?.tamper(&bytes) }
        var random = linkRandom[key] ?? randomStream(key)
        let delay = direction(from: source.ip, to: destination.ip).draw(&random)
        linkRandom[key] = random
        guard let delay else {
            statistics.lost += 1
            return
        }
        queue.push(.deliver(bytes: bytes, from: source, to: destination), at: departure.adding(seconds: delay))
    }

    /// Runs `action` at true time `time` (now, if that is past). Actions at equal times run
    /// in the order scheduled; hosts' wakeups are looked at again after each.
    public func schedule(at time: UnixTime, _ action: @escaping (SimulatedNetwork) -> Void) {
        queue.push(.action(action), at: max(time, now))
    }

    /// Runs `action` `seconds` of true time from now.
    public func schedule(after seconds: Double, _ action: @escaping (SimulatedNetwork) -> Void) {
        schedule(at: now.adding(seconds: seconds), action)
    }

    /// Asks every host again when it wants to be woken: call it after changing a host from
    /// outside the simulation (an admin command, a clock step by hand).
    public func hostsChanged() {
        for entry in hostEntries { reschedule(entry) }
    }

    /// Queues `entry`'s wakeup afresh (the host's clock may have been stepped or slewed even
    /// if it asks for the same local time); the one queued before goes stale.
    private func reschedule(_ entry: HostEntry) {
        entry.generation &+= 1
        guard let local = entry.host.nextWakeup() else {
            entry.pendingLocal = nil
            return
        }
        entry.pendingLocal = local
        queue.push(.wake(entry, generation: entry.generation), at: trueTime(ofLocal: local, on: entry))
    }

    /// When `entry`'s clock is expected to read `local`, never later: the conversion assumes a
    /// rate a little above the clock's present one (frequency, wander, a slew that may end), so
    /// a wakeup comes early, is queued again for the rest, and within a few rounds lands within
    /// nanoseconds after `local`. Never before now, and after a wake at this very instant at
    /// least a microsecond later.
    private func trueTime(ofLocal local: UnixTime, on entry: HostEntry) -> UnixTime {
        let clock = entry.host.clock
        let earliest = entry.lastWake == now ? now.adding(seconds: 1e-6) : now
        let ahead = local - clock.now()
        guard ahead > 0 else { return earliest }
        var rate = 1 + clock.rate
        if !(rate > 0.5) { rate = 1 }
        if ahead > 1e-6 {
            rate += Self.rateMargin + abs(clock.driver.slewRate)
        }
        let ns = max(1, (ahead / rate * 1e9).rounded(.up))
        guard ns < 9e18 else { return UnixTime(nanoseconds: .max) }
        return max(earliest, UnixTime(nanoseconds: now.nanoseconds &+ Int64(ns)))
    }

    /// How much faster than its present rate a host clock is assumed to run when converting a
    /// wakeup (covers any realistic wander within one poll).
    static let rateMargin = 1e-4

    // MARK: Running

    /// Runs the world until true time `until` (events at exactly `until` included), calling
    /// `sample` at every true time `startTime + k · sampleEvery` (k ≥ 1) on the way, after the
    /// events before that instant and before those at it. `sampleEvery` ≤ 0: no samples.
    public func run(until: UnixTime, sampleEvery: Double = 1, sample: (SimulatedNetwork) -> Void = { _ in }) {
        let step = sampleEvery > 0 ? Int64((sampleEvery * 1e9).rounded()) : 0
        var k: Int64 = step > 0 ? (now.nanoseconds - startTime.nanoseconds) / step + 1 : 0
        var nextSample: UnixTime? = step > 0 ? UnixTime(nanoseconds: startTime.nanoseconds + k * step) : nil
        hostsChanged()
        while true {
            let eventTime = queue.nextTime
            if let s = nextSample, s <= until, eventTime.map({ s < $0 }) ?? true {
                advanceClocks(to: s)
                sample(self)
                k += 1
                nextSample = UnixTime(nanoseconds: startTime.nanoseconds + k * step)
                continue
            }
            guard let t = eventTime, t <= until, let (time, event) = queue.pop() else { break }
            advanceClocks(to: time)
            handle(event)
        }
        if until > now { advanceClocks(to: until) }
    }

    /// Runs for `seconds` of true time from now.
    public func run(for seconds: Double, sampleEvery: Double = 1, sample: (SimulatedNetwork) -> Void = { _ in }) {
        run(until: now.adding(seconds: seconds), sampleEvery: sampleEvery, sample: sample)
    }

    private func advanceClocks(to time: UnixTime) {
        guard time > now else { return }
        now = time
        for entry in hostEntries { entry.host.clock.advance(to: time) }
        for server in serverList { server.clock.advance(to: time) }
    }

    private func handle(_ event: Event) {
        statistics.events += 1
        switch event {
        case .deliver(let bytes, let source, let destination):
            switch endpoints[destination.ip] {
            case .host(let entry)?:
                statistics.delivered += 1
                entry.host.receive(bytes, from: source, to: destination, receiveTime: entry.host.clock.now(), network: self)
                reschedule(entry)
            case .server(let server)? where server.address?.port == destination.port:
                statistics.delivered += 1
                server.handle(bytes, from: source, to: destination, network: self)
            default:
                statistics.undeliverable += 1
            }
        case .wake(let entry, let generation):
            guard generation == entry.generation, let local = entry.pendingLocal else { return }
            if entry.host.clock.now() < local {
                // Early (the clock ran slower than expected): wait for the rest.
                entry.generation &+= 1
                queue.push(.wake(entry, generation: entry.generation), at: trueTime(ofLocal: local, on: entry))
                return
            }
            entry.pendingLocal = nil
            entry.lastWake = now
            statistics.wakeups += 1
            entry.host.wake(network: self)
            reschedule(entry)
        case .action(let action):
            action(self)
            hostsChanged()
        }
    }
}

/// A datagram as it leaves its sender.
public struct SimulatedPacket: Sendable {
    public var bytes: [UInt8]
    public var source: SocketAddress
    public var destination: SocketAddress
    /// True time it left.
    public var departure: UnixTime
}

/// What the network did.
public struct NetworkStatistics: Sendable, Equatable {
    /// Datagrams sent (by hosts and servers).
    public var sent = 0
    /// Lost on a link.
    public var lost = 0
    /// Delivered to a host or server.
    public var delivered = 0
    /// Arrived at an address (or server port) where nobody is.
    public var undeliverable = 0
    /// Host wakeups made.
    public var wakeups = 0
    /// Events handled (deliveries, wakeups, actions, stale entries).
    public var events = 0

    public init() {}
}
