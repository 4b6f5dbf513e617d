import Foundation
import NTPNTS
import NTPNTSNetwork
import NTPWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The ntpsh daemon (`--clock observe`) as an NTS server configured with NTPsec's `nts` words:
/// chronyd 4.3 measures through it; our KE client and hand-made requests check cookies under
/// old master keys, bad cookies and forged authenticators, each counted.
@Suite("NTS: the ntpsh daemon as an NTS server", .serialized)
struct NTSDaemonTests {
    /// A daemon serving the local clock at stratum 10 with NTS on loopback.
    struct Server {
        let daemon: Background
        let dir: String, socket: String, cookieFile: String
        let ntpPort: UInt16, kePort: UInt16

        init(_ pki: TestPKI, cookieText: String? = nil, extra: String = "") throws {
            dir = try temporaryDirectory()
            socket = dir + "/ntpsh.sock"
            cookieFile = dir + "/cookies"
            if let cookieText { try cookieText.write(toFile: cookieFile, atomically: true, encoding: .utf8) }
            ntpPort = try freeUDPPort()
            kePort = try freeTCPPort()
            let conf = try writeTemp(Self.configuration(pki, kePort: kePort, extra: "nts cookie \(cookieFile)\nnts listen 127.0.0.1\n" + extra))
            daemon = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(ntpPort),
                                                     "-c", conf, "--control-socket", socket])
            try daemon.waitUntil(timeout: 10, "the NTS-KE server") { [kePort, daemon] in
                daemon.stderr.contains("NTS: NTS-KE on 127.0.0.1 port \(kePort)")
            }
        }

        /// The local clock at stratum 10, served with NTS (NTS-KE on `kePort`). Every setting
        /// comes before the line that completes `nts enable` + cert + key, so the KE server starts
        /// once: each later `nts` line would restart it, and a client that connected after the
        /// first start's log line could meet the port closed between two starts.
        static func configuration(_ pki: TestPKI, kePort: UInt16, extra: String = "") -> String {
            """
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            nts port \(kePort)
            \(extra)
            nts cert \(pki.certificate)
            nts key \(pki.key)
            nts enable
            """
        }

        /// `show nts json` through the control socket.
        func report() throws -> [String: Any] {
            let r = try run(ntpshBinary(), ["--attach", socket, "-e", "show nts json"], timeout: 20)
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
            return try #require(object as? [String: Any], "show nts json: \(r.stdout) \(r.stderr)")
        }

        func counter(_ name: String) throws -> Int {
            let counters = try #require(try report()["counters"] as? [String: Any])
            return try #require(counters[name] as? Int, "no counter \(name)")
        }
    }

    @Test("chronyd 4.3 -Q through NTS to the ntpsh daemon: KE done, every request NTS, offset under 1 ms; the counters and the cookie file (0600) show it")
    func chronydThroughDaemon() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try Server(pki)
        defer { server.daemon.stop() }
        let (value, _) = try chronydMeasuresThroughNTS(pki, ntpPort: server.ntpPort, kePort: server.kePort)
        let report = try server.report()
        print("chronyd -Q through NTS to the ntpsh daemon measured \(value) s; \(report)")
        #expect(abs(value) < 0.001, "chronyd measured \(value) s")
        let good = try server.counter("nts_server_recv_good")
        let bad = try server.counter("nts_server_recv_bad")
        #expect(good >= 3 && bad == 0)
        #expect(try server.counter("nts_server_send") == good)
        #expect(try server.counter("nts_ke_serves_good") >= 1)
        #expect(report["serving"] as? Bool == true)
        var st = stat()
        #expect(stat(server.cookieFile, &st) == 0 && st.st_mode & 0o777 == 0o600, "cookie file mode \(String(st.st_mode & 0o777, radix: 8))")
        let info = try run(ntpshBinary(), ["--attach", server.socket, "-e", "ntsinfo"], timeout: 20)
        #expect(info.stdout.contains("NTS server recvs good:      \(good)\n"), "\(info.stdout)")
    }

    /// An NTS request made by hand: a header with `transmit`, our client state's fields.
    static func exchange(_ state: inout NTSClientState, port: UInt16, tamper: ((inout [UInt8]) -> Void)? = nil) throws -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 48)
        header[0] = 0x23
        for i in 40 ..< 48 { header[i] = UInt8.random(in: 0 ... 255) }
        var random = SystemRandomNumberGenerator()
        var request = try #require(state.request(header: header, using: &random))
        tamper?(&request)
        let udp = try UDPClient(bindTo: "127.0.0.1")
        try udp.send(request, to: "127.0.0.1", port: port)
        return try #require(udp.receive(timeout: 3), "no answer from the daemon")
    }

    static func isNAK(_ response: [UInt8]) -> Bool { response[1] == 0 && Array(response[12 ..< 16]) == Array("NTSN".utf8) }

    @Test("a cookie under the previous master key is accepted (counted old); a bad cookie and a forged authenticator get NTS NAKs, counted")
    func refusalsAndOldKeys() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        // A key file whose only key is two days old: at start it rotates (the file gains a key)
        // and the old key still opens cookies.
        var random = SystemRandomNumberGenerator()
        let old = NTSCookieKeys(now: Date().timeIntervalSince1970 - 2 * 86400, using: &random)
        let server = try Server(pki, cookieText: old.fileText)
        defer { server.daemon.stop() }
        let lines = try String(contentsOfFile: server.cookieFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == old.fileText.dropLast(), "\(lines)")

        let ke = try NTSKEClient.establish(host: "localhost", port: server.kePort, caFile: pki.ca, timeout: 5)
        #expect(ke.cookies.count == 8 && ke.port == server.ntpPort)
        var state = NTSClientState(session: ke.session, cookies: ke.cookies)
        let good = try Self.exchange(&state, port: server.ntpPort)
        #expect(state.accept(good) == .authentic(newCookies: 1))
        #expect(good[1] == 11, "stratum: \(good[1])")

        // A cookie for the same session sealed under the old key: authentic, counted as old.
        var withOld = NTSClientState(session: ke.session, cookies: [NTSCookie.make(ke.session, keys: old, using: &random)])
        #expect(withOld.accept(try Self.exchange(&withOld, port: server.ntpPort)) == .authentic(newCookies: 8))
        #expect(try server.counter("nts_cookie_decode_old") == 1)

        // A cookie that does not open (one bit of its ciphertext changed): a NAK, the client
        // drops its cookies. One under a key never ours: a NAK, counted as too old.
        var damaged = ke.cookies[7]
        damaged[damaged.count - 1] ^= 1
        var bad = NTSClientState(session: ke.session, cookies: [damaged])
        let nak = try Self.exchange(&bad, port: server.ntpPort)
        #expect(Self.isNAK(nak) && bad.accept(nak) == .nak && bad.needsKeyEstablishment)
        var unknown = NTSClientState(session: ke.session, cookies: [[UInt8](repeating: 7, count: ke.cookies[0].count)])
        #expect(Self.isNAK(try Self.exchange(&unknown, port: server.ntpPort)))
        // A forged authenticator (last byte of the tag changed): a NAK too, counted apart.
        let forged = try Self.exchange(&state, port: server.ntpPort) { $0[$0.count - 1] ^= 1 }
        #expect(Self.isNAK(forged))
        let report = try server.report()
        let counters = try #require(report["counters"] as? [String: Any])
        #expect(counters["nts_server_recv_good"] as? Int == 2)
        #expect(counters["nts_server_recv_bad"] as? Int == 3)
        #expect(counters["nts_cookie_decode_error"] as? Int == 1)
        #expect(counters["nts_cookie_decode_too_old"] as? Int == 1)
        let shown = try run(ntpshBinary(), ["--attach", server.socket, "-e", "show nts"], timeout: 20).stdout
        #expect(shown.contains("2 authentic, 3 refused (1 bad cookie, 1 cookie too old, 1 bad authenticator), 3 NAKs sent"), "\(shown)")
        #expect(shown.contains("2 master keys"), "\(shown)")
        // A plain request is still answered as before (48 bytes).
        let udp = try UDPClient(bindTo: "127.0.0.1")
        var plain = [UInt8](repeating: 0, count: 48)
        plain[0] = 0x23
        try udp.send(plain, to: "127.0.0.1", port: server.ntpPort)
        #expect(udp.receive(timeout: 3)?.count == 48)
    }

    /// `sysstats json`'s counter `name`.
    static func serverCounter(_ socket: String, _ name: String) throws -> Int {
        let r = try run(ntpshBinary(), ["--attach", socket, "-e", "sysstats json"], timeout: 20)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        return try #require(object[name] as? Int, "no \(name) in \(r.stdout)")
    }

    @Test("rate-limited and restricted NTS requests are dropped before any cookie is opened (the NTS counters do not move)")
    func restrictBeforeDecrypt() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try Server(pki, extra: "restrict 127.0.0.1 limited\ndiscard minimum 3 average 5")
        defer { server.daemon.stop() }
        let ke = try NTSKEClient.establish(host: "localhost", port: server.kePort, caFile: pki.ca, timeout: 5)
        // A burst of six authentic requests from one address: the first is answered, the others
        // are over the limit and dropped (no KoD: the restrict entry has no kod).
        let udp = try UDPClient(bindTo: "127.0.0.1")
        var random = SystemRandomNumberGenerator()
        var state = NTSClientState(session: ke.session, cookies: ke.cookies)
        for _ in 0 ..< 6 {
            var header = [UInt8](repeating: 0, count: 48)
            header[0] = 0x23
            for i in 40 ..< 48 { header[i] = UInt8.random(in: 0 ... 255) }
            try udp.send(try #require(state.request(header: header, using: &random)), to: "127.0.0.1", port: server.ntpPort)
        }
        var answered = 0
        while let reply = udp.receive(timeout: 1) {
            #expect(!Self.isNAK(reply) && reply.count > 48)
            answered += 1
        }
        let limited = try Self.serverCounter(server.socket, "rate_limited")
        #expect(answered >= 1 && answered < 6 && limited == 6 - answered, "answered \(answered), rate limited \(limited)")
        // Only the answered requests cost a cookie open.
        #expect(try server.counter("nts_cookie_decode") == answered)
        #expect(try server.counter("nts_server_recv_good") == answered)

        // Refused outright (noserve): a request with a damaged cookie (which would cost an open
        // and a NAK) gets nothing, and no NTS counter moves.
        let r = try run(ntpshBinary(), ["--attach", server.socket, "-e", "restrict 127.0.0.1 noserve"], timeout: 20)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let restrictedBefore = try Self.serverCounter(server.socket, "restricted")
        var damaged = ke.cookies[7]
        damaged[damaged.count - 1] ^= 1
        var bad = NTSClientState(session: ke.session, cookies: [damaged])
        var header = [UInt8](repeating: 0, count: 48)
        header[0] = 0x23
        try udp.send(try #require(bad.request(header: header, using: &random)), to: "127.0.0.1", port: server.ntpPort)
        #expect(udp.receive(timeout: 1) == nil)
        #expect(try Self.serverCounter(server.socket, "restricted") == restrictedBefore + 1)
        #expect(try server.counter("nts_cookie_decode_error") == 0)
        #expect(try server.counter("nts_server_recv_bad") == 0)
    }

    @Test("nts tlsciphersuites and tlsecdhcurves apply to the KE server and client; bad lists and nts maxtls TLS1.2 are clear errors")
    func tlsLists() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try Server(pki, extra: "nts maxtls TLS1.3\nnts tlsciphersuites TLS_CHACHA20_POLY1305_SHA256\nnts tlsecdhcurves X25519")
        defer { server.daemon.stop() }
        // A client allowing what the server allows completes; one with no suite or no group in
        // common is refused by the handshake.
        let both = try NTSKEClient.establish(host: "localhost", port: server.kePort, caFile: pki.ca,
                                             tls: NTSTLSOptions(cipherSuites: "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"), timeout: 5)
        #expect(both.cookies.count == 8)
        #expect(throws: NTSKEFailure.self) {
            try NTSKEClient.establish(host: "localhost", port: server.kePort, caFile: pki.ca,
                                      tls: NTSTLSOptions(cipherSuites: "TLS_AES_128_GCM_SHA256"), timeout: 5)
        }
        #expect(throws: NTSKEFailure.self) {
            try NTSKEClient.establish(host: "localhost", port: server.kePort, caFile: pki.ca, tls: NTSTLSOptions(groups: "P-256"), timeout: 5)
        }
        let shown = try run(ntpshBinary(), ["--attach", server.socket, "-e", "show nts"], timeout: 20).stdout
        #expect(shown.contains("TLS:             cipher suites TLS_CHACHA20_POLY1305_SHA256, groups X25519"), "\(shown)")
        // Bad values: OpenSSL's refusal, named; TLS1.2 is not a version NTS allows.
        for (line, message) in [("nts tlsciphersuites TLS_NOPE", "nts tlsciphersuites TLS_NOPE: no TLS 1.3 cipher suite OpenSSL knows in the list"),
                                ("nts tlsecdhcurves X25519:NOPE", "nts tlsecdhcurves X25519:NOPE: a key-exchange group OpenSSL does not know in the list"),
                                ("nts maxtls TLS1.2", "TLS1.3")] {
            let r = try run(ntpshBinary(), ["--attach", server.socket, "-e", line], timeout: 20)
            #expect((r.stdout + r.stderr).contains(message), "\(line): \(r.stdout) \(r.stderr)")
        }
        // The KE server still runs with the lists it had.
        #expect(try server.report()["serving"] as? Bool == true)
    }

    @Test("configuration errors are clear: a missing certificate file, a malformed cookie file, nts enable alone waits for cert and key")
    func configurationErrors() throws {
        let dir = try temporaryDirectory()
        let conf = try writeTemp("nts enable\nnts cert /nonexistent/cert.pem\nnts key /nonexistent/key.pem\nnts port \(try freeTCPPort())\n")
        let r = try run(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(try freeUDPPort()), "-c", conf], timeout: 20)
        #expect(r.status != 0 && r.stderr.contains("cannot load the certificate"), "\(r.stderr)")
        try "not a key\n".write(toFile: dir + "/cookies", atomically: true, encoding: .utf8)
        let pki = try TestPKI()
        defer { pki.remove() }
        let conf2 = try writeTemp("nts cookie \(dir)/cookies\nnts cert \(pki.certificate)\nnts key \(pki.key)\nnts enable\n")
        let r2 = try run(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(try freeUDPPort()), "-c", conf2], timeout: 20)
        #expect(r2.status != 0 && r2.stderr.contains("nts cookie \(dir)/cookies: line 1 is not 'ID CREATED HEXKEY'"), "\(r2.stderr)")
        let shown = try run(ntpshBinary(), ["--clock", "observe", "--listen", "127.0.0.1", "--port", String(try freeUDPPort()), "-e", "nts enable", "-e", "show nts"], timeout: 20)
        #expect(shown.stdout.contains("NTS server:      enabled, not serving: no certificate (nts cert FILE)"), "\(shown.stdout) \(shown.stderr)")
    }
}

