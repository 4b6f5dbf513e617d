// The shell's NTS words (NTPsec's ntp.conf syntax): `nts enable|disable`, `nts cert|key|cookie|ca
// FILE`, `nts mintls TLS1.3`, `nts aead NAME…`, `nts port|listen|rotate`; the views `show nts`
// and `ntsinfo` (text and JSON). NTPAdmin's `NTSSettings` changed and handed to the engine whole.
import NTPAdmin
import CommandGrammar
import NTPWire
import NTPEngine

extension CommandRunner {
    /// One `nts …` word, `show nts` or `ntsinfo`.
    func nts(_ p: ParsedCommand, line: String, json: Bool) -> Output {
        let a = p.arguments
        switch p.id {
        case "show-nts": return Output(text: NTSView.show(admin.ntsReport(), json: json))
        case "ntsinfo": return Output(text: NTSView.info(admin.ntsReport()?.counters ?? NTSCounters(), json: json))
        default: break
        }
        var settings = admin.ntsReport()?.settings ?? NTSSettings()
        let word = String(p.id.dropFirst("nts-".count))
        switch word {
        case "enable", "disable": settings.enabled = word == "enable"
        case "cert": settings.certificate = a.string("file")
        case "key": settings.key = a.string("file")
        case "cookie": settings.cookieFile = a.string("file")
        case "ca": settings.ca = a.string("file")
        case "mintls": settings.minTLS = a.string("version") ?? "TLS1.3"
        case "aead": settings.aead = a.strings("aead")
        case "port": settings.port = UInt16(a.int("port") ?? 4460)
        case "listen": settings.listen = a.string("address") ?? "0.0.0.0"
        case "rotate": settings.rotationInterval = a.double("interval") ?? 86400
        default: return .failure("nts: unknown word \(word)")
        }
        do {
            let note = try admin.setNTS(settings)
            running.set(id: "nts", key: word == "disable" ? "enable" : word, line: canonical(line), origin: currentOrigin)
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
                ("aead", .array(s.aead.map(JSONValue.string))), ("port", .uint(UInt64(s.port))), ("listen", .string(s.listen)),
                ("rotate", .double(s.rotationInterval)),
            ])
            let associations: [JSONValue] = r.associations.map { a in
                .object([("host", .string(a.host)), ("ntp_server", a.ntpServer.map(JSONValue.string) ?? .null),
                         ("cookies", .int(Int64(a.cookies))), ("last_ke", a.lastKE.map(JSONValue.double) ?? .null),
                         ("ke_failures", .int(Int64(a.keFailures))), ("last_failure", a.lastFailure.map(JSONValue.string) ?? .null),
                         ("accepted", .uint(a.accepted)), ("refused", .uint(a.refused)), ("naks", .uint(a.naks))])
            }
            return JSONValue.object([
                ("settings", settings), ("serving", .bool(r.serving)), ("problem", r.problem.map(JSONValue.string) ?? .null),
                ("ke_port", r.kePort.map { .uint(UInt64($0)) } ?? .null), ("master_keys", .int(Int64(r.masterKeys))),
                ("newest_key_age", r.newestKeyAge.map(JSONValue.double) ?? .null),
                ("ke_refused_busy", .uint(r.keRefusedBusy)), ("ke_timeouts", .uint(r.keTimeouts)),
                ("counters", .object(r.counters.variables.map { ($0.name, .uint($0.value)) })),
                ("associations", .array(associations)),
            ]).rendered(pretty: true) + "\n"
        }
        var out = ""
        let state = r.serving ? "serving" : s.enabled ? "enabled, not serving: \(r.problem ?? "starting")" : "disabled"
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
        out += "CA for servers:  \(s.ca ?? "the system's trust store")\n"
        if r.serving {
            out += "NTS-KE refused:  \(r.keRefusedBusy) busy, \(r.keTimeouts) timed out\n"
        }
        let c = r.counters
        out += "NTP server:      \(c.serverReceiveGood) authentic, \(c.serverReceiveBad) refused (\(c.cookieDecodeError) bad cookie, "
            + "\(c.cookieDecodeTooOld) cookie too old, \(c.authenticatorFailures) bad authenticator), \(c.naksSent) NAKs sent\n"
        for a in r.associations {
            out += "\(a.host): \(a.cookies) cookies, "
                + (a.lastKE.map { "KE \(formatFixed($0, 0)) s ago" } ?? "no KE yet")
                + ", \(a.keFailures) KE failures\(a.lastFailure.map { " (last: \($0))" } ?? ""), "
                + "\(a.accepted) accepted, \(a.refused) refused, \(a.naks) NAKs\n"
        }
        return out
    }
}
