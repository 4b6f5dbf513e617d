import Glibc
import NTPEngine
import NTPWire
import Testing

@Suite struct AddressTests {
    @Test func parsesAndPrintsIPv4() throws {
        let a = try #require(SocketAddress("127.0.0.1", port: 123))
        #expect(a.ip == .loopbackIPv4 && a.port == 123)
        #expect(a.description == "127.0.0.1:123")
        #expect(a.ip.isLoopback && !a.ip.isUnspecified && a.ip.isIPv4)
        #expect(IPAddress("255.255.255.255") == .v4(0xffff_ffff))
        #expect(IPAddress("0.0.0.0") == .anyIPv4)
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
    }

    @Test func parsesAndPrintsIPv6() throws {
        let a = try #require(SocketAddress("::1", port: 4123))
        #expect(a.ip == .loopbackIPv6)
        #expect(a.description == "[::1]:4123")
        #expect(IPAddress("2001:db8::a:1")?.description == "2001:db8::a:1")
        #expect(IPAddress("fe80::1%3")?.description == "fe80::1%3")
        #expect(IPAddress("fe80::1%3")?.scope == 3)
        #expect(IPAddress("fe80::1%3")?.isLinkLocalIPv6 == true)
        #expect(IPAddress("ff02::101")?.isMulticast == true)
        #expect(IPAddress("::ffff:192.0.2.7")?.unmappedIPv4 == IPAddress("192.0.2.7"))
        #expect(IPAddress("::ffff:192.0.2.7")?.description == "::ffff:192.0.2.7")
        #expect(IPAddress("::") == .anyIPv6)
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("1::") == .v6(high: 1 << 48, low: 0, scope: 0))
        #expect(IPAddress("1:2:3:4:5:6:7::") == .v6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0000, scope: 0))
        #expect(IPAddress("::2:3:4:5:6:7:8") == .v6(high: 0x0000_0002_0003_0004, low: 0x0005_0006_0007_0008, scope: 0))
        #expect(IPAddress("1:2:3:4:5:6:1.2.3.4") == .v6(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0102_0304, scope: 0))
        #expect(IPAddress("::FFFF:C000:0207") == IPAddress("::ffff:192.0.2.7"))
        #expect(IPAddress("0000:0000:0000:0000:0000:0000:0000:0001") == .loopbackIPv6)
    }

    /// RFC 5952 §4: leading zeros off, lower case, the longest zero run (first on a tie) as
    /// `::`, a lone zero group not compressed.
    @Test(arguments: [
        ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:DB8:0:0:0:0:0:AB", "2001:db8::ab"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0"),
        ("fe80:0:0:0:0:0:0:1%4294967295", "fe80::1%4294967295"),
    ])
    func printsCanonically(_ input: String, _ canonical: String) throws {
        #expect(try #require(IPAddress(input)).description == canonical)
    }

    @Test(arguments: [
        "", ":", ":::", "1:::2", "1::2::3", ":1::2", "1::2:", "1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "12345::", "g::1", "::1.2.3", "::1.2.3.4.5", "::256.1.1.1", "::01.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::1.2.3.4:5", "1.2.3.4::",
        "256.1.1.1", "1.2.3", "1.2.3.4.", ".1.2.3", "01.2.3.4", "1..2.3", "1.2.3.-4", " 1.2.3.4",
        "example.org", "::1%", "::1%x", "::1%4294967296", "1.2.3.4%1", "%1", "::1%%1", "[::1]",
        "1:2:3:4:5:6:7:8::",
    ])
    func rejects(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func parsesHostAndPort() {
        #expect(SocketAddress(parsing: "192.0.2.1:1234") == SocketAddress("192.0.2.1", port: 1234))
        #expect(SocketAddress(parsing: "[2001:db8::1]:1234") == SocketAddress("2001:db8::1", port: 1234))
        #expect(SocketAddress(parsing: "[fe80::1%2]:1") == SocketAddress("fe80::1%2", port: 1))
        #expect(SocketAddress(parsing: "2001:db8::1") == SocketAddress("2001:db8::1", port: 123))
        #expect(SocketAddress(parsing: "192.0.2.1", defaultPort: 9) == SocketAddress("192.0.2.1", port: 9))
        #expect(SocketAddress(parsing: "[::1") == nil)
        #expect(SocketAddress(parsing: "1.2.3.4:99999") == nil)
        #expect(SocketAddress(parsing: "[::1]x") == nil)
    }

    @Test func classification() throws {
        func ip(_ s: String) throws -> IPAddress { try #require(IPAddress(s)) }
        #expect(try ip("169.254.3.4").isLinkLocal && ip("fe80::9").isLinkLocal && !ip("fec0::1").isLinkLocal)
        #expect(try ip("10.1.2.3").isPrivate && ip("172.31.0.1").isPrivate && !ip("172.32.0.1").isPrivate)
        #expect(try ip("192.168.0.1").isPrivate && ip("fd00::1").isPrivate && !ip("fe00::1").isPrivate)
        #expect(try ip("239.1.1.1").isMulticast && !ip("240.0.0.1").isMulticast)
        #expect(try ip("::ffff:127.0.0.2").isLoopback && ip("127.9.9.9").isLoopback)
        #expect(try ip("255.255.255.255").isLimitedBroadcast)
        #expect(try ip("::ffff:1.2.3.4").unmapped == ip("1.2.3.4"))
        #expect(try ip("fe80::1%3").withoutScope == ip("fe80::1"))
        #expect(try ip("1.2.3.4").bits128 == ip("::ffff:1.2.3.4").bits128)
    }

    @Test func prefixes() throws {
        func ip(_ s: String) throws -> IPAddress { try #require(IPAddress(s)) }
        #expect(try ip("192.0.2.200").masked(prefixLength: 25) == ip("192.0.2.128"))
        #expect(try ip("192.0.2.200").masked(prefixLength: 0) == ip("0.0.0.0"))
        #expect(try ip("192.0.2.200").masked(prefixLength: 40) == ip("192.0.2.200"))
        #expect(try ip("2001:db8:aaaa:bbbb:cccc::1").masked(prefixLength: 48) == ip("2001:db8:aaaa::"))
        #expect(try ip("2001:db8:aaaa:bbbb:cccc::1").masked(prefixLength: 72) == ip("2001:db8:aaaa:bbbb:cc00::"))
        #expect(try ip("2001:db8::1").masked(prefixLength: 128) == ip("2001:db8::1"))
        #expect(try ip("10.9.8.7").isIn(ip("10.0.0.0"), prefixLength: 8))
        #expect(try !ip("10.9.8.7").isIn(ip("::ffff:10.0.0.0"), prefixLength: 104))
        #expect(try ip("fe80::1%2").isIn(ip("fe80::"), prefixLength: 10))
    }

    @Test func bytesRoundTrip() throws {
        for text in ["192.0.2.1", "2001:db8::1", "::ffff:1.2.3.4", "ff02::1:ff00:1"] {
            let a = try #require(IPAddress(text))
            #expect(IPAddress(bytes: a.bytes) == a)
            #expect(a.bytes.count == a.bitWidth / 8)
        }
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test func ordering() throws {
        let sorted = try ["::1", "10.0.0.1", "fe80::1%2", "2001:db8::", "9.255.255.255", "fe80::1", "10.0.0.0"]
            .map { try #require(IPAddress($0)) }.sorted().map(\.description)
        #expect(sorted == ["9.255.255.255", "10.0.0.0", "10.0.0.1", "::1", "2001:db8::", "fe80::1", "fe80::1%2"])
        let s1 = SocketAddress(ip: .loopbackIPv4, port: 200)
        let s2 = SocketAddress(ip: .loopbackIPv4, port: 1000)
        #expect(s1 < s2 && !(s2 < s1))
        #expect(SocketAddress(ip: .v4(0x7f00_0002), port: 1) > s2)
    }

    @Test func referenceIDFromAddress() throws {
        #expect(ReferenceID(address: try #require(IPAddress("192.0.2.1"))) == ReferenceID(ipv4: 192, 0, 2, 1))
        #expect(ReferenceID(address: try #require(IPAddress("::ffff:192.0.2.1"))) == ReferenceID(ipv4: 192, 0, 2, 1))
        let v6 = try #require(IPAddress("2001:db8::1"))
        #expect(ReferenceID(address: v6) == ReferenceID(ipv6: v6.bytes))
        #expect(ReferenceID(address: try #require(IPAddress("2001:db8::1%4"))) == ReferenceID(address: v6))
        // First four bytes of MD5 of the 16 address bytes (computed independently, Python hashlib).
        #expect(ReferenceID(address: .loopbackIPv6).rawValue == 0xcf40_4dc8)
        #expect(ReferenceID(address: v6).rawValue == 0x39ab_9b37)
    }

    // MARK: Against the C library

    /// A small deterministic generator (SplitMix64) so failures reproduce.
    struct Gen {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func ptonV4(_ s: String) -> IPAddress? {
        var a = in_addr()
        return inet_pton(AF_INET, s, &a) == 1 ? .v4(UInt32(bigEndian: a.s_addr)) : nil
    }

    static func ptonV6(_ s: String) -> IPAddress? {
        var a = in6_addr()
        guard inet_pton(AF_INET6, s, &a) == 1 else { return nil }
        return withUnsafeBytes(of: &a) { IPAddress(bytes: $0) }
    }

    static func ntop(_ ip: IPAddress) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        var bytes = ip.bytes
        _ = inet_ntop(ip.isIPv4 ? AF_INET : AF_INET6, &bytes, &buffer, 64)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A random address whose groups are often zero, so compression has something to do.
    static func randomAddress(_ g: inout Gen) -> IPAddress {
        if g.below(4) == 0 { return .v4(UInt32(truncatingIfNeeded: g.next())) }
        var words = [UInt64](repeating: 0, count: 8)
        for i in 0..<8 where g.below(2) == 0 { words[i] = UInt64(g.below(3) == 0 ? 1 : g.below(0x10000)) }
        if g.below(8) == 0 { words = [0, 0, 0, 0, 0, 0xffff, words[6], words[7]] }
        let h = words[0..<4].reduce(0) { $0 << 16 | $1 }
        let l = words[4..<8].reduce(0) { $0 << 16 | $1 }
        return .v6(high: h, low: l, scope: 0)
    }

    @Test func printsAndParsesLikeTheCLibrary() {
        var g = Gen(state: 2024)
        for _ in 0..<20_000 {
            let a = Self.randomAddress(&g)
            let ours = a.description
            let theirs = Self.ntop(a)
            // glibc prints deprecated IPv4-compatible addresses (::a.b.c.d) in mixed notation;
            // RFC 5952 keeps mixed notation for IPv4-mapped ones only.
            if theirs.contains(".") && !a.isIPv4 && !a.isIPv4Mapped {
                #expect(Self.ptonV6(ours) == a)
            } else {
                #expect(ours == theirs, "\(theirs)")
            }
            #expect(IPAddress(ours) == a)
            #expect(IPAddress(theirs) == a)
        }
    }

    /// Mutated address texts: we accept exactly what inet_pton accepts, with the same value.
    @Test func acceptsWhatInetPtonAccepts() {
        var g = Gen(state: 7)
        let alphabet = Array("0123456789abcdefABCDEF:.:.::g".utf8)
        var accepted = 0
        for _ in 0..<50_000 {
            let a = Self.randomAddress(&g)
            var text = Array((g.below(3) == 0 ? Self.expanded(a, &g) : a.description).utf8)
            for _ in 0..<g.below(3) {
                switch g.below(3) {
                case 0 where !text.isEmpty: text.remove(at: g.below(text.count))
                case 1: text.insert(alphabet[g.below(alphabet.count)], at: g.below(text.count + 1))
                default: if !text.isEmpty { text[g.below(text.count)] = alphabet[g.below(alphabet.count)] }
                }
            }
            let s = String(decoding: text, as: UTF8.self)
            let expected = Self.ptonV4(s) ?? Self.ptonV6(s)
            #expect(IPAddress(s) == expected, "\(s)")
            if expected != nil { accepted += 1 }
        }
        #expect(accepted > 10_000)
    }

    /// Full form with random leading zeros and case.
    static func expanded(_ a: IPAddress, _ g: inout Gen) -> String {
        guard case .v6(let h, let l, _) = a else { return a.description }
        var groups: [String] = []
        for i in 0..<8 {
            let w = (i < 4 ? h >> UInt64(48 - 16 * i) : l >> UInt64(48 - 16 * (i - 4))) & 0xffff
            var s = String(w, radix: 16, uppercase: g.below(2) == 0)
            if g.below(2) == 0 { s = String(repeating: "0", count: 4 - s.count) + s }
            groups.append(s)
        }
        return groups.joined(separator: ":")
    }
}
