import Foundation
import NTPNTS
import NTPNTSNetwork
import NTPWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway CA and a certificate for "localhost" and 127.0.0.1 it signed, made with the
/// openssl CLI in a fresh directory (readable by chronyd after it drops privileges).
struct TestPKI {
    let dir: String
    var ca: String { dir + "/ca.pem" }
    var certificate: String { dir + "/server.pem" }
    var key: String { dir + "/server.key" }

    /// `names`: the certificate's subjectAltName.
    init(names: String = "DNS:localhost,IP:127.0.0.1") throws {
        dir = NSTemporaryDirectory() + "ntpsh-nts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o777)
        try FileManager.default.createDirectory(atPath: dir + "/dump", withIntermediateDirectories: true)
        chmod(dir + "/dump", 0o777)
        let openssl = "/usr/bin/openssl"
        try check(run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-keyout", dir + "/ca.key", "-out", ca, "-subj", "/CN=ntpsh test CA", "-days", "2"]))
        try check(run(openssl, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-keyout", key, "-out", dir + "/server.csr", "-subj", "/CN=localhost"]))
        try "subjectAltName=\(names)\n".write(toFile: dir + "/ext", atomically: true, encoding: .utf8)
        try check(run(openssl, ["x509", "-req", "-in", dir + "/server.csr", "-CA", ca, "-CAkey", dir + "/ca.key",
                                "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", dir + "/ext"]))
        for f in [ca, certificate, key] { chmod(f, 0o644) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    /// A certificate for the same key and names, signed by the same CA, valid only on
    /// 1 January 2020 (`openssl ca` with explicit dates); returns its path.
    func expiredCertificate() throws -> String {
        let config = """
            [ca]
            default_ca = test
            [test]
            database = \(dir)/index.txt
            new_certs_dir = \(dir)
            serial = \(dir)/serial
            default_md = sha256
            policy = any
            [any]
            commonName = supplied
            """
        try config.write(toFile: dir + "/ca.cnf", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/index.txt", atomically: true, encoding: .utf8)
        try "1000\n".write(toFile: dir + "/serial", atomically: true, encoding: .utf8)
        let path = dir + "/expired.pem"
        try check(run("/usr/bin/openssl", ["ca", "-batch", "-config", dir + "/ca.cnf", "-cert", ca, "-keyfile", dir + "/ca.key",
                                           "-in", dir + "/server.csr", "-out", path, "-notext", "-extfile", dir + "/ext",
                                           "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"]))
        return path
    }

    private func check(_ r: Finished) throws {
        guard r.status == 0 else { throw TestFailure("openssl failed: \(r.stderr)") }
    }
}

/// 127.0.0.1 and `port` as a sockaddr_in.
func loopback(_ port: UInt16 = 0, address: String = "127.0.0.1") -> sockaddr_in {
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_addr.s_addr = inet_addr(address)
    a.sin_port = port.bigEndian
    return a
}

/// Binds `fd` to `address` (127.0.0.1) on `port` (0: one the kernel picks); returns the port.
func bindLoopback(_ fd: Int32, address: String = "127.0.0.1", port: UInt16 = 0) -> UInt16? {
    var a = loopback(port, address: address)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &a) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    return ok ? UInt16(bigEndian: a.sin_port) : nil
}

/// Connects `fd` to 127.0.0.1:`port`.
func connectLoopback(_ fd: Int32, _ port: UInt16) -> Bool {
    var a = loopback(port)
    return withUnsafePointer(to: &a) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    guard let port = bindLoopback(fd) else { throw TestFailure("no free TCP port") }
    return port
}

/// chronyd 4.3 (-x: it never touches the clock) as an NTS server on loopback; `extra` lines
/// are added to its configuration.
func startChronydNTSServer(_ pki: TestPKI, ntsPort: UInt16, ntpPort: UInt16, extra: String = "") throws -> Background {
    let conf = """
        ntsserverkey \(pki.key)
        ntsservercert \(pki.certificate)
        ntsport \(ntsPort)
        port \(ntpPort)
        bindaddress 127.0.0.1
        ntsdumpdir \(pki.dir)/dump
        pidfile \(pki.dir)/chronyd.pid
        local stratum 2
        allow 127.0.0.1
        cmdport 0
        ntsprocesses 0
        \(extra)
        """
    try conf.write(toFile: pki.dir + "/chrony.conf", atomically: true, encoding: .utf8)
    let chronyd = try Background("/usr/sbin/chronyd", ["-x", "-d", "-f", pki.dir + "/chrony.conf"])
    try chronyd.waitUntil(timeout: 10, "chronyd's NTS-KE port") {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return connectLoopback(fd, ntsPort)
    }
    return chronyd
}

/// `chronyd -Q` (measures, never sets the clock) as an NTS client of 127.0.0.1: the offset it
/// measured and its output.
func chronydMeasuresThroughNTS(_ pki: TestPKI, ntpPort: UInt16, kePort: UInt16) throws -> (offset: Double, text: String) {
    let r = try run("/usr/sbin/chronyd", [
        "-Q", "-t", "15", "-d",
        "server 127.0.0.1 nts ntsport \(kePort) port \(ntpPort) iburst minpoll -6 maxpoll -6",
        "ntstrustedcerts \(pki.ca)", "ntsdumpdir \(pki.dir)/dump", "pidfile \(pki.dir)/chronyd-q.pid",
    ], timeout: 25)
    let text = r.stdout + r.stderr
    let line = try #require(text.split(separator: "\n").first { $0.contains("System clock wrong by") }, "chronyd did not measure: \(text)")
    return (try #require(line.split(separator: " ").compactMap { Double($0) }.first), text)
}

/// Stops a chronyd started by ``startChronydNTSServer``. Under the test runner it does not act
/// on SIGTERM (it sat out the 10 s every time), so after a short grace it is killed by its PID:
/// with `ntsprocesses 0` it has no helper process to leave behind, and with -x it changed nothing.
func stopChronyd(_ chronyd: Background) {
    chronyd.stop(signal: SIGTERM, timeout: 0.5)
}

@Suite("NTS interop with chronyd 4.3 on loopback", .serialized)
struct NTSInteropTests {
    @Test("our NTS-KE client gets keys and 8 cookies from chronyd, then 24 authenticated NTP exchanges (offsets within half the round trip, cookies kept at 8)")
    func keClientAgainstChronyd() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort)
        defer { stopChronyd(chronyd) }
        let ke = try NTSKEClient.establish(host: "localhost", port: ntsPort, caFile: pki.ca, timeout: 5)
        #expect(ke.cookies.count == 8)
        #expect(ke.session.algorithm == .aesSIVCMAC256)
        var state = NTSClientState(session: ke.session, cookies: ke.cookies, server: ke.server, port: ke.port)
        var random = SystemRandomNumberGenerator()
        let udp = try UDPClient(bindTo: "127.0.0.1")
        func ntpNow() -> Double { Date().timeIntervalSince1970 + 2_208_988_800 }
        func stamp(_ t: Double) -> [UInt8] {
            let v = UInt64(t) << 32 | UInt64((t - t.rounded(.down)) * 4_294_967_296)
            return (0 ..< 8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) }
        }
        func time(_ b: ArraySlice<UInt8>) -> Double {
            let v = b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return Double(v >> 32) + Double(v & 0xffff_ffff) / 4_294_967_296
        }
        var offsets: [Double] = []
        for poll in 0 ..< 24 {
            var header = [UInt8](repeating: 0, count: 48)
            header[0] = 0x23
            let t1 = ntpNow()
            header.replaceSubrange(40 ..< 48, with: stamp(t1))
            let request = try #require(state.request(header: header, using: &random))
            try udp.send(request, to: "127.0.0.1", port: ntpPort)
            let response = try #require(udp.receive(timeout: 3), "poll \(poll): no answer from chronyd")
            let t4 = ntpNow()
            #expect(state.accept(response) == .authentic(newCookies: 1), "poll \(poll)")
            #expect(Array(response[24 ..< 32]) == Array(header[40 ..< 48]), "origin timestamp echoed")
            #expect(response[1] != 0, "not a KoD")
            offsets.append(((time(response[32 ..< 40]) - t1) + (time(response[40 ..< 48]) - t4)) / 2)
        }
        print("NTS exchanges with chronyd: 24 authentic, offsets \(offsets.min()!) … \(offsets.max()!) s")
        // Loopback: 15-155 µs on a quiet machine; a loaded one (CI beside builds) delays either
        // side by milliseconds, and the offset's error is at most half the round trip.
        #expect(offsets.allSatisfy { abs($0) < 0.05 }, "\(offsets)")
        #expect(state.cookies.count == 8)
    }

    @Test("a wrong CA, a name mismatch, a TLS 1.2-only server and a closed port are refused with a clear message")
    func keClientRefusals() throws {
        let pki = try TestPKI(), other = try TestPKI(), elsewhere = try TestPKI(names: "DNS:ntp.example")
        defer { pki.remove(); other.remove(); elsewhere.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort)
        defer { stopChronyd(chronyd) }
        #expect {
            try NTSKEClient.establish(host: "localhost", port: ntsPort, caFile: other.ca, timeout: 5)
        } throws: { error in
            "\(error)".contains("certificate refused") && "\(error)".contains("unable to get local issuer certificate")
        }
        let ntsPort2 = try freeTCPPort(), ntpPort2 = try freeUDPPort()
        let misnamed = try startChronydNTSServer(elsewhere, ntsPort: ntsPort2, ntpPort: ntpPort2)
        defer { stopChronyd(misnamed) }
        #expect {
            try NTSKEClient.establish(host: "localhost", port: ntsPort2, caFile: elsewhere.ca, timeout: 5)
        } throws: { error in "\(error)".contains("certificate refused: hostname mismatch") }
        // A server that speaks only TLS 1.2 (openssl s_server, with ALPN ntske/1): refused.
        let tls12Port = try freeTCPPort()
        let tls12 = try Background("/usr/bin/openssl", [
            "s_server", "-accept", "127.0.0.1:\(tls12Port)", "-cert", pki.certificate, "-key", pki.key,
            "-tls1_2", "-alpn", "ntske/1", "-quiet",
        ])
        defer { tls12.stop(timeout: 2) }
        try tls12.waitUntil(timeout: 10, "openssl s_server") {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            return connectLoopback(fd, tls12Port)
        }
        #expect {
            try NTSKEClient.establish(host: "localhost", port: tls12Port, caFile: pki.ca, timeout: 5)
        } throws: { error in "\(error)".contains("TLS") && "\(error)".contains("protocol version") }
        // Nothing listening: a clear connection error within the deadline.
        #expect {
            try NTSKEClient.establish(host: "127.0.0.1", port: try freeTCPPort(), caFile: pki.ca, timeout: 2)
        } throws: { error in "\(error)".contains("Connection refused") }
    }
}