/// The ntpsh daemon as an NTS client (`server HOST nts`, `nts ca FILE`) of chronyd 4.3's NTS server.
@Suite("NTS: the ntpsh daemon as an NTS client of chronyd", .serialized)
struct NTSClientDaemonTests {
    /// An ntpsh daemon (`--clock observe`) with `configuration`, its control socket up.
    static func client(_ configuration: String) throws -> (Background, String) {
        let socket = try temporaryDirectory() + "/ntpsh.sock"
        let daemon = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(try freeUDPPort()),
                                                     "-c", try writeTemp(configuration), "--control-socket", socket])
        try daemon.waitUntil(timeout: 10, "the control socket") { daemon.stderr.contains("control socket \(socket)") }
        return (daemon, socket)
    }

    /// Reads one association's NTS state from `show nts json`.
    static func association(_ socket: String) throws -> [String: Any]? {
        let r = try run(ntpshBinary(), ["--attach", socket, "-e", "show nts json"], timeout: 20)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return (object?["associations"] as? [[String: Any]])?.first
    }

    static func counters(_ socket: String) throws -> [String: Any] {
        let r = try run(ntpshBinary(), ["--attach", socket, "-e", "ntsinfo json"], timeout: 20)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        return try #require(object as? [String: Any], "ntsinfo json: \(r.stdout)")
    }

    @Test("the KE's server and port records are followed: KE at 127.0.0.3 names NTP at 127.0.0.1 on another port; every reply authentic")
    func followsServerAndPortRecords() throws {
        let pki = try TestPKI(names: "DNS:localhost,IP:127.0.0.1,IP:127.0.0.3")
        defer { pki.remove() }
        // The NTP server: an ntpsh daemon on 127.0.0.1 whose cookie keys the KE server below shares.
        var random = SystemRandomNumberGenerator()
        let keys = NTSCookieKeys(now: Date().timeIntervalSince1970, using: &random)
        let server = try NTSDaemonTests.Server(pki, cookieText: keys.fileText)
        defer { server.daemon.stop() }
        // A KE server on 127.0.0.3 naming 127.0.0.1 and the daemon's NTP port (RFC 8915 §4.1.7-8).
        let kePort = try freeTCPPort()
        let ke = try NTSKEServer(address: "127.0.0.3", port: kePort, certificateFile: pki.certificate, keyFile: pki.key,
                                 keys: NTSCookieKeyStore(keys), ntpServer: "127.0.0.1", ntpPort: server.ntpPort)
        defer { ke.stop() }
        // The association is configured at 127.0.0.3, port 123, where nothing answers NTP.
        let (daemon, socket) = try Self.client("nts ca \(pki.ca)\nserver 127.0.0.3 nts ntsport \(kePort) iburst minpoll 3 maxpoll 3\n")
        defer { daemon.stop() }
        try Self.expectFollowed(daemon, socket, host: "127.0.0.3", ntpPort: server.ntpPort)
        #expect(try server.counter("nts_server_recv_good") >= 3)
    }

    /// `host`'s association gets 3 authentic replies, none refused, from 127.0.0.1:`ntpPort`,
    /// where its KE sent it.
    static func expectFollowed(_ daemon: Background, _ socket: String, host: String, ntpPort: UInt16) throws {
        try daemon.waitUntil(timeout: 60, "3 authentic NTS replies from 127.0.0.1:\(ntpPort)") {
            (try Self.counters(socket)["nts_client_recv_good"] as? Int ?? 0) >= 3
        }
        let c = try Self.counters(socket)
        #expect(c["nts_client_recv_bad"] as? Int == 0, "\(c)")
        #expect(daemon.stderr.contains("NTS: \(host): NTS-KE names NTP at 127.0.0.1:\(ntpPort)"), "\(daemon.stderr)")
        let a = try #require(try Self.association(socket))
        #expect(a["ntp_server"] as? String == "127.0.0.1 port \(ntpPort)", "\(a)")
    }

    @Test("chronyd's KE records followed: the association configured without a port polls the NTP port chronyd's KE names")
    func followsChronydPortRecord() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort, extra: "ntsntpserver 127.0.0.1")
        defer { stopChronyd(chronyd) }
        let (daemon, socket) = try Self.client("nts ca \(pki.ca)\nserver 127.0.0.1 nts ntsport \(ntsPort) iburst minpoll 3 maxpoll 3\n")
        defer { daemon.stop() }
        try Self.expectFollowed(daemon, socket, host: "127.0.0.1", ntpPort: ntpPort)
    }

    @Test("synchronised to chronyd over NTS: 20+ authentic exchanges, cookies replenished to 8, nothing refused")
    func synchronisesToChronyd() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort)
        defer { stopChronyd(chronyd) }
        let (daemon, socket) = try Self.client("nts ca \(pki.ca)\nserver 127.0.0.1 port \(ntpPort) nts ntsport \(ntsPort) iburst burst minpoll 3 maxpoll 3\n")
        defer { daemon.stop() }
        // iburst, then bursts at an 8 s poll: 20 exchanges took 53 s on this machine.
        try daemon.waitUntil(timeout: 120, "20 authentic NTS exchanges") {
            (try Self.counters(socket)["nts_client_recv_good"] as? Int ?? 0) >= 20
        }
        let stat = try run(ntpshBinary(), ["--attach", socket, "-e", "ntpstat"], timeout: 20)
        #expect(stat.status == 0, "ntpstat: \(stat.stdout)")
        let a = try #require(try Self.association(socket))
        let c = try Self.counters(socket)
        print("NTS client of chronyd: \(a); \(c)")
        #expect(a["cookies"] as? Int == 8 && a["ke_failures"] as? Int == 0 && a["refused"] as? Int == 0, "\(a)")
        #expect(c["nts_ke_probes_good"] as? Int == 1 && c["nts_client_recv_bad"] as? Int == 0, "\(c)")
        #expect((c["nts_client_send"] as? Int ?? 0) >= 20)
        #expect(daemon.stderr.contains("NTS: 127.0.0.1: NTS-KE done, 8 cookies"), "\(daemon.stderr)")
        // The association views carry the NTS state: `associations` (text and JSON), `rv ASSOC`.
        let views = try run(ntpshBinary(), ["--attach", socket, "-e", "associations", "-e", "rv 1", "-e", "associations json"], timeout: 20).stdout
        #expect(views.contains("NTS 1 127.0.0.1: 8 cookies, KE ") && views.contains("nts: 8 cookies, KE "), "\(views)")
        let compact = views.filter { $0 != " " && $0 != "\n" }
        #expect(compact.contains("\"nts\":{\"host\":\"127.0.0.1\"") && compact.contains("\"cookies\":8"), "\(views)")
    }

    @Test("a wrong CA: NTS-KE refused with the reason, counted, retried with backoff; never synchronised")
    func wrongCA() throws {
        let pki = try TestPKI(), other = try TestPKI()
        defer { pki.remove(); other.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort)
        defer { stopChronyd(chronyd) }
        let (daemon, socket) = try Self.client("nts ca \(other.ca)\nserver 127.0.0.1 port \(ntpPort) nts ntsport \(ntsPort) iburst minpoll 3\n")
        defer { daemon.stop() }
        try daemon.waitUntil(timeout: 20, "two failed NTS-KEs") { (try Self.counters(socket)["nts_ke_probes_bad"] as? Int ?? 0) >= 2 }
        let a = try #require(try Self.association(socket))
        #expect((a["last_failure"] as? String ?? "").contains("certificate refused: unable to get local issuer certificate"), "\(a)")
        #expect(a["cookies"] as? Int == 0)
        #expect(daemon.stderr.contains("next try in"), "\(daemon.stderr)")
        #expect(try run(ntpshBinary(), ["--attach", socket, "-e", "ntpstat"], timeout: 20).status != 0)
        let shown = try run(ntpshBinary(), ["--attach", socket, "-e", "show nts"], timeout: 20).stdout
        #expect(shown.contains("127.0.0.1: 0 cookies, no KE yet"), "\(shown)")
    }
}

