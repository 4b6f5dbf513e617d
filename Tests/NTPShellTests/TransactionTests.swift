import NTPLab
import NTPAdmin
import NTPEngine
import NTPWire
import Testing
@testable import NTPShell

/// Transactional configuration in the process that owns the engine (here a lab, in lab time):
/// a commit applies the whole candidate or nothing, `commit confirmed` reverts on the engine's
/// time, `configure exclusive` locks other sessions out, the archive keeps what was replaced.
@Suite struct TransactionTests {
    /// An AdminAPI over a lab whose interface rules the engine refuses for `eth9` (as a daemon
    /// refuses a rule it cannot bind): a refusal the checks cannot see in advance.
    final class RefusingLab: AdminAPI {
        let lab: SimulationAdmin
        init(_ lab: SimulationAdmin) { self.lab = lab }
        func perform(_ request: AdminRequest) throws(AdminError) -> AdminAnswer { try lab.perform(request) }
        func takeEvents() -> [EngineEvent] { lab.takeEvents() }
        func uptime() -> Seconds { lab.uptime() }
        var clockKind: ClockKind { lab.clockKind }
        func waitForSync(timeout: Seconds) -> Bool { lab.waitForSync(timeout: timeout) }
        func sleep(_ span: Seconds) { lab.sleep(span) }
        func setDriftFile(_ path: String?) -> String? { lab.setDriftFile(path) }
        func keyStore() -> KeyStore { lab.keyStore() }
        func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String {
            if rules.contains(where: { $0.which == "eth9" }) { throw AdminError("cannot listen on eth9: no such interface") }
            return try lab.setInterfaceRules(rules)
        }
        func setMetrics(_ address: SocketAddress?) throws(AdminError) -> String { try lab.setMetrics(address) }
        func hardwareTimestamping(_ interface: String) throws(AdminError) -> String { try lab.hardwareTimestamping(interface) }
        func stepNow() throws(AdminError) -> Seconds { try lab.stepNow() }
    }

    struct World {
        let lab = SimulationAdmin.lab(seed: 3)
        let runner: CommandRunner
        let transactions: ConfigurationTransactions
        var announced: [String] { lab.events().compactMap { if case .configuration(let t) = $0.kind { t } else { nil } } }

        init(_ text: String, keep: Int = ConfigurationArchive.defaultKeep) {
            runner = CommandRunner(admin: RefusingLab(lab))
            let loaded = runner.loadConfiguration(text, path: "ntp.conf")
            precondition(loaded.errors.isEmpty, "\(loaded.errors)")
            let lab = self.lab
            transactions = ConfigurationTransactions(
                runner: runner, archive: ConfigurationArchive(keep: keep),
                check: ConfigurationTransactions.checking(with: { SimulationAdmin.lab(seed: 9) }, readFile: nil),
                schedule: { seconds, action in try? lab.schedule(atElapsed: lab.uptime().value + seconds, action) },
                now: { lab.systemReport().now }, announce: { lab.announce($0) })
        }

        func commit(_ text: String, origins: [String?] = [], comment: String? = nil, confirm: Double? = nil,
                    session: UInt64 = 1, who: String = "alice") throws(AdminError) -> CommitReport {
            let answer = try transactions.transact(.commit(ConfigurationCandidate(text: text, origins: origins), comment: comment, confirmWithin: confirm.map { Seconds($0) }),
                                                   session: session, who: who)
            guard case .committed(let report) = answer else { throw AdminError("answered \(answer)") }
            return report
        }
        var restrictions: [String] { lab.restrictions().map { "\($0.target) \($0.flags.text)" } }
        var hosts: [String] { lab.peerReports().map(\.host).sorted() }
    }

    static let base = """
        server 192.0.2.1 iburst
        server 192.0.2.2
        restrict default nomodify
        restrict 10.0.0.0 mask 255.0.0.0 nomodify notrap

        """

    @Test("a commit applies the delta: removed, changed and new lines; the running text is the candidate's; the old one is archived")
    func commitApplies() throws {
        let w = World(Self.base)
        let candidate = """
            server 192.0.2.1 iburst
            restrict default nomodify noquery
            restrict 10.0.0.0 mask 255.0.0.0 nomodify notrap
            restrict 192.168.1.0 mask 255.255.255.0 ignore
            server 192.0.2.3

            """
        let report = try w.commit(candidate, comment: "tighten")
        #expect(report.applied == 3 && report.removed == 1)
        #expect(w.runner.running.text == candidate)
        #expect(w.hosts == ["192.0.2.1", "192.0.2.3"])
        #expect(w.restrictions.contains("192.168.1.0/24 ignore"))
        #expect(w.restrictions.contains { $0.hasPrefix("default") && $0.hasSuffix("nomodify noquery") })
        let first = try #require(w.transactions.archive.entry(1))
        #expect(first.text == Self.base && first.who == "alice" && first.comment == "tighten")
        // `write` still merges into the file: the unchanged lines keep their place.
        #expect(w.runner.running.entries.first { $0.key == "192.0.2.1" }?.origin?.line == 1)
    }

