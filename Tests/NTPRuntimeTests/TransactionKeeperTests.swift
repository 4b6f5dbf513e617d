import Glibc
import NTPAdmin
import NTPEngine
import NTPPlatform
import NTPShell
import NTPWire
import Testing
@testable import NTPRuntime
@testable import NTPService

/// Transactions in the daemon: the archive in its file, written whole; `commit confirmed`'s
/// revert on the daemon's own loop timer, with no shell involved; sessions ending drop locks.
@Suite(.serialized) struct TransactionKeeperTests {
    static func directory() throws -> String {
        var template = Array("/tmp/ntpsh-archive-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A daemon (not yet started) with `config` read by the keeper's runner and transactions
    /// archived in `dir`: what each test here runs against.
    static func engine(_ config: String, path: String = "ntp.conf", archive dir: String) throws -> (daemon: Daemon, admin: LocalAdmin, keeper: ConfigurationKeeper) {
        let log = Log(name: "test", quiet: true, journal: false)
        let daemon = try Daemon(settings: DaemonSettings(port: 0), clock: ObserveClock(), log: log)
        let admin = LocalAdmin(daemon: daemon)
        let runner = CommandRunner(admin: admin)
        #expect(runner.loadConfiguration(config, path: path).errors.isEmpty)
        let keeper = ConfigurationKeeper(runner: runner, log: log)
        keeper.attachTransactions(stateDirectory: dir, daemon: daemon, admin: admin)
        return (daemon, admin, keeper)
    }

    @Test("the archive file: entries round-trip newest first; a damaged file is an error naming it; a missing one is empty")
    func archiveFile() throws {
        let dir = try Self.directory()
        defer { _ = unlink(dir + "/" + ArchiveFile.name); _ = rmdir(dir) }
        let file = ArchiveFile(directory: dir)
        #expect(try file.load().get().isEmpty)
        let entries = [
            ArchivedConfiguration(text: "server 192.0.2.2\n", who: "bob", when: UnixTime(nanoseconds: 2_000_000_000), comment: "second"),
            ArchivedConfiguration(text: "server 192.0.2.1\n", who: "alice", when: UnixTime(nanoseconds: 1_000_000_000)),
        ]
        try file.save(entries)
        #expect(try file.load().get() == entries)
        try AtomicFile.write("{ not an archive", to: file.path)
        guard case .failure(let error) = file.load() else { Issue.record("a damaged archive loaded"); return }
        #expect(error.description.hasPrefix("\(file.path): not an archive"))
    }

    @Test("commit confirmed reverts on the daemon's loop timer with no shell; the archive file holds both commits; the revert is an event")
    func revertOnTheLoop() throws {
        let dir = try Self.directory()
        defer { _ = unlink(dir + "/" + ArchiveFile.name); _ = rmdir(dir) }
        let (daemon, admin, keeper) = try Self.engine("restrict default nomodify\n", path: "ntp.conf", archive: dir)
        try daemon.start()
        defer { daemon.stop() }

        let locked = "restrict default ignore\n"
        let answer = try keeper.transact(.commit(ConfigurationCandidate(text: locked), comment: "lock out", confirmWithin: Seconds(0.3)),
                                         session: 1, who: "alice")
        guard case .committed(let report) = answer else { Issue.record("answered \(answer)"); return }
        #expect(report.revertAt != nil)
        #expect(admin.restrictions().allSatisfy { $0.flags.contains(.ignore) })
        keeper.sessionEnded(1)
        // Bounded wait for the engine's own timer (no shell calls in between but this poll).
        let deadline = OSClock.monotonicNanoseconds() + 10_000_000_000
        while keeper.run("show running-config", from: .prompt).text != "restrict default nomodify\n",
              OSClock.monotonicNanoseconds() < deadline { PlatformThread.sleep(seconds: 0.05) }
        #expect(keeper.run("show running-config", from: .prompt).text == "restrict default nomodify\n")
        #expect(admin.restrictions().allSatisfy { !$0.flags.contains(.ignore) })
        #expect(admin.events().contains { $0.kind == .configuration("configuration reverted: the commit confirmed by alice was not confirmed in time") })
        let archived = try ArchiveFile(directory: dir).load().get()
        #expect(archived.map(\.text) == [locked, "restrict default nomodify\n"])
        #expect(archived.map(\.comment) == ["reverted", "lock out"])
    }

    @Test("changes outside a transaction wait: while another shell holds configure exclusive, and while a commit confirmed is pending (its revert would take them back silently)")
    func directChangesWait() throws {
        let dir = try Self.directory()
        let conf = dir + "/ntp.conf"
        defer { _ = unlink(dir + "/" + ArchiveFile.name); _ = unlink(conf); _ = rmdir(dir) }
        try AtomicFile.write("restrict default nomodify\n", to: conf)
        let (daemon, admin, keeper) = try Self.engine("restrict default nomodify\n", path: conf, archive: dir)
        try daemon.start()
        defer { daemon.stop() }

        // Session 1 holds configure exclusive: session 2's directive, ntpq's :config wait; views do not.
        _ = try keeper.transact(.open(exclusive: true), session: 1, who: "alice")
        let refused = keeper.run("restrict 192.0.2.1 ignore", from: .prompt, session: 2)
        #expect(refused.status == 1)
        #expect(refused.error?.contains("configuration locked: alice is in configure exclusive") == true)
        #expect(keeper.run("show running-config", from: .prompt, session: 2).text == "restrict default nomodify\n")
        let remote = keeper.runRemote("restrict 192.0.2.1 ignore")
        #expect(!remote.ok && remote.message.contains("configure exclusive"))
        #expect(!admin.restrictions().contains { $0.flags.contains(.ignore) })
        keeper.sessionEnded(1)
        #expect(keeper.run("restrict 192.0.2.1 ignore", from: .prompt, session: 2).error == nil)

        // A commit confirmed waits: every direct change is refused, the committer's too, until confirmed.
        _ = try keeper.transact(.commit(ConfigurationCandidate(text: "restrict default nomodify\nrestrict 192.0.2.1 ignore\nrestrict 192.0.2.2 ignore\n"),
                                        comment: nil, confirmWithin: Seconds(600)), session: 3, who: "bob")
        for session: UInt64? in [3, 4, nil] {
            let out = keeper.run("restrict 192.0.2.3 ignore", from: .prompt, session: session)
            #expect(out.error?.contains("a commit confirmed by bob is pending") == true)
        }
        // SIGHUP waits too: the file's new line is not applied while the commit is pending.
        try AtomicFile.write("restrict default nomodify\nrestrict 192.0.2.9 ignore\n", to: conf)
        #expect(!keeper.reload())
        #expect(!admin.restrictions().contains { $0.network == IPAddress("192.0.2.9") })
        _ = try keeper.transact(.commit(ConfigurationCandidate(text: keeper.run("show running-config", from: .prompt).text),
                                        comment: nil, confirmWithin: nil), session: 3, who: "bob")
        #expect(keeper.run("restrict 192.0.2.3 ignore", from: .prompt, session: 4).error == nil)
        #expect(keeper.reload())
        #expect(admin.restrictions().contains { $0.network == IPAddress("192.0.2.9") })
    }

    @Test("a commit that turns server X into pool X keeps an association for X (the removal runs before the addition)")
    func serverBecomesPool() throws {
        let dir = try Self.directory()
        defer { _ = unlink(dir + "/" + ArchiveFile.name); _ = rmdir(dir) }
        let (daemon, admin, keeper) = try Self.engine("server 127.0.0.9\n", path: "ntp.conf", archive: dir)
        try daemon.start()
        defer { daemon.stop() }
        #expect(admin.peerReports().map(\.kind) == [.unicast])
        _ = try keeper.transact(.commit(ConfigurationCandidate(text: "pool 127.0.0.9\n"), comment: nil, confirmWithin: nil), session: 1, who: "alice")
        #expect(keeper.run("show running-config", from: .prompt).text == "pool 127.0.0.9\n")
        #expect(admin.peerReports().contains { $0.host == "127.0.0.9" && $0.kind == .pool })
        #expect(!admin.peerReports().contains { $0.kind == .unicast && $0.host == "127.0.0.9" && $0.configured })
    }
}

/// Protocol versions: a shell of version 9 attached to an engine of version 8 (which lists no
/// `transaction` call) is told so in words, and its other calls still work.
@Suite(.serialized) struct TransactionVersionTests {
    @Test("an engine without the transaction call: configure's request is refused with the engine's version, not a lost session")
    func olderEngine() throws {
        let dir = try TransactionKeeperTests.directory()
        let path = dir + "/old.sock"
        defer { _ = unlink(path); _ = rmdir(dir) }
        let listener = try UnixListener(path: path, mode: 0o600)
        defer { listener.close() }
        // The old engine: a welcome at version 6 listing its calls, then one answer to `uptime`.
        let old = ControlCalls.all.map(\.name).filter { $0 != "transaction" && $0 != "announce" && $0 != "metrics" }
        try PlatformThread(name: "old-engine") {
            guard let stream = try? listener.accept() else { return }
            defer { stream.close() }
            guard (try? stream.readFrame(idle: 10)) != nil else { return }
            try? stream.writeFrame(ControlProtocol.encode(ControlProtocol.Welcome(version: 8, engine: "ntpsh 0.1.9", privileged: true, calls: old)))
            guard let request = try? stream.readFrame(idle: 10),
                  case .success(let head) = ControlProtocol.decode(ControlProtocol.RequestHead.self, from: request) else { return }
            try? stream.writeFrame(ControlProtocol.encode(ControlProtocol.Response(id: head.id, result: 12.5)))
        }.detach()
        let remote = try RemoteAdmin(path: path, client: "test")
        #expect(remote.welcome.version == 8)
        #expect(throws: AdminError("ntpsh 0.1.9 (control protocol version 8) has no configuration transactions; it needs version 9")) {
            _ = try remote.transact(.open(exclusive: false))
        }
        // A request the engine does not list is refused here, not sent (`show metrics` prints it).
        #expect(throws: AdminError("ntpsh 0.1.9 (control protocol version 8) has no 'metrics' call; it needs a newer engine")) {
            _ = try remote.perform(.query(.metrics))
        }
        #expect(remote.uptime() == Seconds(12.5))
    }
}
