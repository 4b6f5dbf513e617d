import Foundation
import Testing

/// `ntpsh --lab`: the shipped labs run unattended (standard input not a terminal), fast, and
/// pass; a failing expect fails the batch.
@Suite struct LabTests {
    static let names = ["server-tutorial", "client-tutorial", "ntpd-vs-ntpdate", "falseticker", "drift-file", "why-unsynchronised"]

    @Test func list() throws {
        let r = try run(ntpshBinary(), ["--lab", "list"])
        #expect(r.status == 0)
        let names = r.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map(String.init)
        #expect(names == Self.names)
    }

    @Test(arguments: names)
    func scenario(_ name: String) throws {
        let start = Date()
        let r = try run(ntpshBinary(), ["--lab", name], timeout: 60)
        let seconds = Date().timeIntervalSince(start)
        print("lab \(name): status \(r.status), \(String(format: "%.2f", seconds)) s wall time")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(seconds < 30)
        #expect(r.stdout.contains("lab \(name): ") && r.stdout.contains(" expects hold"))
        #expect(!r.stdout.contains("expect failed"))
    }

    /// Must show: 24 simulated hours of a lab (the server tutorial's world: three upstreams, the
    /// local clock, a LAN restrict, two clients asking every 64 s) in under 20 s of wall time.
    @Test func aSimulatedDayInUnderTwentySeconds() throws {
        let script = """
            lab server add 10.0.0.1 delay 3ms
            lab server add 10.0.0.2 delay 8ms
            lab server add 10.0.0.3 delay 12ms jitter 1ms
            restrict default noserve
            restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap
            server 10.0.0.1 iburst prefer
            server 10.0.0.2 iburst
            server 10.0.0.3 iburst
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            lab client add 192.168.0.20 interval 64s
            lab client add 203.0.113.7 interval 64s
            lab advance 24h
            lab status
            expect rv stratum == 2
            expect offset < 1ms
            expect client 192.168.0.20 answered >= 1340
            """
        let start = Date()
        let r = try run("/bin/sh", ["-c", "printf '%s\\n' \"$0\" | '\(ntpshBinary())' --lab", script], timeout: 60)
        let seconds = Date().timeIntervalSince(start)
        print("lab: 24 simulated hours in \(String(format: "%.2f", seconds)) s wall time")
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("virtual time     86400.0 s since the start"))
        #expect(seconds < 20)
    }

    @Test func failingExpectGivesStatusOne() throws {
        let script = """
            lab server add 10.0.0.1
            server 10.0.0.1 iburst
            wait sync
            expect peers-count == 1
            expect offset < 1ns
            echo not reached
            """
        let r = try run("/bin/sh", ["-c", "printf '%s\\n' \"$0\" | '\(ntpshBinary())' --lab", script])
        #expect(r.status == 1)
        #expect(r.stdout.contains("expect ok: peers-count == 1"))
        #expect(r.stderr.contains("expect failed: offset < 1ns"))
        #expect(!r.stdout.contains("not reached"))
    }

    @Test func labCommandsOutsideALab() throws {
        let r = try ntpsh(["-e", "lab status"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not in a lab (start ntpsh --lab)"))
    }
}
