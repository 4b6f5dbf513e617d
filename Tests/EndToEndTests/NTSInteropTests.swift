import Foundation
import NTPNTS
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

    private func check(_ r: Finished) throws {
        guard r.status == 0 else { throw TestFailure("openssl failed: \(r.stderr)") }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &a) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw TestFailure("no free TCP port") }
    return UInt16(bigEndian: a.sin_port)
}

/// chronyd 4.3 (-x: it never touches the clock) as an NTS server on loopback.
func startChronydNTSServer(_ pki: TestPKI, ntsPort: UInt16, ntpPort: UInt16) throws -> Background {
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
        """
    try conf.write(toFile: pki.dir + "/chrony.conf", atomically: true, encoding: .utf8)
    let chronyd = try Background("/usr/sbin/chronyd", ["-x", "-d", "-f", pki.dir + "/chrony.conf"])
    try chronyd.waitUntil(timeout: 10, "chronyd's NTS-KE port") {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = ntsPort.bigEndian
        return withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
    return chronyd
}

@Suite("NTS interop with chronyd 4.3 on loopback", .serialized)
struct NTSInteropTests {
    @Test("our NTS-KE client gets keys and 8 cookies from chronyd, then an authenticated NTP exchange")
    func keClientAgainstChronyd() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort)
        defer { chronyd.stop() }

        let ke = try NTSKEClient.establish(host: "localhost", port: ntsPort, caFile: pki.ca, timeout: 5)
        #expect(ke.cookies.count == 8)
        #expect(ke.session.algorithm == .aesSIVCMAC256)
        var state = NTSClientState(session: ke.session, cookies: ke.cookies, server: ke.server, port: ke.port)
        var random = SystemRandomNumberGenerator()
        let udp = try UDPClient(bindTo: "127.0.0.1")
        for poll in 0 ..< 3 {
            var header = [UInt8](repeating: 0, count: 48)
            header[0] = 0x23
            for i in 40 ..< 48 { header[i] = UInt8.random(in: 0 ... 255) }
            let request = try #require(state.request(header: header, using: &random))
            try udp.send(request, to: "127.0.0.1", port: ntpPort)
            let response = try #require(udp.receive(timeout: 3), "poll \(poll): no answer from chronyd")
            #expect(state.accept(response) == .authentic(newCookies: 1), "poll \(poll)")
            #expect(Array(response[24 ..< 32]) == Array(header[40 ..< 48]), "origin timestamp echoed")
            #expect(response[1] != 0, "not a KoD")
        }
        #expect(state.cookies.count == 8)
    }

    @Test("a wrong CA and a name mismatch are refused with a clear message")
    func keClientRefusals() throws {
        let pki = try TestPKI(), other = try TestPKI(), elsewhere = try TestPKI(names: "DNS:ntp.example")
        defer { pki.remove(); other.remove(); elsewhere.remove() }
        let ntsPort = try freeTCPPort(), ntpPort = try freeUDPPort()
        let chronyd = try startChronydNTSServer(pki, ntsPort: ntsPort, ntpPort: ntpPort)
        defer { chronyd.stop() }
        #expect {
            try NTSKEClient.establish(host: "localhost", port: ntsPort, caFile: other.ca, timeout: 5)
        } throws: { error in
            "\(error)".contains("certificate refused") && "\(error)".contains("unable to get local issuer certificate")
        }
        let ntsPort2 = try freeTCPPort(), ntpPort2 = try freeUDPPort()
        let misnamed = try startChronydNTSServer(elsewhere, ntsPort: ntsPort2, ntpPort: ntpPort2)
        defer { misnamed.stop() }
        #expect {
            try NTSKEClient.establish(host: "localhost", port: ntsPort2, caFile: elsewhere.ca, timeout: 5)
        } throws: { error in "\(error)".contains("certificate refused: hostname mismatch") }
        // Nothing listening: a clear connection error within the deadline.
        #expect {
            try NTSKEClient.establish(host: "127.0.0.1", port: try freeTCPPort(), caFile: pki.ca, timeout: 2)
        } throws: { error in "\(error)".contains("Connection refused") }
    }
}
