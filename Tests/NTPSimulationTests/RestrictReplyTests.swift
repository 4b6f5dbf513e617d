import NTPEngine
import NTPSimulation
import NTPWire
import Testing

/// The restrict list on the client side, as ntpd applies it: to the replies of upstream
/// servers (`ignore`, `notrust`), through `restrict source` for the addresses `server`/`pool`
/// mobilize, and for entries written as IPv4-mapped IPv6. Two engines, real packets, virtual time.
@Suite("restrict applied to replies from upstream servers")
struct RestrictReplyTests {
    typealias W = AuthenticationTests.World
    static let serverIP = AuthenticationTests.serverIP
    static let md5 = AuthenticationTests.md5

    static func everyone(_ flags: RestrictFlags) -> RestrictEntry { RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: flags) }
    static func server(_ flags: RestrictFlags) -> RestrictEntry { RestrictEntry(network: serverIP, prefixLength: 32, flags: flags) }

    @Test("restrict default notrust: an unauthenticated server is not a time source; one authenticated with a trusted key is")
    func notrust() {
        for key: UInt32? in [nil, 1] {
            let w = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP, key: key)])
            w.keys(w.server, [Self.md5], trusted: [1])
            w.keys(w.client, [Self.md5], trusted: [1])
            w.client.node.restrictions.set(Self.everyone(.notrust))
            w.network.run(for: 120)
            #expect(w.client.engine.system.isSynchronized == (key != nil), "key \(String(describing: key))")
            if key == nil {
                #expect(w.upstream.reach == 0 && w.upstream.counters.restricted > 0)
            }
        }
    }

    @Test("ignore drops a server's replies; the same list without it lets them through")
    func ignore() {
        for flags: RestrictFlags in [.ignore, [.nomodify, .noquery]] {
            let w = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
            w.client.node.restrictions.set(Self.server(flags))
            w.network.run(for: 120)
            #expect(w.client.engine.system.isSynchronized == !flags.contains(.ignore), "\(flags.text)")
            #expect((w.upstream.counters.restricted > 0) == flags.contains(.ignore))
        }
    }

    @Test("restrict source: the servers' own flags beat the default; an entry for exactly that address beats them")
    func source() {
        // restrict default ignore, restrict source nomodify: the server is still heard.
        let w = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
        w.client.node.restrictions.set(Self.everyone(.ignore))
        w.client.node.restrictions.sourceFlags = [.nomodify, .noquery]
        w.network.run(for: 120)
        #expect(w.client.engine.system.isSynchronized)
        #expect(w.client.node.restrictions.sourceHits > 0)
        // Without the source line, the default ignores it.
        let plain = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
        plain.client.node.restrictions.set(Self.everyone(.ignore))
        plain.network.run(for: 120)
        #expect(!plain.client.engine.system.isSynchronized)
        // restrict source ignore applies to the servers only: the default stays open.
        let ignored = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
        ignored.client.node.restrictions.sourceFlags = .ignore
        ignored.network.run(for: 120)
        #expect(!ignored.client.engine.system.isSynchronized)
        // A host entry for the server's address decides over restrict source.
        let host = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
        host.client.node.restrictions.sourceFlags = .ignore
        host.client.node.restrictions.set(Self.server([.nomodify]))
        host.network.run(for: 120)
        #expect(host.client.engine.system.isSynchronized)
    }

    @Test("an entry written as IPv4-mapped IPv6 matches the IPv4 address it maps")
    func mapped() throws {
        let mapped = try #require(IPAddress("::ffff:10.1.0.2"))
        let w = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
        w.client.node.restrictions.set(RestrictEntry(network: mapped, prefixLength: 128, flags: .ignore))
        w.network.run(for: 120)
        #expect(!w.client.engine.system.isSynchronized)
        // And on the server side, for a client's requests: ::ffff:10.1.0.0/120 noserve.
        let s = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP)])
        s.server.node.restrictions.set(RestrictEntry(network: try #require(IPAddress("::ffff:10.1.0.0")), prefixLength: 120, flags: .noserve))
        s.network.run(for: 120)
        #expect(!s.client.engine.system.isSynchronized)
        #expect(s.server.responder.counters.droppedRestricted > 0)
        var list = RestrictList()
        list.set(RestrictEntry(network: try #require(IPAddress("::ffff:10.0.0.0")), prefixLength: 104, flags: .ignore))
        #expect(list.entries.first?.target == "10.0.0.0/8")
        #expect(list.check(.v4(0x0a01_0203), port: 123) == .ignore)
        #expect(list.check(try #require(IPAddress("::ffff:10.1.2.3")), port: 123) == .ignore)
        #expect(list.remove(network: try #require(IPAddress("::ffff:10.0.0.0")), prefixLength: 104))
    }

    @Test("a forged reply to no request of ours is dropped on its origin before its MAC: 'authenticated' stays, no event")
    func originBeforeMAC() {
        let w = W(server: [], client: [AuthenticationTests.association(to: Self.serverIP, key: 1)])
        w.keys(w.server, [Self.md5], trusted: [1])
        w.keys(w.client, [Self.md5], trusted: [1])
        w.network.run(for: 120)
        #expect(w.upstream.authenticated)
        let before = w.upstream.counters
        let events = w.client.engine.events.count
        // An off-path forgery: a server reply with a made-up origin, under a key id the client
        // does not expect and with a MAC of zeros, and a crypto-NAK.
        let header = NTPHeader(mode: .server, stratum: 2, originTime: NTPTimestamp(seconds: 1, fraction: 2),
                               receiveTime: NTPTimestamp(seconds: 3, fraction: 0), transmitTime: NTPTimestamp(seconds: 3, fraction: 1))
        let forged = [header.bytes + [0, 0, 0, 9] + Array(repeating: 0, count: 16), header.bytes + [0, 0, 0, 0]]
        let at = w.client.clock.now()
        for bytes in forged {
            for _ in 0..<50 {
                w.client.receive(bytes, from: SocketAddress(ip: Self.serverIP, port: SimulatedNetwork.ntpPort),
                                 to: w.client.address, receiveTime: at, network: w.network)
            }
        }
        let after = w.upstream
        #expect(after.authenticated, "a forged reply flipped 'authenticated'")
        #expect(after.counters.badAuthentication == before.badAuthentication)
        #expect(after.counters.bogusOrigin == before.bogusOrigin + 100)
        #expect(w.client.engine.events.count == events, "\(w.client.engine.events.suffix(3))")
    }
}
