import NTPWire
import Testing
@testable import NTPEngine

/// The server side of interleaved mode (RFC 9769, chrony's and ntpd's `xleave`): per client,
/// the receive timestamp of its last interleaved-looking request and the kernel transmit
/// timestamp of the reply to it, kept in its MRU slot.
@Suite struct InterleavedServerTests {
    let state = SystemState(
        leap: .noWarning, stratum: 2, referenceID: ReferenceID(ipv4: 192, 0, 2, 1),
        referenceTime: UnixTime(seconds: 1_800_000_000, nanoseconds: 0), rootDelay: 0.001, rootDispersion: 0.001,
        precision: PollExponent(-23), poll: PollExponent(6))

    private func exchange(_ responder: inout ServerResponder, _ request: NTPHeader, from source: IPAddress = .loopbackIPv4,
                          at time: UnixTime) throws -> NTPHeader {
        var out = [UInt8](repeating: 0, count: 48)
        let outcome = request.bytes.withUnsafeBytes { req in
            out.withUnsafeMutableBytes { responder.respond(to: req, from: source, sourcePort: 40000, receiveTime: time, into: $0) }
        }
        #expect(outcome == .reply(length: 48))
        if !responder.interleaved {
            out.withUnsafeMutableBytes { ServerResponder.stampTransmit(time.adding(seconds: 0.000_010), into: $0) }
        }
        return try NTPHeader(decoding: out)
    }

    @Test func theThirdReplyOfAnInterleavedClientCarriesTheKernelStampOfTheSecond() throws {
        var responder = ServerResponder(state: state)
        let t0 = UnixTime(seconds: 1_800_000_100, nanoseconds: 0)
        // 1: a basic request (zero origin): a basic reply, no stamp asked for.
        let c1 = NTPTimestamp(rawValue: 0x1111)
        let r1 = try exchange(&responder, NTPHeader(mode: .client, transmitTime: c1), at: t0)
        #expect(r1.originTime == c1 && responder.transmitStamp == nil && !responder.interleaved)
        // 2: interleaved-looking (origin = our receive stamp, receive ≠ transmit); nothing kept yet:
        // a basic reply, whose kernel stamp is asked for.
        let t2 = t0.adding(seconds: 16)
        let c2 = NTPTimestamp(rawValue: 0x2222)
        let local2 = NTPTimestamp(rawValue: 0x2200)
        let r2 = try exchange(&responder, NTPHeader(mode: .client, originTime: r1.receiveTime, receiveTime: local2, transmitTime: c2), at: t2)
        #expect(r2.originTime == c2, "basic: origin echoes the request's transmit")
        let slot2 = try #require(responder.transmitStamp)
        #expect(!responder.interleaved)
        let kernel2 = t2.adding(seconds: 0.000_003)
        responder.transmitted(slot2, at: kernel2)
        // 3: interleaved: origin = the request's receive field, transmit = the kernel stamp of reply 2.
        let t3 = t2.adding(seconds: 16)
        let local3 = NTPTimestamp(rawValue: 0x3300)
        let r3 = try exchange(&responder, NTPHeader(mode: .client, originTime: r2.receiveTime, receiveTime: local3,
                                                    transmitTime: NTPTimestamp(rawValue: 0x3333)), at: t3)
        #expect(responder.interleaved)
        #expect(r3.originTime == local3)
        #expect(r3.receiveTime == NTPTimestamp(t3))
        #expect(r3.transmitTime == NTPTimestamp(kernel2))
        #expect(responder.interleavedReplies == 1)
        // Its own stamp is asked for too, for the next one.
        #expect(responder.transmitStamp != nil)
    }

