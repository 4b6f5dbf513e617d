import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16's Must-show, with real processes: a daemon (`--clock observe`, loopback), shells
/// attached with `--attach` (killed with SIGKILL where the test says), chronyd -Q clients from
/// distinct loopback sources, and bounded waits.
@Suite("transactional configuration: configure, commit, commit confirmed, rollback", .serialized)
struct TransactionE2ETests {
    static let base = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\nrestrict default nomodify\n"

    @Test("restrict under commit confirmed 30s over --attach: the shell is SIGKILLed, clients are refused, then answered after the engine reverts by itself")
    func confirmedSurvivesTheShell() throws {
        let dir = try temporaryDirectory()
        let port = try freeUDPPort()
        try (Self.base + "archive directory \(dir)\n").write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        let socket = "\(dir)/ntpsh.sock"
        let engine = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(port),
                                                    "-c", "\(dir)/ntp.conf", "--control-socket", socket])
        defer { engine.stop() }
        try engine.waitUntil(timeout: 10, "the control socket") { engine.stderr.contains("control socket \(socket)") }
        let synced = try attach(socket, ["-e", "wait sync 20s"])
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(try RestrictClientsTests.measure(from: "127.0.0.2", port: port, served: true) != nil, "served before the change")

        let shell = try Background(ntpshBinary(), ["--attach", socket], input: true)
        shell.send("configure\nrestrict 127.0.0.0 mask 255.0.0.0 ignore\ncommit confirmed 30s comment \"lock out loopback\"\n")
        try shell.waitUntil(timeout: 15, "the commit") { shell.stdout.contains("unless 'commit' confirms") }
        let committed = Date()
        kill(shell.process.processIdentifier, SIGKILL)
        shell.stop(signal: SIGKILL)

        #expect(try RestrictClientsTests.measure(from: "127.0.0.3", port: port, served: false) == nil, "refused under the committed change")
        // No shell is connected: the engine's own timer reverts (bounded wait past the 30 s).
        try engine.waitUntil(timeout: 45, "the revert") { engine.stderr.contains("configuration reverted") }
        #expect(Date().timeIntervalSince(committed) >= 29, "reverted only once the 30 s had passed")
        #expect(try RestrictClientsTests.measure(from: "127.0.0.4", port: port, served: true) != nil, "answered again after the revert")

        let running = try attach(socket, ["-e", "show running-config"])
        #expect(running.stdout == Self.base + "archive directory \(dir)\n", "\(running.stdout)")
        let after = try attach(socket, ["-e", "events", "-e", "show configuration history json"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout.contains("configuration reverted: the commit confirmed by ntpsh"), "the revert is an event:\n\(after.stdout)")
        let archive = try String(contentsOfFile: "\(dir)/ntpsh-archive.json", encoding: .utf8)
        #expect(archive.contains("lock out loopback") && archive.contains("reverted"), "\(archive)")
    }

    @Test("two attached shells: configure exclusive refuses the second, and frees it when the first is killed; a commit from one is seen by the other's compare")
    func twoShells() throws {
        let (engine, socket, _) = try startEngine(Self.base)
        defer { engine.stop() }
        let a = try Background(ntpshBinary(), ["--attach", socket], input: true)
        defer { a.stop(signal: SIGKILL) }
        try a.step("configure exclusive", "a-open")
        let refused = try attach(socket, ["-e", "configure"])
        #expect(refused.status == 1 && refused.stderr.contains("configuration locked: ntpsh"), "\(refused.stderr)")
        #expect(refused.stderr.contains("configure exclusive"))
        // The lock goes with the shell that held it.
        kill(a.process.processIdentifier, SIGKILL)
        a.stop(signal: SIGKILL)
        let b = try Background(ntpshBinary(), ["--attach", socket], input: true)
        defer { b.stop(signal: SIGKILL) }
        try b.step("configure", "b-open", timeout: 15)
        #expect(!b.stderr.contains("locked"), "\(b.stderr)")

        let c = try attach(socket, ["-e", "configure", "-e", "server 127.0.0.9", "-e", "commit comment \"from c\""])
        #expect(c.status == 0 && c.stdout.contains("commit complete: 1 line applied"), "\(c.stdout)\(c.stderr)")
        try b.step("show configuration compare", "b-compared")
        #expect(b.stdout.contains("--- running\n+++ candidate\n") && b.stdout.contains("-server 127.0.0.9\n"),
                "the other shell's commit shows in this one's compare:\n\(b.stdout)")
    }

    @Test("an all-or-nothing batch with a bad line in the middle leaves show running-config byte-identical, with FILE:LINE:COL and exit 1")
    func badLineBatch() throws {
        let (engine, socket, dir) = try startEngine(Self.base)
        defer { engine.stop() }
        let before = try attach(socket, ["-e", "show running-config"])
        let batch = "\(dir)/change.ntpsh"
        try """
            configure
            restrict default ignore
            server 127.0.0.9 iburst
            restrict 10.0.0.0 mask 255.0.0.300
            server 127.0.0.10
            commit

            """.write(toFile: batch, atomically: true, encoding: .utf8)
        for extra in [[], ["--keep-going"]] {
            let r = try attach(socket, extra + ["-f", batch])
            #expect(r.status == 1, "\(extra): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("\(batch):4:24: "), "\(r.stderr)")
            #expect(r.stderr.contains("the candidate is discarded: nothing was committed"))
            if !extra.isEmpty {
                #expect(r.stderr.contains("\(batch):5:1: the candidate was discarded at \(batch):4; this line is not run"), "\(r.stderr)")
                #expect(r.stderr.contains("\(batch):6:1: the candidate was discarded"), "\(r.stderr)")
            }
            let after = try attach(socket, ["-e", "show running-config"])
            #expect(after.stdout == before.stdout, "\(extra): the running configuration changed")
            let peers = try attach(socket, ["-e", "peers -n"])
            #expect(!peers.stdout.contains("127.0.0.9"))
        }
    }

    @Test("SIGKILL in the middle of a commit (before or after the archive's rename): the archive is the old one or the new one, whole; the engine restarts on its file")
    func killMidCommit() throws {
        for point in ["before-rename", "after-rename"] {
            let dir = try temporaryDirectory()
            let config = Self.base + "archive directory \(dir)\n"
            // A first commit, so the archive has an old state to keep.
            do {
                let (engine, socket, _) = try startEngine(config, directory: dir)
                let first = try attach(socket, ["-e", "configure", "-e", "server 127.0.0.5", "-e", "commit comment first"])
                #expect(first.status == 0, "\(first.stderr)")
                #expect(engine.stop() == 0)
            }
            let old = try String(contentsOfFile: "\(dir)/ntpsh-archive.json", encoding: .utf8)
            let marker = "\(dir)/paused"
            let (engine, socket, _) = try startEngine(config, directory: dir, environment: ["NTPSH_ATOMIC_PAUSE": "\(point):\(marker)"])
            let shell = try Background(ntpshBinary(), ["--attach", socket], input: true)
            shell.send("configure\nserver 127.0.0.6\ncommit comment second\n")
            try engine.waitUntil(timeout: 20, "the commit to pause \(point)") { FileManager.default.fileExists(atPath: marker) }
            kill(engine.process.processIdentifier, SIGKILL)
            engine.stop(signal: SIGKILL)
            shell.stop(signal: SIGKILL)
            let now = try String(contentsOfFile: "\(dir)/ntpsh-archive.json", encoding: .utf8)
            let entries = try JSONSerialization.jsonObject(with: Data(now.utf8)) as? [[String: Any]]
            if point == "before-rename" {
                #expect(now == old, "killed before the rename: the old archive, whole")
                #expect(entries?.count == 1)
            } else {
                #expect(entries?.count == 2, "killed after the rename: the new archive, whole")
                #expect(entries?.first?["comment"] as? String == "second")
            }
            // The running configuration after a restart is the file's: the commit never half-applied.
            let (again, socket2, _) = try startEngine(config, directory: dir)
            defer { again.stop() }
            let running = try attach(socket2, ["-e", "show running-config", "-e", "show configuration history"])
            #expect(running.stdout.hasPrefix(config), "\(running.stdout)")
            #expect(running.stdout.contains(point == "before-rename" ? "   1  " : "   2  "), "the history reads the archive:\n\(running.stdout)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp.") }
            #expect(point == "after-rename" || leftovers.count <= 1, "\(leftovers)")
        }
    }

    @Test("rollback 1 then commit restores the previous configuration exactly: the diff against it is empty")
    func rollbackRestores() throws {
        let (engine, socket, _) = try startEngine(Self.base)
        defer { engine.stop() }
        let before = try attach(socket, ["-e", "show running-config"]).stdout
        let change = try attach(socket, ["-e", "configure", "-e", "restrict 192.0.2.0 mask 255.255.255.0 ignore",
                                         "-e", "no server 127.127.1.0", "-e", "server 127.0.0.7 iburst", "-e", "commit"])
        #expect(change.status == 0, "\(change.stderr)")
        #expect(try attach(socket, ["-e", "show running-config"]).stdout != before)
        let back = try attach(socket, ["-e", "configure", "-e", "rollback 1", "-e", "commit", "-e", "end",
                                       "-e", "show configuration compare rollback 2", "-e", "show running-config"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout.hasSuffix("leaving configure mode\n" + before), "\(back.stdout)")
        let peers = try attach(socket, ["-e", "peers -n"])
        #expect(peers.stdout.contains("LOCAL(0)") && !peers.stdout.contains("127.0.0.7"), "\(peers.stdout)")
    }
}
