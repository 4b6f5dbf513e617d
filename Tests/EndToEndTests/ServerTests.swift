import Foundation
import NTPWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A client request with a random transmit timestamp (the cookie the reply must echo).
func clientRequest(version: UInt8 = 4, transmit: NTPTimestamp? = nil) -> [UInt8] {
    let t = transmit ?? NTPTimestamp(rawValue: UInt64.random(in: 1...UInt64.max))
    return NTPHeader(version: version, mode: .client, poll: PollExponent(6), transmitTime: t).bytes
}

/// Starts `ntpsh --daemon --clock observe` and waits (bounded) until it answers on `address`.
func startServer(
    address: String = "127.0.0.1", port: UInt16, listen: [String]? = nil,
    config: String? = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
) throws -> Background {
    var args = ["--daemon", "--clock", "observe", "--port", String(port)]
    for l in listen ?? [address] { args += ["--listen", l] }
    if let config {
        let path = NSTemporaryDirectory() + "ntpsh-e2e-\(UUID().uuidString).conf"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        args += ["-c", path]
    }
    let server = try Background(ntpshBinary(), args)
    let probe = try UDPClient(bindTo: address.contains(":") ? "::1" : "127.0.0.1")
    try server.waitUntil(timeout: 10, "ntpsh to answer on \(address) port \(port)") {
        try probe.send(clientRequest(), to: address, port: port)
        return probe.receive(timeout: 0.1) != nil
    }
    return server
}

@Suite("ntpsh --daemon serves time", .serialized)
struct ServerTests {
    @Test("a reply follows RFC 5905: mode 4, version echoed, origin = our transmit, sane times")
    func replyFields() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let client = try UDPClient()
        for version: UInt8 in [1, 2, 3, 4] {
            let cookie = NTPTimestamp(rawValue: 0x1234_5678_9abc_def0 &+ UInt64(version))
            var req = clientRequest(version: version, transmit: cookie)
            if version == 1 { req[0] = 1 << 3 }  // NTPv1: no mode field
            try client.send(req, to: "127.0.0.1", port: port)
            let reply = try #require(client.receive(timeout: 2), "no reply to version \(version)")
            #expect(reply.count == 48)
            let h = try NTPHeader(decoding: reply)
            #expect(h.version == version)
            #expect(h.mode == .server)
            #expect(h.originTime == cookie)
            #expect(h.stratum == 11, "LOCAL at fudge stratum 10 makes the system stratum 11")
            #expect(h.leap == .noWarning)
            let now = NTPTimestamp(UnixTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)))
            #expect(abs((h.receiveTime - now).seconds) < 1)
            #expect((h.transmitTime - h.receiveTime).seconds >= 0)
            #expect((h.transmitTime - h.receiveTime).seconds < 0.01)
        }
    }

    @Test("an unsynchronised server says so: leap 3, stratum 0, refid INIT")
    func unsynchronised() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port, config: nil)
        defer { server.stop() }
        let client = try UDPClient()
        try client.send(clientRequest(), to: "127.0.0.1", port: port)
        let h = try NTPHeader(decoding: try #require(client.receive(timeout: 2)))
        #expect(h.leap == .unsynchronized)
        #expect(h.stratum == 0)
        #expect(h.referenceID == ReferenceID(ascii: "INIT"))
    }

    @Test("IPv6: a server on ::1 answers")
    func ipv6() throws {
        let port = try freeUDPPort()
        let server = try startServer(address: "::1", port: port)
        defer { server.stop() }
        #expect(server.isRunning)
    }

    @Test("the default wildcard listeners answer on any loopback address, from that address")
    func wildcard() throws {
        let port = try freeUDPPort()
        let server = try startServer(address: "127.0.0.9", port: port, listen: [])
        defer { server.stop() }
        let v6 = try UDPClient(bindTo: "::1")
        try v6.send(clientRequest(), to: "::1", port: port)
        #expect(v6.receive(timeout: 2) != nil, "the IPv6 wildcard socket must answer too")
    }

    @Test("chronyd -Q as a client measures an offset under 1 ms")
    func chronydClient() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let dir = NSTemporaryDirectory() + "ntpsh-chronyd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o777)
        let r = try run("/usr/sbin/chronyd", [
            "-Q", "-t", "10", "server 127.0.0.1 port \(port) iburst minpoll -6 maxpoll -6",
            "pidfile \(dir)/chronyd.pid",
        ], timeout: 20)
        let text = r.stdout + r.stderr
        let line = try #require(text.split(separator: "\n").first { $0.contains("System clock wrong by") },
                                "chronyd did not measure: \(text)")
        let value = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        print("chronyd -Q measured \(value) s against ntpsh")
        #expect(abs(value) < 1e-3)
    }

    @Test("NTPsec's ntpdig gets a valid answer on port 123")
    func ntpdig() throws {
        let address = "127.0.0.123"
        let server = try startServer(address: address, port: 123)
        defer { server.stop() }
        let r = try run(ntpsecTool("ntpdig"), ["-t", "2", "-j", address], timeout: 20)
        print("ntpdig: \(r.stdout)")
        #expect(r.status == 0, "ntpdig failed: \(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("\"stratum\":11"))
        #expect(r.stdout.contains("\"leap\":\"no-leap\""))
    }

    @Test("a port already in use: a clear error naming address, port and holder; exit 2")
    func portInUse() throws {
        let holder = try UDPClient(bindTo: "127.0.0.1")
        let port = holder.localPort
        let r = try run(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(port)], timeout: 10)
        #expect(r.status == 2)
        #expect(r.stderr.contains("127.0.0.1"))
        #expect(r.stderr.contains("port \(port)"))
        #expect(r.stderr.contains("in use"))
        #expect(r.stderr.contains("pid \(getpid())"), "the holder is this test process: \(r.stderr)")
    }

    @Test("SIGTERM and SIGINT stop the daemon cleanly with status 0")
    func signals() throws {
        for sig in [SIGTERM, SIGINT] {
            let port = try freeUDPPort()
            let server = try startServer(port: port)
            #expect(server.stop(signal: sig) == 0, "signal \(sig): \(server.stderr)")
        }
    }

    @Test("--version and --help")
    func versionAndHelp() throws {
        let v = try run(ntpshBinary(), ["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.hasPrefix("0."))
        let h = try run(ntpshBinary(), ["--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("--daemon"))
        #expect(h.stdout.contains("--clock"))
        let bad = try run(ntpshBinary(), ["--clock", "sundial"])
        #expect(bad.status == 2, "usage errors exit 2: \(bad.stderr)")
    }
}
