import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the package's build put the `ntpsh` binary: beside the test bundle.
func ntpshBinary() -> String {
    if let env = ProcessInfo.processInfo.environment["NTPSH_BIN"] { return env }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return exe.deletingLastPathComponent().appendingPathComponent("ntpsh").path
}

/// The package root (for fixtures and the unpacked NTPsec tools).
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// NTPsec's tools, unpacked by scripts/deps.sh (they conflict with chrony as packages).
func ntpsecTool(_ name: String) -> String {
    let base = packageRoot.appendingPathComponent(".deps/ntpsec/usr")
    for dir in ["bin", "sbin"] {
        let p = base.appendingPathComponent(dir).appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return name
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort() throws -> UInt16 {
    let s = try UDPClient(bindTo: "127.0.0.1")
    return s.localPort
}

/// The result of a finished process.
struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion with a time limit; kills it (by its PID) if it overruns.
func run(_ path: String, _ args: [String], timeout: Double = 30, environment: [String: String]? = nil) throws -> Finished {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Drain both pipes while it runs so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        _ = group.wait(timeout: .now() + 5)
        throw TestFailure("\(path) \(args.joined(separator: " ")) did not finish within \(timeout) s; stderr: \(String(decoding: errData, as: UTF8.self))")
    }
    p.waitUntilExit()
    _ = group.wait(timeout: .now() + 5)
    return Finished(status: p.terminationStatus,
                    stdout: String(decoding: outData, as: UTF8.self),
                    stderr: String(decoding: errData, as: UTF8.self))
}

/// A long-running process started by a test (ntpsh --daemon, chronyd, ntpd), stopped by PID.
final class Background: @unchecked Sendable {
    let process = Process()
    private let errPipe = Pipe()
    private let outPipe = Pipe()
    private let lock = NSLock()
    private var errText = Data()
    private var outText = Data()

    private var inPipe: Pipe?

    /// With `input`, the process reads its standard input from ``send(_:)``; `environment`
    /// adds to (or overrides) the inherited variables.
    init(_ path: String, _ args: [String], input: Bool = false, environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardError = errPipe
        process.standardOutput = outPipe
        if input {
            signal(SIGPIPE, SIG_IGN)  // a process that exits early must not kill the test runner
            let p = Pipe()
            inPipe = p
            process.standardInput = p
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.errText.append(d); self.lock.unlock()
        }
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.outText.append(d); self.lock.unlock()
        }
        try process.run()
    }

    /// Writes to the process's standard input.
    func send(_ text: String) { inPipe?.fileHandleForWriting.write(Data(text.utf8)) }

    /// Closes its standard input (end of the batch).
    func closeInput() { try? inPipe?.fileHandleForWriting.close() }

    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: errText, as: UTF8.self) }
    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: outText, as: UTF8.self) }
    var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits up to `timeout` s for the exit; SIGKILL after that. Returns the status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        errPipe.fileHandleForReading.readabilityHandler = nil
        outPipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }

    /// Waits (bounded) until `condition` holds, polling every 20 ms.
    func waitUntil(timeout: Double, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            if !process.isRunning { throw TestFailure("process exited (\(process.terminationStatus)) while waiting for \(what); stderr:\n\(stderr)") }
            usleep(20_000)
        }
        throw TestFailure("timed out after \(timeout) s waiting for \(what); stderr:\n\(stderr)")
    }

    /// For an ntpsh reading a batch from ``send(_:)``: runs `commands`, then waits (bounded) for
    /// an `echo marker` after them, which says they have all run.
    func step(_ commands: String, _ marker: String, timeout: Double = 10) throws {
        send(commands + "\necho \(marker)\n")
        try waitUntil(timeout: timeout, marker) { stdout.contains(marker + "\n") }
    }

    deinit { if process.isRunning { stop(signal: SIGKILL, timeout: 2) } }
}

/// A plain UDP socket for talking to servers from tests.
final class UDPClient {
    let fd: Int32
    let family: Int32

    init(bindTo address: String = "127.0.0.1", port: UInt16 = 0) throws {
        family = address.contains(":") ? AF_INET6 : AF_INET
        fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        var big: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, 4)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, 4)
        var ss = try Self.socketAddress(address, port)
        let rc = withUnsafePointer(to: &ss) {
            $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, Self.length(family)) }
        }
        guard rc == 0 else { close(fd); throw TestFailure("bind \(address):\(port): errno \(errno)") }
    }

    deinit { close(fd) }

    static func length(_ family: Int32) -> socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    static func socketAddress(_ address: String, _ port: UInt16) throws -> sockaddr_storage {
        var ss = sockaddr_storage()
        if address.contains(":") {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, address, &sin6.sin6_addr) == 1 else { throw TestFailure("bad address \(address)") }
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin6) { dst.copyMemory(from: $0) } }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else { throw TestFailure("bad address \(address)") }
            withUnsafeMutableBytes(of: &ss) { dst in withUnsafeBytes(of: sin) { dst.copyMemory(from: $0) } }
        }
        return ss
    }

    var localPort: UInt16 {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) {
            $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return withUnsafeBytes(of: ss) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    func send(_ bytes: [UInt8], to address: String, port: UInt16) throws {
        var ss = try Self.socketAddress(address, port)
        let n = bytes.withUnsafeBytes { buf in
            withUnsafePointer(to: &ss) {
                $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) {
                    sendto(fd, buf.baseAddress, buf.count, 0, $0, Self.length(family))
                }
            }
        }
        guard n == bytes.count else { throw TestFailure("sendto: errno \(errno)") }
    }

    /// The next datagram, or nil when none arrives within `timeout` seconds.
    func receive(timeout: Double) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { return nil }
        return Array(buf[0..<n])
    }
}

/// `ntpsh --daemon --control-socket PATH` (observe clock, serving nothing) with `config` as
/// its configuration, once the socket is up; returns the daemon, the socket and the directory.
func startEngine(_ config: String, directory: String? = nil, extra: [String] = [],
                 environment: [String: String]? = nil) throws -> (Background, String, String) {
    let dir = try directory ?? temporaryDirectory()
    try config.write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
    let socket = "\(dir)/ntpsh.sock"
    let engine = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--port", "0", "-c", "\(dir)/ntp.conf",
                                                "--control-socket", socket] + extra, environment: environment)
    try engine.waitUntil(timeout: 10, "the control socket") { engine.stderr.contains("control socket \(socket)") }
    return (engine, socket, dir)
}

/// `ntpsh --attach SOCKET ARGS…` to completion.
func attach(_ socket: String, _ args: [String], as user: [String] = [], timeout: Double = 30) throws -> Finished {
    if user.isEmpty { return try run(ntpshBinary(), ["--attach", socket] + args, timeout: timeout) }
    return try run(user[0], Array(user.dropFirst()) + [ntpshBinary(), "--attach", socket] + args, timeout: timeout)
}