/// A small NTS-only NTP responder for the tests: a thread answering on a UDP port on
/// 127.0.0.1 with NTSServer's pure functions around a stratum-1 header stamped with the
/// system clock (read only).
final class NTSTestResponder: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    let keys: NTSCookieKeyStore
    private let lock = NSLock()
    private var running = true
    private(set) var authentic = 0, naks = 0, plain = 0
    private var thread: Thread?

    init(keys: NTSCookieKeyStore) throws {
        self.keys = keys
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        guard let bound = bindLoopback(fd) else { close(fd); throw TestFailure("cannot bind the responder") }
        port = bound
        let t = Thread { [self] in loop() }
        thread = t
        t.start()
    }

    var counts: (authentic: Int, naks: Int, plain: Int) { lock.lock(); defer { lock.unlock() }; return (authentic, naks, plain) }

    func stop() {
        lock.lock(); running = false; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        usleep(0)
    }

    private func now() -> [UInt8] {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let seconds = UInt64(ts.tv_sec) + 2_208_988_800
        let fraction = UInt64(Double(ts.tv_nsec) * 4.294967296)
        let v = seconds << 32 | fraction
        return (0 ..< 8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) }
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var random = SystemRandomNumberGenerator()
        while true {
            lock.lock(); let go = running; lock.unlock()
            guard go else { return }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            var from = sockaddr_storage()
            var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &from) { f in
                f.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &fromLength) }
            }
            guard n >= 48 else { if n < 0 { return } else { continue } }
            let received = now()
            let request = Array(buffer[0 ..< n])
            var header = [UInt8](repeating: 0, count: 48)
            header[0] = 0x24  // NTPv4, server
            header[1] = 1
            header[2] = request[2]
            header[3] = 0xec  // precision 2^-20
            header.replaceSubrange(12 ..< 16, with: Array("NTS ".utf8))
            header.replaceSubrange(16 ..< 24, with: received)
            header.replaceSubrange(24 ..< 32, with: request[40 ..< 48])
            header.replaceSubrange(32 ..< 40, with: received)
            let reply: [UInt8]?
            switch NTSServer.verify(request, keys: keys.keys) {
            case .authentic(let r):
                header.replaceSubrange(40 ..< 48, with: now())
                reply = NTSServer.respond(to: r, header: header, keys: keys.keys, using: &random)
                lock.lock(); authentic += 1; lock.unlock()
            case .nak(let uid, _):
                reply = NTSServer.nak(to: uid, header: header)
                lock.lock(); naks += 1; lock.unlock()
            case .notNTS:
                lock.lock(); plain += 1; lock.unlock()
                reply = nil
            case .drop:
                reply = nil
            }
            guard let reply else { continue }
            _ = withUnsafePointer(to: &from) { f in
                f.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, fromLength) }
            }
        }
    }

    deinit { close(fd) }
}

