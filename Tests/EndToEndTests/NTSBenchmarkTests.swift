import Foundation
import NTPNTS
import NTPNTSNetwork
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// NTS throughput, the ntpsh daemon beside chronyd 4.3's NTS server in the same run (BENCHMARKS.md
/// "NTS"): NTS requests/s flat out (steady-state requests: one cookie, no placeholders, a window
/// of requests in flight) and NTS-KE handshakes/s (4 clients in a loop). Off unless
/// NTPSH_NTS_BENCH=1 (minutes of CPU); NTPSH_BIN picks the ntpsh binary (a release build).
@Suite("NTS benchmark (NTPSH_NTS_BENCH=1)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["NTPSH_NTS_BENCH"] == "1"))
struct NTSBenchmarkTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["NTPSH_NTS_BENCH_SECS"] ?? "") ?? 3

    /// 256 steady-state NTS requests under one KE session, each with another transmit timestamp.
    static func requests(kePort: UInt16, ca: String) throws -> [[UInt8]] {
        let ke = try NTSKEClient.establish(host: "127.0.0.1", port: kePort, caFile: ca, timeout: 5)
        var random = SystemRandomNumberGenerator()
        return try (0 ..< 256).map { i in
            var state = NTSClientState(session: ke.session, cookies: Array(ke.cookies[(i % 8)...] + ke.cookies[..<(i % 8)]))
            var header = [UInt8](repeating: 0, count: 48)
            header[0] = 0x23
            for j in 40 ..< 48 { header[j] = UInt8.random(in: 0 ... 255) }
            return try #require(state.request(header: header, using: &random))
        }
    }

    /// Sends `requests` round-robin to 127.0.0.1:`port`, `window` in flight, for `seconds` after a
    /// 0.3 s warm-up; a reply counts when it is not a NAK. Returns authentic replies per second,
    /// NAKs, and stalls (200 ms without a reply: the window's requests were lost).
    static func flood(port: UInt16, _ requests: [[UInt8]], window: Int = 64) -> (perSecond: Double, naks: Int, stalls: Int, replies: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        defer { close(fd) }
        _ = connectLoopback(fd, port)
        var inFlight = 0, next = 0, answered = 0, naks = 0, stalls = 0, replies = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        let start = Date(), measureFrom = start.addingTimeInterval(0.3), end = measureFrom.addingTimeInterval(seconds)
        var lastReply = Date()
        while true {
            let now = Date()
            if now >= end { break }
            while inFlight < window {
                let r = requests[next % requests.count]
                guard send(fd, r, r.count, 0) == r.count else { break }
                next += 1
                inFlight += 1
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 1)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n >= 48 else { break }
                inFlight -= 1
                replies += 1
                lastReply = now
                guard now >= measureFrom else { continue }
                if buffer[1] == 0 { naks += 1 } else { answered += 1 }
            }
            // Lost requests free their slots after 200 ms without a reply.
            if now.timeIntervalSince(lastReply) > 0.2 { inFlight = 0; lastReply = now; stalls += 1 }
        }
        return (Double(answered) / seconds, naks, stalls, replies)
    }

    /// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return .nan }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A flood with the server's CPU time per reply (µs) measured around it.
    static func measuredFlood(pid: Int32, port: UInt16, _ requests: [[UInt8]])
        -> (perSecond: Double, naks: Int, stalls: Int, cpuMicroseconds: Double) {
        let before = cpuSeconds(pid)
        let f = flood(port: port, requests)
        return (f.perSecond, f.naks, f.stalls, (cpuSeconds(pid) - before) / Double(max(1, f.replies)) * 1e6)
    }

    /// NTS-KE sessions completed per second by `clients` threads in a loop.
    static func handshakes(kePort: UInt16, ca: String, clients: Int = 4) -> (perSecond: Double, failures: Int) {
        let counts = Mutex((done: 0, failed: 0))
        let end = Date().addingTimeInterval(seconds)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0 ..< clients {
            Thread {
                while Date() < end {
                    let ok = (try? NTSKEClient.establish(host: "127.0.0.1", port: kePort, caFile: ca, timeout: 5)) != nil
                    counts.withLock { if ok { $0.done += 1 } else { $0.failed += 1 } }
                }
                finished.signal()
            }.start()
        }
        for _ in 0 ..< clients { finished.wait() }
        let c = counts.withLock { $0 }
        return (Double(c.done) / seconds, c.failed)
    }

    @Test("NTS requests/s and NTS-KE handshakes/s: ntpsh and chronyd's NTS server, one run")
    func ntsThroughput() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        // chronyd's NTS server (-x, one process for NTS-KE as for NTP).
        let cKE = try freeTCPPort(), cNTP = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: cKE, ntpPort: cNTP)
        let chronyRequests = try Self.requests(kePort: cKE, ca: pki.ca)
        let chronyFlood = Self.measuredFlood(pid: chronyd.process.processIdentifier, port: cNTP, chronyRequests)
        let chronyKE = Self.handshakes(kePort: cKE, ca: pki.ca)
        stopChronyd(chronyd)
        // The ntpsh daemon with NTS.
        let server = try NTSDaemonTests.Server(pki)
        defer { server.daemon.stop() }
        let ntpshFlood = Self.measuredFlood(pid: server.daemon.process.processIdentifier, port: server.ntpPort,
                                            try Self.requests(kePort: server.kePort, ca: pki.ca))
        let ntpshKE = Self.handshakes(kePort: server.kePort, ca: pki.ca)
        print("""
            NTS benchmark (\(Self.seconds) s each, window 64, 4 KE clients; ntpsh \(ntpshBinary())):
            NTS requests/s: chronyd \(Int(chronyFlood.perSecond)) (NAKs \(chronyFlood.naks), 200 ms stalls \(chronyFlood.stalls)), ntpsh \(Int(ntpshFlood.perSecond)) (NAKs \(ntpshFlood.naks), stalls \(ntpshFlood.stalls))
            server CPU per NTS reply (user + system, µs): chronyd \(formatted(chronyFlood.cpuMicroseconds)), ntpsh \(formatted(ntpshFlood.cpuMicroseconds)) (\(formatted(ntpshFlood.cpuMicroseconds / chronyFlood.cpuMicroseconds)) × chronyd)
            NTS-KE handshakes/s: chronyd \(formatted(chronyKE.perSecond)) (failed \(chronyKE.failures)), ntpsh \(formatted(ntpshKE.perSecond)) (failed \(ntpshKE.failures))
            """)
        #expect(ntpshFlood.perSecond > 0 && chronyFlood.perSecond > 0 && ntpshFlood.naks == 0 && chronyFlood.naks == 0)
        #expect(ntpshKE.perSecond > 0 && chronyKE.perSecond > 0)
    }

    func formatted(_ v: Double) -> String { String(format: "%.1f", v) }
}
