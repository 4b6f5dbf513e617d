import CNTPTLS
import Glibc
public import NTPNTS
import NTPWire

/// Seconds on the monotonic clock.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// `nts tlsciphersuites` and `nts tlsecdhcurves` (NTPsec's words): the TLS 1.3 cipher suites
/// and key-exchange groups NTS-KE allows, as OpenSSL lists (colon-separated); nil leaves
/// OpenSSL's default. Applied to the KE server and to every KE client.
public struct NTSTLSOptions: Sendable, Hashable {
    public var cipherSuites: String?
    public var groups: String?

    public init(cipherSuites: String? = nil, groups: String? = nil) {
        self.cipherSuites = cipherSuites
        self.groups = groups
    }

    /// Applies the lists to a TLS context (nil: only checks them); the reason when OpenSSL
    /// refuses one.
    func apply(to context: UnsafeMutableRawPointer?, server: Bool) -> String? {
        guard cipherSuites != nil || groups != nil else { return nil }
        var error = [CChar](repeating: 0, count: 512)
        return ntpsh_tls_context_restrict(context, server ? 1 : 0, cipherSuites, groups, &error, error.count) == 1 ? nil : cText(error)
    }

    /// Why OpenSSL would refuse these lists, or nil when it takes them.
    public var problem: String? { apply(to: nil, server: true) }
}

/// The NTS-KE client: one blocking session with a deadline (call it off the NTP thread).
extension NTSKEClient {
    /// Connects to `host`:`port`, requires TLS 1.3 with ALPN ntske/1 and a certificate valid
    /// for `host` under `caFile` (or the system trust store), negotiates NTPv4 and an AEAD
    /// among `algorithms` (in preference order), and returns the keys and cookies. `address`:
    /// connect there instead (a pool's server, its certificate still checked for `host`).
    public static func establish(host: String, address: String? = nil, port: UInt16 = 4460, caFile: String? = nil,
                                 algorithms: [NTSAEADAlgorithm] = [.aesSIVCMAC256], tls: NTSTLSOptions = NTSTLSOptions(),
                                 timeout: Double = 5) throws(NTSKEFailure) -> NTSKEResult {
        let deadline = monotonicNow() + timeout
        var error = [CChar](repeating: 0, count: 512)
        guard let context = ntpsh_tls_client_context(caFile, &error, error.count) else {
            throw .setup(cText(error))
        }
        defer { ntpsh_tls_context_free(context) }
        if let problem = tls.apply(to: context, server: false) { throw .setup(problem) }
        let fd = try connect(host: address ?? host, port: port, deadline: deadline)
        defer { close(fd) }
        guard let raw = ntpsh_tls_connection(context, fd, 0, host) else { throw .setup("cannot make a TLS connection") }
        let tls = OpaquePointer(raw)
        defer { ntpsh_tls_connection_free(raw) }
        while true {
            let r = ntpsh_tls_handshake(raw, &error, error.count)
            if r == NTPSH_TLS_OK { break }
            guard r == NTPSH_TLS_WANT_READ || r == NTPSH_TLS_WANT_WRITE else { throw .tls(cText(error)) }
            try wait(fd, r == NTPSH_TLS_WANT_READ ? POLLIN : POLLOUT, until: deadline, what: "in the TLS handshake")
        }
        let request = NTSKEClient.request(algorithms: algorithms)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { ntpsh_tls_write(raw, $0.baseAddress, $0.count) }
            if n > 0 { sent += Int(n); continue }
            guard n == NTPSH_TLS_WANT_READ || n == NTPSH_TLS_WANT_WRITE else { throw .tls("write failed") }
            try wait(fd, n == NTPSH_TLS_WANT_READ ? POLLIN : POLLOUT, until: deadline, what: "sending the request")
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var records: [NTSKERecord]
        while true {
            do throws(NTSKEError) {
                if case .complete(let r, _) = try NTSKEMessage.scan(received) { records = r; break }
            } catch { throw .protocolError("bad response: \(error)") }
            let n = buffer.withUnsafeMutableBytes { ntpsh_tls_read(raw, $0.baseAddress, $0.count) }
            if n > 0 { received += buffer[0 ..< Int(n)]; continue }
            if n == NTPSH_TLS_CLOSED { throw .protocolError("the server closed before End of Message") }
            guard n == NTPSH_TLS_WANT_READ || n == NTPSH_TLS_WANT_WRITE else { throw .tls("read failed") }
            try wait(fd, n == NTPSH_TLS_WANT_READ ? POLLIN : POLLOUT, until: deadline, what: "waiting for the response")
        }
        ntpsh_tls_shutdown(raw)
        return try interpret(records, offered: algorithms) { alg in exportSession(tls, alg) }
    }

    private static func connect(host: String, port: UInt16, deadline: Double) throws(NTSKEFailure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { throw .resolve("\(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let e = entry {
            entry = e.pointee.ai_next
            let fd = socket(e.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            if Glibc.connect(fd, e.pointee.ai_addr, e.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else { lastError = String(cString: strerror(errno)); close(fd); continue }
            do { try wait(fd, POLLOUT, until: deadline, what: "connecting to \(host) port \(port)") } catch { close(fd); throw error }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError == 0 { return fd }
            lastError = String(cString: strerror(soError))
            close(fd)
        }
        throw .connect("\(host) port \(port): \(lastError)")
    }
}

/// Waits until `fd` is ready for `events` or the deadline passes.
func wait(_ fd: Int32, _ events: Int32, until deadline: Double, what: String) throws(NTSKEFailure) {
    while true {
        let left = deadline - monotonicNow()
        guard left > 0 else { throw .timeout(what) }
        var p = pollfd(fd: fd, events: Int16(events), revents: 0)
        let n = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
        if n > 0 { return }
        if n < 0 && errno != EINTR { throw .connect(String(cString: strerror(errno))) }
    }
}