/// NTPsec's ntpq (port 123: in a network namespace of its own, as ModeSixTests) reads the NTS
/// counters of an ntpsh daemon that serves NTS to a second ntpsh daemon, its NTS client.
@Suite("NTS: ntpq -c ntsinfo, ntpsh to ntpsh", .serialized)
struct NTSModeSixTests {
    @Test("ntpq -c ntsinfo reads the counters of an ntpsh NTS server another ntpsh daemon uses over NTS")
    func ntpqNtsinfo() throws {
        let a = ModeSixTests.address
        let pki = try TestPKI(names: "DNS:localhost,IP:127.0.0.1,IP:\(a)")
        defer { pki.remove() }
        let kePort = try freeTCPPort()
        let server = try writeTemp(NTSDaemonTests.Server.configuration(pki, kePort: kePort))
        let client = try writeTemp("nts ca \(pki.ca)\nserver \(a) nts ntsport \(kePort) iburst\n")
        let ntpq = ModeSixTests.ntpq, ntpsh = ntpshBinary()
        let script = """
            \(ntpsh) --daemon --clock observe --port 123 --listen \(a) -c \(server) 2>/dev/null & P=$!
            \(ntpsh) --daemon --clock observe --port 123 --listen 127.0.0.1 -c \(client) 2>/dev/null & Q=$!
            i=0; while [ $i -lt 100 ]; do i=$((i+1)); \(ntpq) -c ntsinfo \(a) 2>/dev/null | grep -q 'NTS server recvs good: *[1-9]' && break; sleep 0.2; done
            echo '== ntsinfo'; \(ntpq) -c ntsinfo \(a); echo "rc=$?"
            i=0; while [ $i -lt 100 ]; do i=$((i+1)); \(ntpq) -c as 127.0.0.1 2>/dev/null | grep -q ' yes  *ok ' && break; sleep 0.2; done
            echo '== as'; \(ntpq) -c as 127.0.0.1; echo "rc=$?"
            kill $P $Q; wait
            """
        guard let result = try ModeSixTests.isolated(script) else {
            print("ntsinfo: no network namespace and \(a):123 is taken; skipped")
            return
        }
        let out = ModeSixTests.section(result.output, "ntsinfo")
        print(out)
        #expect(out.contains("rc=0"), "\(result.output)")
        func value(_ legend: String) -> Int? {
            out.split(separator: "\n").first { $0.hasPrefix(legend) }.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) }
        }
        #expect((value("NTS server recvs good:") ?? 0) >= 1, "\(out)")
        #expect(value("NTS server sends:") == value("NTS server recvs good:"), "\(out)")
        #expect(value("NTS KE serves good:") == 1, "\(out)")
        #expect(value("NTS server recvs w error:") == 0 && value("NTS decode cookies error:") == 0, "\(out)")
        // The client's NTS association, as NTPsec's ntpq shows one: authentication enabled and
        // authentic (status bits 0x40 and 0x20), the auth column "ok" as for a symmetric key.
        let associations = ModeSixTests.section(result.output, "as")
        print(associations)
        let row = associations.split(separator: "\n").first { $0.contains(" yes ") }.map(String.init) ?? ""
        let columns = row.split(separator: " ")
        #expect(columns.count >= 6 && columns[5] == "ok", "\(associations)")
        let status = columns.count > 2 ? UInt16(columns[2], radix: 16) ?? 0 : 0
        #expect(status >> 8 & 0x60 == 0x60, "status \(columns.count > 2 ? columns[2] : "-"): \(associations)")
    }
}

