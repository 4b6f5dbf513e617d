import Foundation
import Testing

/// `ntpsh --lab`: the shipped labs run unattended (standard input not a terminal), fast, and
/// pass; a failing expect fails the batch.
@Suite struct LabTests {
    static let names = ["server-tutorial", "client-tutorial", "ntpd-vs-ntpdate", "falseticker", "why-unsynchronised"]

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
