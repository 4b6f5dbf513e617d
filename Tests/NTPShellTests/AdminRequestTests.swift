import NTPLab
import NTPAdmin
import NTPEngine
import NTPMetrics
import NTPWire
import NTPSimulation
import Testing
@testable import NTPShell

/// The admin contract as data: every request travels the simulated path (a lab's transport)
/// and the socket path (the codec and the engine's generic handler) with the same answer, and
/// the socket's frames are the ones protocol version 4 sent (no code per call on either side).
@Suite struct AdminRequestTests {
    /// One request of each case, in an order a fresh lab answers without an error.
    static let requests: [AdminRequest] = {
        var server = AssociationConfiguration(kind: .server, host: "192.0.2.1")
        server.iburst = true
        let key = SymmetricKey(id: 7, algorithm: .md5, secret: Array("secret".utf8))
        var monitor = MonitorSettings()
        monitor.minDepth = 100
        var configuration = EngineConfiguration()
        configuration.stepThreshold = Seconds(0.25)
        let queries: [AdminQuery] = [.peerReports, .systemReport, .events, .engineConfiguration, .restrictions,
                                     .monitorSettings, .mruEntries(newest: AdminRequest.mruLimit), .monitorReport, .metrics]
        let changes: [AdminChange] = [
            .addAssociation(server), .replaceAssociation(server), .setLocalClockStratum(5), .setEngineConfiguration(configuration),
            .setRestriction(RestrictEntry(network: .v4(0xC000_0200), prefixLength: 24, flags: [.nomodify])),
            .removeRestriction(network: .v4(0xC000_0200), prefixLength: 24), .setKeys([key], file: "/etc/ntp.keys"),
            .setTrusted([7], trusted: true), .setControlKey(7), .setMonitorSettings(monitor), .step(by: Seconds(0.001)),
            .slew(by: Seconds(0.0005)), .removeAssociations(host: "192.0.2.1"), .announce("configuration reverted: a test"),
        ]
        return queries.map { .query($0) } + changes.map { .change($0) } + queries.map { .query($0) }
    }()

