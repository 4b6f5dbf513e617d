public import NTPEngine
public import NTPNTS
public import NTPWire

/// The real engine as a host of the simulated network: the same ``Engine`` the daemon runs,
/// on a ``SimulatedClock``, polling simulated servers and (optionally) answering simulated
/// clients with the same ``ServerResponder``.
public final class EngineHost: SimulatedHost {
    public let clock: SimulatedClock
    /// The engine, its server side and keys (the admin dispatcher works on it).
    public let node: Node
    public var engine: Engine { node.engine }
    /// The host's own address on the network (requests leave from it).
    public let address: SocketAddress
    /// The server side (its counters, for tests and reports).
    public var responder: ServerResponder { node.responder }
    /// Set when the engine asked to exit (`-q` done, or panic).
    public private(set) var exitStatus: Int32?
    public private(set) var exitReason: String?
    /// Events the engine reported, in order.
    public private(set) var events: [EngineEvent] = []
    /// The NTS client state of each `server HOST nts` association, by its configured host (the
    /// same ``NTSClientSession`` the daemon keeps); NTS-KE runs in memory with the simulated
    /// server at the association's address.
    public private(set) var ntsSessions: [String: NTSClientSession] = [:]
    /// NTS requests sent, authentic replies, refused ones (forged, not ours), KE done/failed.
    public private(set) var ntsCounters = NTSClientCounters()
    private var ntsRandom: SimulationRandom

    public init(
        clock: SimulatedClock, address: SocketAddress, configuration: EngineConfiguration,
        associations: [AssociationConfiguration], seed: UInt64, macProvider: (any MACProvider)? = nil
    ) {
        self.clock = clock
        self.address = address
        node = Node(engine: Engine(configuration: configuration, clock: clock, seed: seed), keys: KeyStore(provider: macProvider))
        ntsRandom = SimulationRandom(seed: seed, stream: 0x4E54_5343)
        for a in associations { node.engine.add(a) }
    }

    /// An engine configured as ACCURACY.md's world asks: the world's servers, polling and
    /// step threshold, the drift file's frequency when the row has one.
    public convenience init(world: AccuracyWorld, configuration: EngineConfiguration = EngineConfiguration()) {
        var config = configuration
        config.stepThreshold = Seconds(world.settings.stepThreshold)
        config.initialFrequency = world.settings.initialFrequencyCorrection.map { PPM($0) }
        let associations = world.settings.servers.map { server -> AssociationConfiguration in
            var a = AssociationConfiguration(kind: .server, host: server.ip.description)
            a.port = server.port
            a.iburst = world.settings.iburst
            a.minPoll = world.settings.minpoll.log2Seconds
            a.maxPoll = world.settings.maxpoll.log2Seconds
            return a
        }
        self.init(clock: world.clientClock, address: world.clientAddress, configuration: config,
                  associations: associations, seed: world.seed &+ 0x5EED)
    }

    /// `step now`: starts the burst; the outcome appears in the engine's `stepNowOutcome`.
    public func startStepNow(network: SimulatedNetwork) {
        perform(engine.startStepNow(), network: network)
        network.hostsChanged()
    }

    public func nextWakeup() -> UnixTime? {
        exitStatus == nil ? engine.nextWakeup() : nil
    }

    public func wake(network: SimulatedNetwork) {
        perform(engine.handleTimer(), network: network)
    }

    public func receive(
        _ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, receiveTime: UnixTime,
        network: SimulatedNetwork
    ) {
        guard bytes.count >= NTPHeader.size else { return }
        node.responder.restrictions.follow(engine)  // `restrict source`: the associations' addresses now
        if bytes[0] & 7 == NTPMode.server.rawValue || bytes[0] & 7 == NTPMode.symmetricPassive.rawValue {
            let restrict = node.responder.restrictions.check(source.ip, port: source.port)
            guard let reply = ntsCheck(bytes, from: source, network: network) else { return }
            perform(engine.handleReply(reply, from: source, receiveTime: receiveTime, restrict: restrict), network: network)
            return
        }
        // A request from a simulated client: answer as the daemon would.
        guard let reply = answer(bytes, from: source, receiveTime: receiveTime) else { return }
        network.send(reply, from: destination, to: source)
    }

