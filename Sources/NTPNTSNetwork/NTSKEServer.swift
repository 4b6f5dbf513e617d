import CNTPTLS
import Glibc
public import NTPNTS
import NTPWire
import NTPPlatform
import Synchronization

/// The server's cookie master keys, shared by the NTS-KE thread (which seals cookies) and
/// the NTP thread (which opens and seals them): a value copied out under a lock.
public final class NTSCookieKeyStore: Sendable {
    private let state: Mutex<NTSCookieKeys>
    public init(_ keys: NTSCookieKeys) { state = Mutex(keys) }
    /// The keys now (a small value: two or three keys).
    public var keys: NTSCookieKeys { state.withLock { $0 } }
    /// Replaces the keys (after a rotation or a reload).
    public func replace(_ keys: NTSCookieKeys) { state.withLock { $0 = keys } }
}

/// The counters behind a lock, shared by the server object and its thread.
final class StatisticsBox: Sendable {
    let state = Mutex(NTSKEServerStatistics())
    func withLock(_ body: (inout NTSKEServerStatistics) -> Void) { state.withLock { body(&$0) } }
}

/// Counters of the NTS-KE server, for the views (`ntsinfo`).
public struct NTSKEServerStatistics: Sendable, Hashable {
    public var connections = 0
    public var handshakes = 0
    public var handshakeFailures = 0
    public var timeouts = 0
    public var refusedBusy = 0
    public var badRequests = 0
    public var cookiesIssued = 0
}

/// The NTS-KE server (RFC 8915 §4) on its own thread: one `poll()` loop over non-blocking
/// sockets, each connection a small state machine (handshake, read the request, write the
/// response) with its own deadline, at most `maximumConnections` at once (more are closed at
/// accept). A slow or hostile TLS client only holds its own slot until its deadline; the NTP
/// thread never waits on this one (it shares only the cookie keys, under a lock).
public final class NTSKEServer: Sendable {
    /// The TCP port bound (useful when 0 was asked).
    public let port: UInt16
    private let wakeWrite: Int32
    private let statisticsState = StatisticsBox()
    private let threadState: Mutex<PlatformThread?>

    public var statistics: NTSKEServerStatistics { statisticsState.state.withLock { $0 } }

    public init(address: String = "127.0.0.1", port: UInt16 = 4460, certificateFile: String, keyFile: String,
                keys: NTSCookieKeyStore, ntpServer: String? = nil, ntpPort: UInt16? = nil,
                algorithms: [NTSAEADAlgorithm] = NTSAEADAlgorithm.allCases, tls: NTSTLSOptions = NTSTLSOptions(),
                maximumConnections: Int = 32, connectionTimeout: Double = 2) throws(NTSKEFailure) {
        var error = [CChar](repeating: 0, count: 512)
        guard let context = ntpsh_tls_server_context(certificateFile, keyFile, &error, error.count) else {
            throw .setup(cText(error))
        }
        if let problem = tls.apply(to: context, server: true) {
            ntpsh_tls_context_free(context)
            throw .setup(problem)
        }
        let listener: (fd: Int32, port: UInt16)
        do throws(NTSKEFailure) { listener = try Self.listen(address: address, port: port) } catch {
            ntpsh_tls_context_free(context)
            throw error
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            ntpsh_tls_context_free(context)
            close(listener.fd)
            throw .setup("pipe: \(String(cString: strerror(errno)))")
        }
        for fd in pipeFDs { setNonBlockingCloseOnExec(fd) }
        self.port = listener.port
        self.wakeWrite = pipeFDs[1]
        let loop = Loop(context: context, listenFD: listener.fd, wakeRead: pipeFDs[0], keys: keys,
                        ntpServer: ntpServer, ntpPort: ntpPort, algorithms: algorithms, maximumConnections: maximumConnections,
                        timeout: connectionTimeout)
        let statistics = statisticsState
        do throws(SystemCallError) {
            threadState = Mutex(try PlatformThread(name: "ntpsh-nts-ke") { loop.run(statistics) })
        } catch {
            throw .setup("cannot start the NTS-KE thread: \(error)")
        }
    }

    /// Stops the thread (closing every connection) and waits for it.
    public func stop() {
        guard let thread = threadState.withLock({ t -> PlatformThread? in defer { t = nil }; return t }) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        thread.join()
        close(wakeWrite)
    }

    deinit { stop() }

    private static func listen(address: String, port: UInt16) throws(NTSKEFailure) -> (fd: Int32, port: UInt16) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, String(port), &hints, &list) == 0, let a = list else { throw .resolve(address) }
        defer { freeaddrinfo(list) }
        let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .setup("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0, Glibc.listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .setup("cannot listen on \(address) port \(port): \(reason)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
        let bound = withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        return (fd, bound)
    }
}

func setNonBlockingCloseOnExec(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
}

/// The NTS-KE thread's state; touched only by that thread.
private final class Loop {
    let context: UnsafeMutableRawPointer
    let listenFD: Int32, wakeRead: Int32
    let keys: NTSCookieKeyStore
    let ntpServer: String?, ntpPort: UInt16?
    let algorithms: [NTSAEADAlgorithm]
    let maximumConnections: Int, timeout: Double

