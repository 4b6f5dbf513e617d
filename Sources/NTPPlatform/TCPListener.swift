// TCPListener: a listening TCP socket on an address and port, for the small HTTP endpoint that
// serves /metrics. Its connections are plain stream sockets, read and written as the control
// socket's are (``StreamConnection`` serves any connected stream socket).
import CNTPPlatform
import Glibc
public import NTPEngine
import SystemPackage

public final class TCPListener: @unchecked Sendable {
    public let descriptor: Int32
    /// Where it listens (the port the kernel chose when asked for port 0).
    public let localAddress: SocketAddress

    /// Binds and listens (backlog `backlog`); IPv6 addresses only IPv6 (IPV6_V6ONLY).
    public init(_ address: SocketAddress, backlog: Int32 = 16) throws(SystemCallError) {
        let fd = try systemCall("socket") { socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let rc = address.withSockAddr { bind(fd, $0, $1) }
        guard rc == 0, listen(fd, backlog) == 0 else {
            let e = Errno(rawValue: errno)
            Glibc.close(fd)
            throw SystemCallError("bind(\(address.ip) port \(address.port))", errno: e)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        localAddress = named == 0 ? (SocketAddress(storage) ?? address) : address
    }

    /// The next connection and who made it; blocks. Throws once ``shutdown()`` was called.
    public func accept() throws(SystemCallError) -> (StreamConnection, SocketAddress?) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = try systemCall("accept") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(descriptor, $0, &length) }
            }
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (StreamConnection(descriptor: fd), SocketAddress(storage))
    }

    /// Wakes a thread blocked in ``accept()`` (it throws).
    public func shutdown() { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }

    public func close() { Glibc.close(descriptor) }
}
