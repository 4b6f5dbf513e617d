import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Drops the right to set the clock from a daemon we start: NTPsec's ntpd touches the kernel's
/// clock state at start-up even with nothing to discipline.
///
/// The test runner's threads block most signals and children inherit that mask; ntpd's timer is
/// SIGALRM, so daemons start with an empty mask (perl resets it, then execs).
let dropTime = [
    "/usr/bin/perl", "-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die",
    "/usr/bin/setpriv", "--inh-caps=-sys_time", "--bounding-set=-sys_time", "--",
]

/// A network namespace of our own with its loopback up, deleted when released.
final class Namespace {
    let name: String
    init() throws {
        name = "ntpsh-test-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        let add = try run("/usr/sbin/ip", ["netns", "add", name])
        guard add.status == 0 else { throw TestFailure("ip netns add: \(add.stderr)") }
        _ = try run("/usr/sbin/ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"])
    }
    /// The command line that runs `args` inside the namespace.
    func exec(_ args: [String]) -> [String] { ["netns", "exec", name] + args }
    deinit { _ = try? run("/usr/sbin/ip", ["netns", "del", name]) }
}

func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "ntpsh-e2e-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    chmod(dir, 0o777)
    return dir
}

/// chronyd serving its local clock at stratum 3 on a free loopback port, never touching the
/// clock (-x, no CAP_SYS_TIME): the process, its port, and a scratch directory.
/// `extra` lines go at the end of its configuration (e.g. a `keyfile`).
func startChronyd(extra: String = "") throws -> (Background, UInt16, String) {
    let dir = try temporaryDirectory()
    let port = try freeUDPPort()
    try """
        port \(port)
        cmdport 0
        local stratum 3
        allow 127.0.0.1
        pidfile \(dir)/chronyd.pid
        \(extra)
        """.write(toFile: "\(dir)/chrony.conf", atomically: true, encoding: .utf8)
    let chronyd = try Background(dropTime[0], Array(dropTime.dropFirst()) + ["/usr/sbin/chronyd", "-x", "-d", "-f", "\(dir)/chrony.conf"])
    return (chronyd, port, dir)
}

/// NTPsec's ntpd in `ns` serving in orphan mode at stratum 5 (never disciplining anything);
/// `extra` lines go first in its configuration (e.g. `keys`).
func startNTPsec(in ns: Namespace, dir: String, extra: String = "") throws -> Background {
    try """
        \(extra)
        restrict default
        unrestrict default limited
        disable ntp
        tos orphan 5 orphanwait 0
        """.write(toFile: "\(dir)/ntpd.conf", atomically: true, encoding: .utf8)
    return try Background("/usr/sbin/ip", ns.exec(dropTime + [ntpsecTool("ntpd"), "-n", "-c", "\(dir)/ntpd.conf", "-p", "\(dir)/ntpd.pid"]))
}

@Suite("ntpsh synchronises to real servers", .serialized)
struct SyncInteropTests {
    @Test("the shell: `wait sync` returns within 30 s with iburst; `peers` marks chronyd `*` at stratum 3")
    func shellSeesChronyd() throws {
        let (chronyd, port, _) = try startChronyd()
        defer { chronyd.stop() }
        let started = Date()
        let r = try run(ntpshBinary(), [
            "--clock", "observe", "--port", "0",
            "-e", "server 127.0.0.1 port \(port) iburst", "-e", "wait sync 30s", "-e", "peers -n", "-e", "ntpstat",
        ], timeout: 60)
        let elapsed = Date().timeIntervalSince(started)
        print("wait sync returned after \(elapsed) s\n\(r.stdout)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(elapsed < 30)
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("*127.0.0.1") }, "no system peer line")
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        #expect(fields[2] == "3", "chronyd's stratum: \(line)")
        #expect(fields[3] == "u")
        #expect(r.stdout.contains("synchronised to NTP server (127.0.0.1) at stratum 4 \n"))
    }

    @Test("step now against chronyd steps the observe clock to the consensus (the OS clock is untouched)")
    func stepNowAgainstChronyd() throws {
        let (chronyd, port, _) = try startChronyd()
        defer { chronyd.stop() }
        let r = try run(ntpshBinary(), [
            "--clock", "observe", "--port", "0", "-e", "server 127.0.0.1 port \(port)", "-e", "step now",
        ], timeout: 40)
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("stepped by ") })
        let offset = try #require(Double(line.split(separator: " ")[2]))
        #expect(abs(offset) < 1e-3, "same host, same clock: \(line)")
    }

    @Test("to chronyd (-x, local stratum 3): system peer, stratum 4, within 30 s with iburst")
    func chronydUpstream() throws {
        let (chronyd, port, dir) = try startChronyd()
        defer { chronyd.stop() }
        try "server 127.0.0.1 port \(port) iburst\ndriftfile \(dir)/drift\n"
            .write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        let started = Date()
        let ntpsh = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--port", "0", "-c", "\(dir)/ntp.conf"])
        try ntpsh.waitUntil(timeout: 30, "ntpsh to synchronise to chronyd") {
            ntpsh.stderr.contains("synchronised at stratum 4")
        }
        print("synchronised to chronyd after \(Date().timeIntervalSince(started)) s")
        #expect(ntpsh.stderr.contains("new system peer 127.0.0.1"))
        #expect(ntpsh.stop() == 0)
        // The drift file is written on the way out, in ntpd's format: one number, ppm.
        let drift = try String(contentsOfFile: "\(dir)/drift", encoding: .utf8)
        #expect(Double(drift.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "drift file: \(drift)")
    }

    @Test("to NTPsec's ntpd in a namespace: system peer, stratum 6 (ntpd orphan at 5)")
    func ntpsecUpstream() throws {
        let ns = try Namespace()
        let dir = try temporaryDirectory()
        let ntpd = try startNTPsec(in: ns, dir: dir)
        defer { ntpd.stop() }
        try "server 127.0.0.1 iburst\n".write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        let started = Date()
        let ntpsh = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--daemon", "--clock", "observe", "--port", "0", "-c", "\(dir)/ntp.conf"]))
        defer { ntpsh.stop() }
        do {
            try ntpsh.waitUntil(timeout: 30, "ntpsh to synchronise to NTPsec ntpd") {
                ntpsh.stderr.contains("synchronised at stratum 6")
            }
        } catch {
            print("ntpd stderr: \(ntpd.stderr) stdout: \(ntpd.stdout) running: \(ntpd.isRunning)")
            print("ntpsh stdout: \(ntpsh.stdout) running: \(ntpsh.isRunning)")
            throw error
        }
        print("synchronised to NTPsec ntpd after \(Date().timeIntervalSince(started)) s")
        #expect(ntpsh.stderr.contains("new system peer 127.0.0.1"))
    }
}
