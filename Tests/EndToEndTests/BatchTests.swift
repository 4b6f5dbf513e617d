import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `ntpsh --clock observe --port 0 ARGS` (with `stdin` fed to it when given).
func ntpsh(_ args: [String], stdin: String? = nil, timeout: Double = 30) throws -> Finished {
    if let stdin {
        let path = NSTemporaryDirectory() + "ntpsh-stdin-\(UUID().uuidString)"
        try stdin.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let quoted = ([ntpshBinary(), "--clock", "observe", "--port", "0"] + args).map { "'\($0)'" }.joined(separator: " ")
        return try run("/bin/sh", ["-c", "\(quoted) < '\(path)'"], timeout: timeout)
    }
    return try run(ntpshBinary(), ["--clock", "observe", "--port", "0"] + args, timeout: timeout)
}

func writeTemp(_ text: String, suffix: String = ".conf") throws -> String {
    let path = NSTemporaryDirectory() + "ntpsh-\(UUID().uuidString)\(suffix)"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("batch mode", .serialized)
struct BatchTests {
    @Test("-e runs commands in order; the status is the last command's")
    func executeOptions() throws {
        let r = try ntpsh(["-e", "echo hello", "-e", "echo world"])
        #expect(r.status == 0)
        #expect(r.stdout == "hello\nworld\n")
        #expect(r.stderr.isEmpty, "no escape codes, no prompt, no log noise: \(r.stderr)")
    }

    @Test("a failing -e stops the batch with status 1 and names the option and column")
    func failingOption() throws {
        let r = try ntpsh(["-e", "echo one", "-e", "server 10.0.0.1 minpoll 99", "-e", "echo never"])
        #expect(r.status == 1)
        #expect(r.stdout == "one\n")
        #expect(r.stderr.hasPrefix("-e 2:25: "), "\(r.stderr)")
        #expect(r.stderr.contains("3 to 17"))
    }

    @Test("--keep-going runs past errors; FILE:LINE:COL names each")
    func keepGoing() throws {
        let file = try writeTemp("# a comment\necho a\nfrobnicate now\n\necho b\ns\n", suffix: ".ntpsh")
        let stop = try ntpsh(["-f", file])
        #expect(stop.status == 1)
        #expect(stop.stdout == "a\n")
        #expect(stop.stderr.hasPrefix("\(file):3:1: unknown command"), "\(stop.stderr)")
        let go = try ntpsh(["--keep-going", "-f", file])
        #expect(go.stdout == "a\nb\n")
        #expect(go.stderr.contains("\(file):3:1: "))
        #expect(go.stderr.contains("\(file):6:1: ambiguous command"), "\(go.stderr)")
        #expect(go.status == 1, "the last command failed")
    }

    @Test("commands from standard input when it is not a terminal, and -f -")
    func standardInput() throws {
        let piped = try ntpsh([], stdin: "echo from stdin\npeers -n\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout == "from stdin\nNo association IDs returned\n", "as ntpq -p says with no associations")
        let dash = try ntpsh(["-f", "-"], stdin: "echo dash\n")
        #expect(dash.stdout == "dash\n")
    }

    @Test("ntpstat sets the status: 1 while unsynchronised, 0 when synchronised (local clock)")
    func ntpstatStatus() throws {
        let unsync = try ntpsh(["-e", "ntpstat"])
        #expect(unsync.status == 1)
        #expect(unsync.stdout.hasPrefix("unsynchronised"))
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n")
        let sync = try ntpsh(["-c", conf, "-e", "wait sync 10s", "-e", "ntpstat"])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.hasPrefix("synchronised to local net at stratum 11 \n"))
    }

    @Test("wait sync times out with status 1")
    func waitSyncTimeout() throws {
        let r = try ntpsh(["-e", "wait sync 1s"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not synchronised after 1 s"))
    }

    @Test("a configuration with errors is refused, every error listed, exit 2; --check-config")
    func configurationErrors() throws {
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 99\nfrobnicate\nbroadcast 192.0.2.255\n")
        let r = try ntpsh(["-c", conf, "-e", "echo never"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("\(conf):2:"))
        #expect(r.stderr.contains("\(conf):3:1: unknown command"))
        #expect(r.stderr.contains("\(conf):4:1: 'broadcast' is not supported"))
        #expect(r.stderr.contains("3 errors; not started"))
        let check = try run(ntpshBinary(), ["--check-config", "-c", conf])
        #expect(check.status == 2)
        let good = try writeTemp("driftfile /tmp/x.drift\nserver 127.127.1.0\n")
        let ok = try run(ntpshBinary(), ["--check-config", "-c", good])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("the seeds' configurations load as written")
    func seedConfigurations() throws {
        let seed000 = """
            driftfile /var/lib/ntp/drift

            # 允许内网其他机器同步时间
            restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap

            # 配置上级时间服务器
            server ntp.ntsc.ac.cn prefer
            server ntp1.aliyun.com
            server cn.pool.ntp.org


            # 外部时间服务器不可用时，以本地时间作为时间服务
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            """
        let seed003 = """
            driftfile /var/lib/ntp/drift
            restrict default kod nomodify notrap nopeer noquery
            restrict -6 default kod nomodify notrap nopeer noquery
            restrict 127.0.0.1
            restrict -6 ::1
            server 0.rhel.pool.ntp.org
            server 1.rhel.pool.ntp.org
            server 2.rhel.pool.ntp.org
            includefile /etc/ntp/crypto/pw
            keys /etc/ntp/keys
            """
        for text in [seed000, seed003] {
            let conf = try writeTemp(text + "\n")
            let r = try run(ntpshBinary(), ["--check-config", "-c", conf])
            #expect(r.status == 0, "\(r.stderr)")
            if text == seed003 {
                // The missing keys file is a warning naming it, not a failure.
                #expect(r.stderr.contains("warning: keys /etc/ntp/keys: cannot read it; no symmetric keys loaded"), "\(r.stderr)")
            }
        }
    }

    @Test("show running-config reflects configuration commands and no …")
    func runningConfig() throws {
        let r = try ntpsh(["-e", "server 192.0.2.1 iburst", "-e", "server 192.0.2.2", "-e", "no server 192.0.2.1",
                           "-e", "tinker step 0.5", "-e", "show running-config"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "server 192.0.2.2\ntinker step 0.5\n")
    }

    @Test("every view takes json, and --json sets it for the run")
    func jsonViews() throws {
        let r = try ntpsh(["--json", "-e", "peers", "-e", "tracking", "-e", "rv", "-e", "sysinfo", "-e", "associations"])
        #expect(r.status == 0, "\(r.stderr)")
        for line in r.stdout.split(separator: "\n") {
            #expect(line.first == "{" || line.first == "[", "not JSON: \(line)")
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "invalid JSON: \(line)")
        }
    }

    @Test("output filters: | include REGEX, | exclude REGEX, | count")
    func outputFilters() throws {
        let r = try ntpsh(["-e", "server 127.127.1.0", "-e", "wait sync 5s", "-e", "peers | exclude ===",
                           "-e", "help | include ^s(how r|te)", "-e", "peers | count", "-e", "rv | include stratum"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("     remote"))
        #expect(lines[1].hasPrefix("*LOCAL(0)"))
        #expect(lines[2] == "show running-config")
        #expect(lines[3].hasPrefix("step "))
        #expect(lines[4] == "3")
        #expect(lines[5].contains("stratum=6"))
        let bad = try ntpsh(["-e", "help | frobnicate"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("unknown output filter"))
    }

    static let commented = """
        # Seed 000's server configuration, with comments.
        driftfile /tmp/ntpsh-write-test.drift

        # 允许内网其他机器同步时间
        restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap

        # Upstreams (loopback, nothing answers there)
        server 127.0.0.2   port 9 prefer   # the preferred one
        server 127.0.0.3 port 9
        server 127.0.0.4 port 9

        # Local clock as the last resort
        server 127.127.1.0
        fudge 127.127.1.0 stratum 10

        """

    @Test("write keeps comments, blank lines and order; changes only the edited lines; keeps FILE.bak")
    func writeRoundTrip() throws {
        let conf = try writeTemp(Self.commented)
        let r = try ntpsh(["-c", conf, "-e", "no server 127.0.0.3", "-e", "server 127.0.0.5 port 9 iburst",
                           "-e", "fudge 127.127.1.0 stratum 8", "-e", "restrict default noquery", "-e", "write"])
        #expect(r.status == 0, "\(r.stderr)")
        let written = try String(contentsOfFile: conf, encoding: .utf8)
        var expected = Self.commented.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        expected.removeAll { $0 == "server 127.0.0.3 port 9" }
        expected.insert("restrict default noquery", at: expected.firstIndex { $0.hasPrefix("restrict 192.168") }! + 1)
        let local = expected.firstIndex { $0 == "server 127.127.1.0" }!
        expected.insert("server 127.0.0.5 port 9 iburst", at: local + 1)
        expected[expected.firstIndex { $0.hasPrefix("fudge") }!] = "fudge 127.127.1.0 stratum 8"
        #expect(written == expected.joined(separator: "\n"))
        #expect(try String(contentsOfFile: conf + ".bak", encoding: .utf8) == Self.commented)
        // Written back and read again, it means the same.
        let again = try ntpsh(["-c", conf, "-e", "show running-config"])
        #expect(again.stdout.contains("server 127.0.0.5 port 9 iburst\n"))
        #expect(!again.stdout.contains("127.0.0.3"))
    }

    @Test("write updates an included file whose entries were edited or removed; an includefile typed at the prompt adds only its own line")
    func writeIncludedFiles() throws {
        let dir = try temporaryDirectory()
        let inc = "# included\nserver 127.0.0.3 port 9\nrestrict 10.0.0.0 mask 255.0.0.0 nomodify\n"
        try inc.write(toFile: "\(dir)/inc.conf", atomically: true, encoding: .utf8)
        let extra = "# typed later\nserver 127.0.0.7 port 9\n"
        try extra.write(toFile: "\(dir)/extra.conf", atomically: true, encoding: .utf8)
        let main = "# main\nserver 127.127.1.0\nincludefile inc.conf\n"
        try main.write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        let r = try ntpsh(["-c", "\(dir)/ntp.conf", "-e", "no server 127.0.0.3",
                           "-e", "restrict 10.0.0.0 mask 255.0.0.0 nomodify noquery",
                           "-e", "includefile \(dir)/extra.conf", "-e", "write"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote \(dir)/inc.conf"), "\(r.stdout)")
        #expect(try String(contentsOfFile: "\(dir)/inc.conf", encoding: .utf8)
                == "# included\nrestrict 10.0.0.0 mask 255.0.0.0 nomodify noquery\n")
        #expect(try String(contentsOfFile: "\(dir)/inc.conf.bak", encoding: .utf8) == inc)
        #expect(try String(contentsOfFile: "\(dir)/ntp.conf", encoding: .utf8)
                == main + "includefile \(dir)/extra.conf\n", "only the typed includefile line is added")
        #expect(try String(contentsOfFile: "\(dir)/extra.conf", encoding: .utf8) == extra, "unchanged")
        // Read back, it means the same: 127.0.0.3 gone, 127.0.0.7 there once, noquery kept.
        let again = try ntpsh(["-c", "\(dir)/ntp.conf", "-e", "show running-config"])
        #expect(!again.stdout.contains("127.0.0.3"))
        #expect(again.stdout.components(separatedBy: "server 127.0.0.7 port 9").count == 2, "\(again.stdout)")
        #expect(again.stdout.contains("restrict 10.0.0.0 mask 255.0.0.0 nomodify noquery"))
    }

    @Test("write refuses when the file changed on disk since it was read; write force overrides")
    func writeRefusesChangedFile() throws {
        let conf = try writeTemp(Self.commented)
        let shell = try Background(ntpshBinary(), ["--clock", "observe", "--port", "0", "--keep-going", "-c", conf, "-f", "-"], input: true)
        defer { shell.stop() }
        shell.send("echo loaded\n")
        try shell.waitUntil(timeout: 10, "the configuration to load") { shell.stdout.contains("loaded\n") }
        try (Self.commented + "# edited by someone else\n").write(toFile: conf, atomically: true, encoding: .utf8)
        shell.send("server 127.0.0.6 port 9\nwrite\necho after-refusal\n")
        try shell.waitUntil(timeout: 10, "the refusal") { shell.stderr.contains("changed on disk since it was read") }
        #expect(try String(contentsOfFile: conf, encoding: .utf8).hasSuffix("# edited by someone else\n"), "not overwritten")
        shell.send("write force\necho forced\n")
        try shell.waitUntil(timeout: 10, "write force") { shell.stdout.contains("forced\n") }
        let text = try String(contentsOfFile: conf, encoding: .utf8)
        #expect(text.contains("server 127.0.0.6 port 9\n"))
        #expect(!text.contains("edited by someone else"), "force overwrites the other edit")
        shell.closeInput()
        try shell.waitUntil(timeout: 10, "exit") { !shell.isRunning }
    }

    @Test("includefile: relative to the including file's directory, nested, cycles refused")
    func includeFiles() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/conf.d", withIntermediateDirectories: true)
        try "server 127.127.1.0\nincludefile conf.d/a.conf\n".write(toFile: dir + "/ntp.conf", atomically: true, encoding: .utf8)
        try "fudge 127.127.1.0 stratum 9\nincludefile b.conf\n".write(toFile: dir + "/conf.d/a.conf", atomically: true, encoding: .utf8)
        try "tinker step 0.5\n".write(toFile: dir + "/conf.d/b.conf", atomically: true, encoding: .utf8)
        let ok = try ntpsh(["-c", dir + "/ntp.conf", "-e", "wait sync 5s", "-e", "rv 0 stratum", "-e", "show running-config"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("stratum=10\n"), "fudge from conf.d/a.conf applied")
        #expect(ok.stdout.contains("tinker step 0.5\n"), "conf.d/b.conf, relative to a.conf")
        try "tinker step 0.5\nincludefile a.conf\n".write(toFile: dir + "/conf.d/b.conf", atomically: true, encoding: .utf8)
        let cycle = try run(ntpshBinary(), ["--check-config", "-c", dir + "/ntp.conf"])
        #expect(cycle.status == 2)
        #expect(cycle.stderr.contains("\(dir)/conf.d/b.conf:2:1: includefile cycle: \(dir)/ntp.conf → \(dir)/conf.d/a.conf → \(dir)/conf.d/b.conf → \(dir)/conf.d/a.conf"), "\(cycle.stderr)")
    }
}

/// Issue 19: `includefile` (and `keys`) read regular files only. On main, opening a FIFO waited
/// for a writer forever (in the daemon, on the thread running `:config`), and /dev/urandom never
/// ended.
@Suite struct IncludedFileKindTests {
    @Test("includefile of a FIFO or a device is refused at once; a regular file is read")
    func onlyRegularFiles() throws {
        let dir = NSTemporaryDirectory() + "ntpsh-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        try "restrict 192.0.2.0 mask 255.255.255.0 kod\n".write(toFile: dir + "/ok.conf", atomically: true, encoding: .utf8)
        let r = try ntpsh(["-e", "includefile \(dir)/fifo", "-e", "includefile /dev/urandom", "-e", "keys /dev/zero",
                           "-e", "includefile \(dir)/ok.conf", "-e", "restrictions"], timeout: 20)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("includefile \(dir)/fifo: cannot read it"))
        #expect(r.stdout.contains("includefile /dev/urandom: cannot read it"))
        #expect(r.stdout.contains("keys /dev/zero: cannot read it"))
        #expect(r.stdout.contains("192.0.2.0"))
    }
}