/// NTPsec's ntpd 1.2.2 as an NTS server (it serves only ports 123 and 4460: in a network
/// namespace of its own, without CAP_SYS_TIME, in orphan mode) and the ntpsh daemon its client.
@Suite("NTS: the ntpsh daemon as an NTS client of NTPsec's ntpd", .serialized)
struct NTSNTPsecTests {
    @Test("synchronised to NTPsec's ntpd over NTS: one KE, 20 authentic replies, cookies held at 8, nothing refused")
    func synchronisesToNTPsec() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let ns = try Namespace()
        let dir = try temporaryDirectory()
        let ntpd = try startNTPsec(in: ns, dir: dir, extra: """
            nts enable
            nts cert \(pki.certificate)
            nts key \(pki.key)
            nts cookie \(dir)/nts-keys
            """)
        defer { ntpd.stop() }
        try "nts ca \(pki.ca)\nserver 127.0.0.1 nts iburst burst minpoll 3 maxpoll 3\n".write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        let socket = dir + "/ntpsh.sock"
        let ntpsh = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--daemon", "--clock", "observe", "--port", "0",
                                                           "-c", "\(dir)/ntp.conf", "--control-socket", socket]))
        defer { ntpsh.stop() }
        do {
            try ntpsh.waitUntil(timeout: 60, "ntpsh to synchronise to NTPsec ntpd over NTS") {
                ntpsh.stderr.contains("synchronised at stratum 6")
            }
        } catch {
            print("ntpd stderr: \(ntpd.stderr) stdout: \(ntpd.stdout) running: \(ntpd.isRunning)")
            throw error
        }
        // Cookies replenished over 20 polls (bursts at an 8 s poll: about a minute).
        try ntpsh.waitUntil(timeout: 120, "20 authentic NTS exchanges") {
            (try NTSClientDaemonTests.counters(socket)["nts_client_recv_good"] as? Int ?? 0) >= 20
        }
        let a = try #require(try NTSClientDaemonTests.association(socket))
        let c = try NTSClientDaemonTests.counters(socket)
        print("NTS client of NTPsec: \(a); \(c)")
        #expect(ntpsh.stderr.contains("NTS: 127.0.0.1: NTS-KE done, 8 cookies"), "\(ntpsh.stderr)")
        #expect(a["cookies"] as? Int == 8 && a["refused"] as? Int == 0 && a["naks"] as? Int == 0, "\(a)")
        #expect(c["nts_ke_probes_good"] as? Int == 1 && c["nts_client_recv_bad"] as? Int == 0, "\(c)")
    }
}