    /// Interleaved symmetric mode (`peer HOST xleave`): a symmetric active peer's interleaved
    /// request is answered as a client's, in symmetric passive mode; a basic symmetric peer's
    /// (origin = our last transmit, never our receive stamp) stays basic.
    @Test func aSymmetricActivePeerIsAnsweredInterleavedInSymmetricPassiveMode() throws {
        var responder = ServerResponder(state: state)
        let t0 = UnixTime(seconds: 1_800_000_100, nanoseconds: 0)
        let r1 = try exchange(&responder, NTPHeader(mode: .symmetricActive, transmitTime: NTPTimestamp(rawValue: 0x1111)), at: t0)
        #expect(r1.mode == .symmetricPassive && responder.transmitStamp == nil)
        let t2 = t0.adding(seconds: 8)
        let r2 = try exchange(&responder, NTPHeader(mode: .symmetricActive, originTime: r1.receiveTime,
                                                    receiveTime: NTPTimestamp(rawValue: 0x2200), transmitTime: NTPTimestamp(rawValue: 0x2222)), at: t2)
        #expect(r2.mode == .symmetricPassive && !responder.interleaved)
        let kernel2 = t2.adding(seconds: 0.000_004)
        responder.transmitted(try #require(responder.transmitStamp), at: kernel2)
        let local3 = NTPTimestamp(rawValue: 0x3300)
        let r3 = try exchange(&responder, NTPHeader(mode: .symmetricActive, originTime: r2.receiveTime, receiveTime: local3,
                                                    transmitTime: NTPTimestamp(rawValue: 0x3333)), at: t2.adding(seconds: 8))
        #expect(responder.interleaved && r3.mode == .symmetricPassive)
        #expect(r3.originTime == local3 && r3.transmitTime == NTPTimestamp(kernel2))
        // A basic symmetric peer: its origin is our reply's transmit, not a receive stamp we keep.
        let basic = try exchange(&responder, NTPHeader(mode: .symmetricActive, originTime: r3.transmitTime,
                                                       receiveTime: NTPTimestamp(rawValue: 0x4400), transmitTime: NTPTimestamp(rawValue: 0x4444)),
                                 at: t2.adding(seconds: 16))
        #expect(!responder.interleaved && basic.originTime == NTPTimestamp(rawValue: 0x4444))
    }

    @Test func aStaleOriginOrAMissingStampFallsBackToBasic() throws {
        var responder = ServerResponder(state: state)
        let t0 = UnixTime(seconds: 1_800_000_100, nanoseconds: 0)
        let r1 = try exchange(&responder, NTPHeader(mode: .client, originTime: NTPTimestamp(rawValue: 5),
                                                    receiveTime: NTPTimestamp(rawValue: 6), transmitTime: NTPTimestamp(rawValue: 7)), at: t0)
        let slot1 = try #require(responder.transmitStamp)
        // The stamp of reply 1 never comes: reply 2 is basic.
        let t2 = t0.adding(seconds: 1)
        let r2 = try exchange(&responder, NTPHeader(mode: .client, originTime: r1.receiveTime,
                                                    receiveTime: NTPTimestamp(rawValue: 8), transmitTime: NTPTimestamp(rawValue: 9)), at: t2)
        #expect(!responder.interleaved && r2.originTime == NTPTimestamp(rawValue: 9))
        // A stamp for reply 1 arriving late is not taken for reply 2's.
        responder.transmitted(slot1, at: t0)
        let r3 = try exchange(&responder, NTPHeader(mode: .client, originTime: r2.receiveTime,
                                                    receiveTime: NTPTimestamp(rawValue: 10), transmitTime: NTPTimestamp(rawValue: 11)),
                              at: t2.adding(seconds: 1))
        #expect(!responder.interleaved && r3.originTime == NTPTimestamp(rawValue: 11))
        // An origin that is not our last receive stamp (a lost reply, a replay): basic.
        let slot3 = try #require(responder.transmitStamp)
        responder.transmitted(slot3, at: t2.adding(seconds: 1.000_002))
        _ = try exchange(&responder, NTPHeader(mode: .client, originTime: r2.receiveTime,
                                               receiveTime: NTPTimestamp(rawValue: 12), transmitTime: NTPTimestamp(rawValue: 13)),
                         at: t2.adding(seconds: 2))
        #expect(!responder.interleaved)
        // Another client's stamps are its own.
        let other = try exchange(&responder, NTPHeader(mode: .client, originTime: r2.receiveTime,
                                                       receiveTime: NTPTimestamp(rawValue: 14), transmitTime: NTPTimestamp(rawValue: 15)),
                                 from: .v4(0x0A00_0001), at: t2.adding(seconds: 3))
        #expect(!responder.interleaved && other.originTime == NTPTimestamp(rawValue: 15))
    }

    @Test func basicRequestsAskForNothing() throws {
        var responder = ServerResponder(state: state)
        let t = UnixTime(seconds: 1_800_000_100, nanoseconds: 0)
        // Zero origin (chrony's and SNTP clients), receive equal to transmit, older versions,
        // symmetric mode: no stamp, no interleaving.
        let requests = [
            NTPHeader(mode: .client, transmitTime: NTPTimestamp(rawValue: 1)),
            NTPHeader(mode: .client, originTime: NTPTimestamp(rawValue: 2), receiveTime: NTPTimestamp(rawValue: 3), transmitTime: NTPTimestamp(rawValue: 3)),
            NTPHeader(version: 3, mode: .client, originTime: NTPTimestamp(rawValue: 2), receiveTime: NTPTimestamp(rawValue: 4), transmitTime: NTPTimestamp(rawValue: 5)),
        ]
        for r in requests {
            _ = try exchange(&responder, r, at: t)
            #expect(responder.transmitStamp == nil && !responder.interleaved)
        }
        // With the MRU list off there is no slot: basic.
        responder.monitor.apply({ var m = MonitorSettings(); m.enabled = false; return m }())
        _ = try exchange(&responder, NTPHeader(mode: .client, originTime: NTPTimestamp(rawValue: 2),
                                               receiveTime: NTPTimestamp(rawValue: 4), transmitTime: NTPTimestamp(rawValue: 5)), at: t)
        #expect(responder.transmitStamp == nil)
    }
}