@Suite("NTS: our NTS-KE server and responder", .serialized)
struct NTSServerInteropTests {
    func server(_ pki: TestPKI, ntpPort: UInt16) throws -> (NTSKEServer, NTSCookieKeyStore) {
        var random = SystemRandomNumberGenerator()
        let keys = NTSCookieKeyStore(NTSCookieKeys(now: Date().timeIntervalSince1970, using: &random))
        let ke = try NTSKEServer(address: "127.0.0.1", port: 0, certificateFile: pki.certificate, keyFile: pki.key,
                                 keys: keys, ntpPort: ntpPort, maximumConnections: 4, connectionTimeout: 1)
        return (ke, keys)
    }

    @Test("our KE client and our KE server agree on keys; a silent client holds a slot only until its deadline")
    func ourClientOurServer() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let (ke, keys) = try server(pki, ntpPort: 12345)
        defer { ke.stop() }
        // A hostile client: connects and says nothing.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        #expect(connectLoopback(silent, ke.port))
        let started = Date()
        let result = try NTSKEClient.establish(host: "localhost", port: ke.port, caFile: pki.ca, timeout: 5)
        #expect(Date().timeIntervalSince(started) < 0.9, "the silent client must not delay another")
        #expect(result.cookies.count == 8 && result.port == 12345)
        // The cookies open under the server's keys to the very keys the client exported.
        #expect(try NTSCookie.open(result.cookies[0], keys: keys.keys).get() == result.session)
        let deadline = Date().addingTimeInterval(5)
        while ke.statistics.timeouts < 1 && Date() < deadline { usleep(20_000) }
        let s = ke.statistics
        #expect(s.handshakes == 1 && s.timeouts == 1 && s.cookiesIssued == 8)
    }

    @Test("beyond maximumConnections a connection is closed at once and counted; the slot frees at the deadline")
    func bounded() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        var random = SystemRandomNumberGenerator()
        let keys = NTSCookieKeyStore(NTSCookieKeys(now: 0, using: &random))
        let ke = try NTSKEServer(port: 0, certificateFile: pki.certificate, keyFile: pki.key, keys: keys,
                                 maximumConnections: 1, connectionTimeout: 0.5)
        defer { ke.stop() }
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        #expect(connectLoopback(silent, ke.port))
        var deadline = Date().addingTimeInterval(5)
        while ke.statistics.connections < 1 && Date() < deadline { usleep(10_000) }
        #expect(throws: NTSKEFailure.self) {
            try NTSKEClient.establish(host: "localhost", port: ke.port, caFile: pki.ca, timeout: 2)
        }
        #expect(ke.statistics.refusedBusy == 1)
        deadline = Date().addingTimeInterval(5)
        while ke.statistics.timeouts < 1 && Date() < deadline { usleep(10_000) }
        let result = try NTSKEClient.establish(host: "localhost", port: ke.port, caFile: pki.ca, timeout: 2)
        #expect(result.cookies.count == 8)
    }

    @Test("our KE client refuses an expired certificate, and the server counts the failed handshake")
    func expired() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        var random = SystemRandomNumberGenerator()
        let keys = NTSCookieKeyStore(NTSCookieKeys(now: Date().timeIntervalSince1970, using: &random))
        let ke = try NTSKEServer(address: "127.0.0.1", port: 0, certificateFile: try pki.expiredCertificate(), keyFile: pki.key, keys: keys)
        defer { ke.stop() }
        #expect {
            try NTSKEClient.establish(host: "localhost", port: ke.port, caFile: pki.ca, timeout: 5)
        } throws: { error in "\(error)".hasPrefix("TLS: certificate refused: certificate has expired") }
        let deadline = Date().addingTimeInterval(5)
        while ke.statistics.handshakeFailures < 1 && Date() < deadline { usleep(20_000) }
        #expect(ke.statistics.handshakeFailures == 1 && ke.statistics.handshakes == 0)
    }

    @Test("a missing certificate file is a clear error at start")
    func missingCertificate() throws {
        var random = SystemRandomNumberGenerator()
        let keys = NTSCookieKeyStore(NTSCookieKeys(now: 0, using: &random))
        #expect {
            try NTSKEServer(port: 0, certificateFile: "/nonexistent/cert.pem", keyFile: "/nonexistent/key.pem", keys: keys)
        } throws: { error in "\(error)".hasPrefix("cannot load the certificate") }
    }

    @Test("chronyd 4.3 as an NTS client of our KE server and responder: NTS in use, offset under 10 ms (loopback; a loaded machine adds milliseconds)")
    func chronydClient() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        var random = SystemRandomNumberGenerator()
        let keys = NTSCookieKeyStore(NTSCookieKeys(now: Date().timeIntervalSince1970, using: &random))
        let responder = try NTSTestResponder(keys: keys)
        defer { responder.stop() }
        let ke = try NTSKEServer(address: "127.0.0.1", port: 0, certificateFile: pki.certificate, keyFile: pki.key, keys: keys)
        defer { ke.stop() }
        let (value, text) = try chronydMeasuresThroughNTS(pki, ntpPort: responder.port, kePort: ke.port)
        print(text)
        let counts = responder.counts
        #expect(ke.statistics.handshakes >= 1, "chronyd did no NTS-KE: \(text)")
        #expect(counts.authentic >= 3 && counts.plain == 0, "NTS requests \(counts): \(text)")
        print("chronyd -Q through NTS measured \(value) s; responder \(counts); KE \(ke.statistics)")
        #expect(abs(value) < 0.01, "chronyd measured \(value) s")
    }
}
