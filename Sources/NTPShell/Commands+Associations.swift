// The association commands: `server`, `pool`, `peer`, their `no`, and `fudge` of the local
// clock. Each declaration carries its syntax, handler and attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPEngine

enum AssociationCommands {
    @CommandBuilder static var declarations: [GrammarDeclaration] {
        Command("server", help: "Add an upstream NTP server (a unicast client association)", .directive,
                identity: .argument("server", "host"), run: { $0.addAssociation($1, kind: .server) }) {
            Argument(.host, name: "ADDRESS", help: "Server address or host name (127.127.1.0: the local clock)", key: "host", completion: "association")
            associationOptions()
        }
        Command("pool", help: "Add a pool: a name that resolves to several servers, replaced when they turn bad", .directive,
                identity: .argument("pool", "host"), run: { $0.addAssociation($1, kind: .pool) }) {
            Argument(.host, name: "NAME", help: "Pool host name", key: "host")
            associationOptions()
        }
        Command("peer", help: "Add a symmetric peer (mode 1; the other side answers in mode 2)", .directive,
                identity: .argument("peer", "host"), run: { $0.addAssociation($1, kind: .peer) }) {
            Argument(.host, name: "ADDRESS", help: "Peer address or host name", key: "host", completion: "association")
            associationOptions()
        }
        Command("no server", help: "Remove an upstream server", id: "no-server", .directive,
                identity: .argument("server", "host"), run: { $0.removeAssociation($1) }) {
            Argument(.host, name: "ADDRESS", help: "The server's configured address or name", key: "host", completion: "association")
        }
        Command("no pool", help: "Remove a pool and the servers it brought in", id: "no-pool", .directive,
                identity: .argument("pool", "host"), run: { $0.removeAssociation($1) }) {
            Argument(.host, name: "NAME", help: "The pool's name", key: "host", completion: "association")
        }
        Command("no peer", help: "Remove a symmetric peer", id: "no-peer", .directive,
                identity: .argument("peer", "host"), run: { $0.removeAssociation($1) }) {
            Argument(.host, name: "ADDRESS", help: "The peer's configured address or name", key: "host", completion: "association")
        }
        Command("fudge", help: "Set the local clock driver's stratum or refid", .directive,
                identity: .argument("fudge", "address"), run: { $0.fudge($1) }) {
            Argument(.address, name: "ADDRESS", help: "The reference clock address (127.127.1.0)", key: "address")
            Options {
                Option("stratum", .integer(SettingRanges.stratum), name: "N", help: "Stratum the local clock claims")
                Option("refid", .word, name: "ID", help: "Reference ID, up to four characters")
                Option("time1", .offset(-1000...1000), name: "SECONDS", help: "Offset added to the clock's time")
                Option("time2", .offset(-1000...1000), name: "SECONDS", help: "Driver-specific second offset")
                Option("flag1", .integer(0...1), name: "BIT", help: "Driver flag 1")
                Option("flag2", .integer(0...1), name: "BIT", help: "Driver flag 2")
                Option("flag3", .integer(0...1), name: "BIT", help: "Driver flag 3")
                Option("flag4", .integer(0...1), name: "BIT", help: "Driver flag 4")
            }
        }
    }

    static func associationOptions() -> Syntax {
        Options {
            Flag("iburst", help: "Send a burst of eight packets when unreachable (faster start)")
            Flag("burst", help: "Send a burst of eight packets at every poll")
            Flag("prefer", help: "Prefer this source when it survives selection")
            Flag("noselect", help: "Poll and show, but never select")
            Flag("true", help: "Always a truechimer (accepted; treated as prefer)")
            Option("minpoll", .integer(SettingRanges.poll), name: "EXPONENT", help: "Minimum poll interval, log2 s (6 = 64 s)")
            Option("maxpoll", .integer(SettingRanges.poll), name: "EXPONENT", help: "Maximum poll interval, log2 s (10 = 1024 s)")
            Option("version", .integer(SettingRanges.version), name: "N", help: "NTP version to send (4)")
            Option("port", .integer(1...65535), name: "PORT", help: "Server UDP port (123)")
            Option("key", .integer(SettingRanges.keyID), name: "KEYID", help: "Authenticate with this key", completion: "keyid")
            Flag("nts", help: "Authenticate with NTS (RFC 8915): keys and cookies from NTS-KE, the certificate checked (nts ca)")
            Option("ntsport", .integer(1...65535), name: "PORT", help: "The server's NTS-KE TCP port (4460)")
            Option("mode", .integer(0...255), name: "N", help: "Driver mode (reference clocks)")
            Flag("xleave", help: "Interleaved mode (RFC 9769): the server's or peer's kernel transmit timestamps")
        }.syntax
    }
}

extension CommandRunner {
    /// `server|pool|peer HOST [options]`: one trip; the node replaces an association already
    /// configured with HOST.
    func addAssociation(_ i: Invocation, kind: AssociationConfiguration.Kind) -> Output {
        let a = i.arguments
        var c = AssociationConfiguration(kind: kind, host: a.string("host") ?? "")
        c.iburst = a.flag("iburst")
        c.burst = a.flag("burst")
        c.xleave = a.flag("xleave")
        c.prefer = a.flag("prefer") || a.flag("true")
        c.noselect = a.flag("noselect")
        if let v = a.int("minpoll") { c.minPoll = Int8(v) }
        if let v = a.int("maxpoll") { c.maxPoll = Int8(v) }
        if c.maxPoll < c.minPoll { c.maxPoll = c.minPoll }
        if let v = a.int("version") { c.version = UInt8(v) }
        if let v = a.int("port") { c.port = UInt16(v) }
        if let key = a.int("key") { c.key = UInt32(key) }
        if let refusal = ntsAssociation(a, into: &c) { return refusal }
        _ = admin.replaceAssociation(c)
        record(i)
        return Output()
    }

    /// `no server|pool|peer HOST`.
    func removeAssociation(_ i: Invocation) -> Output {
        let host = i.arguments.string("host") ?? ""
        let removed = admin.removeAssociations(host: host)
        forget(i)
        return removed > 0 ? Output() : .failure("no association for \(host)")
    }

    /// `fudge 127.127.1.u [stratum N] …`: only the stratum of the local clock takes effect.
    func fudge(_ i: Invocation) -> Output {
        let a = i.arguments
        guard let address = a.string("address"), AssociationConfiguration.isLocalClockAddress(address) else {
            return .failure("fudge applies to the local clock (127.127.1.u) only")
        }
        if let s = a.int("stratum") { admin.setLocalClockStratum(UInt8(s)) }
        record(i)
        return Output()
    }
}
