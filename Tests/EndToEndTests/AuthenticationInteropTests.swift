import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Symmetric-key authentication against real peers: chronyd and NTPsec's ntpd as servers of an
/// ntpsh client with `server … key N`, and chronyd -Q and NTPsec's ntpdig as clients of an ntpsh
/// server; MD5, SHA1 and AES-128-CMAC each way; a wrong key is rejected and said so.
@Suite("symmetric-key authentication with chronyd and NTPsec", .serialized)
struct AuthenticationInteropTests {
    /// The same keys in each program's spelling: ntp.keys(5) (ASCII up to 20 characters, hex
    /// beyond) and chrony's keyfile (ASCII, or HEX:).
    static let ntpKeys = """
        # keyid type key
        1 MD5 md5secret
        2 SHA1 0123456789abcdef0123456789abcdef01234567
        3 AES128CMAC 000102030405060708090a0b0c0d0e0f

        """
    static let chronyKeys = """
        1 MD5 md5secret
        2 SHA1 HEX:0123456789abcdef0123456789abcdef01234567
        3 AES128 HEX:000102030405060708090a0b0c0d0e0f

        """
    /// Key 1 with another secret.
    static let wrongKeys = "1 MD5 not-the-secret\n"
    static let algorithms: [(UInt32, String)] = [(1, "MD5"), (2, "SHA1"), (3, "AES128CMAC")]

    /// ntpsh as a client for a few seconds: synchronised (status 0), `associations` and `events`.
    func client(_ keys: String, key: UInt32, server: String, wait: String = "20s", namespace: Namespace? = nil) throws -> Finished {
        let keyFile = try writeTemp(keys, suffix: ".keys")
        let args = ["--keep-going", "--clock", "observe", "--port", "0",
                    "-e", "keys \(keyFile)", "-e", "trustedkey 1 2 3",
                    "-e", "server \(server) key \(key) iburst", "-e", "wait sync \(wait)",
                    "-e", "associations", "-e", "events", "-e", "rv 1 keyid,flash"]
        if let namespace { return try run("/usr/sbin/ip", namespace.exec([ntpshBinary()] + args), timeout: 60) }
        return try run(ntpshBinary(), args, timeout: 60)
    }

    /// ntpsh --daemon serving its local clock on 127.0.0.1:`port` with ``ntpKeys`` (written to `dir`), 1–3 trusted.
    func keyedServer(port: UInt16, dir: String) throws -> Background {
        try Self.ntpKeys.write(toFile: "\(dir)/ntp.keys", atomically: true, encoding: .utf8)
        return try startServer(port: port, config: """
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            keys \(dir)/ntp.keys
            trustedkey 1 2 3

            """)
    }

    @Test("ntpsh → chronyd: MD5, SHA1 and AES128 keys synchronise with `auth ok`; a wrong secret gets no answer")
    func toChronyd() throws {
        let dir = try temporaryDirectory()
        try Self.chronyKeys.write(toFile: "\(dir)/chrony.keys", atomically: true, encoding: .utf8)
        let (chronyd, port, _) = try startChronyd(extra: "keyfile \(dir)/chrony.keys")
        defer { chronyd.stop() }
        for (key, name) in Self.algorithms {
            let r = try client(Self.ntpKeys, key: key, server: "127.0.0.1 port \(port)")
            #expect(r.status == 0, "\(name): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("yes   yes   ok   sys.peer"), "\(name): \(r.stdout)")
            #expect(r.stdout.contains("keyid=\(key), flash=00 ok"), "\(name): \(r.stdout)")
        }
        // chronyd drops a request whose MAC it cannot verify: ntpsh never hears, and says it is not synchronised.
        let wrong = try client(Self.wrongKeys, key: 1, server: "127.0.0.1 port \(port)", wait: "5s")
        #expect(wrong.stderr.contains("not synchronised after 5 s"))
        #expect(wrong.stdout.contains("yes    no   bad    reject"), "\(wrong.stdout)")
    }

