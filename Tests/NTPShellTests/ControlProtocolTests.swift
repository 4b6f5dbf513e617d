import NTPLab
import NTPEngine
import NTPSimulation
import NTPWire
@testable import NTPAdmin
import Testing
@testable import NTPShell

/// The control protocol's codec and calls, without a socket (the end-to-end tests run it over one).
@Suite struct ControlProtocolTests {
    @Test("frames: 4-byte big-endian length; empty and oversize lengths are refused")
    func frames() throws {
        #expect(ControlProtocol.frame([1, 2, 3]) == [0, 0, 0, 3, 1, 2, 3])
        #expect(try ControlProtocol.length(ofHeader: [0, 0, 1, 0]).get() == 256)
        guard case .failure(let e) = ControlProtocol.length(ofHeader: [0x67, 0x61, 0x72, 0x62]) else { Issue.record("garbage length accepted"); return }
        #expect(e.description.contains("oversize frame"))
        guard case .failure = ControlProtocol.length(ofHeader: [0, 0, 0, 0]) else { Issue.record("empty frame accepted"); return }
    }

    @Test("reports survive the round trip, NaN and infinities included")
    func roundTrip() throws {
        var peers = Scenario.peers
        peers[0].offset = Seconds(.nan)
        peers[0].delay = Seconds(.infinity)
        let bytes = ControlProtocol.encode(ControlProtocol.Response(id: 7, result: peers))
        let back = try ControlProtocol.decode(ControlProtocol.Response<[PeerReport]>.self, from: bytes).get()
        #expect(back.id == 7)
        let got = try #require(back.result)
        #expect(got.count == peers.count)
        #expect(got[0].offset.value.isNaN && got[0].delay == Seconds(.infinity))
        #expect(Array(got.dropFirst()) == Array(peers.dropFirst()))
        let system = Scenario.system
        #expect(try ControlProtocol.decode(SystemReport.self, from: ControlProtocol.encode(system)).get() == system)
        let events = Scenario.events
        #expect(try ControlProtocol.decode([EngineEvent].self, from: ControlProtocol.encode(events)).get() == events)
    }

