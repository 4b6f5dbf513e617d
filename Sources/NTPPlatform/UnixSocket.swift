import CNTPPlatform
import SystemPackage
import Glibc

/// Who is at the other end of a Unix stream socket (SO_PEERCRED and SO_PEERGROUPS, as the
/// kernel recorded them when it connected): what the engine checks privilege against.
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups.
    public var groups: [UInt32]

    public var description: String { "pid \(pid), uid \(uid), gid \(gid)" }
}

/// A `sockaddr_un` for `path`; a leading `@` names the abstract namespace (as systemd writes
/// NOTIFY_SOCKET). Nil when the path does not fit (108 bytes).
func unixAddress(_ path: String) -> (sockaddr_un, socklen_t)? {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(path.utf8)
    let abstract = bytes.first == UInt8(ascii: "@")
    if abstract { bytes[0] = 0 }
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard !bytes.isEmpty, bytes.count < capacity else { return nil }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
    return (address, socklen_t(offset + bytes.count + (abstract ? 0 : 1)))
}

/// One connected Unix stream socket (blocking). Reads wait with `poll` so a peer that stops
/// half-way through a message can be given up on.
public final class UnixStream: @unchecked Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Connects to the socket at `path`.
    public static func connect(to path: String) throws(SystemCallError) -> UnixStream {
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
        return UnixStream(descriptor: fd)
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
    public func read(exactly count: Int, firstByteTimeout: Double?, timeout: Double) throws(UnixStreamError) -> [UInt8]? {
        var deadline: Double?
        return try read(exactly: count, firstByteTimeout: firstByteTimeout, deadline: &deadline, timeout: timeout)
    }

    /// Like ``read(exactly:firstByteTimeout:timeout:)``, sharing one deadline across several
    /// reads (a header and its payload): `deadline` (CLOCK_MONOTONIC seconds) is set to
    /// `timeout` after the first byte if it is nil, and every later byte must arrive before it.
    public func read(exactly count: Int, firstByteTimeout: Double?, deadline: inout Double?, timeout: Double) throws(UnixStreamError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let wait: Double?
            if let deadline {
                wait = max(0, deadline - Self.monotonicNow())
            } else {
                wait = firstByteTimeout
            }
            var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = Glibc.poll(&p, 1, wait.map { Int32(min($0, 86_400) * 1000) } ?? -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system(SystemCallError("poll", errno: Errno(rawValue: errno)))
            }
            if ready == 0 { throw .timedOut(received: got, of: count) }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + got, count - got) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .system(SystemCallError("read", errno: Errno(rawValue: errno)))
            }
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
    public func readSome(limit: Int, deadline: Double) throws(UnixStreamError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let wait = max(0, deadline - Self.monotonicNow())
            let ready = Glibc.poll(&p, 1, Int32(min(wait, 86_400) * 1000))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system(SystemCallError("poll", errno: Errno(rawValue: errno)))
            }
            if ready == 0 { throw .timedOut(received: 0, of: limit) }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, limit) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw .system(SystemCallError("read", errno: Errno(rawValue: errno)))
            }
            return Array(buffer.prefix(n))
        }
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

/// Why a read from a ``UnixStream`` stopped.
public enum UnixStreamError: Error, Sendable, CustomStringConvertible {
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

/// A listening Unix stream socket at a path, created with `mode` (0660: owner and group).
/// A stale socket file (nothing answers on it) is replaced; a live one is an error.
public final class UnixListener: @unchecked Sendable {
    public let path: String
    public let descriptor: Int32

    public init(path: String, mode: UInt32) throws(SystemCallError) {
        guard let (unix, length) = unixAddress(path), !path.hasPrefix("@") else {
            throw SystemCallError("bind(\(path))", errno: .fileNameTooLong)
        }
        var address = unix
        let mode = mode_t(mode)
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else { throw SystemCallError("bind(\(path)): not a socket", errno: .fileExists) }
            if let live = try? UnixStream.connect(to: path) {
                live.close()
                throw SystemCallError("bind(\(path)): another engine is serving it", errno: .addressInUse)
            }
            unlink(path)
        }
        let fd = try systemCall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        // The file gets its mode at bind(2), from the umask: no moment with wider permissions.
        let saved = umask(~mode & 0o777)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        let bindErrno = errno
        umask(saved)
        guard rc == 0 else {
            Glibc.close(fd)
            throw SystemCallError("bind(\(path))", errno: Errno(rawValue: bindErrno))
        }
        chmod(path, mode)
        guard listen(fd, 16) == 0 else {
            let e = Errno(rawValue: errno)
            Glibc.close(fd); unlink(path)
            throw SystemCallError("listen(\(path))", errno: e)
        }
        self.path = path
        self.descriptor = fd
    }

    /// The next connection; blocks. Throws once ``shutdown()`` was called.
    public func accept() throws(SystemCallError) -> UnixStream {
        let fd = try systemCall("accept") { Glibc.accept(descriptor, nil, nil) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return UnixStream(descriptor: fd)
    }

    /// The group owning the socket file (changes need membership of it).
    public var group: UInt32? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_gid : nil
    }

    /// Wakes a thread blocked in ``accept()`` (it throws) and removes the socket file.
    public func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
        unlink(path)
    }

    public func close() { Glibc.close(descriptor) }
}

/// sd_notify(3) without libsystemd: one datagram of `KEY=VALUE` lines to the socket named by
/// `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace).
public enum SystemdNotify {
    /// Whether the service manager asked for notifications.
    public static var isRequested: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends `state` (e.g. `"READY=1\nSTATUS=serving"`); false when not requested or it failed.
    @discardableResult
    public static func send(_ state: String) -> Bool {
        guard let env = getenv("NOTIFY_SOCKET"), let (unix, length) = unixAddress(String(cString: env)) else { return false }
        var address = unix
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        let bytes = Array(state.utf8)
        let n = bytes.withUnsafeBytes { buf in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL), $0, length) }
            }
        }
        return n == bytes.count
    }
}
