import NTPLab
import CommandGrammar
import Testing
@testable import NTPShell

@Suite struct CommandTableTests {
    @Test func lintIsClean() {
        let issues = LabShell.grammar.lint()
        #expect(issues.isEmpty, "\(issues)")
    }

    /// A directive and its `no` form are both configuration (attached shells, `:config` and
    /// SIGHUP hand exactly these to the engine's runner), and every one is a real command.
    @Test func configurationDirectivesAreComplete() {
        let commands = LabShell.grammar.commands
        let ids = Set(commands.map(\.id))
        let configuration = Set(commands.filter(CommandsManual.isDirective).map(\.id))
        for id in ids where id.hasPrefix("no-") && ids.contains(String(id.dropFirst(3))) {
            let base = String(id.dropFirst(3))
            #expect(configuration.contains(id) == configuration.contains(base), "\(base) and \(id)")
        }
        // The set the manual and the engine's runner kept by hand before the declarations said it.
        #expect(configuration == [
            "server", "pool", "peer", "no-server", "no-pool", "no-peer", "fudge", "driftfile", "no-driftfile", "metrics-listen", "no-metrics", "tinker", "tos",
            "restrict", "no-restrict", "unrestrict", "discard", "mru", "leapfile", "logfile", "statsdir", "statistics", "filegen",
            "keys", "no-keys", "trustedkey", "no-trustedkey", "controlkey", "no-controlkey", "requestkey", "includefile",
            "enable", "disable", "interface", "no-interface", "nic", "no-nic", "hwtimestamp", "no-hwtimestamp", "broadcast", "crypto",
            "nts-enable", "nts-disable", "nts-cert", "nts-key", "nts-cookie", "nts-ca", "nts-mintls", "nts-maxtls", "nts-tlsciphersuites",
            "nts-tlsecdhcurves", "nts-aead", "nts-port",
            "nts-listen", "nts-rotate",
            "archive",
        ])
        let views = Set(commands.filter { $0.binding?.role == .view }.map(\.id))
        #expect(views == ["peers", "associations", "readvar", "rv", "sysinfo", "sysstats", "iostats", "monstats", "mrulist",
                          "ntpstat", "tracking", "events", "show-running-config", "ntsinfo"])
        let engineOwned = Set(commands.filter { $0.binding?.isEngineOwned == true }.map(\.id))
        #expect(engineOwned == configuration.union(["show-running-config", "write"]))
    }

    /// Every command is one declaration with its handler and attributes, and the attributes
    /// agree with the syntax: a command whose syntax offers `json` says it prints JSON, only
    /// directives keep running-configuration entries, `step` and `slew` ask first, `watch` repeats.
    @Test func everyCommandIsBound() throws {
        for command in LabShell.grammar.commands {
            let binding = try #require(command.binding, "\(command.id) has no handler")
            if Self.offersJSON(command.syntax) { #expect(binding.json, "\(command.id) takes json") }
            if binding.identity != nil { #expect(binding.role == .directive, "\(command.id)") }
            #expect(binding.confirms == ["step", "slew"].contains(command.id), "\(command.id)")
            #expect(binding.repeatsView == (command.id == "watch"), "\(command.id)")
            // The set `lab at` refused by id before the attribute said it.
            #expect(binding.schedulable == !["lab-advance", "wait-sync", "sleep", "step", "lab-restart", "lab-seed",
                                              "quit", "exit", "watch"].contains(command.id), "\(command.id)")
        }
        for id in ["server", "no-server", "restrict", "tinker", "trustedkey", "interface", "filegen"] {
            #expect(LabShell.grammar.commands.first { $0.id == id }?.binding?.identity != nil, "\(id)")
        }
    }

    /// The running-configuration keys come from the declarations: `no server X` removes what
    /// `server X` added, `nic` replaces an `interface` rule for the same target.
    @Test func identityKeysPair() throws {
        func key(_ line: String) throws -> String {
            let parsed = try #require(LabShell.grammar.match(line).command, "\(line)")
            let identity = try #require(parsed.binding?.identity, "\(line)")
            return identity.kind + "|" + identity.key(parsed.arguments, CommandRunner.canonical(line))
        }
        #expect(try key("server 10.0.0.1 iburst") == key("no server 10.0.0.1"))
        #expect(try key("restrict -4 default kod") == "restrict|-4 default")
        #expect(try key("restrict 10.0.0.0 mask 255.0.0.0 nomodify") == key("no restrict 10.0.0.0 mask 255.0.0.0"))
        #expect(try key("interface listen eth0") == key("nic ignore eth0"))
        #expect(try key("tos minclock 2 maxclock 5") == "tos|minclock maxclock")
        #expect(try key("trustedkey 1 (3 ... 5)") == "trustedkey|1 3 4 5")
        #expect(try key("filegen peerstats type day") == "filegen|peerstats")
        #expect(try key("metrics listen 9975") == key("no metrics"))
    }

    static func offersJSON(_ syntax: Syntax) -> Bool {
        switch syntax {
        case .token(let t): t.kind == .keyword("json")
        case .sequence(let parts), .alternatives(let parts), .options(let parts): parts.contains { offersJSON($0) }
        case .optional(let s), .repetition(let s, _): offersJSON(s)
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
            let r = LabShell.grammar.match(line)
            #expect(r.command != nil, "\(line): \(r.errorMessage(line: line) ?? "")")
        }
        let p = try #require(LabShell.grammar.match("server 10.0.0.1 minpoll 4 iburst port 11123").command)
        #expect(p.arguments.string("host") == "10.0.0.1")
        #expect(p.arguments.int("minpoll") == 4)
        #expect(p.arguments.int("port") == 11123)
        #expect(p.arguments.flag("iburst"))
        #expect(LabShell.grammar.match("step -20ms").command?.arguments.double("offset") == -0.02)
    }

    @Test func wrongInputIsNamed() {
        #expect(LabShell.grammar.match("frobnicate").errorMessage(line: "frobnicate")?.contains("% Unknown command") == true)
        #expect(LabShell.grammar.match("server").errorMessage(line: "server")?.contains("% Incomplete command") == true)
        let bad = LabShell.grammar.match("server 10.0.0.1 minpoll 99")
        #expect(bad.errorMessage(line: "server 10.0.0.1 minpoll 99")?.contains("3 to 17") == true)
    }
}

