import Foundation
import Testing

/// `ntpsh --lab`: the shipped labs run unattended (standard input not a terminal), fast, and
/// pass; a failing expect fails the batch.
@Suite struct LabTests {
    static let names = ["server-tutorial", "client-tutorial", "lan-client", "ntpd-vs-ntpdate", "falseticker", "drift-file", "why-unsynchronised",
                         "safe-change", "nts-mitm"]

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

    /// `--lab NAME --port N`: the lab host's server on a real loopback socket. NTPsec's ntpdig
    /// measures the lab host's clock error (lab time is moved onto real time), and sees a jump
    /// made in the lab; ntpq -p lists the lab host's upstreams over mode 6.
    @Test func servedOnLoopbackToNtpdigAndNtpq() throws {
        let address = "127.0.7.1"
        let lab = try Background(ntpshBinary(), ["--lab", "client-tutorial", "--listen", address, "--port", "123"], input: true)
        defer { lab.stop() }
        func ntpdig() throws -> (stratum: Int, offset: Double)? {
            let r = try run(ntpsecTool("ntpdig"), ["-t", "1", "-j", address], timeout: 10)
            guard r.status == 0, let data = r.stdout.data(using: .utf8),
                  let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let stratum = json["stratum"] as? Int, let offset = json["offset"] as? Double else { return nil }
            return (stratum, offset)
        }
        var answer: (stratum: Int, offset: Double)?
        try lab.waitUntil(timeout: 30, "ntpdig to get the lab's time") { answer = try ntpdig(); return answer != nil }
        #expect(answer?.stratum == 2)
        #expect(abs(answer?.offset ?? 1) < 0.01, "the lab host's clock is within a millisecond of true time: \(String(describing: answer))")
        lab.send("lab clock jump 250ms\n")
        try lab.waitUntil(timeout: 20, "ntpdig to see the lab clock 250 ms ahead") {
            answer = try ntpdig()
            return abs((answer?.offset ?? 0) - 0.25) < 0.01
        }
        let q = try run(ntpsecTool("ntpq"), ["-n", "-p", address], timeout: 10)
        #expect(q.stdout.contains("10.0.0.1") && q.stdout.contains("10.0.0.3"), "ntpq -p: \(q.stdout) \(q.stderr)")
        // chronyd -Q (measures, never sets the clock) sees the lab clock 250 ms ahead too.
        let dir = try temporaryDirectory()
        let c = try run("/usr/sbin/chronyd", ["-Q", "-t", "10", "server \(address) iburst minpoll -6 maxpoll -6",
                                              "pidfile \(dir)/chronyd.pid"], timeout: 20)
        let line = (c.stdout + c.stderr).split(separator: "\n").first { $0.contains("System clock wrong by") } ?? ""
        let wrong = line.split(separator: " ").compactMap { Double($0) }.first
        print("chronyd -Q against the lab: \(line)")
        // chronyd prints how far its clock is from the server's: 250 ms behind, as "-0.25".
        #expect(wrong.map { abs(abs($0) - 0.25) < 0.01 } ?? false, "chronyd: \(c.stdout) \(c.stderr)")
        lab.closeInput()
        try lab.waitUntil(timeout: 10, "the lab to exit at the end of its input") { !lab.isRunning }
        #expect(lab.stop() == 0)
        #expect(lab.stdout.contains("lab client-tutorial: 4 of 4 expects hold"))
    }

    /// `--lab --port` answers ntpq and ntpdig without restrict lists: never on a non-loopback
    /// address, where it would reflect to anyone.
    @Test func labRefusesNonLoopbackListen() throws {
        for address in ["0.0.0.0", "::", "192.0.2.1"] {
            let r = try run(ntpshBinary(), ["--lab", "client-tutorial", "--port", "12123", "--listen", address], timeout: 10)
            #expect(r.status == 2, "--listen \(address)")
            #expect(r.stderr.contains("--lab serves its time on loopback only; --listen \(address) is not a loopback address"))
        }
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
