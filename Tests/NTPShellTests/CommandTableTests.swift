import CommandGrammar
import Testing
@testable import NTPShell

@Suite struct CommandTableTests {
    @Test func lintIsClean() {
        let issues = NTPCommands.grammar.lint()
        #expect(issues.isEmpty, "\(issues)")
    }

    /// A directive and its `no` form are both configuration (attached shells, `:config` and
    /// SIGHUP hand exactly these to the engine's runner), and every one is a real command.
    @Test func configurationDirectivesAreComplete() {
        let ids = Set(NTPCommands.grammar.commands.map(\.id))
        let configuration = CommandsManual.configuration
        #expect(configuration.isSubset(of: ids), "\(configuration.subtracting(ids))")
        for id in ids where id.hasPrefix("no-") && ids.contains(String(id.dropFirst(3))) {
            let base = String(id.dropFirst(3))
            #expect(configuration.contains(id) == configuration.contains(base), "\(base) and \(id)")
        }
        for id in ["peer", "no-peer", "unrestrict", "keys", "no-keys", "interface", "no-interface", "mru", "discard"] {
            #expect(configuration.contains(id), "\(id)")
        }
    }

    @Test func seedLinesParse() throws {
        let lines = [
            "driftfile /var/lib/ntp/drift",
            "restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap",
            "server ntp.ntsc.ac.cn prefer",
            "server ntp1.aliyun.com",
            "server cn.pool.ntp.org",
            "server 127.127.1.0",
            "fudge 127.127.1.0 stratum 10",
            "restrict default kod nomodify notrap nopeer noquery",
            "restrict -6 default kod nomodify notrap nopeer noquery",
            "restrict 127.0.0.1",
            "restrict -6 ::1",
            "server 0.rhel.pool.ntp.org",
            "includefile /etc/ntp/crypto/pw",
            "keys /etc/ntp/keys",
            "server 10.0.0.1 iburst",
            "sh run",
            "peers -n",
            "rv 0 stratum offset",
            "wait sync 30s",
            "step -20ms",
        ]
        for line in lines {
            let r = NTPCommands.grammar.match(line)
            #expect(r.command != nil, "\(line): \(r.errorMessage(line: line) ?? "")")
        }
        let p = try #require(NTPCommands.grammar.match("server 10.0.0.1 minpoll 4 iburst port 11123").command)
        #expect(p.arguments.string("host") == "10.0.0.1")
        #expect(p.arguments.int("minpoll") == 4)
        #expect(p.arguments.int("port") == 11123)
        #expect(p.arguments.flag("iburst"))
        #expect(NTPCommands.grammar.match("step -20ms").command?.arguments.double("offset") == -0.02)
    }

    @Test func wrongInputIsNamed() {
        #expect(NTPCommands.grammar.match("frobnicate").errorMessage(line: "frobnicate")?.contains("% Unknown command") == true)
        #expect(NTPCommands.grammar.match("server").errorMessage(line: "server")?.contains("% Incomplete command") == true)
        let bad = NTPCommands.grammar.match("server 10.0.0.1 minpoll 99")
        #expect(bad.errorMessage(line: "server 10.0.0.1 minpoll 99")?.contains("3 to 17") == true)
    }
}
