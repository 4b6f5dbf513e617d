import NTPAdmin
public import NTPEngine
public import NTPPlatform
import NTPWire
import NTPCrypto
import Glibc
import Synchronization
import SystemPackage
import NTPControl

// Owns the daemon's event loop and its sockets: the settings, start and stop, the loop over
// the node (timers, client replies, the batched server path). The other concerns are in their
// own files: Daemon+Inbox (calls from other threads), +Interfaces (server sockets and
// rebinding), +DNS, +ModeSix, +Statistics, +DriftFile; systemd notification is NTPPlatform's.

/// What the daemon is asked to run.
public struct DaemonSettings: Sendable {
    /// UDP port for NTP; 0 serves nothing.
    public var port: UInt16
    /// Addresses to serve on; empty means the IPv4 and IPv6 wildcards (`0.0.0.0`, `::`).
    public var listen: [SocketAddress] = []
    /// Associations to start with (`server`, `pool`, the local clock).
    public var associations: [AssociationConfiguration] = []
    public var engine = EngineConfiguration()
    /// ntpd's drift file: one number, the frequency in ppm; read at start, written hourly and on exit.
    public var driftFile: String?
    /// The engine's randomness (poll jitter, the random low bits of transmit timestamps):
    /// from the system's generator, so an off-path attacker cannot predict it.
    public var seed: UInt64 = .random(in: 0...UInt64.max)
    /// Everything on the calling thread (``Daemon/runUntilSignalled()``): signals caught by a
    /// handler the loop reads instead of a signal thread, no wake pipe in the poll set, names
    /// resolved and `:config` run on the loop (no DNS or `:config` thread), no control socket.
    /// For clknetsim, whose process-wide state allows one thread, and for systems that want
    /// one thread; `NTPSH_SINGLE_THREAD=1`.
    public var singleThreaded = false
    /// The program and its version, as /metrics labels `ntp_uptime_seconds` (`ntpsh 0.2.0`).
    public var version = ""

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

/// The engine run for real. The calling thread runs the event loop, which owns the engine,
/// the sockets and the clock; a second thread only waits for SIGTERM/SIGINT and wakes the loop.
/// The server path is batched (recvmmsg/sendmmsg) and allocation-free; the transmit timestamp of
/// each batch is read from the clock right before the batch leaves.
public final class Daemon {
    var settings: DaemonSettings
    /// Events for the shell's `terminal monitor`, kept until taken.
    private(set) var monitorEvents: [EngineEvent] = []
    /// Work posted from other threads (the shell), run on the loop thread.
    let inbox = Inbox()
    /// Who may touch the engine now: the one answer to "am I on the loop thread?".
    enum LoopState {
        /// No loop yet: configuration at start, one thread; calls run directly.
        case notStarted
        /// This thread owns the engine; calls from other threads are posted to it.
        case running(pthread_t)
        /// The loop has ended but its thread still runs posted calls (control clients draining).
        case stopping(pthread_t)
        /// Nothing runs posted calls any more: calls run under ``afterLoop``.
        case ended
    }
    let loopState = Mutex<LoopState>(.notStarted)
    /// How ``onLoop(_:)`` runs a call.
    enum LoopRoute { case direct, posted, afterLoop }
    /// After the loop: calls from any thread (a control client still running after the drain,
    /// a SIGHUP re-read once the engine stopped by itself) and the final drift-file write take
    /// this lock, so the engine is still touched by one thread at a time. Not recursive: a body
    /// run by ``onLoop(_:)`` must not call it again.
    let afterLoop = Mutex<Void>(())
    /// The thread ``start()`` runs the loop on (to join it).
    var loopThread: PlatformThread?
    /// The loop has ended (or is ending): calls that wait for the engine (`wait sync`) give up.
    var isShuttingDown: Bool {
        loopState.withLock { state in
            switch state {
            case .notStarted, .running: return false
            case .stopping, .ended: return true
            }
        }
    }
    /// `--control-socket`: the AdminAPI served on a Unix socket while ``runUntilSignalled()`` runs.
    public var control: (any ControlEndpoint)?
    /// `metrics listen`: the /metrics endpoint, if configured.
    var metrics: MetricsServer?
    /// `nts …`: the NTS-KE server, the cookie master keys, the NTS counters (Daemon+NTS).
    let nts = DaemonNTS()
    /// SIGHUP: re-read the configuration (NTPService's `ConfigurationKeeper.reload()`); nil: nothing to re-read.
    public var reload: (@Sendable () -> Void)?
    let started = OSClock.monotonicNanoseconds()
    let clock: any ClockDriver
    let log: Log
    /// The engine, its server side and the keys, composed once (loop thread).
    public let node: Node
    public var engine: Engine { node.engine }
    var serverSockets: [UDPSocket] = []
    /// Per server socket (by descriptor): replies awaiting their kernel transmit timestamps.
    var transmitStampRings: [Int32: TransmitStampRing] = [:]
    /// The NICs `hwtimestamp` turned hardware stamps on for, with their PTP clocks (loop thread).
    var hardwareClocks: [HardwareClock] = []
    /// Per server socket: `interface drop` (read and discard everything).
    var serverDrops: [Bool] = []
    /// Local addresses a wildcard socket must not answer for (`interface ignore|drop ADDRESS`).
    var ignoredDestinations: [IPAddress] = []
    /// The server sockets changed: the event loop rebuilds its poll set.
    var socketsChanged = false
    var droppedByInterface: UInt64 = 0
    /// Requests to upstream servers leave from a socket of their association's own (keyed by
    /// the server's address), on a fresh ephemeral port for every request (RFC 9109): an
    /// off-path attacker must guess the port as well as the origin timestamp. A reply counts
    /// only from that address on that socket.
    var clientSockets: [SocketAddress: UDPSocket] = [:]
    /// Replaced client sockets, closed at the top of the next loop iteration (the current one
    /// may still be polling them).
    var retiredClientSockets: [UDPSocket] = []
    var clientSocketsGeneration: UInt64?
    var droppedOversize: UInt64 = 0
    let wake: (read: Int32, write: Int32)
    var stopping = false
    var exitStatus: Int32 = 0
    let resolved = ResolvedQueue()
    /// `statistics`/`filegen`: loopstats and peerstats lines from the engine's history.
    var statisticsWriter = StatisticsWriter()
    /// Runs the text of an authenticated `:config` (ntpq's CTL_OP_CONFIGURE) through the
    /// shell's grammar; returns whether every line succeeded and the reply text ("Config
    /// Succeeded" or the errors). Called on a thread of its own, one `:config` at a time, never
    /// on the loop thread: the loop goes on answering while it runs (its engine calls are posted
    /// to the loop), and the reply leaves from the loop when it is done. Nil: `:config` is refused.
    public var configure: ((String) -> (ok: Bool, message: String))?
    /// One-shot timers of the loop (``after(seconds:_:)``): monotonic deadline, job.
    var loopTimers: [(deadline: Int64, job: @Sendable () -> Void)] = []
    /// A `:config` is running (a second one is answered "busy" at once).
    let configurationRunning = Claim()
    /// The secret mode 6 nonces are derived with (random at start).
    let nonceKey = UInt64.random(in: 0...UInt64.max)

