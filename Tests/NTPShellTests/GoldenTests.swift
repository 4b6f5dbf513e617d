import Foundation
import NTPEngine
import NTPWire
import Testing
@testable import NTPShell
@testable import NTPControl

/// Texts produced by NTPsec 1.2.2's own ntpq code (Fixtures/golden.py) from the scenario.
func fixture(_ name: String) throws -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return try String(contentsOf: url, encoding: .utf8)
}

@Suite struct GoldenTests {
    @Test func peersNumericMatchesNTPsec() throws {
        let text = PeersView.text(Scenario.peers, now: Scenario.now, options: .init(numeric: true, decimals: .four))
        #expect(text == (try fixture("peers-n.txt")))
    }

    @Test func peersByNameShowsTheConfiguredName() throws {
        let text = PeersView.text(Scenario.peers, now: Scenario.now, options: .init(decimals: .four))
        // ntpq looks the address up in the DNS; we show the name the server was configured by.
        let expected = try fixture("peers.txt").replacingOccurrences(of: "+198.51.100.7   ", with: "+ntp.example.net")
        #expect(text == expected)
    }

    @Test(arguments: [(100, "peers-w100.txt"), (120, "peers-w120-wide.txt")])
    func peersWidenOnWideTerminals(width: Int, file: String) throws {
        let text = PeersView.text(
            Scenario.peers, now: Scenario.now, options: .init(numeric: true, terminalWidth: width, wide: width == 120, decimals: .four))
        #expect(text == (try fixture(file)))
    }

    @Test func peersThreeDecimals() {
        let text = PeersView.text(Scenario.peers, now: Scenario.now, options: .init(numeric: true))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "     remote           refid      st t when poll reach   delay   offset   jitter")
        #expect(lines[2] == "*192.0.2.10      192.0.2.1        2 u   37   64  377    1.234   -0.456    0.089")
        #expect(lines[3] == " LOCAL(0)        .LOCL.          10 l    -   64   17    0.000    0.000    0.000")
        #expect(lines[4] == "+198.51.100.7    203.0.113.9      3 u  50m 1024   17   25.000   12.346 1234.568")
        #expect(lines[6] == " 2001:db8::123   .INIT.          16 u    -   64    0 123456.0 -12345.7    0.000")
        #expect(lines.allSatisfy { $0.count <= 80 })
    }

    @Test func peersWideNameOnItsOwnLine() {
        var p = Scenario.peers[2]
        p.host = "a-very-long-server-name.example.net"
        let line = PeersView.line(p, now: Scenario.now, options: .init(terminalWidth: 80, wide: true))
        #expect(line.hasPrefix("+a-very-long-server-name.example.net\n" + String(repeating: " ", count: 17) + "203.0.113.9 "))
        let cut = PeersView.line(p, now: Scenario.now)
        #expect(cut.hasPrefix("+a-very-long-ser 203.0.113.9 "))
    }

    @Test func associationsMatchNTPsec() throws {
        let text = AssociationsView.text(Scenario.peers, events: Scenario.events)
        let expected = try fixture("associations.txt")
        #expect(text.split(separator: "\n") == expected.split(separator: "\n"))
        #expect(text == expected)
    }

    @Test func readvarMatchesNTPsec() throws {
        #expect(ReadVarView.system(Scenario.subject, events: Scenario.events) == (try fixture("rv.txt")))
        #expect(ReadVarView.system(Scenario.subject, events: Scenario.events, terminalWidth: 120) == (try fixture("rv-w120.txt")))
        #expect(ReadVarView.system(Scenario.subject, names: ["stratum", "refid", "offset", "frequency"]) == (try fixture("rv-select.txt")))
    }

    @Test func readvarPeerMatchesNTPsec() throws {
        let s = PeerVariableSubject(report: Scenario.peers[0], now: Scenario.now)
        #expect(ReadVarView.peer(s, events: Scenario.events) == (try fixture("rv-peer.txt")))
    }

    @Test func sysinfoMatchesNTPsec() throws {
        #expect(SystemStatsView.sysinfo(Scenario.subject, events: Scenario.events) == (try fixture("sysinfo.txt")))
    }

    /// golden.py's inputs are what our tables send.
    @Test func tablesSendTheScenarioValues() throws {
        let py = try fixture("golden.py")
        for (name, value) in SystemVariableTable.values(Scenario.subject).values where !["reftime", "clock"].contains(name) {
            #expect(py.contains("(\"\(name)\", \(quotedPy(value)))"), "system \(name)=\(value)")
        }
        let s = PeerVariableSubject(report: Scenario.peers[0], now: Scenario.now)
        for (name, value) in PeerVariableTable.values(s).values where !["reftime", "rec"].contains(name) && !name.hasPrefix("filt") {
            #expect(py.contains("(\"\(name)\", \(quotedPy(value)))"), "peer \(name)=\(value)")
        }
        let filt = PeerVariableTable.values(s).values.filter { $0.0.hasPrefix("filt") }.map(\.1)
        #expect(filt == [" 1.23 1.25 1.30 1.24 1.40 1.22 1.31 1.27", " -0.46 -0.44 -0.50 -0.41 -0.47 -0.45 -0.43 -0.48",
                         " 0.00 0.97 1.94 2.91 3.88 4.85 5.82 6.79"])
        #expect(SystemVariableTable.values(Scenario.subject).values.first { $0.0 == "reftime" }?.1 == "0xeeac061a.9999999a")
    }

    func quotedPy(_ wire: String) -> String { wire.hasPrefix("\"") ? "'\(wire)'" : "\"\(wire)\"" }
}