    @Test("the engine refuses a line in the middle: nothing changes, and the error names the batch line")
    func refusalRestoresExactly() throws {
        let w = World(Self.base)
        let before = (w.runner.running, w.restrictions, w.hosts)
        let candidate = """
            server 192.0.2.1 iburst
            restrict default ignore
            server 192.0.2.9
            interface listen eth9
            restrict 10.0.0.0 mask 255.0.0.0 nomodify notrap

            """
        let origins: [String?] = [nil, "change.ntpsh:4", "change.ntpsh:5", "change.ntpsh:6", nil]
        #expect {
            _ = try w.commit(candidate, origins: origins)
        } throws: { error in
            let text = (error as? AdminError)?.description ?? ""
            return text.hasPrefix("change.ntpsh:6:1: the engine refused 'interface listen eth9': cannot listen on eth9")
                && text.hasSuffix("nothing was changed")
        }
        #expect(w.runner.running == before.0)
        #expect(w.restrictions == before.1)
        #expect(w.hosts == before.2)
        #expect(w.transactions.archive.entries.isEmpty)
    }

    @Test("commit check and commit refuse a bad line, located; a removal with no undo is refused by name")
    func checks() throws {
        let w = World(Self.base + "tinker panic 0\n")
        #expect(throws: AdminError("change.ntpsh:2:10: expected an address with prefix length (ADDRESS/LENGTH)")) {
            _ = try w.transactions.transact(.check(ConfigurationCandidate(text: "server 192.0.2.1\nrestrict bogus\n", origins: [nil, "change.ntpsh:2"])),
                                            session: 1, who: "alice")
        }
        #expect(throws: AdminError("candidate: 'tinker panic 0' cannot be removed from a running engine (it has no 'no' form); keep it or change its value")) {
            _ = try w.commit(Self.base)
        }
        #expect(w.runner.running.text == Self.base + "tinker panic 0\n")
        // A candidate from a client holds directives only: nothing else runs in the engine's checks.
        #expect(throws: AdminError("candidate:2:1: 'sleep' is not a configuration directive\ncandidate:3:18: output filters ('| ...') are not configuration")) {
            _ = try w.commit(Self.base + "tinker panic 0\n", origins: [])
            _ = try w.transactions.transact(.check(ConfigurationCandidate(text: "server 192.0.2.1\nsleep 100000\nserver 192.0.2.2 | count\n")),
                                            session: 1, who: "alice")
        }
        // What the engine could not take back by itself is never committed under confirmed.
        #expect(throws: AdminError("commit confirmed: 'tos minsane 2' could not be reverted (it has no 'no' form); commit it without confirmed")) {
            _ = try w.commit(Self.base + "tinker panic 0\ntos minsane 2\n", confirm: 60)
        }
        #expect(w.runner.running.text == Self.base + "tinker panic 0\n")
    }

    @Test("commit confirmed reverts on lab time unless a plain commit confirms; the revert is an event and is archived")
    func confirmed() throws {
        let w = World(Self.base)
        let locked = Self.base + "restrict 127.0.0.0 mask 255.0.0.0 ignore\n"
        let report = try w.commit(locked, confirm: 30)
        #expect(report.revertAt != nil)
        w.lab.advance(seconds: 29)
        #expect(w.runner.running.text == locked && w.announced.isEmpty)
        w.lab.advance(seconds: 2)
        #expect(w.runner.running.text == Self.base)
        #expect(!w.restrictions.contains { $0.hasPrefix("127.0.0.0/8") })
        #expect(w.announced == ["configuration reverted: the commit confirmed by alice was not confirmed in time"])
        #expect(w.transactions.archive.entry(1)?.text == locked && w.transactions.archive.entry(1)?.comment == "reverted")

        // Confirmed in time: it stays.
        _ = try w.commit(locked, confirm: 30)
        w.lab.advance(seconds: 10)
        let confirm = try w.commit(locked)
        #expect(confirm.confirmed && confirm.applied == 0)
        w.lab.advance(seconds: 60)
        #expect(w.runner.running.text == locked && w.announced.count == 1)
    }

    @Test("configure exclusive: a second session can neither open nor commit until the first closes")
    func exclusive() throws {
        let w = World(Self.base)
        _ = try w.transactions.transact(.open(exclusive: true), session: 1, who: "alice")
        #expect(throws: AdminError("configuration locked: alice is in configure exclusive")) {
            _ = try w.transactions.transact(.open(exclusive: false), session: 2, who: "bob")
        }
        #expect(throws: AdminError("configuration locked: alice is in configure exclusive")) {
            _ = try w.commit(Self.base + "server 192.0.2.7\n", session: 2, who: "bob")
        }
        w.transactions.close(1)
        _ = try w.transactions.transact(.open(exclusive: false), session: 2, who: "bob")
        #expect(throws: AdminError("configure exclusive: bob has a candidate open")) {
            _ = try w.transactions.transact(.open(exclusive: true), session: 1, who: "alice")
        }
    }

    @Test("rollback 1 then commit restores the previous configuration exactly; the archive keeps the newest N")
    func rollback() throws {
        let w = World(Self.base, keep: 2)
        for n in 3...5 { _ = try w.commit(w.runner.running.text + "server 192.0.2.\(n)\n") }
        #expect(w.transactions.archive.entries.count == 2)
        guard case .text(let previous) = try w.transactions.transact(.archived(1), session: 1, who: "alice") else {
            Issue.record("no text"); return
        }
        _ = try w.commit(previous)
        #expect(w.runner.running.text == previous)
        #expect(UnifiedDiff.render(previous, w.runner.running.text, oldLabel: "a", newLabel: "b").isEmpty)
        #expect(w.hosts == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"])
        #expect(throws: AdminError("no archive entry 3 (1 to 2)")) { _ = try w.transactions.transact(.archived(3), session: 1, who: "alice") }
    }
}
