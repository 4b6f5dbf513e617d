import Foundation
import Testing

/// `statsdir`, `statistics`, `filegen`: ntpd's loopstats and peerstats lines, in a lab (lab time
/// stamps) and in a real run; NTPsec's ntpviz draws its plots from the files of a lab run.
@Suite("statistics files", .serialized)
struct StatisticsTests {
    /// `MJD seconds.mmm` then numbers: NTPsec's record_loop_stats / record_peer_stats layouts.
    nonisolated(unsafe) static let loopLine = #/^\d{5} \d{1,5}\.\d{3} -?\d+\.\d{9} -?\d+\.\d{6} \d+\.\d{9} \d+\.\d{6} -?\d+$/#
    nonisolated(unsafe) static let peerLine = #/^\d{5} \d{1,5}\.\d{3} [0-9.]+ [0-9a-f]{1,4} -?\d+\.\d{9} -?\d+\.\d{9} \d+\.\d{9} \d+\.\d{9}$/#

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("a lab day writes loopstats.YYYYMMDD and peerstats.YYYYMMDD in lab time; ntpviz plots them")
    func labFilesAndNtpviz() throws {
        let dir = try temporaryDirectory()
        let stats = dir + "/stats", out = dir + "/plots"
        try FileManager.default.createDirectory(atPath: stats, withIntermediateDirectories: true)
        let script = """
            statsdir \(stats)/
            statistics loopstats peerstats
            filegen loopstats file loopstats type day enable
            filegen peerstats file peerstats type day enable
            lab server add 10.0.0.1 delay 2ms
            lab server add 10.0.0.2 delay 6ms jitter 1ms
            lab server add 10.0.0.3 delay 9ms jitter 500us
            server 10.0.0.1 iburst
            server 10.0.0.2 iburst
            server 10.0.0.3 iburst
            lab advance 25h
            """
        let r = try run("/bin/sh", ["-c", "printf '%s\\n' \"$0\" | '\(ntpshBinary())' --lab", script], timeout: 60)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        // The lab starts 2026-01-01T00:00:00Z (MJD 61041) and ran into the next day.
        let loop = try Self.lines(stats + "/loopstats.20260101")
        let peers = try Self.lines(stats + "/peerstats.20260101")
        #expect(loop.count > 50 && peers.count > 100)
        #expect(loop.allSatisfy { $0.wholeMatch(of: Self.loopLine) != nil }, "\(loop.prefix(3))")
        #expect(peers.allSatisfy { $0.wholeMatch(of: Self.peerLine) != nil }, "\(peers.prefix(3))")
        #expect(loop.allSatisfy { $0.hasPrefix("61041 ") } && peers.allSatisfy { $0.hasPrefix("61041 ") })
        #expect(try Self.lines(stats + "/loopstats.20260102").allSatisfy { $0.hasPrefix("61042 ") })
        #expect(Set(peers.map { $0.split(separator: " ")[2] }) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])

        let ntpviz = ntpsecTool("ntpviz")
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/gnuplot"), "gnuplot (scripts/deps.sh installs gnuplot-nox)")
        let v = try run("/usr/bin/python3", [ntpviz, "-d", stats, "-o", out, "-s", "2026-01-01T00:00:00", "-e", "2026-01-02T01:00:00"],
                        timeout: 120)
        #expect(v.status == 0, "ntpviz: \(v.stderr)")
        for plot in ["index.html", "local-offset.png", "local-jitter.png", "local-stability.png", "peer-offsets.png",
                     "peer-jitters.png", "peer-offset-10.0.0.2.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: out + "/" + plot)[.size] as? Int) ?? 0
            #expect(size > 1000, "\(plot): \(size) bytes")
        }
        print("ntpviz drew \((try? FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".png") }.count) ?? 0) plots from a lab day")
    }

    @Test("a real run writes peerstats and loopstats while it syncs to another ntpsh (type none: one file)")
    func realRun() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let dir = try temporaryDirectory()
        let r = try run(ntpshBinary(), ["--clock", "observe", "--port", "0",
                                        "-e", "statsdir \(dir)", "-e", "statistics loopstats peerstats",
                                        "-e", "filegen loopstats type none", "-e", "filegen peerstats file peers type none",
                                        "-e", "server 127.0.0.1 port \(port) iburst", "-e", "wait sync 30s", "-e", "sleep 3",
                                        "-e", "plot delay 127.0.0.1"],
                        timeout: 60)
        #expect(r.status == 0, "\(r.stderr)")
        // plot in a real run, output not a terminal: plain ASCII.
        #expect(r.stdout.hasPrefix("delay of 127.0.0.1 (ms): ") && r.stdout.contains("*") && !r.stdout.contains("┤"), "\(r.stdout)")
        let loop = try Self.lines(dir + "/loopstats")
        let peers = try Self.lines(dir + "/peers")
        #expect(!loop.isEmpty && loop.allSatisfy { $0.wholeMatch(of: Self.loopLine) != nil }, "\(loop)")
        #expect(peers.count >= 2 && peers.allSatisfy { $0.wholeMatch(of: Self.peerLine) != nil }, "\(peers)")
        #expect(peers.allSatisfy { $0.split(separator: " ")[2] == "127.0.0.1" })
        // Today's MJD, from the real clock.
        let mjd = Int(Date().timeIntervalSince1970 / 86_400) + 40_587
        #expect(loop.allSatisfy { Int($0.prefix(5)).map { abs($0 - mjd) <= 1 } ?? false })
    }

    @Test("filegen refuses types it does not generate; statsdir must be a directory")
    func refusals() throws {
        let r = try ntpsh(["-e", "filegen loopstats type week"])
        #expect(r.status == 1 && r.stderr.contains("day (loopstats.YYYYMMDD) or none"))
        let w = try ntpsh(["-e", "statsdir /nonexistent/ntpsh", "-e", "statistics loopstats"])
        #expect(w.status == 0 && w.stdout.contains("is not a directory"))
    }
}
