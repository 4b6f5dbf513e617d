import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// RFC 9109: the client side sends every request from a fresh ephemeral port.
@Suite("client ports", .serialized)
struct ClientPortTests {
    /// Seconds since 1900 as an NTP timestamp, big-endian.
    static func ntpNow() -> [UInt8] {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let seconds = UInt64(ts.tv_sec) + 2_208_988_800
        let fraction = UInt64(Double(ts.tv_nsec) / 1e9 * 4_294_967_296)
        return withUnsafeBytes(of: (seconds << 32 | fraction).bigEndian, Array.init)
    }

    @Test("each request leaves from a new port, and its reply is taken there")
    func portPerRequest() throws {
        let server = try UDPClient()
        let shell = try Background(ntpshBinary(), ["--clock", "observe", "--port", "0",
                                                   "-e", "server 127.0.0.1 port \(server.localPort) iburst", "-e", "sleep 7",
                                                   "-e", "expect peer 127.0.0.1 reach > 0"])
        defer { shell.stop() }
        var ports: [UInt16] = []
        let deadline = Date().addingTimeInterval(6)
        while Date() < deadline && ports.count < 3 {
            var pfd = pollfd(fd: server.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) == 1 else { continue }
            var buf = [UInt8](repeating: 0, count: 512)
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &from) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    buf.withUnsafeMutableBytes { recvfrom(server.fd, $0.baseAddress, $0.count, 0, sa, &len) }
                }
            }
            guard n >= 48 else { continue }
            let port = UInt16(bigEndian: from.sin_port)
            ports.append(port)
            let now = Self.ntpNow()
            var reply: [UInt8] = [0x24, 1, 6, 0xec, 0, 0, 0, 0, 0, 0, 0, 0] + Array("GPS\0".utf8)
            reply += now + Array(buf[40..<48]) + now + now
            try server.send(reply, to: "127.0.0.1", port: port)
        }
        #expect(ports.count >= 3, "requests seen: \(ports)")
        #expect(Set(ports).count == ports.count, "a port was used twice: \(ports)")
        try shell.waitUntil(timeout: 15, "the batch to end") { !shell.isRunning }
        #expect(shell.process.terminationStatus == 0, "the server was not reached: \(shell.stdout) \(shell.stderr)")
    }
}
