import NTPNTS
import NTPWire
import Testing

/// The labs' NTS-KE: a real TLS 1.3 handshake over memory, then the same records and key export
/// as over TCP, and the same client session the daemon keeps.
@Suite("NTS-KE over memory (the labs)")
struct NTSKEInMemoryTests {
    @Test("the handshake exports the same keys at both ends: a request sealed by the client opens at the server, a reply the other way")
    func roundTrip() throws {
        var random = SeededRandom(state: 11)
        let keys = NTSCookieKeys(now: 1_700_000_000, using: &random)
        let ke = try NTSKEInMemory(name: "10.0.0.1")
        let result = try ke.establish(host: "10.0.0.1", keys: keys, using: &random)
        #expect(result.cookies.count == NTSClientState.maximumCookies)
        let session = NTSClientSession()
        session.established(result, now: 0)
        var header = [UInt8](repeating: 0, count: NTPHeader.size)
        header[0] = 0x23  // v4, client
        header[40] = 1
        let request = try #require(session.protect(header, using: &random))
        guard case .authentic(let r) = NTSServer.verify(request, keys: keys) else {
            Issue.record("the server did not verify the client's request")
            return
        }
        var replyHeader = header
        replyHeader[0] = 0x24  // v4, server
        let reply = NTSServer.respond(to: r, header: replyHeader, keys: keys, using: &random)
        #expect(session.check(reply, now: 1) == .authentic(header: replyHeader))
        #expect(session.accepted == 1 && session.cookies == NTSClientState.maximumCookies)
    }

    @Test("a reply altered on the way is refused with the reason in words, and counted")
    func forgedReplyRefused() throws {
        var random = SeededRandom(state: 12)
        let keys = NTSCookieKeys(now: 1_700_000_000, using: &random)
        let session = NTSClientSession()
        session.established(try NTSKEInMemory(name: "ntp.example").establish(host: "ntp.example", keys: keys, using: &random), now: 0)
        var header = [UInt8](repeating: 0, count: NTPHeader.size)
        header[0] = 0x23
        let request = try #require(session.protect(header, using: &random))
        guard case .authentic(let r) = NTSServer.verify(request, keys: keys) else { Issue.record("not verified"); return }
        header[0] = 0x24
        var reply = NTSServer.respond(to: r, header: header, keys: keys, using: &random)
        reply[44] &+= 0x40  // the transmit timestamp 250 ms later
        guard case .refused(let why) = session.check(reply, now: 1) else { Issue.record("a forged reply was accepted"); return }
        #expect(why.contains("does not verify"))
        #expect(session.refused == 1 && session.accepted == 0)
        #expect(session.lastFailure?.contains("forged or altered in transit") == true)
    }

    @Test("the certificate is checked: a client asking for another name is refused by TLS")
    func nameMismatch() throws {
        var random = SeededRandom(state: 13)
        let keys = NTSCookieKeys(now: 1_700_000_000, using: &random)
        let ke = try NTSKEInMemory(name: "10.0.0.1")
        #expect(throws: NTSKEFailure.self) { try ke.establish(host: "10.0.0.2", keys: keys, using: &random) }
        do {
            _ = try ke.establish(host: "ntp.example", keys: keys, using: &random)
        } catch {
            #expect(error.description.contains("certificate"), "\(error)")
        }
    }

    @Test("bad input gets an error in words, not a certificate nobody can use")
    func badValidity() {
        for days: Int32 in [0, -5, 100_000] {
            do {
                _ = try NTSKEInMemory(name: "10.0.0.1", days: days)
                Issue.record("a certificate valid \(days) days was made")
            } catch {
                #expect(error.description.contains("1 to 3650 days"), "\(error)")
            }
        }
    }

    @Test("no AEAD in common: the KE fails with the reason, and the same ends serve the next session")
    func noCommonAlgorithm() throws {
        var random = SeededRandom(state: 14)
        let keys = NTSCookieKeys(now: 1_700_000_000, using: &random)
        let ke = try NTSKEInMemory(name: "10.0.0.1")
        do {
            _ = try ke.establish(host: "10.0.0.1", algorithms: [.aesSIVCMAC256], keys: keys, serverAlgorithms: [.aesSIVCMAC512], using: &random)
            Issue.record("a KE without a common AEAD succeeded")
        } catch {
            #expect(!error.description.isEmpty)
        }
        for _ in 0 ..< 3 {
            #expect(try ke.establish(host: "10.0.0.1", keys: keys, using: &random).cookies.count == NTSClientState.maximumCookies)
        }
    }
}
