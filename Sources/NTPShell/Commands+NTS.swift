// The NTS commands (NTPsec's ntp.conf words): `nts enable|disable`, `nts cert|key|cookie|ca
// FILE`, `nts mintls|maxtls TLS1.3`, `nts tlsciphersuites|tlsecdhcurves LIST`, `nts aead NAME…`, ntpsh's `nts port|listen|rotate`; the views
// `show nts` and `ntsinfo` (text and JSON); `server|pool HOST nts [ntsport N]`'s check. Each
// declaration carries its syntax, handler and attributes; NTPAdmin's `NTSSettings` is changed
// and handed to the engine whole.
import NTPAdmin
import CommandGrammar
import NTPWire
import NTPEngine

enum NTSCommands {
    @CommandBuilder static var directives: [GrammarDeclaration] {
        Group("nts", help: "Network Time Security: the NTS-KE server and the CA for NTS servers")
        Command("nts enable", help: "Serve NTS-KE and NTS-protected NTP (needs nts cert and nts key)", id: "nts-enable",
                .directive, identity: .single("nts enable"), run: { $0.nts($1) })
        Command("nts disable", help: "Stop serving NTS (plain NTP is still served)", id: "nts-disable",
                .directive, identity: .single("nts enable"), run: { $0.nts($1) })
        file("cert", help: "The NTS-KE server's certificate chain (PEM)", argument: "Certificate chain file")
        file("key", help: "The private key of nts cert (PEM)", argument: "Private key file")
        file("cookie", help: "File keeping the cookie master keys across restarts (written mode 0600)", argument: "Cookie key file")
        file("ca", help: "CA certificates NTS servers (server HOST nts) are verified against (default: the system's)",
             argument: "CA bundle file (PEM)")
        Command("nts mintls", help: "Lowest TLS version for NTS-KE (only TLS1.3: RFC 8915 requires it)", id: "nts-mintls",
                .directive, identity: .single("nts mintls"), run: { $0.nts($1) }) {
            Keyword("TLS1.3", help: "TLS 1.3", key: "version")
        }
        Command("nts maxtls", help: "Highest TLS version for NTS-KE (only TLS1.3: RFC 8915 requires it)", id: "nts-maxtls",
                .directive, identity: .single("nts maxtls"), run: { $0.nts($1) }) {
            Keyword("TLS1.3", help: "TLS 1.3", key: "version")
        }
        Command("nts tlsciphersuites", help: "TLS 1.3 cipher suites NTS-KE allows (OpenSSL list; the server's order then wins)",
                id: "nts-tlsciphersuites", .directive, identity: .single("nts tlsciphersuites"), run: { $0.nts($1) }) {
            Argument(.word, name: "LIST", help: "Colon-separated, e.g. TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", key: "list")
        }
        Command("nts tlsecdhcurves", help: "Key-exchange groups NTS-KE allows (OpenSSL list)", id: "nts-tlsecdhcurves",
                .directive, identity: .single("nts tlsecdhcurves"), run: { $0.nts($1) }) {
            Argument(.word, name: "LIST", help: "Colon-separated, e.g. X25519:P-256", key: "list")
        }
        Command("nts aead", help: "AEAD algorithms offered and accepted, in preference order", id: "nts-aead",
                .directive, identity: .single("nts aead"), run: { $0.nts($1) }) {
            OneOrMore { OneOf {
                Keyword("AES_SIV_CMAC_256", help: "AES-SIV-CMAC with a 256-bit key (RFC 5297; every NTS implementation)", key: "aead")
                Keyword("AES_SIV_CMAC_512", help: "AES-SIV-CMAC with a 512-bit key", key: "aead")
            } }
        }
        Command("nts port", help: "TCP port of the NTS-KE server (4460)", id: "nts-port",
                .directive, identity: .single("nts port"), run: { $0.nts($1) }) {
            Argument(.integer(1...65535), name: "PORT", help: "TCP port", key: "port")
        }
        Command("nts listen", help: "Address the NTS-KE server listens on (0.0.0.0)", id: "nts-listen",
                .directive, identity: .single("nts listen"), run: { $0.nts($1) }) {
            Argument(.address, name: "ADDRESS", help: "Local address", key: "address")
        }
        Command("nts rotate", help: "How often a new cookie master key is made (1d; three are kept)", id: "nts-rotate",
                .directive, identity: .single("nts rotate"), run: { $0.nts($1) }) {
            Argument(.duration(10...1e8), name: "DURATION", help: "Rotation interval (e.g. 1d, 12h)", key: "interval")
        }
    }

