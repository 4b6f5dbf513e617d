// libFuzzer target for the daemon's NTS server path: a request's NTS fields found
// (NTSServer.classify), the engine's ServerResponder (restrict, rate limit, MRU) writing the
// header, and only then the cookie opened, the authenticator checked and the reply or NAK sealed
// into one buffer (NTSServer.answer), as Daemon+NTS.swift runs it. Built by
// scripts/fuzz-nts-server.sh with NTPWire's, NTPEngine's and NTPNTS's pure sources as one
// module, CNTPCrypto's C beside it.
//
// Input: byte 0 picks the source address (0: allowed, 1: `noserve`, 2: `limited`, 3: `ignore`),
// byte 1 the shape (even: the rest XORs a valid NTS request, odd: the rest is the packet).
// Checks: the fields lie inside the packet; a refused or limited source gets no answer; an
// answer fits the buffer answerCapacity sized; an authentic answer only for the exact valid
// request, and the client accepts it as authentic; a NAK is stratum 0, NTSN, no authenticator.

#if canImport(Glibc)
import Glibc
#endif

struct Fixture {
    let keys: NTSCookieKeys
    let request: [UInt8]
    let client: NTSClientState
    let sources = [IPAddress("127.0.0.1")!, IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!, IPAddress("10.0.0.3")!]

    init() {
        var random = FixedRandom()
        keys = NTSCookieKeys(now: 0, using: &random)
        let session = fixedSession()
        var header = [UInt8](repeating: 0, count: 48)
        header[0] = 0x23
        for i in 40 ..< 48 { header[i] = UInt8(i) }
        var state = NTSClientState(session: session, cookies: [NTSCookie.make(session, keys: keys, using: &random)])
        request = state.request(header: header, using: &random)!
        client = state
    }

    static func responder() -> ServerResponder {
        var r = ServerResponder(state: .unsynchronized(precision: PollExponent(-20)))
        r.restrictions.set(RestrictEntry(network: IPAddress("10.0.0.1")!, prefixLength: 32, flags: [.noserve]))
        r.restrictions.set(RestrictEntry(network: IPAddress("10.0.0.2")!, prefixLength: 32, flags: [.limited]))
        r.restrictions.set(RestrictEntry(network: IPAddress("10.0.0.3")!, prefixLength: 32, flags: [.ignore]))
        return r
    }
}

nonisolated(unsafe) let fixture = Fixture()
nonisolated(unsafe) var responder = Fixture.responder()
nonisolated(unsafe) var random = FixedRandom(state: 99)
/// Inputs so far: the receive time advances 0.5 s per input, so the rate limit both holds and lapses.
nonisolated(unsafe) var inputs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func ntsServerFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 2, let data else { return 0 }
    let source = Int(data[0] % 4)
    let rest = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    var packet: [UInt8]
    if data[1] % 2 == 0 {
        packet = fixture.request
        for (i, m) in rest.prefix(packet.count).enumerated() { packet[i] ^= m }
    } else {
        packet = rest
    }
    inputs += 1
    packet.withUnsafeBytes { serve($0, source: source, at: UnixTime(seconds: 1_800_000_000 + Int64(inputs / 2), nanoseconds: 0)) }
    return 0
}

private func serve(_ request: UnsafeRawBufferPointer, source: Int, at time: UnixTime) {
    guard case .nts(let candidate) = NTSServer.classify(request) else { return }
    for r in [candidate.uniqueIdentifier, candidate.cookie, candidate.authenticator.nonce, candidate.authenticator.ciphertext] {
        require(r.lowerBound >= NTPHeader.size && r.upperBound <= request.count, "a field outside the packet")
    }
    let capacity = NTSServer.answerCapacity(candidate)
    let limitedBefore = responder.counters.rateLimited
    var header = true
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
    defer { out.deallocate() }
    let answer = NTSServer.answer(request, candidate, keys: fixture.keys, using: &random, into: out) { out in
        let outcome = responder.respond(to: request, from: fixture.sources[source], sourcePort: 40000, receiveTime: time, into: out)
        guard case .reply(let length) = outcome, length == NTPHeader.size else { header = false; return false }
        return true
    }
    if source == 1 || source == 3 { require(answer == nil, "a refused source was answered") }
    if responder.counters.rateLimited != limitedBefore { require(answer == nil, "a rate-limited request was answered") }
    require((answer == nil) == !header, "an answer without a header, or none with one")
    switch answer {
    case nil: break
    case .authentic(let length, let cookies)?:
        require(length <= capacity && cookies == 1 + candidate.placeholders, "authentic answer's length or cookies")
        let sent = Array(request)
        require(sent.count == fixture.request.count && sent[..<candidate.authenticator.fieldOffset] == fixture.request[..<candidate.authenticator.fieldOffset],
                "a changed request answered as authentic")
        if sent == fixture.request {
            var client = fixture.client
            let reply = Array(UnsafeRawBufferPointer(rebasing: out[0 ..< length]))
            require(client.accept(reply) == .authentic(newCookies: cookies), "the client refused the server's answer")
        }
    case .nak(_, let length)?:
        require(length <= capacity, "a NAK longer than the buffer")
        require(out[1] == 0 && out[12] == 0x4E && out[13] == 0x54 && out[14] == 0x53 && out[15] == 0x4E, "a NAK without NTSN")
    }
}
