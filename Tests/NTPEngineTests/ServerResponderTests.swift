import NTPWire
import Testing
@testable import NTPEngine

@Suite struct ServerResponderTests {
    private func reply(_ responder: inout ServerResponder, _ request: [UInt8], port: UInt16 = 40000,
                       from source: IPAddress = .loopbackIPv4, at time: UnixTime) -> (ServerResponder.Outcome, [UInt8]) {
        var out = [UInt8](repeating: 0xAA, count: 48)
        let outcome = request.withUnsafeBytes { req in
            out.withUnsafeMutableBytes { responder.respond(to: req, from: source, sourcePort: port, receiveTime: time, into: $0) }
        }
        return (outcome, out)
    }

    @Test func everyFieldFollowsTheStateAndTheRequest() throws {
        let t = UnixTime(seconds: 1_800_000_000, nanoseconds: 123_456_789)
        let state = SystemState(
            leap: .insertSecond, stratum: 3, referenceID: ReferenceID(ipv4: 192, 0, 2, 1),
            referenceTime: t.adding(seconds: -100), rootDelay: 0.0123, rootDispersion: 0.0045,
            precision: PollExponent(-23), poll: PollExponent(6))
        var responder = ServerResponder(state: state)
        for version: UInt8 in 1...4 {
            let cookie = NTPTimestamp(rawValue: 0xDEAD_BEEF_0000_0000 + UInt64(version))
            let request = NTPHeader(version: version, mode: .client, poll: PollExponent(Int8(version) + 5), transmitTime: cookie).bytes
            let (outcome, bytes) = reply(&responder, request, at: t)
            #expect(outcome == .reply(length: 48))
            let h = try NTPHeader(decoding: bytes)
            #expect(h.leap == .insertSecond)
            #expect(h.version == version)
            #expect(h.mode == .server)
            #expect(h.stratum == 3)
            #expect(h.poll == PollExponent(Int8(version) + 5))
            #expect(h.precision == PollExponent(-23))
            #expect(h.rootDelay == NTPShort(seconds: 0.0123))
            #expect(h.rootDispersion == NTPShort(seconds: 0.0045 + 15e-6 * 100))
            #expect(h.referenceID == ReferenceID(ipv4: 192, 0, 2, 1))
            #expect(h.referenceTime == NTPTimestamp(t.adding(seconds: -100)))
            #expect(h.originTime == cookie)
            #expect(h.receiveTime == NTPTimestamp(t))
        }
        // A new state takes effect on the next reply, within the same second.
        responder.state = .unsynchronized(precision: PollExponent(-20))
        let (_, bytes) = reply(&responder, NTPHeader(mode: .client, transmitTime: NTPTimestamp(rawValue: 9)).bytes, at: t)
        let h = try NTPHeader(decoding: bytes)
        #expect(h.leap == .unsynchronized)
        #expect(h.stratum == 0)
        #expect(h.referenceID == ReferenceID(ascii: "INIT"))
    }

    @Test func dropsWhatIsNotAClientRequest() {
        var responder = ServerResponder(state: .unsynchronized(precision: PollExponent(-20)))
        let t = UnixTime(seconds: 1_800_000_000, nanoseconds: 0)
        let good = NTPHeader(mode: .client, transmitTime: NTPTimestamp(rawValue: 1)).bytes
        #expect(reply(&responder, Array(good.prefix(47)), at: t).0 == .drop(.tooShort))
        var v5 = good; v5[0] = 5 << 3 | 3
        #expect(reply(&responder, v5, at: t).0 == .drop(.badVersion))
        var m4 = good; m4[0] = 4 << 3 | 4
        #expect(reply(&responder, m4, at: t).0 == .drop(.unsupportedMode))
        var v1 = good; v1[0] = 1 << 3
        #expect(reply(&responder, v1, port: 123, at: t).0 == .drop(.unsupportedMode))
        #expect(reply(&responder, v1, port: 5000, at: t).0 == .reply(length: 48))
        #expect(reply(&responder, good + [1, 2, 3], at: t).0 == .drop(.malformed))
        #expect(responder.counters.received == 6)
        #expect(responder.counters.replied == 1)
        #expect(responder.counters.dropped == 5)
    }

