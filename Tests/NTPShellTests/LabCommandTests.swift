import NTPLab
import NTPEngine
import NTPWire
import NTPSimulation
@testable import NTPAdmin
import Testing
@testable import NTPShell

/// The lab commands in virtual time, in-process: simulated clients against the restrict list,
/// `lab at`, `lab seed`, kiss codes and leap bits on lab servers, `lab restart` with the drift file.
@Suite struct LabCommandTests {
    /// A runner in an empty lab world.
    static func lab(seed: UInt64 = 1, frequencyError: Double = 20) -> (CommandRunner, SimulationAdmin) {
        let admin = SimulationAdmin.lab(seed: seed, clockOffset: 0.01, frequencyError: frequencyError)
        let runner = LabShell.runner(admin: admin, lab: admin)
        return (runner, admin)
    }

    /// Runs lines, failing the test on any error; returns the text printed.
    @discardableResult
    static func run(_ runner: CommandRunner, _ lines: String...) -> String {
        var text = ""
        for line in lines {
            let out = runner.run(line)
            #expect(out.error == nil, "\(line): \(out.error ?? "")")
            text += out.text
        }
        return text
    }

    static func client(_ admin: SimulationAdmin, _ address: String) -> LabStatus.Client? {
        admin.labStatus().clients.first { $0.address == address }
    }

