// System-wide directives: `leapfile`, `logfile`, `includefile`, `enable`/`disable`, the
// `interface`/`nic` rules, and the words ntpsh refuses (`broadcast`, `crypto`). Each
// declaration carries its syntax, handler and attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPEngine

enum SystemCommands {
    /// An interface rule is keyed by what it names (`interface eth0`): a later rule for the
    /// same target replaces it.
    static let interfaceIdentity = RunningIdentity(kind: "interface") { a, _ in
        "interface " + (InterfaceRule(action: a.string("action") ?? "", which: a.string("which") ?? "")?.which ?? "")
    }

    @CommandBuilder static var files: [GrammarDeclaration] {
        Command("leapfile", help: "Leap second file (leap-seconds.list)", .directive, identity: .single("leapfile"),
                run: { $0.recordOnly($1) }) {
            Argument(.path, name: "FILE", help: "Leap second file", key: "file", completion: "path")
        }
        Command("logfile", help: "Log file (default: standard error)", .directive, identity: .single("logfile"),
                run: { $0.recordOnly($1) }) {
            Argument(.path, name: "FILE", help: "Log file", key: "file", completion: "path")
        }
    }

    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("includefile", help: "Read another configuration file here", .directive, identity: .argument("includefile", "file"),
                placesOwnErrors: true, run: { $0.include($1) }) {
            Argument(.path, name: "FILE", help: "Configuration file", key: "file", completion: "path")
        }
        Command("enable", help: "Enable a system option", .directive, identity: .line("enable"), run: { $0.systemOption($1, true) }) {
            OneOrMore { systemOption() }
        }
        Command("disable", help: "Disable a system option", .directive, identity: .line("disable"), run: { $0.systemOption($1, false) }) {
            OneOrMore { systemOption() }
        }
        Command("interface", help: "Listen on or ignore interfaces and addresses (the last matching rule decides)", .directive,
                identity: interfaceIdentity, run: { $0.interface($1, remove: false) }) {
            interfaceRule()
        }
        Command("nic", help: "Same as interface", .directive, identity: interfaceIdentity, run: { $0.interface($1, remove: false) }) {
            interfaceRule()
        }
        Command("no interface", help: "Remove an interface rule", id: "no-interface", .directive, identity: interfaceIdentity,
                run: { $0.interface($1, remove: true) }) {
            interfaceRule()
        }
        Command("no nic", help: "Same as no interface", id: "no-nic", .directive, identity: interfaceIdentity,
                run: { $0.interface($1, remove: true) }) {
            interfaceRule()
        }
        Command("hwtimestamp", help: "Hardware timestamping on an interface, as chrony's: reports what it offers; where a NIC offers hardware stamps, turns them on, fits its PTP clock and uses its stamps in client exchanges",
                .directive, identity: .argument("hwtimestamp", "interface"), run: { $0.hardwareTimestamping($1, remove: false) }) {
            Argument(.word, name: "IFACE", help: "An interface name, or * for every interface", key: "interface")
        }
        Command("no hwtimestamp", help: "Remove a hwtimestamp line", id: "no-hwtimestamp", .directive,
                identity: .argument("hwtimestamp", "interface"), run: { $0.hardwareTimestamping($1, remove: true) }) {
            Argument(.word, name: "IFACE", help: "An interface name, or *", key: "interface")
        }
        Command("broadcast", help: "Broadcast server mode (not supported by ntpsh)", .directive,
                run: { _, _ in .failure("'broadcast' is not supported by ntpsh (use unicast server associations)") }) {
            Argument(.text, name: "ARGS", help: "Arguments", key: "args")
        }
        Command("crypto", help: "Autokey public-key authentication (not supported by ntpsh)", .directive,
                run: { _, _ in .failure("'crypto' is not supported by ntpsh (autokey is obsolete; use symmetric keys)") }) {
            Optionally { Argument(.text, name: "ARGS", help: "Arguments", key: "args") }
        }
    }

    /// `listen|ignore|drop WHICH`, shared by `interface`, `nic` and their `no`.
    static func interfaceRule() -> Syntax {
        Seq {
            OneOf {
                Flag("listen", help: "Listen on", key: "action")
                Flag("ignore", help: "Do not listen on", key: "action")
                Flag("drop", help: "Listen, but drop all packets", key: "action")
            }
            Argument(.word, name: "WHICH", help: "all, ipv4, ipv6, wildcard, an interface name, an address or ADDRESS/LEN", key: "which")
        }.syntax
    }

    static func systemOption() -> Syntax {
        OneOf {
            Flag("auth", help: "Require authentication for peers", key: "options")
            Flag("bclient", help: "Broadcast client", key: "options")
            Flag("calibrate", help: "Calibrate reference clocks", key: "options")
            Flag("kernel", help: "Kernel discipline", key: "options")
            Flag("monitor", help: "MRU monitoring", key: "options")
            Flag("ntp", help: "Clock discipline", key: "options")
            Flag("stats", help: "Statistics files", key: "options")
        }.syntax
    }
}

extension CommandRunner {
    /// A directive kept in the running configuration with no effect on the engine.
    func recordOnly(_ i: Invocation) -> Output {
        record(i)
        return Output()
    }

    /// `enable|disable OPTION…`: `monitor` turns the MRU list on or off; the others are kept.
    func systemOption(_ i: Invocation, _ enabled: Bool) -> Output {
        if i.arguments.strings("options").contains("monitor") {
            var m = admin.monitorSettings()
            m.enabled = enabled
            admin.setMonitorSettings(m)
        }
        record(i)
        return Output()
    }

    /// `interface|nic ACTION WHICH` adds a rule (replacing one for the same WHICH, which moves
    /// to the end); `no interface …` removes it. The server's sockets follow at once.
    /// `hwtimestamp IFACE|*`: the engine reports what the interface offers (and keeps software
    /// stamps); `no hwtimestamp IFACE` forgets the line.
    func hardwareTimestamping(_ i: Invocation, remove: Bool) -> Output {
        let name = i.arguments.string("interface") ?? ""
        if remove {
            forget(i)
            return Output()
        }
        do {
            let report = try admin.hardwareTimestamping(name)
            record(i)
            return Output(text: recordsOrigins ? "" : report)
        } catch {
            return .failure(error.description)
        }
    }

    func interface(_ i: Invocation, remove: Bool) -> Output {
        let a = i.arguments
        let which = a.string("which") ?? ""
        guard let rule = InterfaceRule(action: a.string("action") ?? "", which: which) else {
            return .failure("interface: '\(which)' is not all, ipv4, ipv6, wildcard, an interface name, an address or ADDRESS/LEN")
        }
        if remove {
            guard interfaceRules.contains(rule) else { return .failure("no rule '\(rule)'") }
            interfaceRules.removeAll { $0 == rule }
            forget(i)
        } else {
            interfaceRules.removeAll { $0.target == rule.target }
            interfaceRules.append(rule)
            forget(i)
            record(i)
        }
        do {
            let report = try admin.setInterfaceRules(interfaceRules)
            return Output(text: recordsOrigins ? "" : report)
        } catch {
            return .failure(error.description)
        }
    }
}
