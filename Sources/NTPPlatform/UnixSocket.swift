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
            if let live = try? StreamConnection.connect(to: path) {
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
    public func accept() throws(SystemCallError) -> StreamConnection {
        let fd = try systemCall("accept") { Glibc.accept(descriptor, nil, nil) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return StreamConnection(descriptor: fd)
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
