import NTPAdmin
import NTPLab
@testable import NTPShell
import NTPSimulation
import Testing

/// The `nts-mitm` lab and NTS in the simulated network, in virtual time: a man in the middle
/// adds 250 ms to one server's replies; a plain client follows him, an NTS client refuses the
/// forged replies (real AES-SIV, real cookies, NTS-KE over an in-memory TLS 1.3 handshake).
@Suite struct LabNTSTests {
    /// A runner in an empty lab world (LabCommandTests's), the lab's seed and clock.
    static func lab(seed: UInt64 = 15) -> (CommandRunner, SimulationAdmin) { LabCommandTests.lab(seed: seed, frequencyError: 15) }

    static func run(_ runner: CommandRunner, _ lines: String...) {
        for line in lines { LabCommandTests.run(runner, line) }
    }

    @Test func theLabsExpectsHold() {
        let scenario = LabScenarios.ntsMitm
        let admin = SimulationAdmin.lab(seed: scenario.seed, clockOffset: scenario.clockOffset, frequencyError: scenario.frequencyError)
        var text = ""
        let ok = LabTeacher(scenario: scenario, teach: true, write: { text += $0 }, waitForStudent: { true })
            .run(LabShell.runner(admin: admin, lab: admin))
        #expect(ok, "\(text)")
        #expect(text.contains("lab nts-mitm: 8 of 8 expects hold"), "\(text)")
        // The reason is shown in words where the student looks.
        #expect(text.contains("the NTS authenticator does not verify (forged or altered in transit)"), "\(text)")
    }

    /// The teacher's transcript of a run: what the student reads, expects included.
    static func transcript(seed: UInt64) -> (ok: Bool, text: String) {
        let scenario = LabScenarios.ntsMitm
        let admin = SimulationAdmin.lab(seed: seed, clockOffset: scenario.clockOffset, frequencyError: scenario.frequencyError)
        var text = ""
        let ok = LabTeacher(scenario: scenario, teach: true, write: { text += $0 }, waitForStudent: { true })
            .run(LabShell.runner(admin: admin, lab: admin))
        return (ok, text)
    }

