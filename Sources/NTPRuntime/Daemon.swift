public import NTPEngine
public import NTPPlatform
import NTPWire
import Glibc
import SystemPackage

/// What the daemon is asked to serve.
public struct DaemonSettings: Sendable {
    /// UDP port for NTP; 0 serves nothing.
    public var port: UInt16
    /// Addresses to serve on; empty means the IPv4 and IPv6 wildcards (`0.0.0.0`, `::`).
    public var listen: [SocketAddress] = []
    /// The LOCAL clock driver's stratum when `server 127.127.1.0` is configured.
    public var localClockStratum: UInt8?

    public init(port: UInt16) { self.port = port }
}

/// Why the daemon could not start.
public enum DaemonError: Error, CustomStringConvertible {
    case cannotListen(SocketAddress, SystemCallError, holders: [PortHolder])
    case system(SystemCallError)

    public var description: String {
        switch self {
        case .cannotListen(let address, let error, let holders):
            let host = address.ip.description
            if error.errno == .addressInUse {
                let who = holders.isEmpty ? "" :
                    " (held by " + holders.map { "\($0.command), pid \($0.pid)" }.joined(separator: "; ") + ")"
                return "cannot listen on \(host) port \(address.port): address already in use\(who)"
            }
            return "cannot listen on \(host) port \(address.port): \(error.errno)"
        case .system(let error):
            return error.description
        }
    }
}

/// The engine run for real: one event-loop thread owns the engine state, the sockets and the
/// clock. It serves NTP with batched receive and send; the transmit timestamp of each batch
/// is read from the clock right before the batch leaves.
public final class Daemon {
    private let settings: DaemonSettings
    private let clock: any ClockDriver
    private let log: Log
    private var sockets: [UDPSocket] = []
    private var responder: ServerResponder
    private var droppedOversize: UInt64 = 0
    private let wake: (read: Int32, write: Int32)
    private var stopping = false

    private let receiveBatch = UDPReceiveBatch(capacity: 64, bufferSize: Daemon.receiveBufferSize)
    private let sendBatch = UDPSendBatch(capacity: 64, bufferSize: 64)

    /// Requests longer than this are dropped as oversize (counted).
    public static let receiveBufferSize = 2048
    /// How often the LOCAL driver refreshes the system state, seconds (its poll, 64 s).
    static let localClockInterval: Int64 = 64

    public init(settings: DaemonSettings, clock: any ClockDriver, log: Log) throws(DaemonError) {
        self.settings = settings
        self.clock = clock
        self.log = log
        responder = ServerResponder(state: .unsynchronized(precision: clock.status().precision))
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw .system(SystemCallError("pipe", errno: Errno(rawValue: errno)))
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
        if settings.port != 0 {
            let addresses = settings.listen.isEmpty
                ? [SocketAddress(ip: .anyIPv4, port: settings.port), SocketAddress(ip: .anyIPv6, port: settings.port)]
                : settings.listen.map { SocketAddress(ip: $0.ip, port: settings.port) }
            for address in addresses {
                do {
                    var options = UDPSocket.Options()
                    options.receiveBufferSize = 4 << 20
                    sockets.append(try UDPSocket(bindingTo: address, options: options))
                } catch {
                    for s in sockets { s.close() }
                    throw .cannotListen(address, error, holders: PortHolder.find(port: address.port))
                }
            }
        }
        refreshLocalClock()
    }

    deinit {
        for s in sockets { s.close() }
        close(wake.read); close(wake.write)
    }

    /// Blocks SIGTERM/SIGINT, serves on an event-loop thread until one arrives, then stops
    /// the loop and returns.
    public func runUntilSignalled() {
        TerminationSignals.block()
        for s in sockets { log.notice("listening on \(s.localAddress.ip) port \(s.localAddress.port)") }
        if sockets.isEmpty { log.notice("--port 0: serving nothing") }
        let thread: PlatformThread
        do {
            thread = try PlatformThread(name: "ntpsh-engine") { [self] in eventLoop() }
        } catch {
            log.error("cannot start the engine thread: \(error)")
            return
        }
        let sig = TerminationSignals.wait()
        log.notice("\(TerminationSignals.name(sig)) received, stopping")
        requestStop()
        thread.join()
        let c = responder.counters
        log.notice("stopped: \(c.received) received, \(c.replied) answered, \(c.dropped + droppedOversize) dropped")
    }

    /// Asks the loop to finish; safe from any thread.
    public func requestStop() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    // MARK: - The event loop (engine thread only)

    private func eventLoop() {
        var pollfds = sockets.map { pollfd(fd: $0.descriptor.rawValue, events: Int16(POLLIN), revents: 0) }
        pollfds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
        var nextLocalUpdate = OSClock.monotonicNanoseconds() + Self.localClockInterval * 1_000_000_000
        while !stopping {
            let timeoutMs = Int32(clamping: max(0, (nextLocalUpdate - OSClock.monotonicNanoseconds()) / 1_000_000 + 1))
            let n = poll(&pollfds, nfds_t(pollfds.count), timeoutMs)
            if n < 0 && errno != EINTR {
                log.error("poll: \(Errno(rawValue: errno))")
                return
            }
            for i in 0..<sockets.count where pollfds[i].revents != 0 {
                serve(sockets[i])
            }
            if pollfds[sockets.count].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 16)
                _ = read(wake.read, &buf, buf.count)
                stopping = true
            }
            if OSClock.monotonicNanoseconds() >= nextLocalUpdate {
                refreshLocalClock()
                nextLocalUpdate += Self.localClockInterval * 1_000_000_000
            }
        }
    }

    /// Answers what is waiting on `socket`, a bounded number of batches per wake-up so timers
    /// and the stop request are not starved under flood.
    private func serve(_ socket: UDPSocket) {
        for _ in 0..<16 {
            let received: Int
            do {
                received = try socket.receive(receiveBatch)
            } catch {
                log.warning("receive on \(socket.localAddress): \(error)")
                return
            }
            if received == 0 { return }
            for i in 0..<received {
                let datagram = receiveBatch[i]
                if datagram.truncated {
                    droppedOversize &+= 1
                    continue
                }
                let raw = datagram.receiveTime ?? OSClock.realtime()
                let t2 = clock.served(fromRaw: raw)
                let payload = receiveBatch.payload(i)
                sendBatch.appendReply(to: datagram) { out in
                    switch responder.respond(to: payload, sourcePort: datagram.source.port, receiveTime: t2, into: out) {
                    case .reply(let length): return length
                    case .drop: return 0
                    }
                }
            }
            if !sendBatch.isEmpty {
                let t3 = clock.now()
                for j in 0..<sendBatch.count {
                    ServerResponder.stampTransmit(t3, into: sendBatch.payload(j))
                }
                _ = socket.send(sendBatch)
            }
            if received < receiveBatch.capacity { return }
        }
    }

    /// The interim LOCAL reference (until association selection exists): when configured,
    /// the system is synchronised to the local clock at its fudge stratum + 1, refid
    /// 127.127.1.0, refreshed every 64 s, as ntpd reports a server whose system peer is LOCAL.
    private func refreshLocalClock() {
        let precision = clock.status().precision
        guard let stratum = settings.localClockStratum else {
            responder.state = .unsynchronized(precision: precision)
            return
        }
        responder.state = SystemState(
            leap: .noWarning, stratum: min(stratum + 1, 16),
            referenceID: ReferenceID(ipv4: 127, 127, 1, 0), referenceTime: clock.now(),
            rootDelay: 0, rootDispersion: precision.seconds, precision: precision,
            poll: PollExponent(6))
    }
}
