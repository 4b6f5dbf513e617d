// libFuzzer target for NTS: the NTS-KE record parser (NTPWire), the NTS extension-field scan
// (NTPWire), the server's verifier and the client's response check (NTPNTS, AES-SIV through
// OpenSSL). Built by scripts/fuzz-nts.sh with NTPWire's and NTPNTS's pure sources into one
// module, CNTPCrypto's C compiled beside it.
//
// The first input byte picks the target:
//   0: NTS-KE bytes. scan and decode must agree; a decoded message re-encodes to the input.
//   1: an NTP packet. The NTS field ranges lie inside the packet; verify() does not crash.
//   2: a valid NTS request XORed with the input. verify() says authentic only if the bytes
//      before the authenticator are unchanged (they are the associated data).
//   3: a response to a pending request. accept() never yields more than 8 cookies and is
//      authentic only for the exact response the server made.

#if canImport(Glibc)
import Glibc
#endif

struct Fixture {
    let keys: NTSCookieKeys
    let session: NTSSessionKeys
    let request: [UInt8]
    let client: NTSClientState
    let response: [UInt8]

    init() {
        var random = FixedRandom()
        keys = NTSCookieKeys(now: 0, using: &random)
        session = fixedSession()
        var header = [UInt8](repeating: 0, count: 48)
        header[0] = 0x23
        var state = NTSClientState(session: session, cookies: [NTSCookie.make(session, keys: keys, using: &random)])
        request = state.request(header: header, using: &random)!
        client = state
        guard case .authentic(let r) = NTSServer.verify(request, keys: keys) else { fatalError("fixture not authentic") }
        header[0] = 0x24
        response = NTSServer.respond(to: r, header: header, keys: keys, using: &random)
    }
}

nonisolated(unsafe) let fixture = Fixture()

@_cdecl("LLVMFuzzerTestOneInput")
public func ntsFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 4 {
    case 0: keRecords(input)
    case 1: packet(input)
    case 2: mutatedRequest(input)
    default: response(input)
    }
    return 0
}

private func keRecords(_ bytes: [UInt8]) {
    let decoded: Result<[NTSKERecord], NTSKEError>
    do throws(NTSKEError) { decoded = .success(try NTSKEMessage.decode(bytes)) } catch { decoded = .failure(error) }
    let scanned: NTSKEMessage.Scan?
    do throws(NTSKEError) { scanned = try NTSKEMessage.scan(bytes) } catch { scanned = nil }
    if case .success(let records) = decoded {
        require(records.count <= NTSKEMessage.maximumRecords, "too many records accepted")
        require(NTSKEMessage.encode(records) == bytes, "encode(decode(x)) != x")
        require(scanned == .complete(records, length: bytes.count), "scan and decode disagree")
    }
}

private func packet(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        guard let layout = try? NTPPacketLayout.scan(raw) else { return }
        if let fields = try? NTSPacketFields.scan(raw, layout: layout) {
            for r in fields.cookies + [fields.uniqueIdentifier].compactMap({ $0 }) {
                require(r.lowerBound >= NTPHeader.size && r.upperBound <= layout.macOffset, "field outside the packet")
            }
            if let a = fields.authenticator {
                require(a.nonce.upperBound <= a.ciphertext.lowerBound && a.ciphertext.upperBound <= layout.macOffset,
                        "authenticator parts outside the field")
            }
        }
        _ = NTSServer.verify(raw, keys: fixture.keys)
    }
}

private func mutatedRequest(_ mask: [UInt8]) {
    var request = fixture.request
    for (i, m) in mask.prefix(request.count).enumerated() { request[i] ^= m }
    if case .authentic = NTSServer.verify(request, keys: fixture.keys) {
        require(request == fixture.request, "a changed request verified as authentic")
    }
}

private func response(_ mask: [UInt8]) {
    var client = fixture.client
    var response = fixture.response
    for (i, m) in mask.prefix(response.count).enumerated() { response[i] ^= m }
    if mask.count > response.count { response += mask[response.count...] }
    let outcome = client.accept(response)
    require(client.cookies.count <= NTSClientState.maximumCookies, "more than 8 cookies held")
    if case .authentic = outcome {
        require(response == fixture.response, "a changed response accepted as authentic")
    }
}
