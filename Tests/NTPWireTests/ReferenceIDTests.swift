import Testing
@testable import NTPWire

@Suite struct ReferenceIDTests {
    @Test func md5MatchesRFC1321() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
             "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, hex) in vectors {
            #expect(Self.hex(MD5.digest(Array(input.utf8))) == hex, "\(input)")
        }
    }

    @Test func md5AcrossBlockBoundaries() {
        // Lengths around the 55/56/64-byte padding edges, checked against Python's hashlib.
        let expected: [Int: String] = [
            55: "ef1772b6dff9a122358552954ad0df65", 56: "3b0c8ac703f828b04c6c197006d17218",
            63: "b06521f39153d618550606be297466d5", 64: "014842d480b571495a4a0363793f7367",
            65: "c743a45e0d2e6a95cb859adae0248435",
        ]
        for (n, hex) in expected {
            #expect(Self.hex(MD5.digest(Array(repeating: UInt8(ascii: "a"), count: n))) == hex, "\(n)")
        }
    }

    @Test func ipv6Hash() {
        // MD5(::1) = cf404dc8…, what chronyd reported (see the chrony-stratum4 fixture).
        #expect(ReferenceID(ipv6: Array(repeating: 0, count: 15) + [1])?.rawValue == 0xCF40_4DC8)
        // 2001:db8::1
        let doc: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        #expect(ReferenceID(ipv6: doc)?.rawValue == 0x39AB_9B37)
        #expect(ReferenceID(ipv6: [1, 2, 3]) == nil)
    }

    @Test func ipv4AndASCII() {
        #expect(ReferenceID(ipv4: [127, 0, 0, 1]) == ReferenceID(ipv4: 127, 0, 0, 1))
        #expect(ReferenceID(ipv4: [127, 0, 0, 1])?.rawValue == 0x7F00_0001)
        #expect(ReferenceID(ipv4: [1, 2, 3]) == nil)
        #expect(ReferenceID(ipv4: 192, 0, 2, 1).description == "192.0.2.1")
        #expect(ReferenceID(ascii: "GPS").description == ".GPS.")
        #expect(ReferenceID(ascii: "GPS").bytes == [0x47, 0x50, 0x53, 0])
        #expect(ReferenceID(rawValue: 0x4700_5300).asciiText == nil)  // NUL inside
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
