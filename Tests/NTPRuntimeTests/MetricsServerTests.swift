import Foundation
import Glibc
import NTPEngine
import NTPPlatform
import NTPRuntime
import Testing

/// The /metrics endpoint as an HTTP client sees it: real TCP on loopback.
@Suite("metrics endpoint: a minimal HTTP/1.1 responder")
struct MetricsServerTests {
    static func server() throws -> MetricsServer {
        let s = try MetricsServer(address: SocketAddress("127.0.0.1", port: 0)!, log: Log(name: "test", quiet: true)) {
            "# HELP ntp_system_stratum Stratum\n# TYPE ntp_system_stratum gauge\nntp_system_stratum 3\n"
        }
        try s.start()
        return s
    }

    /// Connects, sends `request`, optionally holds the connection open `hold` s without sending
    /// more, and returns everything the server sent until it closed (bounded by 10 s).
    static func exchange(_ port: UInt16, _ request: [UInt8], closeWrite: Bool = true) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if closeWrite { shutdown(fd, Int32(SHUT_WR)) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += buffer.prefix(n)
        }
        return String(decoding: reply, as: UTF8.self)
    }

    @Test("GET /metrics: 200 with the text, its length and Prometheus's content type; HEAD: no body")
    func served() throws {
        let s = try Self.server()
        defer { s.stop() }
        let port = s.listener.localAddress.port
        let r = try Self.exchange(port, Array("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n".utf8))
        #expect(r.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(r)")
        #expect(r.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(r.contains("Content-Length: 87\r\n"), "\(r)")
        #expect(r.hasSuffix("\r\n\r\n# HELP ntp_system_stratum Stratum\n# TYPE ntp_system_stratum gauge\nntp_system_stratum 3\n"))
        let head = try Self.exchange(port, Array("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n".utf8))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("Connection: close\r\n\r\n"), "\(head)")
        #expect(s.statistics.served == 2)
    }

    @Test("other paths 404, other methods 405, garbage 400, an oversize head 431, a silent client cut off; served after all of them")
    func refusals() throws {
        let s = try Self.server()
        defer { s.stop() }
        let port = s.listener.localAddress.port
        #expect(try Self.exchange(port, Array("GET / HTTP/1.1\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        let post = try Self.exchange(port, Array("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && post.contains("Allow: GET, HEAD\r\n"))
        var garbage = SystemRandomNumberGenerator()
        let noise = (0..<600).map { _ in UInt8.random(in: 0...255, using: &garbage) } + Array("\r\n\r\n".utf8)
        #expect(try Self.exchange(port, noise).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(try Self.exchange(port, Array("GET /metrics\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let huge = Array("GET /metrics HTTP/1.1\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 20_000)
        #expect(try Self.exchange(port, huge).hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        // Connected, sending nothing: cut off after the request timeout with no answer.
        let started = Date()
        #expect(try Self.exchange(port, [], closeWrite: false).isEmpty)
        #expect(Date().timeIntervalSince(started) < 9, "cut off by the server's deadline, not the test's")
        #expect(try Self.exchange(port, Array("GET /metrics HTTP/1.1\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 200 OK\r\n"))
        let c = s.statistics
        #expect(c.notFound == 1 && c.methodNotAllowed == 1 && c.badRequest == 2 && c.tooLarge == 1 && c.timedOut == 1 && c.served == 1, "\(c)")
    }
}
