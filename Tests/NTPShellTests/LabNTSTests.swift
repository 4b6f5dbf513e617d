import NTPAdmin
import NTPLab
import NTPShell
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
}