    /// `nts WORD FILE`.
    static func file(_ word: String, help: String, argument: String) -> Command {
        Command("nts \(word)", help: help, id: "nts-\(word)", .directive, identity: .single("nts \(word)"), run: { $0.nts($1) }) {
            Argument(.path, name: "FILE", help: argument, key: "file", completion: "path")
        }
    }

    @CommandBuilder static var views: [GrammarDeclaration] {
        Command("show nts", help: "NTS: the server's settings and state, the counters, each NTS association", id: "show-nts",
                .report, json: true, run: { r, i in CommandRunner.Output(text: NTSView.show(r.admin.ntsReport(), json: i.wantsJSON)) }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("ntsinfo", help: "NTS counters (as ntpq -c ntsinfo)", .view, json: true, run: { r, i in
            CommandRunner.Output(text: NTSView.info(r.admin.ntsReport()?.counters ?? NTSCounters(), json: i.wantsJSON))
        }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
    }
}

extension CommandRunner {
    /// One `nts …` directive: the settings changed, handed to the engine, recorded.
    func nts(_ i: Invocation) -> Output {
        let a = i.arguments
        var settings = admin.ntsReport()?.settings ?? NTSSettings()
        switch i.id {
        case "nts-enable", "nts-disable": settings.enabled = i.id == "nts-enable"
        case "nts-cert": settings.certificate = a.string("file")
        case "nts-key": settings.key = a.string("file")
        case "nts-cookie": settings.cookieFile = a.string("file")
        case "nts-ca": settings.ca = a.string("file")
        case "nts-mintls": settings.minTLS = a.string("version") ?? "TLS1.3"
        case "nts-maxtls": settings.maxTLS = a.string("version") ?? "TLS1.3"
        case "nts-tlsciphersuites": settings.tlsCipherSuites = a.string("list")
        case "nts-tlsecdhcurves": settings.tlsCurves = a.string("list")
        case "nts-aead": settings.aead = a.strings("aead")
        case "nts-port": settings.port = UInt16(a.int("port") ?? 4460)
        case "nts-listen": settings.listen = a.string("address") ?? "0.0.0.0"
        default: settings.rotationInterval = a.double("interval") ?? 86400  // nts-rotate
        }
        do {
            let note = try admin.setNTS(settings)
            record(i)
            return Output(text: note)
        } catch {
            return .failure(error.description)
        }
    }
}

extension CommandRunner {
    /// `server|pool HOST nts [ntsport N]`: the association's NTS-KE port; nil, or why refused.
    func ntsAssociation(_ a: Arguments, into c: inout AssociationConfiguration) -> Output? {
        guard a.flag("nts") else {
            return a.int("ntsport") == nil ? nil : .failure("ntsport: only with nts")
        }
        if c.key != nil { return .failure("nts and key do not combine: NTS authenticates the association") }
        if c.kind == .peer { return .failure("nts: RFC 8915 protects client-server mode only, not peer") }
        c.ntsKEPort = UInt16(a.int("ntsport") ?? 4460)
        return nil
    }
}

/// `show nts` and `ntsinfo` as text and JSON.
enum NTSView {
    /// NTPsec's `ntpq -c ntsinfo` legends, in the order of ``NTSCounters/variables``.
    static let legends = [
        "NTS client sends:          ", "NTS client recvs good:     ", "NTS client recvs w error:  ",
        "NTS server recvs good:     ", "NTS server recvs w error:  ", "NTS server sends:          ",
        "NTS make cookies:          ", "NTS decode cookies:        ", "NTS decode cookies old:    ",
        "NTS decode cookies old2:   ", "NTS decode cookies older:  ", "NTS decode cookies too old:",
        "NTS decode cookies error:  ", "NTS KE client probes good: ", "NTS KE client probes bad:  ",
        "NTS KE serves good:        ", "NTS KE serves bad:         ",
    ]

    static func info(_ c: NTSCounters, json: Bool) -> String {
        if json {
            return JSONValue.object(c.variables.map { ($0.name, .uint($0.value)) }).rendered(pretty: true) + "\n"
        }
        return zip(legends, c.variables).map { "\($0) \($1.value)\n" }.joined()
    }

    static func show(_ report: NTSReport?, json: Bool) -> String {
        guard let r = report else { return json ? "null\n" : "NTS: not available in this engine\n" }
        let s = r.settings
        if json {
            let settings: JSONValue = .object([
                ("enabled", .bool(s.enabled)), ("cert", s.certificate.map(JSONValue.string) ?? .null),
                ("key", s.key.map(JSONValue.string) ?? .null), ("cookie", s.cookieFile.map(JSONValue.string) ?? .null),
                ("ca", s.ca.map(JSONValue.string) ?? .null), ("mintls", .string(s.minTLS)),
                ("maxtls", s.maxTLS.map(JSONValue.string) ?? .null),
                ("tlsciphersuites", s.tlsCipherSuites.map(JSONValue.string) ?? .null),
                ("tlsecdhcurves", s.tlsCurves.map(JSONValue.string) ?? .null),
                ("aead", .array(s.aead.map(JSONValue.string))), ("port", .uint(UInt64(s.port))), ("listen", .string(s.listen)),
                ("rotate", .double(s.rotationInterval)),
            ])
            let associations: [JSONValue] = r.associations.map { NTSView.json($0) }
            return JSONValue.object([
                ("settings", settings), ("serving", .bool(r.serving)), ("problem", r.problem.map(JSONValue.string) ?? .null),
                ("ke_port", r.kePort.map { .uint(UInt64($0)) } ?? .null), ("master_keys", .int(Int64(r.masterKeys))),
                ("newest_key_age", r.newestKeyAge.map(JSONValue.double) ?? .null),
                ("ke_refused_busy", .uint(r.keRefusedBusy)), ("ke_timeouts", .uint(r.keTimeouts)),
                ("counters", .object(r.counters.variables.map { ($0.name, .uint($0.value)) })),
                ("associations", .array(associations)), ("client_trust", r.clientTrust.map(JSONValue.string) ?? .null),
            ]).rendered(pretty: true) + "\n"
        }
        var out = ""
        let state = r.serving ? "serving" : s.enabled ? "enabled, not serving: \(r.problem ?? "starting")"
            : "disabled" + (r.problem.map { " (\($0))" } ?? "")
        out += "NTS server:      \(state)\n"
        if let port = r.kePort { out += "NTS-KE:          \(s.listen) port \(port), TLS 1.3, ALPN ntske/1\n" }
        out += "certificate:     \(s.certificate ?? "-")\n"
        out += "private key:     \(s.key ?? "-")\n"
        out += "cookie keys:     \(s.cookieFile ?? "in memory")"
        if r.masterKeys > 0 {
            out += ", \(r.masterKeys) master key\(r.masterKeys == 1 ? "" : "s"), newest \(formatFixed(r.newestKeyAge ?? 0, 0)) s old"
        }
        out += ", a new one every \(formatFixed(s.rotationInterval, 0)) s\n"
        out += "AEAD:            \(s.aead.joined(separator: " "))\n"
        if s.tlsCipherSuites != nil || s.tlsCurves != nil {
            out += "TLS:             cipher suites \(s.tlsCipherSuites ?? "OpenSSL's default"), groups \(s.tlsCurves ?? "OpenSSL's default")\n"
        }
        out += "CA for servers:  \(s.ca ?? r.clientTrust ?? "the system's trust store")\n"
        if r.serving {
            out += "NTS-KE refused:  \(r.keRefusedBusy) busy, \(r.keTimeouts) timed out\n"
        }
        let c = r.counters
        out += "NTP server:      \(c.serverReceiveGood) authentic, \(c.serverReceiveBad) refused (\(c.cookieDecodeError) bad cookie, "
            + "\(c.cookieDecodeTooOld) cookie too old, \(c.authenticatorFailures) bad authenticator), \(c.naksSent) NAKs sent\n"
        for a in r.associations { out += "\(a.host): " + line(a) + "\n" }
        return out
    }

    /// One NTS association's state in words (`show nts`, `associations`, `rv ASSOC`).
    /// KE failures and refused replies each with its own last reason: the KE's while it
    /// fails (or no cookie is held), the refusal's once a reply was refused.
    static func line(_ a: NTSAssociationState) -> String {
        let (keWhy, refusal) = reasons(a)
        return "\(a.cookies) cookies, " + (a.lastKE.map { "KE \(formatFixed($0, 0)) s ago" } ?? "no KE yet")
            + ", \(a.keFailures) KE failures"
            + (keWhy.map { a.keFailures > 0 || a.cookies == 0 ? " (last: \($0))" : "" } ?? "")
            + ", \(a.accepted) accepted, \(a.refused) refused" + (refusal.map { a.refused > 0 ? " (last: \($0))" : "" } ?? "")
            + ", \(a.naks) NAKs"
    }

    /// The last KE failure and the last refusal; from an engine older than those fields, taken
    /// apart from its one `lastFailure`.
    static func reasons(_ a: NTSAssociationState) -> (keyEstablishment: String?, refusal: String?) {
        guard a.lastKEFailure == nil && a.lastRefusal == nil, let last = a.lastFailure else { return (a.lastKEFailure, a.lastRefusal) }
        let refused = "reply refused: "
        return last.hasPrefix(refused) ? (nil, String(last.dropFirst(refused.count))) : (last, nil)
    }

    static func json(_ a: NTSAssociationState) -> JSONValue {
        .object([("host", .string(a.host)), ("ntp_server", a.ntpServer.map(JSONValue.string) ?? .null),
                 ("cookies", .int(Int64(a.cookies))), ("last_ke", a.lastKE.map(JSONValue.double) ?? .null),
                 ("ke_failures", .int(Int64(a.keFailures))), ("last_failure", a.lastFailure.map(JSONValue.string) ?? .null),
                 ("accepted", .uint(a.accepted)), ("refused", .uint(a.refused)), ("naks", .uint(a.naks)),
                 ("last_ke_failure", a.lastKEFailure.map(JSONValue.string) ?? .null),
                 ("last_refusal", a.lastRefusal.map(JSONValue.string) ?? .null)])
    }

    /// The NTS state of `peer`'s association, if it uses NTS.
    static func state(of peer: PeerReport, in report: NTSReport?) -> NTSAssociationState? {
        report?.associations.first { $0.host == peer.host }
    }

    /// `associations`: after ntpq's table, a line per NTS association.
    static func associationLines(_ peers: [PeerReport], _ report: NTSReport?) -> String {
        let lines = peers.compactMap { p in state(of: p, in: report).map { "NTS \(p.id.rawValue) \(p.host): " + line($0) + "\n" } }
        return lines.isEmpty ? "" : "\n" + lines.joined()
    }

    /// A JSON object (an association's entry, `rv ASSOC json`) with its `nts` state added.
    static func adding(_ state: NTSAssociationState?, to value: JSONValue) -> JSONValue {
        guard let state, case .object(let pairs) = value else { return value }
        return .object(pairs + [("nts", json(state))])
    }
}