    /// The lab is deterministic although TLS draws OpenSSL's randomness (keys, exporter
    /// secrets, the certificate): nothing the student sees depends on those bytes. And its
    /// lesson is no accident of seed 15: its expects hold for other seeds.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func theLabIsDeterministicAndHoldsForOtherSeeds(seed: UInt64) {
        let first = Self.transcript(seed: seed), second = Self.transcript(seed: seed)
        #expect(first.ok, "seed \(seed): \(first.text)")
        #expect(first.text == second.text, "seed \(seed): two runs differ")
    }

    @Test func aPlainClientFollowsTheManInTheMiddle() {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 nts delay 4ms", "lab server 10.0.0.1 mitm 250ms",
                 "server 10.0.0.1 iburst", "lab advance 40m")
        let offset = admin.labStatus().clockOffset
        #expect(abs(offset - 0.25) < 0.01, "the plain client's clock is \(offset) s off, not ~250 ms")
        #expect((admin.labStatus().servers.first?.forged ?? 0) > 10)
    }

    @Test(arguments: [15, 16, 17] as [UInt64])
    func anNTSClientRefusesTheForgedRepliesAndStaysOnTime(seed: UInt64) throws {
        let (runner, admin) = Self.lab(seed: seed)
        Self.run(runner, "lab server add 10.0.0.1 nts delay 4ms", "lab server add 10.0.0.2 nts delay 6ms",
                 "lab server add 10.0.0.3 nts delay 9ms", "lab server 10.0.0.1 mitm 250ms",
                 "server 10.0.0.1 iburst nts", "server 10.0.0.2 iburst nts", "server 10.0.0.3 iburst nts", "wait sync 120s")
        var worst = 0.0
        for _ in 0 ..< 60 {
            admin.advance(seconds: 60)
            worst = max(worst, abs(admin.labStatus().clockOffset))
        }
        #expect(worst < 0.003, "the NTS client's clock went \(worst) s off")
        let report = try #require(admin.ntsReport())
        let forged = try #require(report.associations.first { $0.host == "10.0.0.1" })
        #expect(forged.refused > 10 && forged.accepted == 0)
        #expect(forged.lastFailure == "reply refused: the NTS authenticator does not verify (forged or altered in transit)")
        let honest = try #require(report.associations.first { $0.host == "10.0.0.2" })
        #expect(honest.accepted > 10 && honest.refused == 0 && honest.cookies == 8)
        #expect(report.counters.clientReceiveBad == report.associations.map { $0.refused + $0.naks }.reduce(0, +))
        // The forged replies bring no new cookies: 10.0.0.1 runs NTS-KE again when its 8 are spent.
        #expect(report.counters.keProbeGood > 3 && report.counters.keProbeBad == 0)
        // Not one forged reply reached the engine: 10.0.0.1 is never reached.
        #expect(admin.peerReports().first { $0.host == "10.0.0.1" }?.reach == 0)
    }

    @Test func anNTSClientOfOnlyTheForgedServerNeverSynchronises() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 nts", "lab server 10.0.0.1 mitm 250ms", "server 10.0.0.1 iburst nts")
        admin.advance(seconds: 1800)
        #expect(!admin.host.engine.system.isSynchronized)
        #expect(abs(admin.labStatus().clockOffset) < 0.05)
        #expect(try #require(admin.ntsReport()?.associations.first).refused > 10)
    }

    @Test func ntsWithAServerThatHasNoneFailsKeyEstablishmentAndSaysWhy() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1", "server 10.0.0.1 iburst nts", "lab advance 5m")
        let state = try #require(admin.ntsReport()?.associations.first)
        #expect(state.keFailures > 0 && state.cookies == 0)
        #expect(state.lastFailure?.contains("no NTS-KE server") == true, "\(state.lastFailure ?? "")")
        #expect(!admin.host.engine.system.isSynchronized)
    }

    /// An `xleave` NTS client gets basic replies from a lab's NTS server, as from the daemon
    /// (whose NTS path stamps the transmit itself and keeps no kernel stamp for a later
    /// interleaved reply): every reply counts, none is interleaved or taken for a duplicate.
    @Test func anInterleavedNTSClientGetsBasicReplies() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 nts delay 4ms", "server 10.0.0.1 iburst xleave nts", "lab advance 30m")
        let report = try #require(admin.peerReports().first { $0.host == "10.0.0.1" })
        #expect(report.counters.interleaved == 0 && report.counters.duplicate == 0 && report.interleaved == false, "\(report.counters)")
        #expect(report.reach == 0o377 && admin.host.engine.system.isSynchronized)
        #expect(admin.network.servers.map(\.interleavedReplies) == [0])
        let nts = try #require(admin.ntsReport()?.associations.first)
        #expect(nts.accepted > 20 && nts.refused == 0)
        #expect(abs(admin.labStatus().clockOffset) < 0.002)
    }

    /// A plain `xleave` client of a lab server (no transmit lag) runs interleaved: the kernel
    /// stamp an interleaved reply carries is never the basic reply's transmit, so no reply is
    /// taken for a duplicate.
    @Test func aPlainInterleavedClientOfALabServerRunsInterleaved() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 delay 4ms", "server 10.0.0.1 iburst xleave", "lab advance 30m")
        let report = try #require(admin.peerReports().first)
        #expect(report.counters.interleaved > 20 && report.counters.duplicate == 0 && report.interleaved == true, "\(report.counters)")
        #expect(report.reach == 0o377)
        #expect(abs(admin.labStatus().clockOffset) < 0.002)
    }

    /// A refused NTS reply is an event, in the daemon's words (the first, then every 100th).
    @Test func aRefusedReplyIsAnEventInTheDaemonsWords() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 nts", "lab server 10.0.0.1 mitm 250ms", "server 10.0.0.1 iburst nts", "lab advance 5m")
        let refused = admin.host.events.map(\.description).filter { $0.contains("reply refused") }
        #expect(refused == ["NTS: 10.0.0.1: reply refused (the NTS authenticator does not verify (forged or altered in transit)); 1 so far"],
                "\(admin.host.events)")
        let text = LabCommandTests.run(runner, "events")
        #expect(text.contains("NTS: 10.0.0.1: reply refused"), "\(text)")
        // A KE that fails is one too, with the wait before the next.
        Self.run(runner, "lab server add 10.0.0.2", "server 10.0.0.2 iburst nts", "lab advance 1m")
        #expect(admin.host.events.contains { $0.description.hasPrefix("NTS: 10.0.0.2: NTS-KE failed: ") && $0.description.hasSuffix("; next try in 2 s") },
                "\(admin.host.events)")
    }

    /// `show nts` keeps KE failures and refused replies apart, each with its own last reason
    /// (text and JSON; `last_failure` stays, the last problem of either kind).
    @Test func showNTSSeparatesKEFailuresFromRefusedReplies() throws {
        let (runner, _) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 nts", "lab server 10.0.0.1 mitm 250ms", "server 10.0.0.1 iburst nts", "lab advance 10m")
        let text = LabCommandTests.run(runner, "show nts")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("10.0.0.1: ") })
        #expect(line.contains(", 0 KE failures, 0 accepted, "), "\(line)")
        #expect(line.contains(" refused (last: the NTS authenticator does not verify (forged or altered in transit)), 0 NAKs"), "\(line)")
        #expect(!line.contains("KE failures (last"), "\(line)")
        let json = LabCommandTests.run(runner, "show nts json")
        #expect(json.contains("\"last_refusal\": \"the NTS authenticator does not verify (forged or altered in transit)\""), "\(json)")
        #expect(json.contains("\"last_ke_failure\": null"), "\(json)")
        #expect(json.contains("\"last_failure\": \"reply refused: the NTS authenticator"), "\(json)")
        // A failing KE: its reason after the KE count, nothing after refused.
        Self.run(runner, "lab server add 10.0.0.2", "server 10.0.0.2 iburst nts", "lab advance 1m")
        let failing = try #require(LabCommandTests.run(runner, "show nts").split(separator: "\n").first { $0.hasPrefix("10.0.0.2: ") })
        #expect(failing.contains("KE failures (last: cannot connect: 10.0.0.2 port 4460: connection refused (no NTS-KE server there)), 0 accepted, 0 refused, 0 NAKs"),
                "\(failing)")
    }

    /// From an engine older than the separate reasons, the one `lastFailure` is put where it belongs.
    @Test func anOlderEnginesLastFailureIsTakenApart() {
        let refused = NTSAssociationState(host: "a", cookies: 8, keFailures: 0, lastFailure: "reply refused: forged", refused: 3)
        #expect(NTSView.line(refused).hasSuffix("0 KE failures, 0 accepted, 3 refused (last: forged), 0 NAKs"))
        let ke = NTSAssociationState(host: "a", cookies: 0, keFailures: 2, lastFailure: "certificate refused: x")
        #expect(NTSView.line(ke).contains("2 KE failures (last: certificate refused: x), 0 accepted, 0 refused, 0 NAKs"))
    }

    /// The new words answer bad input in words: a server that does not exist, a shift that
    /// is not one, `expect nts` on a plain association or on none; a shift is confirmed, and
    /// changing it keeps the same man in the middle (and his count).
    @Test func badInputToTheNewWordsIsRefusedInWords() throws {
        let (runner, admin) = Self.lab()
        Self.run(runner, "lab server add 10.0.0.1 nts", "lab server add 10.0.0.2", "server 10.0.0.2 iburst", "server 10.0.0.1 iburst nts")
        #expect(runner.run("lab server 10.0.0.9 mitm 250ms").error == "no lab server at 10.0.0.9")
        #expect(runner.run("lab server 10.0.0.1 mitm soon").error?.contains("Expected an offset") == true)
        #expect(runner.run("lab server 10.0.0.1 mitm 20d").error != nil)
        #expect(runner.run("lab server 10.0.0.1 mitm -1s").text
                == "a man in the middle moves the times of 10.0.0.1's replies to the lab host by -1000.000 ms\n")
        Self.run(runner, "lab advance 5m")
        let forged = try #require(admin.labStatus().servers.first?.forged)
        #expect(forged > 0)
        Self.run(runner, "lab server 10.0.0.1 mitm 250ms", "lab advance 5m")
        #expect(try #require(admin.labStatus().servers.first?.forged) > forged)
        #expect(runner.run("lab server 10.0.0.1 mitm 0").text == "no man in the middle on 10.0.0.1's path now\n")
        #expect(admin.labStatus().servers.first?.mitmShift == nil)
        #expect(runner.run("expect nts 10.0.0.2 refused == 0").error == "expect: 10.0.0.2 does not use NTS: server 10.0.0.2 nts")
        #expect(runner.run("expect nts 10.0.0.7 refused == 0").error == "expect: no association with 10.0.0.7 (NTS ones: server ADDRESS nts)")
        #expect(runner.run("expect nts 10.0.0.1 forged == 0").error == "expect: nts fields: accepted, refused, cookies, naks")
    }
}
