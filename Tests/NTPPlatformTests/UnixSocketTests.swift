import Glibc
@testable import NTPPlatform
import Testing

/// Unix stream sockets (the control socket) and sd_notify's datagram, on temporary paths and an
/// abstract name of this process.
@Suite struct UnixSocketTests {
    func temporaryPath(_ name: String) -> String {
        var template = Array("/tmp/ntpsh-unix-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return "\(dir)/\(name)"
    }

    @Test("the listener's file has the mode asked for; a stale file is replaced, a live one refused; peers are known")
    func listener() throws {
        let path = temporaryPath("s.sock")
        let listener = try UnixListener(path: path, mode: 0o660)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o660)
        #expect(listener.group == getegid())
        let client = try StreamConnection.connect(to: path)
        defer { client.close() }
        let served = try listener.accept()
        defer { served.close() }
        let peer = try #require(served.peerCredentials())
        #expect(peer.pid == getpid() && peer.uid == geteuid() && peer.gid == getegid())
        try client.write([1, 2, 3])
        #expect(try served.read(exactly: 3, firstByteTimeout: 1, timeout: 1) == [1, 2, 3])
        client.shutdown()
        #expect(try served.read(exactly: 1, firstByteTimeout: 1, timeout: 1) == nil, "a clean close between messages")
        // A second engine on the same path is refused while the first answers.
        #expect(throws: SystemCallError.self) { _ = try UnixListener(path: path, mode: 0o660) }
        listener.shutdown()
        listener.close()
        #expect(access(path, F_OK) != 0, "shutdown removes the socket file")
        // A stale socket file (nothing listening) is replaced.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (address, length) = try #require(unixAddress(path))
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        close(fd)
        let again = try UnixListener(path: path, mode: 0o600)
        again.shutdown(); again.close()
    }

    @Test("a read cut short says how much arrived")
    func truncated() throws {
        let path = temporaryPath("t.sock")
        let listener = try UnixListener(path: path, mode: 0o600)
        defer { listener.shutdown(); listener.close() }
        let client = try StreamConnection.connect(to: path)
        let served = try listener.accept()
        defer { served.close() }
        try client.write([1, 2])
        client.close()
        #expect(throws: StreamReadError.self) { _ = try served.read(exactly: 8, firstByteTimeout: 1, timeout: 1) }
    }

    @Test("sd_notify to an abstract-namespace socket (@name), as systemd names it")
    func notifyAbstract() throws {
        let name = "@ntpsh-notify-test-\(getpid())"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var (address, length) = try #require(unixAddress(name))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0)
        setenv("NOTIFY_SOCKET", name, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        #expect(SystemdNotify.send("READY=1\nSTATUS=test"))
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 2000) == 1)
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        #expect(n > 0 && String(decoding: buf[0..<n], as: UTF8.self) == "READY=1\nSTATUS=test")
    }
}