    init(context: UnsafeMutableRawPointer, listenFD: Int32, wakeRead: Int32, keys: NTSCookieKeyStore,
         ntpServer: String?, ntpPort: UInt16?, algorithms: [NTSAEADAlgorithm], maximumConnections: Int, timeout: Double) {
        self.context = context; self.listenFD = listenFD; self.wakeRead = wakeRead; self.keys = keys
        self.ntpServer = ntpServer; self.ntpPort = ntpPort; self.algorithms = algorithms
        self.maximumConnections = maximumConnections; self.timeout = timeout
    }

    enum Phase { case handshake, reading, writing }
    struct Connection {
        var fd: Int32
        var tls: UnsafeMutableRawPointer
        var phase = Phase.handshake
        var want = Int16(POLLIN)
        var received: [UInt8] = []
        var output: [UInt8] = []
        var written = 0
        var deadline: Double
        var done = false
    }

    func run(_ statistics: StatisticsBox) {
        var connections: [Connection] = []
        var random = NTSRandomNumberGenerator()
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer {
            for c in connections { ntpsh_tls_connection_free(c.tls); close(c.fd) }
            close(listenFD); close(wakeRead); ntpsh_tls_context_free(context)
        }
        while true {
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0), pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0.fd, events: $0.want, revents: 0) }
            let now = monotonicNow()
            let next = connections.map(\.deadline).min().map { max(0, $0 - now) } ?? 1
            let n = poll(&fds, nfds_t(fds.count), Int32(min(next, 1) * 1000) + 1)
            if n < 0 && errno != EINTR { return }
            if fds[0].revents != 0 { return }
            let after = monotonicNow()
            for i in connections.indices {
                if after >= connections[i].deadline {
                    statistics.withLock { $0.timeouts += 1 }
                    connections[i].done = true
                } else if fds[i + 2].revents != 0 {
                    step(&connections[i], &buffer, &random, statistics)
                }
            }
            for c in connections where c.done { ntpsh_tls_connection_free(c.tls); close(c.fd) }
            connections.removeAll(where: \.done)
            if fds[1].revents != 0 {
                // Accept what is waiting; beyond the limit, close at once (the client retries later).
                for _ in 0 ..< 16 {
                    let fd = accept(listenFD, nil, nil)
                    guard fd >= 0 else { break }
                    setNonBlockingCloseOnExec(fd)
                    guard connections.count < maximumConnections, let tls = ntpsh_tls_connection(context, fd, 1, nil) else {
                        statistics.withLock { $0.refusedBusy += 1 }
                        close(fd)
                        continue
                    }
                    statistics.withLock { $0.connections += 1 }
                    var c = Connection(fd: fd, tls: tls, deadline: monotonicNow() + timeout)
                    step(&c, &buffer, &random, statistics)
                    if c.done { ntpsh_tls_connection_free(c.tls); close(c.fd) } else { connections.append(c) }
                }
            }
        }
    }

    private func wants(_ r: Int32, _ c: inout Connection) -> Bool {
        if r == NTPSH_TLS_WANT_READ { c.want = Int16(POLLIN); return true }
        if r == NTPSH_TLS_WANT_WRITE { c.want = Int16(POLLOUT); return true }
        return false
    }

    private func step(_ c: inout Connection, _ buffer: inout [UInt8], _ random: inout NTSRandomNumberGenerator,
                      _ statistics: StatisticsBox) {
        while !c.done {
            switch c.phase {
            case .handshake:
                var error = [CChar](repeating: 0, count: 256)
                let r = ntpsh_tls_handshake(c.tls, &error, error.count)
                if r == NTPSH_TLS_OK {
                    statistics.withLock { $0.handshakes += 1 }
                    c.phase = .reading
                } else if !wants(r, &c) {
                    statistics.withLock { $0.handshakeFailures += 1 }
                    c.done = true
                } else { return }
            case .reading:
                let n = buffer.withUnsafeMutableBytes { ntpsh_tls_read(c.tls, $0.baseAddress, $0.count) }
                if n > 0 {
                    c.received += buffer[0 ..< Int(n)]
                    let parsed: Result<[NTSKERecord], NTSKEError>?
                    do throws(NTSKEError) {
                        switch try NTSKEMessage.scan(c.received) {
                        case .incomplete: parsed = nil
                        case .complete(let r, let length): parsed = length == c.received.count ? .success(r) : .failure(.trailingBytes(count: c.received.count - length))
                        }
                    } catch { parsed = .failure(error) }
                    guard let parsed else { continue }
                    let tls = OpaquePointer(c.tls)
                    let reply = NTSKEExchange.response(to: parsed, keys: keys.keys, ntpServer: ntpServer, ntpPort: ntpPort,
                                                     algorithms: algorithms, export: { exportSession(tls, $0) }, using: &random)
                    statistics.withLock {
                        $0.cookiesIssued += reply.cookies
                        if !reply.ok { $0.badRequests += 1 }
                    }
                    c.output = reply.bytes
                    c.phase = .writing
                } else if !wants(n, &c) { c.done = true } else { return }
            case .writing:
                let n = c.output[c.written...].withUnsafeBytes { ntpsh_tls_write(c.tls, $0.baseAddress, $0.count) }
                if n > 0 {
                    c.written += Int(n)
                    if c.written == c.output.count {
                        ntpsh_tls_shutdown(c.tls)
                        c.done = true
                    }
                } else if !wants(n, &c) { c.done = true } else { return }
            }
        }
    }
}