    @Test("garbage is a protocol error naming what is wrong")
    func garbage() throws {
        guard case .failure(let e) = ControlProtocol.decode(ControlProtocol.Hello.self, from: Array("garbage".utf8)) else {
            Issue.record("garbage decoded"); return
        }
        #expect(!e.description.isEmpty)
        guard case .failure(let missing) = ControlProtocol.decode(ControlProtocol.Hello.self, from: Array(#"{"version":1}"#.utf8)) else {
            Issue.record("a hello without protocol decoded"); return
        }
        #expect(missing.description.contains("protocol"))
        // Hostile nesting is refused, not recursed into until the stack runs out.
        guard case .failure = ControlProtocol.decode(ControlProtocol.Hello.self, from: Array(repeating: UInt8(ascii: "["), count: 1_000_000)) else {
            Issue.record("deep nesting decoded"); return
        }
        // 64-bit values are exact.
        let big = try ControlProtocol.decode(ControlCalls.RestrictTarget.self, from: ControlProtocol.encode(
            ControlCalls.RestrictTarget(network: .v6(high: .max, low: .max - 1, scope: .max), prefixLength: 128))).get()
        #expect(big.network == .v6(high: .max, low: .max - 1, scope: .max))
    }

    @Test("privilege: changes are refused to an unprivileged session, views are served")
    func privilege() throws {
        let admin = SimulationAdmin.lab()
        let runner = CommandRunner(admin: admin)
        let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { line, origin in runner.run(line, from: origin) }
        let handlers = Dictionary(uniqueKeysWithValues: ControlCalls.all.map { ($0.name, $0) })
        func call(_ name: String, _ args: String, privileged: Bool) throws -> String {
            let request = Array(#"{"id":1,"call":"\#(name)","args":\#(args)}"#.utf8)
            let response = try #require(handlers[name]).handle(session, privileged, 1, request)
            return String(decoding: try response.get(), as: UTF8.self)
        }
        let add = #"{"line":"server 10.0.0.1 iburst","origin":{"prompt":{}}}"#
        #expect(try call("configure", add, privileged: false).contains(#""refused":true"#))
        #expect(admin.peerReports().isEmpty)
        #expect(!(try call("configure", add, privileged: true).contains("error")))
        #expect(admin.peerReports().map(\.host) == ["10.0.0.1"])
        let show = #"{"line":"show running-config","origin":{"prompt":{}}}"#
        #expect(try call("configure", show, privileged: false).contains("server 10.0.0.1 iburst"))
        #expect(try call("peerReports", "{}", privileged: false).contains("10.0.0.1"))
        #expect(try call("step", #"{"value":1}"#, privileged: false).contains(#""refused":true"#))
        // Arguments of the wrong shape break the protocol (the engine disconnects).
        guard case .failure = try #require(handlers["step"]).handle(session, true, 1, Array(#"{"id":1,"call":"step","args":"x"}"#.utf8)) else {
            Issue.record("bad arguments accepted"); return
        }
    }

    @Test("every change validates its arguments: out-of-range values are an error, and the engine runs on")
    func validation() throws {
        let admin = SimulationAdmin.lab()
        let runner = LabShell.runner(admin: admin, lab: admin)
        _ = runner.run("lab server add 10.0.0.1")
        _ = runner.run("lab server add 10.0.0.2")
        _ = runner.run("server 10.0.0.1 iburst")
        _ = runner.run("server 10.0.0.2 iburst")
        let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { line, origin in runner.run(line, from: origin) }
        let handlers = Dictionary(uniqueKeysWithValues: ControlCalls.all.map { ($0.name, $0) })
        func call(_ name: String, _ args: String) throws -> String {
            let request = Array(#"{"id":1,"call":"\#(name)","args":\#(args)}"#.utf8)
            return String(decoding: try #require(handlers[name]).handle(session, true, 1, request).get(), as: UTF8.self)
        }
        func json(_ value: some Encodable) -> String { String(decoding: ControlProtocol.encode(value), as: UTF8.self) }
        let before = admin.engineConfiguration()
        // The review's crash: maxclock -1, then anything that runs selection.
        var bad = before
        bad.selection.maxClock = -1
        let refused = try call("setEngineConfiguration", json(bad))
        #expect(refused.contains("maxclock -1 is out of range"), "\(refused)")
        #expect(try call("setLocalClockStratum", "200").contains("stratum 200 is out of range"))
        var hostile: [(String, String)] = []
        for edit in [{ (c: inout EngineConfiguration) in c.selection.minClock = 0 }, { $0.selection.minSane = 1000 },
                     { $0.stepThreshold = Seconds(-1) }, { $0.panicThreshold = Seconds(.nan) }, { $0.orphanStratum = 0 },
                     { $0.orphanWait = Seconds(.infinity) }, { $0.initialFrequency = PPM(1e300) }, { $0.stepout = .zero }] {
            var c = before
            edit(&c)
            hostile.append(("setEngineConfiguration", json(c)))
        }
        for edit in [{ (c: inout AssociationConfiguration) in c.minPoll = 127 }, { $0.maxPoll = -128 }, { $0.version = 0 },
                     { $0.version = 200 }, { $0.port = 0 }, { $0.localStratum = 99 }, { $0.key = 0 }, { $0.host = "" },
                     { $0.host = "a\nb" }, { $0.host = String(repeating: "x", count: 300) }] {
            var c = AssociationConfiguration(host: "10.0.0.3")
            edit(&c)
            hostile.append(("addAssociation", json(c)))
        }
        hostile += [
            ("setRestriction", json({ () -> RestrictEntry in var e = RestrictEntry(network: .v4(0x0a00_0000), prefixLength: 8, flags: []); e.prefixLength = -1; return e }())),
            ("setRestriction", json({ () -> RestrictEntry in var e = RestrictEntry(network: .v4(0x0a00_0000), prefixLength: 8, flags: []); e.prefixLength = 33; return e }())),
            ("removeRestriction", json(ControlCalls.RestrictTarget(network: .v4(0), prefixLength: 999))),
            ("setKeys", json(ControlCalls.KeysFile(keys: [SymmetricKey(id: 0, algorithm: .md5, secret: [1])], file: nil))),
            ("setKeys", json(ControlCalls.KeysFile(keys: [SymmetricKey(id: 1, algorithm: .aes128CMAC, secret: [1, 2])], file: nil))),
            ("setKeys", json(ControlCalls.KeysFile(keys: [SymmetricKey(id: 1, algorithm: .md5, secret: [])], file: nil))),
            ("setTrusted", json(ControlCalls.Trust(keyIDs: [70000], trusted: true))),
            ("setControlKey", "0"),
            ("removeAssociations", #""""#),
            ("setMonitorSettings", json({ () -> MonitorSettings in var m = admin.monitorSettings(); m.maxDepth = -5; return m }())),
            ("setInterfaceRules", json([InterfaceRule(action: .listen, target: .prefix(.v4(0), 99))])),
        ]
        for (name, args) in hostile {
            let answer = try call(name, args)
            #expect(answer.contains(#""error":"#) && !answer.contains("refused"), "\(name) \(args) → \(answer)")
        }
        #expect(admin.engineConfiguration() == before)
        #expect(admin.peerReports().map(\.host) == ["10.0.0.1", "10.0.0.2"])
        // What is valid still goes through.
        var good = before
        good.selection.maxClock = 1
        #expect(!(try call("setEngineConfiguration", json(good)).contains("error")))
        #expect(!(try call("setLocalClockStratum", "10").contains("error")))
        admin.sleep(Seconds(300))
        #expect(admin.engineConfiguration().selection.maxClock == 1)
        #expect(admin.systemReport().systemPeer != nil, "selection ran with maxclock 1 and chose a peer")
    }

    @Test("takeEvents is per session: nothing from before it connected, then only what is new")
    func takeEvents() throws {
        let admin = SimulationAdmin.lab()
        let runner = CommandRunner(admin: admin)
        _ = runner.run("server 127.127.1.0")
        admin.sleep(Seconds(100))
        let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { _, _ in CommandRunner.Output() }
        let take = try #require(ControlCalls.all.first { $0.name == "takeEvents" })
        func events() throws -> String {
            String(decoding: try take.handle(session, false, 1, Array(#"{"id":1,"call":"takeEvents","args":{}}"#.utf8)).get(), as: UTF8.self)
        }
        #expect(!admin.events().isEmpty)
        #expect(try events().contains(#""result":[]"#))
        _ = runner.run("step 1")
        let new = try events()
        #expect(new.contains("step") && !new.contains("systemPeer"), "\(new)")
        #expect(try events().contains(#""result":[]"#))
    }
}

/// SIGHUP's re-read: only what changed in the file is applied; the shells' changes stay.
@Suite struct ReloadTests {
    func config(_ lines: [String], file: String? = nil) -> RunningConfig {
        let runner = CommandRunner(admin: SimulationAdmin.lab())
        if let file { _ = runner.loadConfiguration(lines.joined(separator: "\n") + "\n", path: file) } else { for l in lines { _ = runner.run(l) } }
        return runner.running
    }

    @Test func difference() {
        let read = config(["server 10.0.0.1", "server 10.0.0.2", "restrict default kod"], file: "f")
        // The shell added 10.0.0.9 and edited the restrict line.
        var live = read
        live.set(id: "server", key: "10.0.0.9", line: "server 10.0.0.9 iburst")
        live.set(id: "restrict", key: "default", line: "restrict default kod nomodify")
        // The file drops 10.0.0.2, adds 10.0.0.3, changes 10.0.0.1.
        let reread = config(["server 10.0.0.1 prefer", "server 10.0.0.3", "restrict default kod"], file: "f")
        let r = RunningConfig.reload(live: live, read: read, reread: reread)
        #expect(r.undo.map(\.line) == ["server 10.0.0.2"])
        #expect(r.apply.map(\.line) == ["server 10.0.0.1 prefer", "server 10.0.0.3"])
        #expect(r.running.text == """
            server 10.0.0.1 prefer
            server 10.0.0.3
            restrict default kod nomodify
            server 10.0.0.9 iburst

            """)
        // write: the shell's edit replaces its line, the shell's addition is appended.
        #expect(r.running.merged(into: "server 10.0.0.1 prefer\nserver 10.0.0.3\nrestrict default kod\n", file: "f")
                == "server 10.0.0.1 prefer\nserver 10.0.0.3\nserver 10.0.0.9 iburst\nrestrict default kod nomodify\n")
    }
}
