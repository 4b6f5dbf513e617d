import NTPCrypto
import NTPEngine
import NTPSimulation
import NTPWire
import Testing

/// Two engines on a simulated network, one serving its local clock: symmetric-key
/// authentication (client and server side), `notrust`, and symmetric peers (modes 1 and 2).
@Suite("symmetric keys and peers between two engines")
struct AuthenticationTests {
    static let serverIP = IPAddress.v4(0x0a01_0002)
    static let clientIP = IPAddress.v4(0x0a01_0001)

    struct World {
        let network = SimulatedNetwork(seed: 7)
        let server: EngineHost
        let client: EngineHost

        init(server serverAssociations: [AssociationConfiguration], client clientAssociations: [AssociationConfiguration]) {
            var local = AssociationConfiguration(kind: .localClock, host: "127.127.1.0")
            local.localStratum = 8
            server = Self.host(network, AuthenticationTests.serverIP, offset: 0, [local] + serverAssociations)
            client = Self.host(network, AuthenticationTests.clientIP, offset: 0.02, clientAssociations)
        }

        static func host(_ network: SimulatedNetwork, _ ip: IPAddress, offset: Double, _ associations: [AssociationConfiguration]) -> EngineHost {
            let clock = SimulatedClock(trueTime: network.startTime, initialOffset: offset, frequencyError: 5, seed: 3)
            let h = EngineHost(clock: clock, address: SocketAddress(ip: ip, port: SimulatedNetwork.ntpPort),
                               configuration: EngineConfiguration(), associations: associations, seed: 5,
                               macProvider: OpenSSLMAC())
            network.addHost(h, address: h.address)
            return h
        }

        func keys(_ host: EngineHost, _ keys: [SymmetricKey], trusted: Set<UInt32>) {
            host.node.keys.replaceKeys(keys, file: "keys")
            host.node.keys.trusted = trusted
        }

        var upstream: PeerReport { client.engine.peerReports().first { $0.address?.ip == AuthenticationTests.serverIP }! }
    }

    static func association(_ kind: AssociationConfiguration.Kind = .server, to ip: IPAddress, key: UInt32? = nil) -> AssociationConfiguration {
        var a = AssociationConfiguration(kind: kind, host: ip.description)
        a.iburst = true
        a.key = key
        return a
    }

    static let md5 = SymmetricKey(id: 1, algorithm: .md5, secret: Array("shared".utf8))
    static let cmac = SymmetricKey(id: 2, algorithm: .aes128CMAC, secret: Array(0...15))

    @Test("same key on both sides: requests and replies carry MACs, the client synchronises")
    func sameKey() {
        for key in [Self.md5, Self.cmac] {
            let w = World(server: [], client: [Self.association(to: Self.serverIP, key: key.id)])
            w.keys(w.server, [key], trusted: [key.id])
            w.keys(w.client, [key], trusted: [key.id])
            w.network.run(for: 120)
            #expect(w.client.engine.system.isSynchronized, "\(key.algorithm)")
            #expect(w.upstream.authenticated)
            #expect(w.upstream.counters.badAuthentication == 0)
            #expect(w.server.responder.counters.authenticated > 0)
            #expect(w.server.responder.counters.cryptoNAKs == 0)
        }
    }

    @Test("a wrong secret: the server answers crypto-NAKs, the client rejects them and says so")
    func wrongSecret() {
        let w = World(server: [], client: [Self.association(to: Self.serverIP, key: 1)])
        w.keys(w.server, [SymmetricKey(id: 1, algorithm: .md5, secret: Array("other".utf8))], trusted: [1])
        w.keys(w.client, [Self.md5], trusted: [1])
        w.network.run(for: 120)
        #expect(!w.client.engine.system.isSynchronized)
        #expect(w.upstream.reach == 0)
        #expect(w.upstream.counters.badAuthentication > 0)
        #expect(w.upstream.authenticationFailure == .cryptoNAK)
        #expect(w.server.responder.counters.cryptoNAKs > 0)
        #expect(w.server.responder.lastAuthenticationFailure?.failure == .badMAC(1))
        let said = w.client.events.map(\.description)
        #expect(said.contains("10.1.0.2 authentication failed: crypto-NAK (the server could not authenticate our request); ignored"), "\(said)")
        #expect(said.filter { $0.contains("authentication failed") }.count == 1, "said once, not at every poll")
    }

    @Test("a key the client does not trust, or lacks: it does not poll, and says why")
    func untrustedKey() {
        let w = World(server: [], client: [Self.association(to: Self.serverIP, key: 1), Self.association(to: .v4(0x0a01_0003), key: 9)])
        w.keys(w.server, [Self.md5], trusted: [1])
        w.keys(w.client, [Self.md5], trusted: [])
        w.network.run(for: 60)
        #expect(w.upstream.counters.sent == 0)
        #expect(w.upstream.counters.unsigned > 0)
        let said = w.client.events.map(\.description)
        #expect(said.contains("10.1.0.2 not polled: key 1 is not trusted (trustedkey)"), "\(said)")
        #expect(said.contains("10.1.0.3 not polled: key 9 is not in the keys file"), "\(said)")
    }

    @Test("notrust: the server answers only authenticated requests")
    func notrust() {
        for key: UInt32? in [nil, 1] {
            let w = World(server: [], client: [Self.association(to: Self.serverIP, key: key)])
            w.keys(w.server, [Self.md5], trusted: [1])
            w.keys(w.client, [Self.md5], trusted: [1])
            w.server.node.restrictions.set(RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: .notrust))
            w.network.run(for: 120)
            #expect(w.client.engine.system.isSynchronized == (key != nil), "key \(String(describing: key))")
        }
    }

    @Test("peer: mode 1 answered with mode 2 both ways; nopeer refuses an unconfigured peer")
    func peers() {
        let w = World(server: [Self.association(.peer, to: Self.clientIP)], client: [Self.association(.peer, to: Self.serverIP)])
        w.network.run(for: 120)
        #expect(w.client.engine.system.isSynchronized)
        #expect(w.upstream.kind == .symmetricActive)
        let back = w.server.engine.peerReports().first { $0.address?.ip == Self.clientIP }
        #expect(back?.reach != 0, "the server's own peer association hears the client answer in mode 2")

        // nopeer: an address that is not our configured peer gets no answer to mode 1.
        let refused = World(server: [], client: [Self.association(.peer, to: Self.serverIP)])
        refused.server.node.restrictions.set(RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: .nopeer))
        refused.network.run(for: 120)
        #expect(refused.upstream.reach == 0)
        #expect(refused.server.responder.counters.droppedRestricted > 0)
        // …while a configured peer passes nopeer.
        let configured = World(server: [Self.association(.peer, to: Self.clientIP)], client: [Self.association(.peer, to: Self.serverIP)])
        configured.server.node.restrictions.set(RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: .nopeer))
        configured.network.run(for: 120)
        #expect(configured.client.engine.system.isSynchronized)
    }
}
