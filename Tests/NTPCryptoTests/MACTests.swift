import NTPCrypto
import NTPEngine
import NTPWire
import Testing

func hexBytes(_ s: String) -> [UInt8] { KeyFileHex.decode(s) }

enum KeyFileHex {
    static func decode(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }
}

func store(_ keys: [SymmetricKey], trusted: Set<UInt32>? = nil) -> KeyStore {
    var s = KeyStore(provider: OpenSSLMAC())
    s.replaceKeys(keys, file: nil)
    s.trusted = trusted ?? Set(keys.map(\.id))
    return s
}

@Suite("MACs through libcrypto")
struct MACTests {
    @Test("digests are DIGEST(key ‖ message), truncated to 20 bytes (known answers)")
    func digests() {
        let message = Array("hello".utf8)
        let cases: [(MACAlgorithm, String)] = [
            (.md5, "e1c9e47be92b358510029b76aea4c5e9"),
            (.sha1, "d6321fe951feb4ae01c71737aefee61d2cf721ea"),
            (.sha256, "b755d600ebe94c1a3f3d6aebbd7e12bcdb7897e3"),
        ]
        for (i, (algorithm, expected)) in cases.enumerated() {
            let id = UInt32(i + 1)
            let s = store([SymmetricKey(id: id, algorithm: algorithm, secret: Array("secret".utf8))])
            #expect(s.mac(keyID: id, over: message) == hexBytes(expected), "\(algorithm)")
        }
    }

    @Test("AES-128-CMAC: RFC 4493's test vectors")
    func cmac() {
        let key = hexBytes("2b7e151628aed2a6abf7158809cf4f3c")
        let s = store([SymmetricKey(id: 7, algorithm: .aes128CMAC, secret: key)])
        #expect(s.mac(keyID: 7, over: []) == hexBytes("bb1d6929e95937287fa37d129b756746"))
        #expect(s.mac(keyID: 7, over: hexBytes("6bc1bee22e409f96e93d7e117393172a")) == hexBytes("070a16b46b4d4144f79bdd9dd04a287c"))
    }

    @Test("a signed packet verifies; one flipped bit, another key, an untrusted key or a crypto-NAK do not")
    func signAndVerify() throws {
        let keys = [SymmetricKey(id: 1, algorithm: .sha1, secret: Array("one".utf8)),
                    SymmetricKey(id: 2, algorithm: .sha1, secret: Array("two".utf8)),
                    SymmetricKey(id: 3, algorithm: .md5, secret: Array("three".utf8))]
        let s = store(keys, trusted: [1, 2])
        let header = NTPHeader(mode: .client, transmitTime: NTPTimestamp(rawValue: 0x1234_5678_9abc_def0)).bytes
        let signed = try #require(s.sign(header, keyID: 1))
        #expect(signed.count == 48 + 4 + 20)
        let layout = try NTPPacketLayout.scan(signed)
        #expect(layout.keyID == 1)
        signed.withUnsafeBytes { #expect(s.verifyPacket($0, macOffset: 48) == .success(1)) }
        var altered = signed
        altered[47] ^= 1
        altered.withUnsafeBytes { #expect(s.verifyPacket($0, macOffset: 48) == .failure(.badMAC(1))) }
        var otherKey = signed
        otherKey[51] = 2
        otherKey.withUnsafeBytes { #expect(s.verifyPacket($0, macOffset: 48) == .failure(.badMAC(2))) }
        #expect(s.sign(header, keyID: 3) == nil, "key 3 is not trusted")
        #expect(s.usable(3) == .untrustedKey(3))
        #expect(s.usable(9) == .unknownKey(9))
        #expect(s.usable(1) == nil)
        (header + [0, 0, 0, 0]).withUnsafeBytes { #expect(s.verifyPacket($0, macOffset: 48) == .failure(.cryptoNAK)) }
    }

    @Test("MACs from many threads at once agree (per-thread OpenSSL contexts)")
    func threads() async {
        let s = store([SymmetricKey(id: 1, algorithm: .aes128CMAC, secret: hexBytes("2b7e151628aed2a6abf7158809cf4f3c")),
                       SymmetricKey(id: 2, algorithm: .md5, secret: Array("k".utf8))])
        let expected = (s.mac(keyID: 1, over: [1, 2, 3]), s.mac(keyID: 2, over: [1, 2, 3]))
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { _ in s.mac(keyID: 1, over: [1, 2, 3]) == expected.0 && s.mac(keyID: 2, over: [1, 2, 3]) == expected.1 }
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