/// Docs/architecture.md's step 5 held true: a new command is one declaration (syntax, handler,
/// attributes) added to the table; the runner dispatches it, `help` lists it, a directive's
/// identity puts it in the running configuration, and `:config` takes only directives.
@Suite struct CommandDeclarationTests {
    @Test func aNewCommandIsOneDeclaration() throws {
        let report = Command("show uptime", help: "Seconds since the engine started", id: "show-uptime", .report, json: true,
                             run: { r, i in CommandRunner.Output(text: i.wantsJSON ? "{\"uptime\":0}\n" : "up \(Int(r.admin.uptime().value))\n") }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        let directive = Command("tag", help: "A label kept in the running configuration", .directive,
                                identity: .argument("tag", "name"), run: { r, i in r.record(i); return CommandRunner.Output() }) {
            Argument(.word, name: "NAME", help: "The label", key: "name")
        }
        let grammar = Grammar(declarations: NTPCommands.declarations() + [.command(report), .command(directive)])
        let runner = CommandRunner(admin: SimulationAdmin.lab(seed: 1), grammar: grammar)
        #expect(runner.run("show uptime").text == "up 0\n")
        #expect(runner.run("show uptime json").text == "{\"uptime\":0}\n")
        #expect(runner.run("help").text.contains("show uptime [json]\n    Seconds since the engine started\n"))
        #expect(runner.run("tag first").error == nil)
        #expect(runner.run("tag  first").error == nil)
        #expect(runner.run("show running-config").text == "tag first\n")
        #expect(runner.runRemoteConfiguration("tag second").ok)
        #expect(!runner.runRemoteConfiguration("show uptime").ok)
    }
}