/// A man in the middle on loopback: relays NTP between a client and `server`, changing each
/// reply with `tamper` (the client's address is the last one a request came from).
final class TamperingRelay: @unchecked Sendable {
    let front: Int32, back: Int32
    let port: UInt16
    private let lock = NSLock()
    private var running = true
    private(set) var relayed = 0

    /// Listens on `address`:`port` (0: any port) and relays to 127.0.0.1:`server`.
    init(to server: UInt16, at address: String = "127.0.0.1", port wanted: UInt16 = 0, tamper: @escaping @Sendable (inout [UInt8]) -> Void) throws {
        front = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        back = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard let p = bindLoopback(front, address: address, port: wanted), bindLoopback(back) != nil, connectLoopback(back, server) else {
            throw TestFailure("relay sockets")
        }
        port = p
        Thread { [self] in loop(tamper) }.start()
    }

    private func loop(_ tamper: (inout [UInt8]) -> Void) {
        var client = sockaddr_storage(), clientLength = socklen_t(0)
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            lock.lock(); let go = running; lock.unlock()
            guard go else { return }
            var fds = [pollfd(fd: front, events: Int16(POLLIN), revents: 0), pollfd(fd: back, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, 100) > 0 else { continue }
            if fds[0].revents != 0 {
                clientLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let n = withUnsafeMutablePointer(to: &client) { c in
                    c.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(front, &buffer, buffer.count, 0, $0, &clientLength) }
                }
                if n > 0 { _ = send(back, buffer, n, 0) }
            }
            if fds[1].revents != 0 {
                let n = recv(back, &buffer, buffer.count, 0)
                guard n > 0 else { continue }
                var reply = Array(buffer[0 ..< n])
                tamper(&reply)
                lock.lock(); relayed += 1; lock.unlock()
                _ = withUnsafePointer(to: &client) { c in
                    c.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(front, reply, reply.count, 0, $0, clientLength) }
                }
            }
        }
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return relayed }

    func stop() {
        lock.lock(); running = false; lock.unlock()
    }

    deinit { close(front); close(back) }
}