    /// The server's reply to a client's request received at `receiveTime` (the host clock's
    /// reading), through the engine's responder and restrict list; nil when it is dropped. The
    /// transmit timestamp is the clock's reading now. `shift` seconds are added to the times
    /// the reply carries (the lab served on a real socket: lab time moved onto real time).
    public func answer(_ bytes: [UInt8], from source: SocketAddress, receiveTime: UnixTime, shift: Double = 0) -> [UInt8]? {
        var reply = [UInt8](repeating: 0, count: ServerResponder.replyCapacity)
        let outcome = bytes.withUnsafeBytes { request in
            reply.withUnsafeMutableBytes { out in
                node.responder.respond(to: request, from: source.ip, sourcePort: source.port, receiveTime: receiveTime, into: out)
            }
        }
        guard case .reply(let length) = outcome else { return nil }
        if shift != 0 {
            // The header (root dispersion above all) is the lab's; only the times move.
            func store(_ time: UnixTime, at offset: Int) {
                let stamp = NTPTimestamp(time.adding(seconds: shift)).rawValue
                for i in 0..<8 { reply[offset + i] = UInt8(truncatingIfNeeded: stamp >> (56 - 8 * UInt64(i))) }
            }
            if let reference = responder.state.referenceTime { store(reference, at: 16) }
            store(receiveTime, at: 32)
        }
        reply.withUnsafeMutableBytes { out in
            let sent = UnsafeMutableRawBufferPointer(rebasing: out[0..<length])
            ServerResponder.stampTransmit(clock.now().adding(seconds: shift), into: sent)
            node.responder.seal(sent)
        }
        return Array(reply[0..<length])
    }

    /// The configured host of the NTS association polling `address` (nil: not NTS).
    private func ntsHost(_ address: SocketAddress) -> String? {
        guard let a = engine.associations.values.first(where: { $0.address == address && !$0.isPool }),
              a.configuration.ntsKEPort != nil else { return nil }
        return a.configuration.host
    }

    private func ntsSession(_ host: String) -> NTSClientSession {
        if let s = ntsSessions[host] { return s }
        let s = NTSClientSession()
        ntsSessions[host] = s
        return s
    }

    /// The engine's request, NTS-protected for an NTS association (NTS-KE first when no
    /// cookie is left: in memory, with the server at `destination`); nil when it cannot go.
    private func ntsProtect(_ bytes: [UInt8], to destination: SocketAddress, network: SimulatedNetwork) -> [UInt8]? {
        guard let host = ntsHost(destination) else { return bytes }
        let session = ntsSession(host)
        if session.cookies == 0 || session.state?.needsKeyEstablishment == true {
            let now = network.now.nanoseconds
            guard session.mayStartKeyEstablishment(now: now) else { return nil }
            do throws(NTSKEFailure) {
                guard let server = network.server(at: destination), let nts = server.nts else {
                    throw .connect("\(destination.ip) port 4460: connection refused (no NTS-KE server there)")
                }
                session.established(try nts.establish(host: host), now: now)
                ntsCounters.keGood += 1
            } catch {
                let wait = session.failed(error, now: now)
                ntsCounters.keBad += 1
                announce(NTSClientSession.keyEstablishmentFailedNotice(host: host, error, wait: wait))
                return nil
            }
        }
        guard let request = session.protect(bytes, using: &ntsRandom) else { return nil }
        ntsCounters.sent += 1
        return request
    }

    /// A reply from `source`: for an NTS association, its header when authentic; nil when
    /// refused (counted, the reason kept) or an NTS NAK.
    private func ntsCheck(_ bytes: [UInt8], from source: SocketAddress, network: SimulatedNetwork) -> [UInt8]? {
        guard let host = ntsHost(source) else { return bytes }
        let session = ntsSession(host)
        let verdict = session.check(bytes, now: network.now.nanoseconds)
        if let notice = session.notice(verdict, host: host) { announce(notice) }
        switch verdict {
        case .authentic(let header):
            ntsCounters.receivedGood += 1
            return header
        case .nak, .refused:
            ntsCounters.receivedBad += 1
            return nil
        }
    }

    /// What the daemon logs about NTS, recorded as an event (`events`, `terminal monitor`).
    private func announce(_ text: String) {
        engine.announce(text)
        events.append(contentsOf: engine.takeEvents())
    }

    private func perform(_ actions: [EngineAction], network: SimulatedNetwork) {
        var pending = actions
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .send(let bytes, let destination):
                if let packet = ntsProtect(bytes, to: destination, network: network) {
                    network.send(packet, from: address, to: destination)
                }
            case .resolve(let id, let host):
                pending.append(contentsOf: engine.resolved(id, addresses: network.resolve(host)))
            case .exit(let status, let reason):
                exitStatus = status
                exitReason = reason
            }
        }
        events.append(contentsOf: engine.takeEvents())
        node.engineActed(peersMayHaveChanged: true)
    }
}

/// The NTS client's counters of a simulated host (ntpq's `ntsinfo` client lines).
public struct NTSClientCounters: Sendable, Equatable {
    public var sent: UInt64 = 0, receivedGood: UInt64 = 0, receivedBad: UInt64 = 0, keGood: UInt64 = 0, keBad: UInt64 = 0
}
