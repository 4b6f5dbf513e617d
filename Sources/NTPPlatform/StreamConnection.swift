// StreamConnection: one connected stream socket (the control socket's Unix connections, the
// metrics endpoint's TCP ones): bounded reads, whole writes, peer credentials, shutdown.
import CNTPPlatform
import SystemPackage
import Glibc

/// One connected stream socket (blocking): the control socket's Unix connections and the
/// metrics endpoint's TCP ones. Reads wait with `poll` so a peer that stops half-way through a
/// message can be given up on.
public final class StreamConnection: @unchecked Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Connects to the socket at `path`.
    public static func connect(to path: String) throws(SystemCallError) -> StreamConnection {
        guard let (unix, length) = unixAddress(path) else {
            throw SystemCallError("connect(\(path))", errno: .fileNameTooLong)
        }
        var address = unix
        let fd = try systemCall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        if rc != 0 {
            let e = Errno(rawValue: errno)
            Glibc.close(fd)
            throw SystemCallError("connect(\(path))", errno: e)
        }
        return StreamConnection(descriptor: fd)
    }

    /// The peer's credentials, or nil when the kernel gives none.
    public func peerCredentials() -> PeerCredentials? {
        var pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
        guard ntpsh_peer_credentials(descriptor, &pid, &uid, &gid) == 0 else { return nil }
        var groups = [UInt32](repeating: 0, count: 256)
        var count = Int32(groups.count)
        if ntpsh_peer_groups(descriptor, &groups, &count) != 0 { count = 0 }
        return PeerCredentials(pid: pid, uid: uid, gid: gid, groups: Array(groups.prefix(Int(max(0, count)))))
    }

    /// Exactly `count` bytes; nil when the peer closed before the first byte. Waits for the
    /// first byte up to `firstByteTimeout` (nil: for ever), for the rest up to `timeout` s in all
    /// (not per read: a peer trickling a byte at a time is still cut off).
    public func read(exactly count: Int, firstByteTimeout: Double?, timeout: Double) throws(StreamReadError) -> [UInt8]? {
        var deadline: Double?
        return try read(exactly: count, firstByteTimeout: firstByteTimeout, deadline: &deadline, timeout: timeout)
    }

    /// Like ``read(exactly:firstByteTimeout:timeout:)``, sharing one deadline across several
    /// reads (a header and its payload): `deadline` (CLOCK_MONOTONIC seconds) is set to
    /// `timeout` after the first byte if it is nil, and every later byte must arrive before it.
    public func read(exactly count: Int, firstByteTimeout: Double?, deadline: inout Double?, timeout: Double) throws(StreamReadError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let wait: Double?
            if let deadline {
                wait = max(0, deadline - Self.monotonicNow())
            } else {
                wait = firstByteTimeout
            }
            guard let ready = try pollReadable(wait) else { continue }
            if !ready { throw .timedOut(received: got, of: count) }
            guard let n = try readOnce(&buffer, at: got, count: count - got) else { continue }
            if n == 0 {
                if got == 0 && deadline == nil { return nil }
                throw .closed(received: got, of: count)
            }
            if deadline == nil { deadline = Self.monotonicNow() + timeout }
            got += n
        }
        return buffer
    }

    /// What has arrived, at most `limit` bytes, waiting until `deadline` (CLOCK_MONOTONIC
    /// seconds, as ``monotonicNow()``) for the first of them; empty when the peer closed.
    public func readSome(limit: Int, deadline: Double) throws(StreamReadError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            guard let ready = try pollReadable(max(0, deadline - Self.monotonicNow())) else { continue }
            if !ready { throw .timedOut(received: 0, of: limit) }
            guard let n = try readOnce(&buffer, at: 0, count: limit) else { continue }
            return Array(buffer.prefix(n))
        }
    }

    /// Waits up to `wait` seconds (nil: for ever) for something to read: true when there is,
    /// false on timeout, nil when a signal interrupted the wait (recompute it and ask again).
    private func pollReadable(_ wait: Double?) throws(StreamReadError) -> Bool? {
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = Glibc.poll(&p, 1, wait.map { Int32(min($0, 86_400) * 1000) } ?? -1)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .system(SystemCallError("poll", errno: Errno(rawValue: errno)))
        }
        return ready > 0
    }

    /// One read of at most `count` bytes into `buffer` at `offset`: how many (0: the peer
    /// closed), or nil when interrupted or not ready after all (try again).
    private func readOnce(_ buffer: inout [UInt8], at offset: Int, count: Int) throws(StreamReadError) -> Int? {
        let n = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + offset, count) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw .system(SystemCallError("read", errno: Errno(rawValue: errno)))
        }
        return n
    }

    /// CLOCK_MONOTONIC, seconds.
    public static func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Writes all of `bytes` (no SIGPIPE: a closed peer is an error).
    public func write(_ bytes: [UInt8]) throws(SystemCallError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("send", errno: Errno(rawValue: errno))
            }
            sent += n
        }
    }

    /// Sends that cannot complete within `seconds` (a peer that does not read) fail instead of
    /// blocking for ever.
    public func setSendTimeout(seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Ends both directions now (a thread blocked reading it wakes up); the descriptor stays open.
    public func shutdown() { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }

    public func close() { Glibc.close(descriptor) }
}

/// Why a read from a ``StreamConnection`` stopped.
public enum StreamReadError: Error, Sendable, CustomStringConvertible {
    case closed(received: Int, of: Int)
    case timedOut(received: Int, of: Int)
    case system(SystemCallError)

    public var description: String {
        switch self {
        case .closed(let got, let want): return "closed after \(got) of \(want) bytes"
        case .timedOut(let got, let want): return "timed out after \(got) of \(want) bytes"
        case .system(let e): return e.description
        }
    }
}
