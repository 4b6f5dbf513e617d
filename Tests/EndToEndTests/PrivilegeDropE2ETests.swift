import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ntpsh --daemon -u nobody` as root in a network namespace of its own: it binds port 123 and
/// reads its files as root, then runs as nobody with CAP_SYS_TIME and CAP_NET_BIND_SERVICE only,
/// serves ntpdig and chronyd, and writes its drift file and configuration where nobody may
/// write, failing with a message naming the file where not.
@Suite("-u: the daemon as an unprivileged user", .serialized)
struct PrivilegeDropE2ETests {
    /// /proc/PID/status's line `name`, its value.
    static func status(_ pid: Int32, _ name: String, task: String? = nil) -> String? {
        let path = task.map { "/proc/\(pid)/task/\($0)/status" } ?? "/proc/\(pid)/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    @Test("-u nobody: uid, gid and CapEff (CAP_SYS_TIME + CAP_NET_BIND_SERVICE) in every thread; serves ntpdig and chronyd -Q; drift file and write where nobody may, clear errors where not")
    func runsAsNobody() throws {
        guard geteuid() == 0 else { return }
        let ns = try Namespace()
        let dir = try temporaryDirectory()
        let ok = dir + "/ok", closed = dir + "/closed"
        try FileManager.default.createDirectory(atPath: ok, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: closed, withIntermediateDirectories: false)
        chmod(closed, 0o755)
        // An upstream in the namespace, so the daemon's clock is disciplined (and has a drift to keep).
        let upstream = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 5\n")
        let up = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--daemon", "--clock", "observe",
                                                         "--listen", "127.0.0.2", "--port", "1123", "-c", upstream]))
        defer { up.stop() }
        let conf = ok + "/ntp.conf"
        try "server 127.0.0.2 port 1123 iburst minpoll 4\ndriftfile \(ok)/ntp.drift\n".write(toFile: conf, atomically: true, encoding: .utf8)
        chown(ok, 65534, 65534)
        chown(conf, 65534, 65534)
        let daemon = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--daemon", "-u", "nobody", "--clock", "observe",
                                                             "--listen", "127.0.0.1", "-c", conf, "--control-socket", ok + "/ntpsh.sock"]))
        defer { daemon.stop() }
        try daemon.waitUntil(timeout: 20, "synchronised to 127.0.0.2") { daemon.stderr.contains("synchronised at stratum") }
        #expect(daemon.stderr.contains("running as nobody(65534):nogroup(65534), keeping CAP_SYS_TIME, CAP_NET_BIND_SERVICE"))
        #expect(daemon.stderr.contains("listening on 127.0.0.1 port 123"))

        // `ip netns exec` execs ntpsh in place: the Background's pid is the daemon's.
        let pid = daemon.process.processIdentifier
        #expect(Self.status(pid, "Uid") == "65534\t65534\t65534\t65534")
        #expect(Self.status(pid, "Gid") == "65534\t65534\t65534\t65534")
        #expect(Self.status(pid, "Groups") == "65534")
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        #expect(tasks.count >= 2, "the loop and the signal and control threads started after the drop")
        for task in tasks {
            // Bits 25 (CAP_SYS_TIME) and 10 (CAP_NET_BIND_SERVICE), nothing else, in every thread.
            #expect(Self.status(pid, "CapEff", task: task) == "0000000002000400", "thread \(task)")
            #expect(Self.status(pid, "CapPrm", task: task) == "0000000002000400", "thread \(task)")
            #expect(Self.status(pid, "CapInh", task: task) == "0000000000000000", "thread \(task)")
        }

        let dig = try run("/usr/sbin/ip", ns.exec([ntpsecTool("ntpdig"), "-t", "2", "-j", "127.0.0.1"]), timeout: 30)
        #expect(dig.status == 0 && dig.stdout.contains("\"stratum\":7"), "ntpdig: \(dig.stdout) \(dig.stderr)")
        let chrony = try run("/usr/sbin/ip", ns.exec(["/usr/sbin/chronyd", "-Q", "-t", "15", "server 127.0.0.1 iburst minpoll -6 maxpoll -6",
                                                      "pidfile \(dir)/chronyd.pid"]), timeout: 30)
        #expect((chrony.stdout + chrony.stderr).contains("System clock wrong by"), "chronyd -Q: \(chrony.stdout) \(chrony.stderr)")

        // `write` through the control socket: the engine (as nobody) writes its own file.
        let written = try run(ntpshBinary(), ["--attach", ok + "/ntpsh.sock", "-e", "write"], timeout: 20)
        #expect(written.status == 0, "write where nobody may: \(written.stdout) \(written.stderr)")
        #expect(FileManager.default.fileExists(atPath: conf + ".bak"), "the old file is kept")
        let refused = try run(ntpshBinary(), ["--attach", ok + "/ntpsh.sock", "-e", "write \(closed)/ntp.conf"], timeout: 20)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("write \(closed)/ntp.conf") && refused.stderr.contains("Permission denied"), "\(refused.stderr)")

        #expect(daemon.stop() == 0)
        let drift = try String(contentsOfFile: ok + "/ntp.drift", encoding: .utf8)
        #expect(Double(drift.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "drift file: \(drift)")
        var info = stat()
        #expect(stat(ok + "/ntp.drift", &info) == 0 && info.st_uid == 65534, "written by nobody")

        // The drift file where nobody may not write: a warning naming it, and a clean exit.
        let closedConf = try writeTemp("server 127.0.0.2 port 1123 iburst minpoll 4\ndriftfile \(closed)/ntp.drift\n")
        chmod(closedConf, 0o644)
        let second = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--daemon", "-u", "nobody", "--clock", "observe",
                                                             "--port", "0", "-c", closedConf]))
        defer { second.stop() }
        try second.waitUntil(timeout: 20, "synchronised to 127.0.0.2") { second.stderr.contains("synchronised at stratum") }
        #expect(second.stop() == 0)
        #expect(second.stderr.contains("cannot write drift file \(closed)/ntp.drift") && second.stderr.contains("Permission denied"),
                "\(second.stderr)")
    }

    @Test("-u with an unknown user, or without --daemon, is refused before anything runs")
    func refusals() throws {
        let unknown = try run(ntpshBinary(), ["--daemon", "-u", "no-such-user-x", "--clock", "observe", "--port", "0"], timeout: 20)
        #expect(unknown.status == 2 && unknown.stderr.contains("no such user no-such-user-x"), "\(unknown.stderr)")
        let shell = try run(ntpshBinary(), ["-u", "nobody", "--clock", "observe", "--port", "0", "-e", "peers"], timeout: 20)
        #expect(shell.status != 0 && shell.stderr.contains("use it with --daemon"), "\(shell.stderr)")
    }
}
