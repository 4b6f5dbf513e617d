import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `NTPSH_SINGLE_THREAD=1 ntpsh --daemon`: the mode clknetsim needs (scripts/clknetsim.sh runs
/// it there); here it runs for real on loopback with the observe clock.
@Suite("the single-threaded daemon", .serialized)
struct SingleThreadTests {
    static let environment = ["NTPSH_SINGLE_THREAD": "1"]

    func threads(_ pid: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count
    }

    @Test("serves on one thread, re-reads on SIGHUP, stops on SIGTERM with status 0")
    func servesOnOneThread() throws {
        let port = try freeUDPPort()
        let path = NSTemporaryDirectory() + "ntpsh-single-\(UUID().uuidString).conf"
        try "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let server = try Background(
            ntpshBinary(), ["--daemon", "--clock", "observe", "--port", String(port), "--listen", "127.0.0.1", "-c", path],
            environment: Self.environment)
        defer { server.stop(signal: SIGKILL) }
        let client = try UDPClient()
        try server.waitUntil(timeout: 10, "an answer on port \(port)") {
            try client.send(clientRequest(), to: "127.0.0.1", port: port)
            return client.receive(timeout: 0.1) != nil
        }
        #expect(server.stderr.contains("single-threaded"))
        #expect(try threads(server.process.processIdentifier) == 1)

        kill(server.process.processIdentifier, SIGHUP)
        try server.waitUntil(timeout: 10, "the SIGHUP re-read") { server.stderr.contains("SIGHUP received") }
        try client.send(clientRequest(), to: "127.0.0.1", port: port)
        #expect(client.receive(timeout: 2) != nil, "still serving after SIGHUP")
        #expect(try threads(server.process.processIdentifier) == 1)

        let status = server.stop(signal: SIGTERM)
        #expect(status == 0)
        #expect(server.stderr.contains("SIGTERM received, stopping"))
        #expect(server.stderr.contains("stopped:"))
    }

    @Test("--control-socket is refused: it serves clients on threads of their own")
    func noControlSocket() throws {
        let r = try run(ntpshBinary(), ["--daemon", "--clock", "observe", "--port", "0", "--control-socket", "/tmp/ntpsh-never.sock"],
                        timeout: 10, environment: Self.environment)
        #expect(r.status == 2)
        #expect(r.stderr.contains("NTPSH_SINGLE_THREAD=1 runs one thread"))
    }
}