    @Test("chronyd -Q → ntpsh: each key measures; a wrong secret gets crypto-NAKs, counted and logged by ntpsh")
    func fromChronyd() throws {
        let port = try freeUDPPort()
        let dir = try temporaryDirectory()
        try Self.chronyKeys.write(toFile: "\(dir)/chrony.keys", atomically: true, encoding: .utf8)
        try Self.wrongKeys.write(toFile: "\(dir)/wrong.keys", atomically: true, encoding: .utf8)
        let server = try keyedServer(port: port, dir: dir)
        defer { server.stop() }
        func chronyd(key: UInt32, keyfile: String) throws -> String {
            let r = try run("/usr/sbin/chronyd", [
                "-Q", "-t", "6", "server 127.0.0.1 port \(port) iburst key \(key) minpoll -6 maxpoll -6",
                "keyfile \(keyfile)", "pidfile \(dir)/chronyd-q.pid",
            ], timeout: 20)
            return r.stdout + r.stderr
        }
        for (key, name) in Self.algorithms {
            let text = try chronyd(key: key, keyfile: "\(dir)/chrony.keys")
            let line = try #require(text.split(separator: "\n").first { $0.contains("System clock wrong by") },
                                    "\(name): chronyd did not accept ntpsh's authenticated replies: \(text)")
            print("chronyd -Q with key \(key) (\(name)): \(line)")
        }
        let refused = try chronyd(key: 1, keyfile: "\(dir)/wrong.keys")
        #expect(refused.contains("No suitable source"), "\(refused)")
        try server.waitUntil(timeout: 10, "ntpsh to log the failed authentication") {
            server.stderr.contains("failed authentication (crypto-NAK sent); last from 127.0.0.1: bad MAC under key 1")
        }
    }

    @Test("ntpsh ↔ NTPsec in a namespace: ntpsh syncs to ntpd with each key; ntpdig -k -a verifies ntpsh's MACs; a wrong key is refused")
    func withNTPsec() throws {
        let ns = try Namespace()
        let dir = try temporaryDirectory()
        try Self.ntpKeys.write(toFile: "\(dir)/ntp.keys", atomically: true, encoding: .utf8)
        try Self.wrongKeys.write(toFile: "\(dir)/wrong.keys", atomically: true, encoding: .utf8)
        let ntpd = try startNTPsec(in: ns, dir: dir, extra: "keys \(dir)/ntp.keys\ntrustedkey 1 2 3")
        defer { ntpd.stop() }
        for (key, name) in Self.algorithms {
            let r = try client(Self.ntpKeys, key: key, server: "127.0.0.1", wait: "30s", namespace: ns)
            #expect(r.status == 0, "\(name): \(r.stdout) \(r.stderr) ntpd: \(ntpd.stderr)")
            #expect(r.stdout.contains("yes   yes   ok   sys.peer"), "\(name): \(r.stdout)")
        }
        ntpd.stop()

        // ntpdig (port 123 only) against ntpsh serving in the same namespace.
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\nkeys \(dir)/ntp.keys\ntrustedkey 1 2 3\n")
        let server = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--daemon", "--clock", "observe", "--port", "123",
                                                             "--listen", "127.0.0.1", "-c", conf]))
        defer { server.stop() }
        try server.waitUntil(timeout: 10, "ntpsh to listen") { server.stderr.contains("listening on 127.0.0.1 port 123") }
        func ntpdig(_ keys: String, _ key: UInt32) throws -> Finished {
            try run("/usr/sbin/ip", ns.exec([ntpsecTool("ntpdig"), "-t", "2", "-j", "-k", keys, "-a", String(key), "127.0.0.1"]), timeout: 30)
        }
        for (key, name) in Self.algorithms {
            // ntpdig checks the reply's MAC; a mismatch makes it fail (NTPsec 1.2.2 then even crashes).
            let r = try ntpdig("\(dir)/ntp.keys", key)
            #expect(r.status == 0 && r.stdout.contains("\"stratum\":11"), "\(name): \(r.stdout) \(r.stderr)")
        }
        let refused = try ntpdig("\(dir)/wrong.keys", 1)
        #expect(refused.status != 0, "a crypto-NAK is no time: \(refused.stdout)")
        try server.waitUntil(timeout: 10, "ntpsh to log the failed authentication") {
            server.stderr.contains("failed authentication (crypto-NAK sent); last from 127.0.0.1: bad MAC under key 1")
        }
    }

    @Test("ntpsh → ntpsh with another secret: crypto-NAKs, which the client rejects and says so in events, associations and rv")
    func cryptoNAKBetweenNtpsh() throws {
        let port = try freeUDPPort()
        let dir = try temporaryDirectory()
        let server = try keyedServer(port: port, dir: dir)
        defer { server.stop() }
        let r = try client(Self.wrongKeys, key: 1, server: "127.0.0.1 port \(port)", wait: "4s")
        #expect(r.stdout.contains("127.0.0.1 authentication failed: crypto-NAK (the server could not authenticate our request); ignored"),
                "\(r.stdout)")
        #expect(r.stdout.contains("yes    no   bad    reject"), "\(r.stdout)")
        #expect(r.stdout.contains("keyid=1, flash=10 pkt_auth"), "\(r.stdout)")
        try server.waitUntil(timeout: 10, "the server to log it") {
            server.stderr.contains("failed authentication (crypto-NAK sent); last from 127.0.0.1: bad MAC under key 1")
        }
    }

    @Test("NTPsec's ntpd as the client (its own namespace, a veth pair): MD5, SHA1 and AES keys authentic in its peerstats; a wrong secret gets crypto-NAKs")
    func ntpdClient() throws {
        // ntpd only takes 127.0.0.1 among loopback servers and holds port 123 itself, so it runs
        // in a namespace of its own, linked to ntpsh's by a veth pair (10.99.0.0/24).
        let (server, client) = (try Namespace(), try Namespace())
        let ip = "/usr/sbin/ip"
        func setUp(_ args: [String]) throws {
            let r = try run(ip, args)
            guard r.status == 0 else { throw TestFailure("ip \(args.joined(separator: " ")): \(r.stderr)") }
        }
        try setUp(["link", "add", "v0", "netns", server.name, "type", "veth", "peer", "name", "v1", "netns", client.name])
        let addresses = ["10.99.0.1", "10.99.0.3", "10.99.0.4", "10.99.0.5"]
        for a in addresses { try setUp(server.exec(["ip", "addr", "add", a + "/24", "dev", "v0"])) }
        try setUp(client.exec(["ip", "addr", "add", "10.99.0.2/24", "dev", "v1"]))
        try setUp(server.exec(["ip", "link", "set", "v0", "up"]))
        try setUp(client.exec(["ip", "link", "set", "v1", "up"]))

        let dir = try temporaryDirectory()
        try (Self.ntpKeys + "4 MD5 the-right-one\n").write(toFile: "\(dir)/ntpsh.keys", atomically: true, encoding: .utf8)
        try (Self.ntpKeys + "4 MD5 a-wrong-one\n").write(toFile: "\(dir)/ntpd.keys", atomically: true, encoding: .utf8)
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\nkeys \(dir)/ntpsh.keys\ntrustedkey 1 2 3 4\n")
        let ntpsh = try Background(ip, server.exec([ntpshBinary(), "--daemon", "--clock", "observe", "--port", "123", "-c", conf]
                                                   + addresses.flatMap { ["--listen", $0] }))
        defer { ntpsh.stop() }
        try ntpsh.waitUntil(timeout: 10, "ntpsh to listen") { ntpsh.stderr.contains("listening on 10.99.0.5 port 123") }
        try FileManager.default.createDirectory(atPath: "\(dir)/stats", withIntermediateDirectories: true)
        try """
            keys \(dir)/ntpd.keys
            trustedkey 1 2 3 4
            server 10.99.0.1 key 1 minpoll 3 maxpoll 3 iburst
            server 10.99.0.3 key 2 minpoll 3 maxpoll 3 iburst
            server 10.99.0.4 key 3 minpoll 3 maxpoll 3 iburst
            server 10.99.0.5 key 4 minpoll 3 maxpoll 3 iburst
            disable ntp
            statsdir \(dir)/stats/
            statistics peerstats
            filegen peerstats file peerstats type none enable
            """.write(toFile: "\(dir)/ntpd.conf", atomically: true, encoding: .utf8)
        let ntpd = try Background(ip, client.exec(dropTime + [ntpsecTool("ntpd"), "-n", "-c", "\(dir)/ntpd.conf", "-p", "\(dir)/ntpd.pid"]))
        defer { ntpd.stop() }
        // peerstats: day, second, address, peer status word (0x20 in its high byte: authentic), …
        func authentic(_ address: String) -> Bool {
            let text = (try? String(contentsOfFile: "\(dir)/stats/peerstats", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").contains { line in
                let f = line.split(separator: " ")
                return f.count > 3 && f[2] == address && (UInt16(f[3], radix: 16) ?? 0) & 0x2000 != 0
            }
        }
        try ntpd.waitUntil(timeout: 40, "ntpd to record authentic samples from each key") {
            authentic("10.99.0.1") && authentic("10.99.0.3") && authentic("10.99.0.4")
        }
        try ntpsh.waitUntil(timeout: 20, "ntpsh to log the wrong secret") {
            ntpsh.stderr.contains("failed authentication (crypto-NAK sent); last from 10.99.0.2: bad MAC under key 4")
        }
        let stats = (try? String(contentsOfFile: "\(dir)/stats/peerstats", encoding: .utf8)) ?? ""
        #expect(!stats.contains("10.99.0.5"), "no sample from the server ntpd cannot authenticate: \(stats)")
    }
}