@Suite("NTS: a man in the middle shifts chronyd's replies", .serialized)
struct NTSTamperTests {
    @Test("replies shifted by 250 ms in transit are refused with the reason and counted; never synchronised")
    func forgedRepliesRefused() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        // chronyd's KE names 127.0.0.3 and its NTP port (server and port records): the client
        // polls there, where the man in the middle relays to chronyd at 127.0.0.1.
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort, extra: "ntsntpserver 127.0.0.3")
        defer { stopChronyd(chronyd) }
        // The receive and transmit timestamps move 250 ms later (their seconds' fraction +1/4).
        let relay = try TamperingRelay(to: ntpPort, at: "127.0.0.3", port: ntpPort) { reply in
            guard reply.count >= 48 else { return }
            for at in [32, 40] { reply[at + 4] = reply[at + 4] &+ 0x40 }
        }
        defer { relay.stop() }
        let (daemon, socket) = try NTSClientDaemonTests.client("nts ca \(pki.ca)\nserver 127.0.0.1 nts ntsport \(ntsPort) iburst minpoll 3\n")
        defer { daemon.stop() }
        try daemon.waitUntil(timeout: 30, "three refused replies") {
            (try NTSClientDaemonTests.counters(socket)["nts_client_recv_bad"] as? Int ?? 0) >= 3
        }
        let a = try #require(try NTSClientDaemonTests.association(socket))
        let c = try NTSClientDaemonTests.counters(socket)
        #expect(c["nts_client_recv_good"] as? Int == 0 && (a["refused"] as? Int ?? 0) >= 3, "\(a) \(c)")
        #expect(a["last_failure"] as? String == "reply refused: the NTS authenticator does not verify (forged or altered in transit)", "\(a)")
        #expect(a["last_refusal"] as? String == "the NTS authenticator does not verify (forged or altered in transit)", "\(a)")
        #expect(a["last_ke_failure"] is NSNull && a["ke_failures"] as? Int == 0, "\(a)")
        #expect(daemon.stderr.contains("NTS: 127.0.0.1: reply refused (the NTS authenticator does not verify (forged or altered in transit)); 1 so far"),
                "\(daemon.stderr)")
        #expect(daemon.stderr.contains("reply refused (the NTS authenticator does not verify"), "\(daemon.stderr)")
        #expect(try run(ntpshBinary(), ["--attach", socket, "-e", "ntpstat"], timeout: 20).status != 0)
        #expect(relay.count >= 3)
    }
}
