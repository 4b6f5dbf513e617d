import NTPNTS
import NTPWire
import Testing

@Suite("NTS-KE server responses (pure function)")
struct NTSKEResponseTests {
    func respond(_ request: Result<[NTSKERecord], NTSKEError>) -> (records: [NTSKERecord], cookies: Int, ok: Bool) {
        var random = SeededRandom(state: 7)
        let keys = NTSCookieKeys(now: 0, using: &random)
        let export = { (a: NTSAEADAlgorithm) -> NTSSessionKeys? in
            try? NTSSessionKeys(c2s: NTSAEAD(algorithm: a, key: [UInt8](repeating: 1, count: a.keyLength)),
                                s2c: NTSAEAD(algorithm: a, key: [UInt8](repeating: 2, count: a.keyLength)))
        }
        let r = NTSKEExchange.response(to: request, keys: keys, ntpServer: "ntp.example", ntpPort: 1234,
                                     export: export, using: &random)
        return ((try? NTSKEMessage.decode(r.bytes)) ?? [], r.cookies, r.ok)
    }

    func request(_ records: NTSKERecord.Content...) -> Result<[NTSKERecord], NTSKEError> {
        .success(records.map { NTSKERecord(critical: true, $0) })
    }

    @Test("a good request gets NTPv4, the AEAD, 8 cookies, server and port")
    func good() {
        let r = respond(request(.nextProtocols([0]), .aeadAlgorithms([17, 15]), .endOfMessage))
        #expect(r.ok && r.cookies == 8)
        // The client's first choice that this OpenSSL has (AES-SIV-CMAC-512 is in OpenSSL 3).
        #expect(Array(r.records.map(\.content).prefix(2)) == [.nextProtocols([0]), .aeadAlgorithms([17])])
        #expect(r.records.filter { if case .newCookie = $0.content { true } else { false } }.count == 8)
        // A 512 cookie carries 128 bytes of keys: 4 + 16 + 16 + 128.
        if case .newCookie(let c) = r.records[2].content { #expect(c.count == 164) }
        #expect(r.records.suffix(3).map(\.content) == [.server("ntp.example"), .port(1234), .endOfMessage])
    }

    @Test("errors: unrecognized critical record (0), bad request (1), no common AEAD, no NTPv4")
    func errors() {
        #expect(respond(.failure(.unrecognizedCritical(type: 99))).records.first?.content == .error(0))
        #expect(respond(.failure(.badBodyLength(type: 2, length: 3))).records.first?.content == .error(1))
        #expect(respond(request(.aeadAlgorithms([15]), .endOfMessage)).records.first?.content == .error(1))
        #expect(respond(request(.nextProtocols([0]), .aeadAlgorithms([15]), .newCookie([1]), .endOfMessage)).records.first?.content == .error(1))
        let noAEAD = respond(request(.nextProtocols([0]), .aeadAlgorithms([1, 2]), .endOfMessage))
        #expect(!noAEAD.ok && noAEAD.records.map(\.content) == [.nextProtocols([0]), .aeadAlgorithms([]), .endOfMessage])
        let noNTP = respond(request(.nextProtocols([7]), .aeadAlgorithms([15]), .endOfMessage))
        #expect(!noNTP.ok && noNTP.records.map(\.content) == [.nextProtocols([]), .endOfMessage])
    }
}