    @Test("every request: the lab's answer and the socket's answer are the same bytes")
    func sameAnswerEverywhere() throws {
        let direct = SimulationAdmin.lab()
        let remote = SimulationAdmin.lab()
        let runner = CommandRunner(admin: remote)
        let session = ControlSession(admin: remote, readsOnly: CommandRunner.isView) { line, origin in runner.run(line, from: origin) }
        var covered = Set<String>()
        for (n, request) in Self.requests.enumerated() {
            let id = UInt64(n + 1)
            let here = try direct.perform(request)
            let frame = ControlProtocol.encode(WireRequest(id: id, request: request))
            let response = try ControlCalls.answer(request: frame, session: session, privileged: true).get()
            let there = try WireAnswer.read(response, answering: request).get().get()
            #expect(ControlProtocol.encode(WireAnswer(id: id, request: request, answer: there))
                    == ControlProtocol.encode(WireAnswer(id: id, request: request, answer: here)), "\(request.call)")
            covered.insert(request.call)
        }
        // Every call the socket serves as a request was exercised.
        #expect(covered == AdminRequest.calls)
        #expect(AdminRequest.calls.isSubset(of: Set(ControlCalls.all.map(\.name))))
    }

    @Test("a configuration event reaches a version 9 session; a session at version 8 is never sent one")
    func configurationEventsByVersion() throws {
        let lab = SimulationAdmin.lab()
        func session(_ version: Int) -> ControlSession {
            let s = ControlSession(admin: lab, readsOnly: { _ in false }) { _, _ in CommandRunner.Output() }
            s.version = version
            return s
        }
        let old = session(8), new = session(9)
        lab.announce("configuration reverted: the commit confirmed by a test was not confirmed in time")
        for (s, expected) in [(old, 0), (new, 1)] {
            let frame = ControlProtocol.encode(ControlProtocol.Request(id: 1, call: "takeEvents", args: Nothing()))
            let taken = try ControlProtocol.decode(ControlProtocol.Response<[EngineEvent]>.self,
                                                   from: ControlCalls.answer(request: frame, session: s, privileged: true).get()).get()
            #expect(taken.result?.count == expected)
            let events = try ControlCalls.answer(request: ControlProtocol.encode(WireRequest(id: 2, request: .query(.events))),
                                                 session: s, privileged: true).get()
            let answer = try WireAnswer.read(events, answering: .query(.events)).get().get()
            guard case .events(let list) = answer else { Issue.record("not events"); continue }
            #expect(list.filter { if case .configuration = $0.kind { true } else { false } }.count == expected)
        }
    }

    @Test("the frames are protocol version 4's: call and args, result as the bare value")
    func versionFourFrames() throws {
        let target = ControlCalls.RestrictTarget(network: .v4(0x0A00_0000), prefixLength: 8)
        #expect(ControlProtocol.encode(WireRequest(id: 3, request: .change(.removeRestriction(network: target.network, prefixLength: 8))))
                == ControlProtocol.encode(ControlProtocol.Request(id: 3, call: "removeRestriction", args: target)))
        #expect(ControlProtocol.encode(WireRequest(id: 4, request: .change(.step(by: Seconds(0.5)))))
                == ControlProtocol.encode(ControlProtocol.Request(id: 4, call: "step", args: ControlCalls.Double1(0.5))))
        #expect(ControlProtocol.encode(WireRequest(id: 5, request: .query(.peerReports)))
                == ControlProtocol.encode(ControlProtocol.Request(id: 5, call: "peerReports", args: Nothing())))
        let request = AdminRequest.change(.removeRestriction(network: target.network, prefixLength: 8))
        #expect(ControlProtocol.encode(WireAnswer(id: 3, request: request, answer: .found(true)))
                == ControlProtocol.encode(ControlProtocol.Response(id: 3, result: true)))
        #expect(ControlProtocol.encode(WireAnswer(id: 4, request: .change(.step(by: Seconds(0.5))), answer: .done))
                == ControlProtocol.encode(ControlProtocol.Response(id: 4, result: Nothing())))
        // Units are types now; the frames still carry the bare numbers a version 4 shell sent.
        #expect(ControlProtocol.encode(WireAnswer(id: 8, request: .change(.slew(by: Seconds(0.1))), answer: .seconds(Seconds(1.2))))
                == ControlProtocol.encode(ControlProtocol.Response(id: 8, result: 1.2)))
        var tinkered = EngineConfiguration()
        tinkered.maxSlewRate = PPM(500)
        tinkered.initialFrequency = PPM(-12.5)
        let frame = String(decoding: ControlProtocol.encode(ControlProtocol.Request(id: 9, call: "setEngineConfiguration", args: tinkered)), as: UTF8.self)
        #expect(frame.contains("\"maxSlewRate\":500") && frame.contains("\"initialFrequency\":-12.5"))
        // An error frame reads as the engine's error; a frame that is not the call's answer is a protocol error.
        let error = ControlProtocol.encode(ControlProtocol.Response<Nothing>(id: 6, error: "cannot step the clock: no"))
        #expect(try WireAnswer.read(error, answering: .change(.step(by: Seconds(1)))).get() == .failure(AdminError("cannot step the clock: no")))
        let wrong = ControlProtocol.encode(ControlProtocol.Response(id: 7, result: "text"))
        guard case .failure = WireAnswer.read(wrong, answering: .query(.peerReports)) else { Issue.record("a string read as peer reports"); return }
    }

    @Test("a change the engine must not take is refused or rejected before the node sees it")
    func validatedAndPrivileged() throws {
        let admin = SimulationAdmin.lab()
        let runner = CommandRunner(admin: admin)
        let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { line, origin in runner.run(line, from: origin) }
        let step = ControlProtocol.encode(WireRequest(id: 1, request: .change(.step(by: Seconds(.infinity)))))
        let rejected = try WireAnswer.read(try ControlCalls.answer(request: step, session: session, privileged: true).get(),
                                           answering: .change(.step(by: Seconds(.infinity)))).get()
        #expect(rejected == .failure(AdminError("an offset of inf is out of range")))
        let add = AdminRequest.change(.addAssociation(AssociationConfiguration(kind: .server, host: "192.0.2.9")))
        let refused = try WireAnswer.read(try ControlCalls.answer(request: ControlProtocol.encode(WireRequest(id: 2, request: add)),
                                                                  session: session, privileged: false).get(), answering: add).get()
        guard case .failure(let why) = refused else { Issue.record("an unprivileged change was made"); return }
        #expect(why.description.hasPrefix("permission denied"))
        #expect(admin.peerReports().isEmpty)
    }

    /// The metrics snapshot is built once, by the node's `metrics` answer, with the host's
    /// uptime and version; `show metrics` renders that same answer, and so does the control
    /// socket's `metricsText` call that shells of protocol version 6 still make.
    @Test func metricsAreTheNodesAnswer() throws {
        let lab = SimulationAdmin.lab()
        let runner = CommandRunner(admin: lab)
        _ = runner.run("server 127.127.1.0")
        lab.sleep(Seconds(70))
        let snapshot = lab.metricsSnapshot()
        #expect(snapshot.version == "lab")
        #expect(snapshot.uptime == lab.uptime().value)
        #expect(snapshot.peers == lab.peerReports())
        let text = PrometheusText.render(snapshot)
        #expect(runner.run("show metrics").text == text)
        #expect(text.contains("ntp_uptime_seconds{version=\"lab\"} 70"))
        let session = ControlSession(admin: lab, readsOnly: CommandRunner.isView) { line, origin in runner.run(line, from: origin) }
        session.version = 6
        session.renderMetrics = PrometheusText.render
        let frame = ControlProtocol.encode(ControlProtocol.Request(id: 1, call: "metricsText", args: Nothing()))
        let answer = try ControlCalls.answer(request: frame, session: session, privileged: false).get()
        #expect(try ControlProtocol.decode(ControlProtocol.Response<String>.self, from: answer).get().result == text)
    }
}
