import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Interleaved mode (RFC 9769) with chrony 4.3 on loopback, both ways: chronyd as an `xleave`
/// client of ntpsh (its measurements log marks each sample I or B), and ntpsh as an `xleave`
/// client of chronyd (`rv 1 xmode`). Never touching the clock: ntpsh `--clock observe`,
/// chronyd `-x` without CAP_SYS_TIME. Waits are bounded.
@Suite("interleaved mode with chronyd", .serialized)
struct InterleavedInteropTests {
    @Test("chronyd -x, `server … xleave`: its measurements log shows interleaved samples from ntpsh")
    func chronydClientOfNtpsh() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let dir = try temporaryDirectory()
        try """
            server 127.0.0.1 port \(port) xleave minpoll -4 maxpoll -4
            port 0
            cmdport 0
            pidfile \(dir)/chronyd.pid
            logdir \(dir)
            log rawmeasurements
            """.write(toFile: "\(dir)/chrony.conf", atomically: true, encoding: .utf8)
        let chronyd = try Background(dropTime[0], Array(dropTime.dropFirst()) + ["/usr/sbin/chronyd", "-x", "-d", "-f", "\(dir)/chrony.conf"])
        defer { chronyd.stop() }
        // The third reply is the first that can be interleaved; five of them, at 1/16 s polls.
        var modes: [Substring] = []
        try chronyd.waitUntil(timeout: 30, "chronyd to log interleaved samples") {
            let log = (try? String(contentsOfFile: "\(dir)/measurements.log", encoding: .utf8)) ?? ""
            modes = log.split(separator: "\n").filter { $0.contains("127.0.0.1") }.compactMap { line in
                line.split(separator: " ").first { $0.count == 2 && $0.hasPrefix("4") }
            }
            return modes.filter { $0 == "4I" }.count >= 5
        }
        print("chronyd's samples from ntpsh: \(modes.joined(separator: " "))")
        #expect(modes.last == "4I", "once interleaved, it stays interleaved")
        #expect(server.stop() == 0)
    }

    @Test("ntpsh `server … xleave` against chronyd -x: rv shows xmode=interleaved, the offset under 1 ms")
    func ntpshClientOfChronyd() throws {
        let (chronyd, port, _) = try startChronyd()
        defer { chronyd.stop() }
        let r = try run(ntpshBinary(), [
            "--clock", "observe", "--port", "0",
            "-e", "server 127.0.0.1 port \(port) iburst xleave", "-e", "sleep 12s",
            "-e", "rv 1 xmode,offset,delay", "-e", "show running-config",
        ], timeout: 40)
        print(r.stdout)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("xmode=\"interleaved\""), "\(r.stdout)")
        #expect(r.stdout.contains("server 127.0.0.1 port \(port) iburst xleave"))
        let offset = try #require(r.stdout.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" })
            .first { $0.hasPrefix("offset=") }.flatMap { Double($0.dropFirst(7)) })
        #expect(abs(offset) < 1, "same host, same clock: \(offset) ms")
    }

    @Test("chronyd -x and ntpsh, each the other's `peer … xleave`: interleaved symmetric mode on both sides")
    func symmetricPeersWithChronyd() throws {
        let chronyPort = try freeUDPPort(), ntpshPort = try freeUDPPort()
        let dir = try temporaryDirectory()
        try """
            port \(chronyPort)
            cmdport 0
            peer 127.0.0.1 port \(ntpshPort) xleave minpoll -2 maxpoll -2
            allow 127.0.0.1
            local stratum 8
            pidfile \(dir)/chronyd.pid
            logdir \(dir)
            log rawmeasurements
            """.write(toFile: "\(dir)/chrony.conf", atomically: true, encoding: .utf8)
        let chronyd = try Background(dropTime[0], Array(dropTime.dropFirst()) + ["/usr/sbin/chronyd", "-x", "-d", "-f", "\(dir)/chrony.conf"])
        defer { chronyd.stop() }
        let r = try run(ntpshBinary(), [
            "--clock", "observe", "--port", String(ntpshPort), "--listen", "127.0.0.1",
            "-e", "peer 127.0.0.1 port \(chronyPort) iburst xleave", "-e", "sleep 16s", "-e", "rv 1 xmode,stratum",
        ], timeout: 40)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("xmode=\"interleaved\", stratum=8"), "ntpsh's side: \(r.stdout)")
        // chronyd's side: its samples from ntpsh (symmetric passive replies) marked 2I.
        let log = (try? String(contentsOfFile: "\(dir)/measurements.log", encoding: .utf8)) ?? ""
        let modes = log.split(separator: "\n").filter { $0.contains("127.0.0.1") }.compactMap { line in
            line.split(separator: " ").first { $0.count == 2 && ($0.hasPrefix("1") || $0.hasPrefix("2")) }
        }
        print("chronyd's samples from ntpsh: \(modes.joined(separator: " "))")
        #expect(modes.filter { $0.hasSuffix("I") }.count >= 3, "chronyd used interleaved samples: \(modes)")
    }
}