    @Test func clientsInsideAndOutsideARestrictedLAN() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1", "server 10.0.0.1 iburst",
                 "restrict default noserve", "restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap",
                 "lab client add 192.168.0.20 interval 16s", "lab client add 203.0.113.7 rate 0.0625",
                 "wait sync", "lab advance 10m")
        let inside = try #require(Self.client(admin, "192.168.0.20"))
        let outside = try #require(Self.client(admin, "203.0.113.7"))
        #expect(inside.sent >= 37 && inside.answered >= inside.sent - 2 && inside.unanswered == 0)
        #expect(abs(inside.lastOffset ?? 1) < 1e-3)
        #expect(outside.sent >= 37 && outside.answered == 0 && outside.unanswered >= outside.sent - 1)
        // The entries counted what they matched.
        let hits = Dictionary(uniqueKeysWithValues: admin.restrictions().map { ($0.target, $0.hits) })
        #expect((hits["192.168.0.0/24"] ?? 0) >= UInt64(inside.sent))
        #expect((hits["default"] ?? 0) >= UInt64(outside.sent))
        let status = Self.run(runner, "lab status")
        #expect(status.contains("client 203.0.113.7     every 16s: "))
        #expect(runner.run("expect client 203.0.113.7 answered == 0").status == 0)
        #expect(runner.run("expect client 192.168.0.20 unanswered > 0").status == 1)
        #expect(runner.run("lab client add 10.0.0.1").error?.contains("taken (a server)") == true)
        Self.run(runner, "lab client remove 203.0.113.7")
        #expect(Self.client(admin, "203.0.113.7") == nil)
    }

    @Test("restrict source through the shell: the server is heard under 'restrict default ignore'; unrestrict and no restrict undo it")
    func restrictSource() {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1", "restrict default ignore", "restrict source nomodify noquery",
                 "server 10.0.0.1 iburst", "wait sync 60")
        #expect(admin.systemReport().systemPeer != nil)
        #expect(runner.run("show running-config").text.contains("restrict source nomodify noquery\n"))
        Self.run(runner, "unrestrict source noquery")
        #expect(runner.run("show running-config").text.contains("restrict source nomodify\n"))
        // Without it the default ignores the server: it becomes unreachable.
        Self.run(runner, "no restrict source", "lab advance 20m")
        #expect(admin.peerReports().first?.reach == 0)
        #expect(runner.run("unrestrict source nomodify").error != nil)
        // Written as IPv4-mapped IPv6, removed the same way.
        Self.run(runner, "restrict ::ffff:10.0.0.0/104 nomodify", "unrestrict ::ffff:10.0.0.0/104 nomodify",
                 "no restrict ::ffff:10.0.0.0/104")
    }

    @Test func labAtRunsACommandAtALabTime() {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1", "server 10.0.0.1 iburst",
                 "lab at 10m lab server 10.0.0.1 silent", "lab at 20m lab server 10.0.0.1 answer")
        #expect(admin.labStatus().scheduled == 2)
        let out = runner.run("lab advance 15m")
        #expect(out.text.hasPrefix("[lab 10m] lab server 10.0.0.1 silent\n"))
        #expect(admin.labStatus().servers.first?.silent == true)
        #expect(admin.labStatus().scheduled == 1)
        Self.run(runner, "lab advance 10m")
        #expect(admin.labStatus().servers.first?.silent == false)
        // Refused: the past, commands that let time pass, and lines that do not parse.
        #expect(runner.run("lab at 1m echo late").error?.contains("needs a later time") == true)
        #expect(runner.run("lab at 1h lab advance 1m").error?.contains("cannot run inside the lab's time") == true)
        #expect(runner.run("lab at 1h lab server").error != nil)
        // A scheduled command that fails fails the command that let its time pass.
        Self.run(runner, "lab at 30m expect peers-count == 7")
        let failing = runner.run("lab advance 10m")
        #expect(failing.status == 1 && failing.error?.contains("expect failed: peers-count == 7") == true)
    }

    @Test func seedComesFirstAndMakesTheSameWorld() {
        func trace(_ seed: Int) -> String {
            let (runner, _) = Self.lab()
            return Self.run(runner, "lab seed \(seed)", "lab server add 10.0.0.1 jitter 2ms", "server 10.0.0.1 iburst",
                            "wait sync", "lab advance 5m", "lab status")
        }
        #expect(trace(7) == trace(7))
        #expect(trace(7) != trace(8))
        #expect(trace(7).contains("(seed 7)"))
        let (runner, _) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1")
        #expect(runner.run("lab seed 3").error?.contains("lab seed comes first") == true)
    }

    @Test func kissCodesLeapBitsAndServerOptions() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 refid PPS", "lab server add 10.0.0.2 stratum 2 frequency 5 asymmetry 2ms leap insert",
                 "server 10.0.0.1 iburst", "server 10.0.0.2 iburst", "wait sync", "lab advance 2m")
        let peers = Self.run(runner, "peers -n")
        #expect(peers.contains(".PPS."))
        let status = Self.run(runner, "lab status")
        #expect(status.contains("server 10.0.0.2        stratum 2") && status.contains("leap insert"))
        Self.run(runner, "lab server 10.0.0.1 kiss DENY", "lab advance 5m")
        #expect(Self.run(runner, "peers -n").contains(".DENY."))
        #expect(runner.run("expect peer 10.0.0.1 reach == 0").status == 0)
        #expect(admin.labStatus().servers.first?.kiss == "DENY")
        #expect(runner.run("lab server 10.0.0.1 kiss TOOLONG").error != nil)
        Self.run(runner, "lab server 10.0.0.2 leap alarm")
        #expect(admin.labStatus().servers.last?.leap == .unsynchronized)
    }

    @Test func restartReadsTheDriftFileWrittenHourly() throws {
        let (runner, admin) = Self.lab(frequencyError: 40)
        let note = Self.run(runner, "driftfile /var/lib/ntp/drift")
        #expect(note.contains("not found in the lab"))
        Self.run(runner, "lab server add 10.0.0.1", "lab server add 10.0.0.2", "server 10.0.0.1 iburst",
                 "server 10.0.0.2 iburst", "wait sync", "lab advance 50m")
        #expect(admin.labFile("/var/lib/ntp/drift") == nil)
        Self.run(runner, "lab advance 20m")
        let drift = try #require(admin.labFile("/var/lib/ntp/drift").flatMap { Double($0.dropLast()) })
        #expect(abs(drift + 40) < 0.5)
        let before = admin.sampleHistory().loop.count
        let restarted = Self.run(runner, "lab restart")
        #expect(restarted.contains("the frequency starts at"))
        #expect(admin.peerReports().count == 2)
        #expect(abs(admin.host.clock.status().frequency.value - drift) < 0.01)
        Self.run(runner, "wait sync", "lab advance 30s")
        #expect(abs(admin.labStatus().frequencyError) < 0.2)
        #expect(runner.run("expect drift-file < -39.5ppm").status == 0)
        // plot goes on across the restart.
        #expect(admin.sampleHistory().loop.count > before)
    }

    /// Statistics lines in a lab: one per clock update and peer sample, lab time stamps, none
    /// lost or repeated across `lab restart`.
    @Test func statisticsLinesAcrossARestart() throws {
        final class Files: @unchecked Sendable { var text: [String: String] = [:] }
        let files = Files()
        let (runner, admin) = Self.lab()
        admin.appendFile = { path, text in files.text[path, default: ""] += text; return nil }
        admin.isDirectory = { $0 == "/stats/" }
        Self.run(runner, "statsdir /stats/", "statistics loopstats peerstats", "filegen peerstats file peers type none",
                 "lab server add 10.0.0.1", "server 10.0.0.1 iburst", "wait sync", "lab advance 1h", "lab restart", "lab advance 2h")
        let loop = try #require(files.text["/stats/loopstats.20260101"]).split(separator: "\n")
        let peers = try #require(files.text["/stats/peers"]).split(separator: "\n")
        let history = admin.sampleHistory()
        #expect(loop.count == history.loop.count && peers.count == history.peers.count)
        #expect(loop.first?.hasPrefix("61041 ") == true)
        let seconds = loop.map { Double($0.split(separator: " ")[1]) ?? -1 }
        #expect(seconds == seconds.sorted(), "lab time only goes forward")
        #expect(runner.run("statsdir /elsewhere/").text.contains("is not a directory"))
    }

    @Test func speedPauseResume() {
        let (runner, admin) = Self.lab()
        #expect(Self.run(runner, "lab speed 60x") == "lab speed 60x\n")
        #expect(admin.pace.speed == 60)
        Self.run(runner, "lab speed max", "lab pause")
        #expect(admin.pace == { var p = LabPace(); p.speed = nil; p.paused = true; return p }())
        Self.run(runner, "lab resume")
        #expect(!admin.pace.paused)
        #expect(runner.run("lab speed fast").error?.contains("Nx") == true)
    }
}

