import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `metrics listen`: Debian's Prometheus scrapes ntpsh on loopback and answers a PromQL query
/// with its offset; garbage and oversize HTTP requests get errors while NTP service goes on.
@Suite("metrics: scraped by a real Prometheus", .serialized)
struct MetricsE2ETests {
    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freeTCPPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: sin.sin_port)
    }

    static func get(_ url: String) throws -> String {
        let r = try run("/usr/bin/curl", ["-s", "--max-time", "5", url], timeout: 10)
        return r.stdout
    }

    @Test("Prometheus scrapes /metrics (target up) and a PromQL query returns ntpsh's offset; show metrics prints the same families")
    func scrapedByPrometheus() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") else {
            Issue.record("prometheus missing: scripts/deps.sh installs it")
            return
        }
        let metricsPort = try Self.freeTCPPort(), promPort = try Self.freeTCPPort(), ntpPort = try freeUDPPort()
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\nmetrics listen 127.0.0.1:\(metricsPort)\n")
        let dir = try temporaryDirectory()
        let socket = dir + "/ntpsh.sock"
        let daemon = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(ntpPort),
                                                     "-c", conf, "--control-socket", socket])
        defer { daemon.stop() }
        try daemon.waitUntil(timeout: 10, "the metrics endpoint") { daemon.stderr.contains("metrics on 127.0.0.1 port \(metricsPort)") }
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: ntpsh
                static_configs:
                  - targets: ['127.0.0.1:\(metricsPort)']
            """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = try Background("/usr/bin/prometheus", ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
                                                                 "--web.listen-address=127.0.0.1:\(promPort)"])
        defer { prometheus.stop() }
        let api = "http://127.0.0.1:\(promPort)/api/v1"
        try prometheus.waitUntil(timeout: 60, "the target to be up") { try Self.get(api + "/targets").contains("\"health\":\"up\"") }
        var answer = ""
        try prometheus.waitUntil(timeout: 30, "a PromQL answer") {
            answer = try Self.get(api + "/query?query=ntp_system_offset_seconds%7Bjob%3D%22ntpsh%22%7D")
            return answer.contains("\"resultType\":\"vector\"") && answer.contains("\"__name__\":\"ntp_system_offset_seconds\"")
        }
        #expect(answer.contains("\"status\":\"success\""), "\(answer)")

        // The same text in the shell, through the control socket; the directive in the running configuration.
        let shown = try run(ntpshBinary(), ["--attach", socket, "-e", "show metrics", "-e", "show running-config"], timeout: 20)
        #expect(shown.stdout.contains("\nntp_system_stratum 11\n") && shown.stdout.contains("# TYPE ntp_source_offset_seconds gauge"), "\(shown.stdout)")
        #expect(shown.stdout.contains("metrics listen 127.0.0.1:\(metricsPort)"), "\(shown.stdout)")
        // Garbage and an oversize head get errors; NTP is still served (chronyd measures).
        #expect(try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(metricsPort)/nope"], timeout: 10).stdout == "404")
        #expect(try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Big: " + String(repeating: "a", count: 9000),
                                          "http://127.0.0.1:\(metricsPort)/metrics"], timeout: 10).stdout == "431")
        let chrony = try run("/usr/sbin/chronyd", ["-Q", "-t", "15", "server 127.0.0.1 port \(ntpPort) iburst minpoll -6 maxpoll -6",
                                                   "pidfile \(dir)/chronyd.pid"], timeout: 30)
        #expect((chrony.stdout + chrony.stderr).contains("System clock wrong by"), "\(chrony.stdout) \(chrony.stderr)")
        // `no metrics` stops the endpoint.
        let stopped = try run(ntpshBinary(), ["--attach", socket, "-e", "no metrics"], timeout: 20)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(metricsPort)/metrics"], timeout: 10).stdout == "000")
    }

    @Test("metrics listen refuses what is not an endpoint, naming it; the same endpoint again is kept")
    func refusals() throws {
        let port = try Self.freeTCPPort()
        let r = try run(ntpshBinary(), ["--clock", "observe", "--port", "0", "--keep-going", "-e", "metrics listen foo", "-e", "metrics listen ::1",
                                        "-e", "metrics listen 127.0.0.1:\(port)", "-e", "metrics listen 127.0.0.1:\(port)", "-e", "show running-config"], timeout: 20)
        #expect(r.stderr.contains("metrics listen: 'foo' is not PORT, ADDRESS:PORT or [IPv6]:PORT"), "\(r.stderr)")
        #expect(r.stderr.contains("metrics listen: '::1' is not PORT"), "\(r.stderr)")
        #expect(r.stdout.contains("metrics listen 127.0.0.1:\(port)"), "\(r.stdout)")
    }
}
