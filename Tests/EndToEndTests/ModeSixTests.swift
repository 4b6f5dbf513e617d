import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// NTPsec's ntpq and Debian's ntpstat against `ntpsh --daemon --clock observe` (mode 6).
/// Both use port 123, and ntpstat only asks 127.0.0.1, so the scenario runs in a user and
/// network namespace of its own (`unshare -rn`) when it can: nothing else on the machine
/// holds port 123 there. Without namespaces it runs here, if 127.0.0.124:123 is free.
@Suite("mode 6: ntpq and ntpstat", .serialized)
struct ModeSixTests {
    static let address = "127.0.0.124"

    /// Runs `script` with sh, in a fresh network namespace if possible; nil if neither that
    /// nor port 123 here is available.
    static func isolated(_ script: String) throws -> (output: String, isolated: Bool)? {
        let unshare = "/usr/bin/unshare"
        if FileManager.default.isExecutableFile(atPath: unshare),
           let probe = try? run(unshare, ["-rn", "true"], timeout: 10), probe.status == 0 {
            let r = try run(unshare, ["-rn", "sh", "-c", "ip link set lo up 2>/dev/null; " + script], timeout: 120)
            return (r.stdout + r.stderr, true)
        }
        guard (try? UDPClient(bindTo: address, port: 123)) != nil else { return nil }
        let r = try run("/bin/sh", ["-c", script], timeout: 120)
        return (r.stdout + r.stderr, false)
    }

    /// Starts ntpsh on 127.0.0.124 (and 127.0.0.1 when isolated), runs the commands, each
    /// output after a `== name` line, stops ntpsh by its PID.
    static func scenario(config: String, listenLoopback: Bool, waitForPeer: Bool = true, _ commands: [(String, String)]) -> String {
        let path = NSTemporaryDirectory() + "ntpsh-mode6-\(UUID().uuidString).conf"
        try? config.write(toFile: path, atomically: true, encoding: .utf8)
        var s = "\(ntpshBinary()) --daemon --clock observe --port 123 --listen \(address)"
        if listenLoopback { s += " --listen 127.0.0.1" }
        s += " -c \(path) 2>/dev/null & P=$!\n"
        // Wait (bounded) until the local clock is the system peer: ntpq -p shows the `*`.
        if !waitForPeer { s += "sleep 2\n" } else { s += "i=0; while [ $i -lt 50 ]; do i=$((i+1)); \(ntpq) -n -p \(address) 2>/dev/null | grep -q '^\\*' && break; sleep 0.2; done\n" }
        for (name, command) in commands { s += "echo '== \(name)'; \(command) 2>&1; echo \"rc=$?\"\n" }
        s += "kill $P; wait $P\n"
        return s
    }

    static var ntpq: String { "timeout 30 /usr/bin/python3 \(ntpsecTool("ntpq"))" }

    static func section(_ output: String, _ name: String) -> String {
        guard let start = output.range(of: "== \(name)\n") else { return "" }
        let rest = output[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n== ")?.lowerBound ?? rest.endIndex)])
    }

    @Test("ntpq -p, rv, as, rv 1 and ntpstat read the daemon's mode 6 answers")
    func ntpqAndNtpstat() throws {
        let config = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
        let a = Self.address
        let commands = [
            ("peers", "\(Self.ntpq) -n -p \(a)"), ("rv", "\(Self.ntpq) -c rv \(a)"),
            ("as", "\(Self.ntpq) -c as \(a)"), ("rv1", "\(Self.ntpq) -c 'rv 1' \(a)"),
            ("ntpstat", "timeout 30 /usr/bin/ntpstat"),
        ]
        // Not isolated: the test cannot know whether 127.0.0.1:123 is free for ntpstat until it binds.
        let loopbackFree = (try? UDPClient(bindTo: "127.0.0.1", port: 123)) != nil
        guard let result = try Self.isolated(Self.scenario(config: config, listenLoopback: true, commands)) else {
            print("mode 6: no network namespace and \(a):123 is taken; skipped")
            return
        }
        let out = result.output
        print(out)
        let peers = Self.section(out, "peers")
        #expect(peers.contains("remote           refid      st t when poll reach"))
        #expect(peers.split(separator: "\n").contains { $0.hasPrefix("*LOCAL(0)") || $0.hasPrefix("*127.127.1.0") })
        #expect(peers.contains(".LOCL.          10 l"))
        let rv = Self.section(out, "rv")
        #expect(rv.contains("associd=0 status=05"))
        #expect(rv.contains("sync_local"))
        #expect(rv.contains("stratum=11"))
        #expect(rv.contains("rc=0"))
        let assoc = Self.section(out, "as")
        #expect(assoc.contains("ind assid status  conf reach auth condition  last_event cnt"))
        #expect(assoc.contains("  1     1  96"))
        #expect(assoc.contains("sys.peer"))
        let rv1 = Self.section(out, "rv1")
        #expect(rv1.contains("associd=1 status=96"))
        #expect(rv1.contains("srcadr=127.127.1.0"))
        #expect(rv1.contains("stratum=10"))
        #expect(rv1.contains("filtdisp"))
        if result.isolated || loopbackFree {
            let stat = Self.section(out, "ntpstat")
            #expect(stat.contains("synchronised to local net at stratum 11"))
            #expect(stat.contains("rc=0"))
        } else {
            print("mode 6: 127.0.0.1:123 is taken here; ntpstat not checked")
        }
    }

    @Test("restrict default noquery: ntpq gets no answer")
    func noquery() throws {
        let config = "restrict default noquery\nserver 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
        let a = Self.address
        // Nothing is answered, so there is no `*` to wait for.
        let script = Self.scenario(config: config, listenLoopback: false, waitForPeer: false, [("rv", "\(Self.ntpq) -c rv \(a)")])
        guard let result = try Self.isolated(script) else {
            print("mode 6: no network namespace and \(a):123 is taken; skipped")
            return
        }
        let rv = Self.section(result.output, "rv")
        print(rv)
        #expect(rv.contains("timed out"))
        #expect(!rv.contains("stratum="))
    }
}
