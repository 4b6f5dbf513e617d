// Access control: `restrict`, `no restrict`, `unrestrict`, `discard` and the `restrictions`
// view. Each declaration carries its syntax, handler and attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPEngine
import NTPWire
import NTPControl

enum AccessCommands {
    /// A restrict entry is keyed by its target as written (`-4 default`, `10.0.0.0 mask 255.0.0.0`).
    static let restrictIdentity = RunningIdentity(kind: "restrict") { a, _ in CommandRunner.restrictKey(a) }

    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("restrict", help: "Set access restrictions for packets from an address: clients' requests and servers' replies",
                .directive, identity: restrictIdentity, run: { $0.restrict($1) }) {
            restrictTarget(completion: nil)
            ZeroOrMore { restrictFlag() }
        }
        Command("no restrict", help: "Remove a restrict entry", id: "no-restrict", .directive, identity: restrictIdentity,
                run: { $0.noRestrict($1) }) {
            restrictTarget(completion: "restrict")
        }
        Command("unrestrict", help: "Turn off the flags named in a restrict entry; with no flags, remove the entry",
                .directive, identity: restrictIdentity, run: { $0.unrestrict($1) }) {
            restrictTarget(completion: "restrict")
            ZeroOrMore { restrictFlag() }
        }
        Command("discard", help: "Rate limits for limited clients", .directive, identity: .single("discard"),
                run: { $0.discard($1) }) {
            Options {
                Option("average", .integer(0...16), name: "LOG2", help: "Minimum average interval, log2 s (3)")
                Option("minimum", .integer(0...65_536), name: "SECONDS", help: "Minimum interval between two packets, seconds (2)")
                Option("monitor", .integer(0...100_000), name: "SECONDS", help: "A full MRU list recycles its oldest entry with probability age/SECONDS (0: always)")
            }
        }
    }

    @CommandBuilder static var views: [GrammarDeclaration] {
        Command("restrictions", help: "The restrict list with hit counts, or which entry applies to an address", .report,
                json: true, run: { $0.restrictionsView($1) }) {
            Options {
                Option("match", .address, name: "ADDRESS", help: "Show the entry and flags that apply to this address")
                Flag("json", help: "Machine-readable output")
            }
        }
    }

    /// `[-4|-6] (default | source | PREFIX | ADDRESS [mask MASK])`, shared by `restrict` and
    /// `no restrict` (which completes the existing entries).
    static func restrictTarget(completion: String?) -> Syntax {
        Seq {
            Optionally { OneOf { Keyword("-4", help: "IPv4 only (with default)", key: "family"); Keyword("-6", help: "IPv6 only (with default)", key: "family") } }
            OneOf {
                Keyword("default", help: "Every address not matched by another entry", key: "default")
                Keyword("source", help: "The addresses server, peer and pool mobilize (an entry for exactly that address still decides)", key: "source")
                Argument(.prefix, name: "PREFIX", help: "Address with prefix length (192.168.0.0/24)", key: "prefix", completion: completion)
                Seq {
                    Argument(.address, name: "ADDRESS", help: "Address", key: "address", completion: completion)
                    Optionally { Option("mask", .netmask, name: "MASK", help: "Network mask (255.255.255.0)") }
                }
            }
        }.syntax
    }

    static func restrictFlag() -> Syntax {
        OneOf {
            Flag("ignore", help: "Drop every packet", key: "flags")
            Flag("kod", help: "Answer rate-limited clients with a RATE kiss", key: "flags")
            Flag("limited", help: "Rate-limit clients (see discard)", key: "flags")
            Flag("lowpriotrap", help: "Low priority traps", key: "flags")
            Flag("nomodify", help: "Refuse runtime changes over the network", key: "flags")
            Flag("nomrulist", help: "Refuse the MRU list", key: "flags")
            Flag("nopeer", help: "Refuse new symmetric associations", key: "flags")
            Flag("noquery", help: "Drop control (ntpq) queries", key: "flags")
            Flag("noserve", help: "Drop time requests", key: "flags")
            Flag("notrap", help: "Refuse trap service", key: "flags")
            Flag("notrust", help: "Require authentication", key: "flags")
            Flag("ntpport", help: "Match only source port 123", key: "flags")
            Flag("version", help: "Refuse other NTP versions", key: "flags")
        }.syntax
    }
}

extension CommandRunner {
    func restrict(_ i: Invocation) -> Output {
        let a = i.arguments
        var flags = RestrictFlags()
        for name in a.strings("flags") { if let f = RestrictFlags(name: name) { flags.insert(f) } }
        if a.flag("source") {
            sourceFlags = flags
            let note = admin.setSourceRestriction(flags)
            record(i)
            return Output(text: note.map { $0 + "\n" } ?? "")
        }
        let targets: [(IPAddress, Int)]
        switch restrictTargets(a) {
        case .success(let t): targets = t
        case .failure(let e): return .failure(e.description)
        }
        for (network, length) in targets {
            admin.setRestriction(RestrictEntry(network: network, prefixLength: length, flags: flags))
        }
        record(i)
        return Output()
    }

    /// `no restrict TARGET` (and `unrestrict TARGET` with no flags).
    func noRestrict(_ i: Invocation) -> Output {
        let a = i.arguments
        if !a.flag("source") {
            guard case .success(let targets) = restrictTargets(a) else { return .failure("bad restrict target") }
            var removed = false
            for (network, length) in targets where admin.removeRestriction(network: network, prefixLength: length) {
                removed = true
            }
            forget(i)
            return removed ? Output() : .failure("no restrict entry for \(Self.restrictKey(a))")
        }
        guard forget(i) > 0 else { return .failure("no restrict entry for \(Self.restrictKey(a))") }
        sourceFlags = nil
        _ = admin.setSourceRestriction(nil)
        return Output()
    }

