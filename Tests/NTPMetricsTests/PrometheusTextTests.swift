import NTPAdmin
import Foundation
import NTPEngine
import NTPMetrics
import NTPWire
import Testing

/// The exposition text: families with HELP and TYPE, labels escaped, and Prometheus's own
/// checker (`promtool check metrics`, Debian's prometheus package) finding nothing to say.
@Suite("Prometheus text exposition")
struct PrometheusTextTests {
    static func snapshot() -> MetricsSnapshot {
        var variables = SystemVariables(precision: PollExponent(-23))
        variables.leap = .noWarning
        variables.stratum = 3
        variables.offset = -0.000123
        variables.truechimers = 2
        variables.updates = 42
        var server = ServerCounters()
        server.received = 1000; server.replied = 990; server.droppedRestricted = 7; server.rateLimited = 3
        let now = UnixTime(seconds: 1_796_000_000, nanoseconds: 0)
        let report = SystemReport(variables: variables, rootDispersionNow: Seconds(0.0012), rootDistance: Seconds(0.0123), systemPeer: nil,
                                  clock: ClockStatus(kind: .observe, frequency: PPM(12.5), remainingSlew: Seconds(0.0001), precision: PollExponent(-23)),
                                  now: now, server: server)
        let a = PeerReport(id: AssociationID(1), host: "192.0.2.1", address: SocketAddress("192.0.2.1", port: 123), kind: .unicast,
                           select: .systemPeer, stratum: 2, reach: 0o377, offset: Seconds(-0.0005), delay: Seconds(0.002), jitter: Seconds(0.0001))
        let b = PeerReport(id: AssociationID(2), host: "we\"ird\\name\nx", address: nil, kind: .pool, select: .reject)
        return MetricsSnapshot(system: report, peers: [a, b], monitor: nil, uptime: 3600, version: "0.2.0")
    }

    @Test("system, source and server families; the system peer's state set; label values escaped")
    func families() {
        let text = PrometheusText.render(Self.snapshot())
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("ntp_system_stratum 3"))
        #expect(lines.contains("ntp_system_offset_seconds -0.000123"))
        #expect(lines.contains("ntp_system_frequency_ppm 12.5"))
        #expect(lines.contains("ntp_system_synchronized 1"))
        #expect(lines.contains("ntp_server_received_packets_total 1000"))
        #expect(lines.contains("ntp_server_dropped_packets_total{reason=\"restricted\"} 7"))
        #expect(lines.contains("process_start_time_seconds 1795996400"))
        #expect(lines.contains("ntp_source_selected{id=\"1\",name=\"192.0.2.1\",address=\"192.0.2.1\",type=\"server\",state=\"sys.peer\"} 1"))
        #expect(lines.contains("ntp_source_selected{id=\"1\",name=\"192.0.2.1\",address=\"192.0.2.1\",type=\"server\",state=\"reject\"} 0"))
        #expect(lines.contains("ntp_source_reachability{id=\"1\",name=\"192.0.2.1\",address=\"192.0.2.1\",type=\"server\"} 255"))
        #expect(text.contains("name=\"we\\\"ird\\\\name\\nx\""), "quote, backslash and newline escaped")
        // Every sample belongs to the family announced just before it.
        var family = ""
        for line in lines {
            if line.hasPrefix("# TYPE ") { family = String(line.split(separator: " ")[2]) }
            else if !line.hasPrefix("#") { #expect(line.hasPrefix(family + "{") || line.hasPrefix(family + " "), "\(line) outside \(family)") }
        }
    }

    @Test("promtool check metrics reports no problem")
    func promtool() throws {
        let promtool = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            Issue.record("promtool missing: scripts/deps.sh installs Debian's prometheus")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(PrometheusText.render(Self.snapshot()).utf8))
        try input.fileHandleForWriting.close()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && said.isEmpty, "promtool: \(said)")
    }
}
