import Glibc
import NTPNTS
import NTPNTSNetwork
import NTPWire
import Testing

/// A deterministic generator (SplitMix64) so the exchanges are reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

func header(mode: UInt8, stratum: UInt8 = 0, fill: UInt8 = 0) -> [UInt8] {
    var h = [UInt8](repeating: fill, count: 48)
    h[0] = 0x20 | mode
    h[1] = stratum
    return h
}

func session(_ random: inout SeededRandom) -> NTSSessionKeys {
    try! NTSSessionKeys(c2s: NTSAEAD(algorithm: .aesSIVCMAC256, key: (0 ..< 32).map { _ in random.next() }),
                        s2c: NTSAEAD(algorithm: .aesSIVCMAC256, key: (0 ..< 32).map { _ in random.next() }))
}

@Suite("NTS exchanges: client state ↔ server pure function")
struct NTSExchangeTests {
    @Test("a request is authentic; the response refills the client to 8 cookies over polls")
    func roundTrip() throws {
        var random = SeededRandom(state: 1)
        let keys = NTSCookieKeys(now: 0, using: &random)
        let s = session(&random)
        let first = NTSCookie.make(s, keys: keys, using: &random)
        #expect(first.count == 100)
        var client = NTSClientState(session: s, cookies: [first])
        for poll in 0 ..< 24 {
            let request = try #require(client.request(header: header(mode: 3), using: &random))
            guard case .authentic(let r) = NTSServer.verify(request, keys: keys) else {
                Issue.record("poll \(poll): not authentic"); return
            }
            #expect(r.cookiesWanted == (poll == 0 ? 8 : 1), "poll \(poll)")
            let response = NTSServer.respond(to: r, header: header(mode: 4, stratum: 2), keys: keys, using: &random)
            #expect(client.accept(response) == .authentic(newCookies: r.cookiesWanted))
            #expect(client.cookies.count == 8)
        }
        #expect(client.responsesAccepted == 24)
        // Cookies differ each time (fresh nonces): none is reused.
        #expect(Set(client.cookies).count == 8)
    }

    @Test("answer() writes into one buffer what verify() and respond() make (same random), for both AEADs and for a NAK; the client accepts it")
    func answerInPlace() throws {
        for algorithm in NTSAEADAlgorithm.allCases {
            var random = SeededRandom(state: 5)
            let keys = NTSCookieKeys(now: 0, using: &random)
            let s = try NTSSessionKeys(c2s: NTSAEAD(algorithm: algorithm, key: (0 ..< algorithm.keyLength).map { _ in random.next() }),
                                       s2c: NTSAEAD(algorithm: algorithm, key: (0 ..< algorithm.keyLength).map { _ in random.next() }))
            var client = NTSClientState(session: s, cookies: [NTSCookie.make(s, keys: keys, using: &random)])
            let request = try #require(client.request(header: header(mode: 3), using: &random))
            guard case .authentic(let r) = NTSServer.verify(request, keys: keys),
                  case .nts(let candidate) = request.withUnsafeBytes({ NTSServer.classify($0) })
            else { Issue.record("\(algorithm): not authentic"); return }
            #expect(candidate.placeholders == 7 && candidate.cookieKeyID == keys.current.id)
            var r1 = random, r2 = random
            let expected = NTSServer.respond(to: r, header: header(mode: 4, stratum: 2), keys: keys, using: &r1)
            var out = [UInt8](repeating: 0xee, count: NTSServer.answerCapacity(candidate))
            out.replaceSubrange(0 ..< 48, with: header(mode: 4, stratum: 2))
            let answer = request.withUnsafeBytes { q in
                out.withUnsafeMutableBytes { NTSServer.answer(q, candidate, keys: keys, using: &r2, into: $0) }
            }
            #expect(answer == .authentic(length: expected.count, cookies: 8))
            #expect(Array(out[..<expected.count]) == expected, "\(algorithm)")
            #expect(client.accept(Array(out[..<expected.count])) == .authentic(newCookies: 8))
            // A forged authenticator: the NAK nak() makes.
            var forged = request
            forged[forged.count - 1] ^= 1
            guard case .nak(let uid, .authenticator) = NTSServer.verify(forged, keys: keys) else { Issue.record("not a NAK"); return }
            out.replaceSubrange(0 ..< 48, with: header(mode: 4, stratum: 2))
            let nak = forged.withUnsafeBytes { q in
                out.withUnsafeMutableBytes { NTSServer.answer(q, candidate, keys: keys, using: &r2, into: $0) }
            }
            let expectedNAK = NTSServer.nak(to: uid, header: header(mode: 4, stratum: 2))
            #expect(nak == .nak(.authenticator, length: expectedNAK.count))
            #expect(Array(out[..<expectedNAK.count]) == expectedNAK)
        }
    }

