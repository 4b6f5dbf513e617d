import Glibc
import NTPEngine
import NTPWire
@testable import NTPPlatform
import Testing

@Suite struct SocketAddressPOSIXTests {
    @Test func familyOfEachKind() throws {
        #expect(try #require(SocketAddress("127.0.0.1", port: 123)).family == AF_INET)
        #expect(try #require(SocketAddress("::1", port: 123)).family == AF_INET6)
    }

    @Test func zoneByInterfaceName() {
        #expect(IPAddress(resolvingZone: "fe80::1%lo") == .v6(high: 0xfe80 << 48, low: 1, scope: if_nametoindex("lo")))
        #expect(IPAddress(resolvingZone: "fe80::1%4") == IPAddress("fe80::1%4"))
        #expect(IPAddress(resolvingZone: "::1%nosuchinterface0") == nil)
        #expect(IPAddress(resolvingZone: "127.0.0.1%lo") == nil)
        #expect(IPAddress("fe80::1%lo") == nil)
    }

    @Test func inAddrBridging() throws {
        let a = try #require(IPAddress("192.0.2.9"))
        #expect(IPAddress(a.inAddr) == a)
        let b = try #require(IPAddress("2001:db8::9%5"))
        #expect(IPAddress(b.in6Addr, scope: 5) == b)
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