    let receiveBatch = UDPReceiveBatch(capacity: 64, bufferSize: Daemon.receiveBufferSize)
    let sendBatch = UDPSendBatch(capacity: 64, bufferSize: ServerResponder.replyCapacity)
    /// Interleaved mode: what the send batch's replies need beside their bytes.
    let replyStamps = ReplyStamps(capacity: 64)
    var clientBuffer = [UInt8](repeating: 0, count: Daemon.receiveBufferSize)

    /// Requests longer than this are dropped as oversize (counted).
    public static let receiveBufferSize = 2048
    /// The drift file is written this often, seconds (ntpd: hourly).
    static let driftInterval: Int64 = 3600

    public init(settings: DaemonSettings, clock: any ClockDriver, log: Log) throws(DaemonError) {
        self.settings = settings
        self.clock = clock
        self.log = log
        var engineConfiguration = settings.engine
        if engineConfiguration.initialFrequency == nil, let path = settings.driftFile {
            engineConfiguration.initialFrequency = Self.readDrift(path, log: log)
        }
        node = Node(engine: Engine(configuration: engineConfiguration, clock: clock, seed: settings.seed),
                    keys: KeyStore(provider: OpenSSLMAC()))
        // The MRU hash is keyed with a secret of this process (no chosen-address collisions).
        node.responder.monitor = MRUList(settings: node.responder.monitor.settings, seed: UInt64.random(in: 0...UInt64.max))
        node.responder.monitor.reserve()
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .system(SystemCallError("pipe", errno: Errno(rawValue: errno))) }
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
                    serverSockets.append(try Self.serverSocket(address))
                    serverDrops.append(false)
                } catch {
                    for s in serverSockets { s.close() }
                    throw .cannotListen(address, error, holders: PortHolder.find(port: address.port))
                }
            }
        }
        for a in settings.associations { engine.add(a) }
        node.associationsChanged()
    }

    deinit {
        for s in serverSockets + Array(clientSockets.values) + retiredClientSockets { s.close() }
        close(wake.read); close(wake.write)
    }

    /// Serves until SIGTERM or SIGINT, or until the engine exits (`-q`, panic). Returns the
    /// process exit status.
    public func runUntilSignalled() -> Int32 {
        let signals = TerminationSignals.stop + [SIGHUP]
        TerminationSignals.block(signals)
        for s in serverSockets { log.notice("listening on \(s.localAddress.ip) port \(s.localAddress.port)") }
        if serverSockets.isEmpty { log.notice("--port 0: serving nothing") }
        let writeEnd = wake.write
        let reload = self.reload
        let log = self.log
        // This thread owns the engine from here on, before the signal thread exists: a SIGHUP
        // re-read that comes early is posted and runs once the loop does.
        loopState.withLock { $0 = .running(pthread_self()) }
        if settings.singleThreaded {
            // The handler only records the signal; the loop's ppoll returns EINTR and it acts on it.
            CaughtSignals.install(signals)
            log.notice("single-threaded: no signal thread, no control socket, names resolved on the loop")
        } else { do {
            _ = try PlatformThread(name: "ntpsh-signals") {
                while true {
                    let sig = TerminationSignals.wait(signals)
                    if sig == SIGHUP {
                        // Re-read off the loop thread: the loop keeps serving while the file is checked.
                        log.notice("SIGHUP received, re-reading the configuration")
                        SystemdNotify.send("RELOADING=1")
                        if let reload { reload() } else { log.warning("SIGHUP: no configuration file was read; nothing to re-read") }
                        SystemdNotify.send("READY=1")
                        continue
                    }
                    var byte = UInt8(truncatingIfNeeded: sig)
                    _ = write(writeEnd, &byte, 1)
                    return
                }
            }
        } catch {
            log.error("cannot start the signal thread: \(error)")
            endLoop()
            return 1
        } }
        if let control, !settings.singleThreaded {
            do { try control.start() } catch {
                log.error("control socket \(control.path): \(error)")
                endLoop()
                return 1
            }
            log.notice("control socket \(control.path)")
        }
        SystemdNotify.send("READY=1\nSTATUS=" + (serverSockets.isEmpty ? "serving nothing (--port 0)"
            : "serving NTP on port \(serverSockets[0].localAddress.port)"))
        eventLoop(releasingStartUpPages: true)
        loopState.withLock { $0 = .stopping(pthread_self()) }
        SystemdNotify.send("STOPPING=1")
        if let control { stopControl(control) }
        metrics?.stop()
        nts.stop()
        endLoop()
        afterLoop.withLock { _ in
            clock.finish()
            saveDrift()
            let c = node.responder.counters
            log.notice("stopped: \(c.received) requests, \(c.replied) answered, \(c.dropped + droppedOversize + droppedByInterface) dropped")
        }
        return exitStatus
    }

    /// No thread runs posted calls from here on: later calls run under ``afterLoop``, and
    /// those posted before (seen in `.running`/`.stopping`, put under the state lock) run now.
    func endLoop() {
        loopState.withLock { $0 = .ended }
        afterLoop.withLock { _ in
            for job in inbox.take() { job(self) }
        }
    }

    /// Closes the control socket. Clients still inside a call wait for the loop: their jobs are
    /// run here until their threads end (bounded: a call that never returns does not keep the
    /// engine from stopping).
    func stopControl(_ control: any ControlEndpoint) {
        control.shutdown()
        let deadline = OSClock.monotonicNanoseconds() + 5_000_000_000
        while control.activeThreads > 0 {
            if OSClock.monotonicNanoseconds() > deadline {
                log.warning("control: \(control.activeThreads) client call(s) still running; stopping anyway")
                break
            }
            var p = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 20)
            var buf = [UInt8](repeating: 0, count: 64)
            _ = read(wake.read, &buf, buf.count)
            for job in inbox.take() { job(self) }
        }
        control.close()
    }

    // MARK: - Running on a thread of its own (shell and batch modes)

    /// Starts the event loop on a thread of its own; the caller keeps its thread (the shell).
    public func start() throws(SystemCallError) {
        guard loopThread == nil else { return }
        // The new thread owns the engine before this returns: the caller's calls are posted.
        let owned = Completion<Bool>()
        loopThread = try PlatformThread(name: "ntpsh-engine") { [self] in
            loopState.withLock { $0 = .running(pthread_self()) }
            owned.finish(true)
            eventLoop()
        }
        _ = owned.wait()
    }

    /// Stops the loop started by ``start()`` and waits for it; saves the drift file.
    public func stop() {
        guard let thread = loopThread else { return }
        post { d in d.stopping = true }
        thread.join()
        metrics?.stop()
        nts.stop()
        loopThread = nil
        endLoop()
        afterLoop.withLock { _ in
            clock.finish()
            saveDrift()
        }
    }

    /// Takes the events recorded since the last call (loop thread).
    func takeMonitorEvents() -> [EngineEvent] {
        defer { monitorEvents.removeAll() }
        return monitorEvents
    }

    // MARK: - The event loop

    /// The first time the daemon's loop is to wait this long (ms) with nothing due, start-up is
    /// over: its pages are released (``ResidentPages/releaseReadOnly()``).
    static let startedWhenIdleFor: Int32 = 100

    /// Runs until stopped. `releasingStartUpPages`: the daemon's (not a shell's engine thread,
    /// ``start()``), once, after the engine's first events (``startedWhenIdleFor``).
    func eventLoop(releasingStartUpPages: Bool = false) {
        var sockets: [UDPSocket] = []
        var pollfds: [pollfd] = []
        socketsChanged = true
        var nextDrift = OSClock.monotonicNanoseconds() + Self.driftInterval * 1_000_000_000
        perform(engine.handleTimer())
        var served: [(socket: UDPSocket, dropAll: Bool)] = []
        var clients: [(key: SocketAddress, value: UDPSocket)] = []
        var startupReleased = !releasingStartUpPages
        while !stopping {
            retireClientSockets()
            if socketsChanged {
                served = Array(zip(serverSockets, serverDrops))
                clients = Array(clientSockets)
                sockets = serverSockets + clients.map(\.value)
                pollfds = sockets.map { pollfd(fd: $0.descriptor.rawValue, events: Int16(POLLIN), revents: 0) }
                // Single-threaded, nothing writes the pipe (and clknetsim's poll would find it
                // always readable): a negative descriptor is skipped by poll.
                pollfds.append(pollfd(fd: settings.singleThreaded ? -1 : wake.read, events: Int16(POLLIN), revents: 0))
                socketsChanged = false
            }
            var timeout = Double(Self.driftInterval)
            // The wakeup is in served time; poll waits on the OS's monotonic clock.
            if let w = engine.nextWakeup() { timeout = min(timeout, max(0, w - clock.now()) / (1 + clock.timerRate().fraction)) }
            let driftLeft = Double(nextDrift - OSClock.monotonicNanoseconds()) / 1e9
            timeout = min(timeout, max(0, driftLeft), rotateNTSKeys(), sampleHardwareClocks())
            if let next = loopTimers.map(\.deadline).min() {
                timeout = min(timeout, max(0, Double(next - OSClock.monotonicNanoseconds()) / 1e9))
            }
            let milliseconds = Int32(min(timeout * 1000 + 1, 3_600_000))
            if !startupReleased && milliseconds >= Self.startedWhenIdleFor {
                // Started, and the engine's first events run: what starting touched (argument
                // parser, configuration, relocations, the first poll and selection) need not stay
                // resident; what serving touches comes back by minor faults.
                startupReleased = true
                do { try ResidentPages.releaseReadOnly() } catch { log.warning("cannot release start-up pages: \(error)") }
            }
            let n = settings.singleThreaded ? CaughtSignals.poll(&pollfds, timeoutMilliseconds: milliseconds)
                : poll(&pollfds, nfds_t(pollfds.count), milliseconds)
            if n < 0 && errno != EINTR {
                log.error("poll: \(Errno(rawValue: errno))")
                return
            }
            node.responder.restrictions.follow(engine)  // `restrict source`: the associations' addresses now
            for (i, s) in served.enumerated() where pollfds[i].revents != 0 {
                serve(s.socket, dropAll: s.dropAll, errorQueue: pollfds[i].revents & Int16(POLLERR) != 0)
            }
            for (j, c) in clients.enumerated() where pollfds[served.count + j].revents != 0 {
                receiveReplies(c.value, from: c.key)
            }
            if pollfds[sockets.count].revents != 0 { drainWake() }
            if settings.singleThreaded { takeCaughtSignal() }
            for job in inbox.take() { job(self) }
            if !loopTimers.isEmpty { fireLoopTimers() }
            let answers = resolved.take()
            for (id, addresses) in answers { perform(engine.resolved(id, addresses: addresses)) }
            if let w = engine.nextWakeup(), w <= clock.now() { perform(engine.handleTimer()) }
            if statisticsWriter.settings.isActive { writeStatistics() }
            if OSClock.monotonicNanoseconds() >= nextDrift {
                saveDrift()
                nextDrift += Self.driftInterval * 1_000_000_000
            }
        }
    }

    func drainWake() {
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(wake.read, &buf, buf.count)
        // Signal numbers arrive as bytes; 0 is "something was resolved".
        if n > 0, buf[0..<n].contains(where: { $0 != 0 }) {
            let sig = Int32(buf[0..<n].first { $0 != 0 }!)
            log.notice("\(TerminationSignals.name(sig)) received, stopping")
            stopping = true
        }
    }

    func perform(_ actions: [EngineAction]) {
        for action in actions {
            switch action {
            case .send(let request, let destination):
                guard let bytes = ntsProtect(request, to: destination), let socket = clientSocket(for: destination) else { continue }
                do { _ = try socket.send(bytes, to: destination) } catch { log.warning("send to \(destination): \(error)") }
                readRequestStamps(socket, to: destination)
            case .resolve(let id, let host):
                startResolving(id, host)
            case .exit(let status, let reason):
                if status == 0 { log.notice(reason) } else { log.error(reason) }
                exitStatus = status
                stopping = true
            }
        }
        for event in engine.takeEvents() {
            // A configuration event is logged by whoever raised it, when it happened.
            if case .configuration = event.kind {} else { log.notice(event.description) }
            // A step moves the system clock against every PTP clock: the fits start again.
            if case .step = event.kind { for hardware in hardwareClocks { hardware.converter.fit.reset() } }
            monitorEvents.append(event)
            if monitorEvents.count > Engine.eventHistory { monitorEvents.removeFirst() }
        }
        node.engineActed(peersMayHaveChanged: !actions.isEmpty)
    }

    /// Single-threaded: a signal the handler recorded since the last look.
    func takeCaughtSignal() {
        guard let sig = CaughtSignals.take() else { return }
        if sig == SIGHUP {
            log.notice("SIGHUP received, re-reading the configuration")
            if let reload { reload() } else { log.warning("SIGHUP: no configuration file was read; nothing to re-read") }
            return
        }
        log.notice("\(TerminationSignals.name(sig)) received, stopping")
        stopping = true
    }

    /// Closes the client sockets replaced since the last iteration and those of servers no
    /// longer polled (loop thread, between polls).
    func retireClientSockets() {
        if clientSocketsGeneration != engine.addressGeneration {
            clientSocketsGeneration = engine.addressGeneration
            let polled = Set(engine.associations.values.compactMap(\.address))
            for (destination, socket) in clientSockets where !polled.contains(destination) {
                clientSockets[destination] = nil
                retiredClientSockets.append(socket)
            }
        }
        guard !retiredClientSockets.isEmpty else { return }
        for s in retiredClientSockets { s.close() }
        retiredClientSockets = []
        socketsChanged = true
    }

    /// A socket on a fresh ephemeral port for the next request to `destination`; the one it
    /// replaces is retired.
    func clientSocket(for destination: SocketAddress) -> UDPSocket? {
        let any = destination.ip.isIPv4 ? IPAddress.anyIPv4 : IPAddress.anyIPv6
        let socket: UDPSocket
        // `xleave`: the kernel stamps the request on its way out (interleaved mode's T1).
        let options = UDPSocket.Options(transmitTimestamps: engine.wantsTransmitStamps(to: destination))
        do { socket = try UDPSocket(bindingTo: SocketAddress(ip: any, port: 0), options: options) } catch {
            log.warning("no socket for \(destination): \(error)")
            return nil
        }
        if !hardwareClocks.isEmpty { enableHardwareStamps(socket) }
        if let old = clientSockets.updateValue(socket, forKey: destination) { retiredClientSockets.append(old) }
        socketsChanged = true
        return socket
    }

    func receiveReplies(_ socket: UDPSocket, from server: SocketAddress) {
        readRequestStamps(socket, to: server)
        for _ in 0..<64 {
            let datagram: ReceivedDatagram?
            do {
                datagram = try clientBuffer.withUnsafeMutableBytes { buf throws(SystemCallError) in try socket.receive(into: buf) }
            } catch {
                log.warning("receive on \(socket.localAddress): \(error)")
                return
            }
            guard let d = datagram else { return }
            if d.truncated || d.source != server { continue }
            let t4 = clock.served(fromRaw: hardwareReceiveTime(d) ?? d.receiveTime ?? OSClock.realtime())
            let restrict = node.responder.restrictions.check(d.source.ip, port: d.source.port)
            guard let reply = ntsCheck(Array(clientBuffer[0..<d.length]), from: d.source) else { continue }
            perform(engine.handleReply(reply, from: d.source, receiveTime: t4, restrict: restrict,
                                       localAddress: d.destination?.ip))
        }
    }

    /// Answers what is waiting on `socket`, a bounded number of batches per wake-up so timers
    /// and the stop request are not starved under flood.
    func serve(_ socket: UDPSocket, dropAll: Bool, errorQueue: Bool = false) {
        if errorQueue { readTransmitStamps(socket) }
        for _ in 0..<16 {
            let received: Int
            do {
                received = try socket.receive(receiveBatch)
            } catch {
                log.warning("receive on \(socket.localAddress): \(error)")
                return
            }
            if received == 0 { break }
            for i in 0..<received {
                let datagram = receiveBatch[i]
                if datagram.truncated {
                    droppedOversize &+= 1
                    continue
                }
                if dropAll || (!ignoredDestinations.isEmpty && datagram.destination.map { ignoredDestinations.contains($0.ip.unmapped) } == true) {
                    droppedByInterface &+= 1
                    continue
                }
                let payload = receiveBatch.payload(i)
                if payload.count > 0 && payload[0] & 7 == ControlMessage.mode {
                    answerControl(payload, datagram, on: socket)
                    continue
                }
                if payload.count > NTPHeader.size && nts.isServing && answerNTS(payload, datagram, on: socket) { continue }
                let raw = datagram.receiveTime ?? OSClock.realtime()
                let t2 = clock.served(fromRaw: raw)
                let appended = sendBatch.count
                sendBatch.appendReply(to: datagram) { out in
                    switch node.responder.respond(to: payload, from: datagram.source.ip, sourcePort: datagram.source.port, receiveTime: t2,
                                             destination: datagram.destination?.ip, into: out) {
                    case .reply(let length): return length
                    case .drop: return 0
                    }
                }
                if sendBatch.count > appended, let stamp = node.responder.transmitStamp {
                    noteInterleaving(stamp, interleaved: node.responder.interleaved, on: socket)
                }
            }
            if !sendBatch.isEmpty { sendReplies(on: socket, flood: isFlood(received)) }
            flushNTSReplies(on: socket)
            if received < receiveBatch.capacity { break }
        }
        logAuthenticationFailures()
    }

    /// Requests that failed authentication are answered with crypto-NAKs; the log says so at
    /// most once a minute (a flood of bad MACs must not flood the log).
    var authenticationLog = (naks: UInt64(0), at: Int64.min)
}