    @Test func restrictDecidesPerPacket() {
        var responder = ServerResponder(state: .unsynchronized(precision: PollExponent(-20)))
        let t = UnixTime(seconds: 1_800_000_000, nanoseconds: 0)
        let request = NTPHeader(mode: .client, transmitTime: NTPTimestamp(rawValue: 1)).bytes
        let lan = IPAddress("192.168.0.7")!, outside = IPAddress("203.0.113.9")!, v6 = IPAddress("2001:db8::1")!
        responder.restrictions.set(RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: [.kod, .nomodify, .noserve]))
        responder.restrictions.set(RestrictEntry(network: IPAddress("192.168.0.0")!, prefixLength: 24, flags: [.nomodify, .notrap]))
        #expect(reply(&responder, request, from: lan, at: t).0 == .reply(length: 48), "the most specific entry wins")
        #expect(reply(&responder, request, from: outside, at: t).0 == .drop(.restricted), "default noserve")
        #expect(reply(&responder, request, from: v6, at: t).0 == .reply(length: 48), "the IPv4 default does not cover IPv6")
        responder.restrictions.set(RestrictEntry(network: IPAddress("192.168.0.7")!, prefixLength: 32, flags: [.ignore]))
        #expect(reply(&responder, request, from: lan, at: t).0 == .drop(.restricted), "a change takes effect on the next packet")
        #expect(responder.restrictions.entries.map(\.hits) == [1, 1, 1], "hits counted per entry")
        let removed = responder.restrictions.remove(network: IPAddress("192.168.0.7")!, prefixLength: 32)
        #expect(removed)
        #expect(reply(&responder, request, from: lan, at: t).0 == .reply(length: 48))
        #expect(responder.counters.droppedRestricted == 2)
    }

    @Test func limitedClientsGetRateKissesThatAreThemselvesLimited() throws {
        var responder = ServerResponder(state: .unsynchronized(precision: PollExponent(-20)))
        responder.restrictions.set(RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: [.limited, .kod]))
        let t = UnixTime(seconds: 1_800_000_000, nanoseconds: 0)
        let client = IPAddress("192.0.2.50")!
        func ask(_ i: Int, at seconds: Double) -> (ServerResponder.Outcome, [UInt8], [UInt8]) {
            let request = NTPHeader(mode: .client, poll: PollExponent(1), transmitTime: NTPTimestamp(rawValue: UInt64(0xABCD_0000 + i))).bytes
            let (o, bytes) = reply(&responder, request, from: client, at: t.adding(seconds: seconds))
            return (o, bytes, request)
        }
        #expect(ask(0, at: 0).0 == .reply(length: 48))
        let (kissOutcome, kiss, request) = ask(1, at: 0.2)
        #expect(kissOutcome == .reply(length: 48))
        let h = try NTPHeader(decoding: kiss)
        #expect(h.leap == .unsynchronized && h.stratum == 0 && h.mode == .server)
        #expect(h.kissCode == .RATE)
        #expect(h.poll == PollExponent(3), "raised to discard average")
        let sent = try NTPHeader(decoding: request)
        #expect(h.originTime == sent.transmitTime && h.receiveTime == sent.transmitTime)
        #expect(ask(2, at: 0.4).0 == .drop(.rateLimited), "the kiss is rate limited too")
        #expect(responder.counters.rateLimited == 2)
        #expect(responder.counters.kissesSent == 1)
        #expect(responder.counters.dropped == 1)
        let entry = try #require(responder.monitor.entry(for: client))
        #expect(entry.count == 3 && entry.dropped == 2 && entry.flags.contains(.limited))
        // Without kod: dropped silently.
        responder.restrictions.set(RestrictEntry(network: .anyIPv4, prefixLength: 0, flags: [.limited]))
        #expect(ask(3, at: 1.2).0 == .drop(.rateLimited))
        #expect(responder.counters.kissesSent == 1)
    }
}

/// Issue 19: mode 6 counts against the rate limit of a `limited` entry, as mode 3 does.
@Suite struct ControlRateLimitTests {
    @Test("admitControl: mode 6 is never rate limited by `limited` (ntpq sends bursts), but is recorded")
    func modeSixIsNotRateLimited() {
        var responder = ServerResponder(state: .unsynchronized(precision: PollExponent(-20)))
        responder.restrictions.set(RestrictEntry(network: IPAddress("192.0.2.0")!, prefixLength: 24, flags: [.limited, .kod]))
        let t = UnixTime(seconds: 1_800_000_000, nanoseconds: 0)
        for i in 0..<20 {
            let flags = responder.admitControl(from: IPAddress("192.0.2.9")!, port: 4000, version: 2, at: t.adding(seconds: Double(i) * 0.1))
            #expect(!flags.contains(.limited) && !flags.contains(.kod))
        }
        #expect(responder.counters.rateLimited == 0)
        #expect(responder.monitor.entries().map(\.count) == [20])
    }
}
