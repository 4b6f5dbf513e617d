import NTPEngine
import NTPWire
import Testing
@testable import NTPSimulation

/// The rules chrony's simulation harness checks of a client's requests and selection
/// (test.common's check_packet_interval and check_source_selection), in virtual time.
@Suite("request scheduling and selection in virtual time")
struct SchedulingTests {
    /// A client engine with `servers`, its requests' true departure times collected.
    private final class Client {
        let network: SimulatedNetwork
        let host: EngineHost
        var requests: [(time: UnixTime, to: SocketAddress)] = []

        init(_ network: SimulatedNetwork, servers: [SocketAddress], seed: UInt64, offset: Double = 0.1,
             stepThreshold: Double = 0.128, iburst: Bool = true, minPoll: Int8 = 6, maxPoll: Int8 = 10) {
            self.network = network
            let clock = SimulatedClock(trueTime: network.startTime, initialOffset: offset, frequencyError: 100,
                                       wanderPerSqrtSecond: 1e-9, seed: seed)
            var config = EngineConfiguration()
            config.stepThreshold = Seconds(stepThreshold)
            let associations = servers.map { s -> AssociationConfiguration in
                var a = AssociationConfiguration(host: s.ip.description)
                a.iburst = iburst
                a.minPoll = minPoll
                a.maxPoll = maxPoll
                return a
            }
            host = EngineHost(clock: clock, address: clientAddress, configuration: config,
                              associations: associations, seed: seed)
            network.addHost(host, address: host.address)
            network.packetObserver = { [unowned self] packet in
                if packet.source == self.host.address { self.requests.append((packet.departure, packet.destination)) }
            }
        }

        /// Gaps between consecutive requests (to any server), seconds of true time.
        var gaps: [Double] { zip(requests.dropFirst(), requests).map { $0.time - $1.time } }
        var events: [String] { host.events.map(\.description) }
    }

    private static func servers(_ network: SimulatedNetwork, count: Int, falsetickers: [Double] = []) -> [SocketAddress] {
        (0..<count).map { i in
            let server = SimulatedServer(model: .perfect, startTime: network.startTime)
            if i < falsetickers.count { server.falseticker = .constant(offset: falsetickers[i]) }
            return network.addServer(server)
        }
    }

    @Test("several servers: never two requests within 0.18 s (chrony's limit), first sync still quick",
          arguments: [UInt64(1), 2, 3, 4, 5])
    func separation(seed: UInt64) throws {
        let network = SimulatedNetwork(seed: seed, defaultLink: LinkModel(baseDelay: 1e-3, jitter: 1e-4))
        let client = Client(network, servers: Self.servers(network, count: 5), seed: seed)
        network.run(for: 4000)
        #expect(client.requests.count > 5 * 8, "the iburst and the polls went out")
        let least = try #require(client.gaps.min())
        #expect(least >= 0.18, "least gap \(least) s")
        let synced = try #require(client.host.events.first { $0.description.hasPrefix("synchronised") })
        // Local time, 0.1 s ahead of true time until the first correction.
        #expect(synced.time - network.startTime < 20, "synchronised within the iburst: \(synced.time - network.startTime) s")
        #expect(abs(client.host.clock.trueOffset) < 1e-3)
    }

    @Test("a step forward (clock 100 s behind) fires no request early", arguments: [UInt64(1), 2, 3])
    func noVolleyAfterStep(seed: UInt64) throws {
        for offset in [-100.0, 100.0] {
            let network = SimulatedNetwork(seed: seed)
            let client = Client(network, servers: Self.servers(network, count: 1), seed: seed, offset: offset, iburst: false)
            network.run(for: 1500)
            #expect(client.events.contains { $0.hasPrefix("clock stepped by") }, "\(offset): stepped")
            let least = try #require(client.gaps.min())
            // One server: chrony's limit is 1.8 s; our polls are 64 s apart from the start.
            #expect(least >= 60, "\(offset): least gap \(least) s")
            #expect(abs(client.host.clock.trueOffset) < 1e-3)
        }
    }

    @Test("the mean poll interval is at least 2^poll (chrony's limit 0.99 × 2^poll)",
          arguments: [Int8(4), 6, 8, 10])
    func meanPollInterval(poll: Int8) throws {
        let network = SimulatedNetwork(seed: UInt64(poll), defaultLink: LinkModel(baseDelay: 1e-4, jitter: 1e-6))
        let client = Client(network, servers: Self.servers(network, count: 1), seed: UInt64(poll),
                            stepThreshold: 0.01, iburst: false, minPoll: poll, maxPoll: poll)
        let interval = PollExponent(poll).seconds
        network.run(for: interval * 40)
        let gaps = client.gaps
        #expect(gaps.count >= 35)
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        #expect(mean >= interval, "mean \(mean) s at poll \(poll)")
        #expect(mean <= interval * 1.05)
        #expect(try #require(gaps.min()) >= interval * 0.99)
        #expect(try #require(gaps.max()) <= interval * 1.1)
    }

    @Test("0.1 s jitter: the system peer is lost only by a step", arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func largeJitterKeepsPeer(seed: UInt64) {
        let network = SimulatedNetwork(seed: seed, defaultLink: LinkModel(baseDelay: 1e-4, jitter: 0.1))
        let client = Client(network, servers: Self.servers(network, count: 1), seed: seed, offset: 1, iburst: false)
        network.run(for: 10000)
        Self.expectPeerLostOnlyByStep(client.events, "seed \(seed)")
        #expect(client.host.engine.system.systemPeer != nil)
        #expect(abs(client.host.clock.trueOffset) < 0.5)
    }

    @Test("one or two falsetickers among five: they are rejected and the peer is kept",
          arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8, 9, 10])
    func falsetickers(seed: UInt64) {
        for liars in [[1.0], [1.0, 2.0]] {
            let network = SimulatedNetwork(seed: seed, defaultLink: LinkModel(baseDelay: 1e-3, jitter: 1e-4))
            let addresses = Self.servers(network, count: 5, falsetickers: liars)
            let client = Client(network, servers: addresses, seed: seed)
            network.run(for: 10000)
            Self.expectPeerLostOnlyByStep(client.events, "seed \(seed), \(liars.count) falsetickers")
            let engine = client.host.engine
            for a in engine.sortedAssociations.prefix(liars.count) {
                #expect(a.select == .falseticker || a.select == .reject, "seed \(seed): \(a.configuration.host) is \(a.select)")
            }
            #expect(abs(client.host.clock.trueOffset) < 1e-3, "seed \(seed): \(client.host.clock.trueOffset)")
        }
    }

    /// The harness's rule (scripts/clknetsim.sh's check_source_selection for ntpsh): a system
    /// peer was chosen, and "no system peer" follows only a step.
    private static func expectPeerLostOnlyByStep(_ events: [String], _ what: String) {
        #expect(events.contains { $0.hasPrefix("new system peer") }, "\(what)")
        var forgiven = false
        for e in events {
            if e.hasPrefix("clock stepped") { forgiven = true }
            if e.hasPrefix("no system peer") {
                #expect(forgiven, "\(what): \(events.joined(separator: " | "))")
                forgiven = false
            }
        }
    }
}