    /// `unrestrict TARGET [FLAG…]` (NTPsec): turns the flags off in the entry; with no flags,
    /// removes the entry, as `no restrict`.
    func unrestrict(_ i: Invocation) -> Output {
        let a = i.arguments
        let names = a.strings("flags")
        guard !names.isEmpty else { return noRestrict(i) }
        var off = RestrictFlags()
        for name in names { if let f = RestrictFlags(name: name) { off.insert(f) } }
        if a.flag("source") {
            guard var flags = sourceFlags else { return .failure("no restrict entry for source") }
            flags.subtract(off)
            sourceFlags = flags
            _ = admin.setSourceRestriction(flags)
            record(i, line: "restrict source" + (flags.isEmpty ? "" : " " + flags.text))
            return Output()
        }
        guard case .success(let targets) = restrictTargets(a) else { return .failure("bad restrict target") }
        let entries = admin.restrictions()
        var changed = false
        var remaining = RestrictFlags()
        for (network, length) in targets {
            let (key, length) = RestrictEntry.key(network, length)
            guard var e = entries.first(where: { $0.network == key && $0.prefixLength == length }) else { continue }
            e.flags.subtract(off)
            remaining = e.flags
            admin.setRestriction(RestrictEntry(network: e.network, prefixLength: e.prefixLength, flags: e.flags))
            changed = true
        }
        guard changed else { return .failure("no restrict entry for \(Self.restrictKey(a))") }
        let flags = remaining.isEmpty ? "" : " " + remaining.text
        record(i, line: "restrict \(Self.restrictKey(a))\(flags)")
        return Output()
    }

    func discard(_ i: Invocation) -> Output {
        let a = i.arguments
        var m = admin.monitorSettings()
        if let v = a.int("average") { m.average = v }
        if let v = a.int("minimum") { m.minimum = v }
        if let v = a.int("monitor") { m.monitor = v }
        admin.setMonitorSettings(m)
        record(i)
        return Output()
    }

    /// The network(s) a restrict line names: `default` is both families (as ntpd 4.2.8), `-4`/`-6`
    /// one; an address alone is a host; `mask` must be contiguous.
    func restrictTargets(_ a: Arguments) -> Result<[(IPAddress, Int)], AdminError> {
        let family = a.string("family")
        if a.flag("default") {
            switch family {
            case "-4": return .success([(.anyIPv4, 0)])
            case "-6": return .success([(.anyIPv6, 0)])
            default: return .success([(.anyIPv4, 0), (.anyIPv6, 0)])
            }
        }
        if let p = a.prefix("prefix"), let ip = IPAddress(p.address) { return .success([(ip, p.length)]) }
        guard let text = a.string("address"), let ip = IPAddress(text) else { return .failure(AdminError("restrict needs an address")) }
        guard let maskText = a.string("mask") else { return .success([(ip, ip.bitWidth)]) }
        guard let mask = IPAddress(maskText), mask.isIPv4 == ip.isIPv4 else {
            return .failure(AdminError("mask \(maskText) is not a \(ip.isIPv4 ? "IPv4" : "IPv6") mask"))
        }
        guard let length = mask.maskPrefixLength else { return .failure(AdminError("mask \(maskText) is not contiguous")) }
        return .success([(ip, length)])
    }

    /// A restrict line's target as written: its running-configuration key.
    static func restrictKey(_ a: Arguments) -> String {
        let family = a.string("family").map { $0 + " " } ?? ""
        if a.flag("default") { return family + "default" }
        if a.flag("source") { return "source" }
        if let p = a.prefix("prefix") { return "\(p.address)/\(p.length)" }
        let mask = a.string("mask").map { " mask \($0)" } ?? ""
        return (a.string("address") ?? "") + mask
    }

    func restrictionsView(_ i: Invocation) -> Output {
        let json = i.wantsJSON
        let entries = admin.restrictions()
        if let text = i.arguments.string("match") {
            guard let ip = IPAddress(text) else { return .failure("\(text) is not an address") }
            var list = RestrictList()
            for e in entries.reversed() { list.set(e) }
            guard let index = list.match(ip) else {
                return json ? jsonOut(.object([("address", .string(text)), ("entry", .null), ("flags", .array([]))]))
                    : Output(text: "\(text): no restrict entry applies; nothing is restricted\n")
            }
            let e = list.entries[index]
            if json {
                return jsonOut(.object([("address", .string(text)), ("entry", .string(e.target)),
                                        ("flags", .array(e.flags.text.split(separator: " ").map { .string(String($0)) }))]))
            }
            return Output(text: "\(text): restrict \(e.target)\(e.flags.isEmpty ? "" : " " + e.flags.text)\n")
        }
        if json {
            return jsonOut(.array(entries.map { e in
                .object([("entry", .string(e.target)), ("hits", .uint(e.hits)),
                         ("flags", .array(e.flags.text.split(separator: " ").map { .string(String($0)) }))])
            }))
        }
        var out = "      hits  entry                                      flags\n"
        for e in entries {
            let hits = String(e.hits)
            let target = e.target
            out += String(repeating: " ", count: max(0, 10 - hits.count)) + hits + "  " + target
                + String(repeating: " ", count: max(1, 43 - target.count)) + e.flags.text + "\n"
        }
        return Output(text: out)
    }
}