/// `plot`: the chart's shape in plain ASCII, and the series it takes from the engine's history.
@Suite struct PlotTests {
    static let start = UnixTime(seconds: 1_767_225_600, nanoseconds: 0)

    @Test func asciiChartPutsEachSampleInItsCell() {
        // A ramp from 0 to 11 over 11 s, 12 rows: sample k lands on row 11 − k, column k·(w−1)/11.
        let points = (0...11).map { (time: Self.start.adding(seconds: Double($0)), value: Double($0)) }
        let text = PlotView.render(PlotView.Series(title: "ramp", unit: "ms", points: points), width: 34, unicode: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "ramp (ms): 12 samples, min 0.0 max 11.0")
        #expect(lines[1] == "      11.0 +                     *")
        #expect(lines[12] == "       0.0 +*")
        #expect(lines[13] == "           +" + String(repeating: "-", count: 22))
        #expect(lines[14].hasPrefix("           2026-01-01 00:00:00"))
        for row in 1...12 { #expect(lines[row].filter { $0 == "*" }.count == 1, "row \(row): \(lines[row])") }
    }

    @Test func brailleChartIsOneLine() {
        let points = (0...100).map { (time: Self.start.adding(seconds: Double($0)), value: Double($0 % 10)) }
        let text = PlotView.render(PlotView.Series(title: "saw", unit: "ppm", points: points), width: 80, unicode: true)
        #expect(text.contains("┤") && text.contains("└"))
        #expect(!text.contains("*"))
        #expect(text.unicodeScalars.filter { (0x2801...0x28FF).contains($0.value) }.count > 60)
        for line in text.split(separator: "\n") {
            #expect(line.count <= 80, "no line wider than the terminal: \(line)")
        }
    }

    @Test func plotCommandDrawsTheEnginesHistory() throws {
        let (runner, admin) = LabCommandTests.lab()
        LabCommandTests.run(runner, "lab server add 10.0.0.1 delay 4ms", "server 10.0.0.1 iburst", "wait sync", "lab advance 1h")
        #expect(admin.sampleHistory().loop.count >= 5)
        let offset = LabCommandTests.run(runner, "plot offset")
        #expect(offset.hasPrefix("clock offset (ms): \(admin.sampleHistory().loop.count) samples"))
        let delay = LabCommandTests.run(runner, "plot delay 1 last 30m")
        #expect(delay.hasPrefix("delay of 10.0.0.1 (ms), last 30m: "))
        #expect(delay.contains("min 4.") || delay.contains("min 3.9"))
        #expect(LabCommandTests.run(runner, "plot frequency json").hasPrefix("{\"title\":\"frequency correction\",\"unit\":\"ppm\""))
        #expect(runner.run("plot frequency 1").error != nil)
        #expect(runner.run("plot offset 10.9.9.9").error?.contains("no association") == true)
    }
}

@Suite struct LabHelpTests {
    @Test func helpLabListsTheShippedLabs() {
        let (runner, _) = LabCommandTests.lab()
        let text = LabCommandTests.run(runner, "help lab")
        #expect(text.contains("lab client (add ADDRESS"))
        for lab in LabScenarios.all { #expect(text.contains("  \(lab.name) ")) }
    }
}

/// `plot` through `ntpsh --attach`: the history travels over the control protocol, trimmed.
@Suite struct SampleHistoryProtocolTests {
    @Test func historyCallSendsTheRecentSamplesAndTheyDecode() throws {
        let (runner, admin) = LabCommandTests.lab()
        LabCommandTests.run(runner, "lab server add 10.0.0.1", "lab server add 10.0.0.2", "server 10.0.0.1 iburst minpoll 3 maxpoll 3",
                            "server 10.0.0.2 iburst minpoll 3 maxpoll 3", "wait sync", "lab advance 6h")
        let full = admin.sampleHistory()
        #expect(full.peers.total > ControlCalls.historyPeers && full.loop.total > ControlCalls.historyLoop)
        let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { _, _ in CommandRunner.Output() }
        let handler = try #require(ControlCalls.all.first { $0.name == "sampleHistory" })
        let frame = try handler.handle(session, false, 1, Array(#"{"id":1,"call":"sampleHistory","args":{}}"#.utf8)).get()
        #expect(frame.count < ControlProtocol.maxFrame / 2, "\(frame.count) bytes")
        let response = try ControlProtocol.decode(ControlProtocol.Response<SampleHistory>.self, from: frame).get()
        let sent = try #require(response.result)
        #expect(sent.loop.count == ControlCalls.historyLoop && sent.peers.count == ControlCalls.historyPeers)
        #expect(sent.loop.total == full.loop.total)
        #expect(sent.loop.elements == Array(full.loop.elements.suffix(ControlCalls.historyLoop)))
        #expect(sent.peers.elements.last == full.peers.elements.last)
    }
}
