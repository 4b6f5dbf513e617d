import Glibc
@testable import NTPPlatform
import Testing

@Suite struct SocketAddressTests {
    @Test func parsesAndPrintsIPv4() throws {
        let a = try #require(SocketAddress("127.0.0.1", port: 123))
        #expect(a.ip == .loopbackIPv4 && a.port == 123)
        #expect(a.description == "127.0.0.1:123")
        #expect(a.family == AF_INET)
        #expect(a.ip.isLoopback && !a.ip.isUnspecified)
    }

    @Test func parsesAndPrintsIPv6() throws {
        let a = try #require(SocketAddress("::1", port: 4123))
        #expect(a.ip == .loopbackIPv6)
        #expect(a.description == "[::1]:4123")
        let b = try #require(IPAddress("2001:db8::a:1"))
        #expect(b.description == "2001:db8::a:1")
        #expect(IPAddress("fe80::1%3")?.description == "fe80::1%3")
        #expect(IPAddress("fe80::1%3")?.isLinkLocalIPv6 == true)
        #expect(IPAddress("ff02::101")?.isMulticast == true)
        #expect(IPAddress("::ffff:192.0.2.7")?.unmappedIPv4 == IPAddress("192.0.2.7"))
    }

    @Test func rejectsGarbage() {
        #expect(IPAddress("") == nil)
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("example.org") == nil)
        #expect(IPAddress("::1%nosuchinterface0") == nil)
        #expect(SocketAddress(parsing: "[::1") == nil)
        #expect(SocketAddress(parsing: "1.2.3.4:99999") == nil)
    }

    @Test func parsesHostAndPort() {
        #expect(SocketAddress(parsing: "192.0.2.1:1234") == SocketAddress("192.0.2.1", port: 1234))
        #expect(SocketAddress(parsing: "[2001:db8::1]:1234") == SocketAddress("2001:db8::1", port: 1234))
        #expect(SocketAddress(parsing: "2001:db8::1") == SocketAddress("2001:db8::1", port: 123))
        #expect(SocketAddress(parsing: "192.0.2.1", defaultPort: 9) == SocketAddress("192.0.2.1", port: 9))
    }

    @Test(arguments: ["0.0.0.0", "192.0.2.255", "::", "2001:db8:1:2:3:4:5:6", "fe80::1%7", "::ffff:10.0.0.1"])
    func roundTripsThroughSockaddr(_ text: String) throws {
        let a = try #require(SocketAddress(text, port: 65535))
        var storage = sockaddr_storage()
        let length = a.write(to: &storage)
        #expect(Int(length) == (a.ip.isIPv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size))
        #expect(SocketAddress(storage) == a)
        a.withSockAddr { sa, len in
            #expect(len == length)
            #expect(SocketAddress(sa) == a)
        }
    }
}