    @Test("a plain NTP request is not NTS, at no cost beyond the layout scan")
    func plain() {
        var random = SeededRandom(state: 9)
        let keys = NTSCookieKeys(now: 0, using: &random)
        #expect(NTSServer.verify(header(mode: 3), keys: keys) == .notNTS)
        // An unknown extension field alone (RFC 7822) is not NTS either.
        var other = header(mode: 3)
        NTSPacketFields.appendField(type: 0x2005, value: [UInt8](repeating: 0, count: 24), to: &other)
        #expect(NTSServer.verify(other, keys: keys) == .notNTS)
    }

    @Test("a forged authenticator and a bad cookie get an NTS NAK; the client then asks for a KE")
    func naks() throws {
        var random = SeededRandom(state: 2)
        let keys = NTSCookieKeys(now: 0, using: &random)
        let s = session(&random)
        var client = NTSClientState(session: s, cookies: [NTSCookie.make(s, keys: keys, using: &random)])
        var request = try #require(client.request(header: header(mode: 3), using: &random))
        var forged = request
        forged[forged.count - 1] ^= 1
        guard case .nak(let uid, .authenticator) = NTSServer.verify(forged, keys: keys) else {
            Issue.record("forged authenticator not refused"); return
        }
        // A cookie with a flipped bit: NAK, reason "not authentic".
        request[48 + 36 + 4 + 30] ^= 1
        guard case .nak(_, .cookie(.notAuthentic)) = NTSServer.verify(request, keys: keys) else {
            Issue.record("bad cookie not refused"); return
        }
        #expect(!client.needsKeyEstablishment || client.cookies.isEmpty)
        #expect(client.accept(NTSServer.nak(to: uid, header: header(mode: 4))) == .nak)
        #expect(client.needsKeyEstablishment)
        var r2 = random
        #expect(client.request(header: header(mode: 3), using: &r2) == nil)
    }

    @Test("a response that is tampered with, or answers another request, is refused")
    func refusedResponses() throws {
        var random = SeededRandom(state: 3)
        let keys = NTSCookieKeys(now: 0, using: &random)
        let s = session(&random)
        var client = NTSClientState(session: s, cookies: (0 ..< 3).map { _ in NTSCookie.make(s, keys: keys, using: &random) })
        let request = try #require(client.request(header: header(mode: 3), using: &random))
        guard case .authentic(let r) = NTSServer.verify(request, keys: keys) else { Issue.record("not authentic"); return }
        var response = NTSServer.respond(to: r, header: header(mode: 4, stratum: 1), keys: keys, using: &random)
        response[40] ^= 0x80  // the transmit timestamp: a man in the middle shifting the time
        #expect(client.accept(response) == .refused(.notAuthentic))
        var other = r
        other.uniqueIdentifier.value[0] ^= 1
        let misdirected = NTSServer.respond(to: other, header: header(mode: 4), keys: keys, using: &random)
        #expect(client.accept(misdirected) == .refused(.uniqueIdentifierMismatch))
        // A NAK without our unique identifier is ignored (an off-path attacker cannot force a KE).
        #expect(client.accept(NTSServer.nak(to: other.uniqueIdentifier, header: header(mode: 4))) == .refused(.uniqueIdentifierMismatch))
        #expect(!client.needsKeyEstablishment)
        #expect(client.responsesRefused == 3)
    }

    @Test("master keys rotate: cookies under the previous key still open, under a dropped one they NAK")
    func rotation() throws {
        var random = SeededRandom(state: 4)
        var keys = NTSCookieKeys(now: 0, rotationInterval: 100, retainedKeys: 2, using: &random)
        let s = session(&random)
        let old = NTSCookie.make(s, keys: keys, using: &random)
        #expect(!keys.rotateIfDue(now: 99, using: &random))
        #expect(keys.rotateIfDue(now: 100, using: &random))
        #expect(try NTSCookie.open(old, keys: keys).get() == s)
        let oldID = UInt32(old[0]) << 24 | UInt32(old[1]) << 16 | UInt32(old[2]) << 8 | UInt32(old[3])
        #expect(keys.rotateIfDue(now: 200, using: &random))
        #expect(NTSCookie.open(old, keys: keys) == .failure(.unknownKey(oldID)))
        #expect(NTSCookie.open(old.prefix(50), keys: keys) == .failure(.malformed))
    }

    @Test("the key file is written atomically with mode 0600 and read back; a bad file is an error")
    func keyFile() throws {
        var random = SeededRandom(state: 5)
        let template = strdup("/tmp/ntpsh-nts-XXXXXX")!
        defer { free(template) }
        let dir = String(cString: mkdtemp(template)!)
        defer { _ = unlink(dir + "/cookie.keys"); _ = rmdir(dir) }
        let path = dir + "/cookie.keys"
        let made = try NTSCookieKeys.loadOrCreate(path: path, now: 1000, using: &random)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let again = try NTSCookieKeys.loadOrCreate(path: path, now: 2000, using: &random)
        #expect(again.keys == made.keys)
        #expect(throws: NTSKeyFileError.malformedLine(1)) { try NTSCookieKeys(fileText: "12 34 zz\n") }
        #expect(throws: NTSKeyFileError.noKeys) { try NTSCookieKeys(fileText: "# nothing\n") }
    }
}
