public import NTPEngine
public import NTPPlatform
import NTPWire
import NTPShell
import NTPCrypto
import Glibc
import Synchronization
import SystemPackage

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
    private(set) var settings: DaemonSettings
    /// Events for the shell's `terminal monitor`, kept until taken.
    private(set) var monitorEvents: [EngineEvent] = []
    /// Work posted from other threads (the shell), run on the loop thread.
    private let inbox = Inbox()
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
    private let loopState = Mutex<LoopState>(.notStarted)
    /// How ``onLoop(_:)`` runs a call.
    private enum LoopRoute { case direct, posted, afterLoop }
    /// After the loop: calls from any thread (a control client still running after the drain,
    /// a SIGHUP re-read once the engine stopped by itself) and the final drift-file write take
    /// this lock, so the engine is still touched by one thread at a time. Not recursive: a body
    /// run by ``onLoop(_:)`` must not call it again.
    private let afterLoop = Mutex<Void>(())
    /// The thread ``start()`` runs the loop on (to join it).
    private var loopThread: PlatformThread?
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
    public var control: ControlServer?
    /// SIGHUP: re-read the configuration (``ConfigurationKeeper/reload()``); nil: nothing to re-read.
    public var reload: (@Sendable () -> Void)?
    let started = OSClock.monotonicNanoseconds()
    var serverCounters: ServerCounters { responder.counters }
    private let clock: any ClockDriver
    private let log: Log
    public let engine: Engine
    private var serverSockets: [UDPSocket] = []
    /// Per server socket: `interface drop` (read and discard everything).
    private var serverDrops: [Bool] = []
    /// Local addresses a wildcard socket must not answer for (`interface ignore|drop ADDRESS`).
    private var ignoredDestinations: [IPAddress] = []
    /// The server sockets changed: the event loop rebuilds its poll set.
    private var socketsChanged = false
    private var droppedByInterface: UInt64 = 0
    /// Requests to upstream servers leave from a socket of their association's own (keyed by
    /// the server's address), on a fresh ephemeral port for every request (RFC 9109): an
    /// off-path attacker must guess the port as well as the origin timestamp. A reply counts
    /// only from that address on that socket.
    private var clientSockets: [SocketAddress: UDPSocket] = [:]
    /// Replaced client sockets, closed at the top of the next loop iteration (the current one
    /// may still be polling them).
    private var retiredClientSockets: [UDPSocket] = []
    private var clientSocketsGeneration: UInt64?
    private var responder: ServerResponder
    private var droppedOversize: UInt64 = 0
    private let wake: (read: Int32, write: Int32)
    private var stopping = false
    private var exitStatus: Int32 = 0
    private let resolved = ResolvedQueue()
    /// `statistics`/`filegen`: loopstats and peerstats lines from the engine's history.
    private var statisticsWriter = StatisticsWriter()
    /// Runs the text of an authenticated `:config` (ntpq's CTL_OP_CONFIGURE) through the
    /// shell's grammar; returns whether every line succeeded and the reply text ("Config
    /// Succeeded" or the errors). Called on a thread of its own, one `:config` at a time, never
    /// on the loop thread: the loop goes on answering while it runs (its engine calls are posted
    /// to the loop), and the reply leaves from the loop when it is done. Nil: `:config` is refused.
    public var configure: ((String) -> (ok: Bool, message: String))?
    /// A `:config` is running (a second one is answered "busy" at once).
    private let configurationRunning = Claim()
    /// The secret mode 6 nonces are derived with (random at start).
    private let nonceKey = UInt64.random(in: 0...UInt64.max)

    private let receiveBatch = UDPReceiveBatch(capacity: 64, bufferSize: Daemon.receiveBufferSize)
    private let sendBatch = UDPSendBatch(capacity: 64, bufferSize: ServerResponder.replyCapacity)
    private var clientBuffer = [UInt8](repeating: 0, count: Daemon.receiveBufferSize)

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
        engine = Engine(configuration: engineConfiguration, clock: clock, seed: settings.seed)
        responder = ServerResponder(state: engine.serverState)
        // The MRU hash is keyed with a secret of this process (no chosen-address collisions).
        responder.monitor = MRUList(settings: responder.monitor.settings, seed: UInt64.random(in: 0...UInt64.max))
        responder.monitor.reserve()
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
        engine.keys = keys
        responder.keys = keys
        associationsChanged()
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
                log.error("control socket \(control.listener.path): \(error)")
                endLoop()
                return 1
            }
            log.notice("control socket \(control.listener.path)")
        }
        SystemdNotify.send("READY=1\nSTATUS=" + (serverSockets.isEmpty ? "serving nothing (--port 0)"
            : "serving NTP on port \(serverSockets[0].localAddress.port)"))
        eventLoop()
        loopState.withLock { $0 = .stopping(pthread_self()) }
        SystemdNotify.send("STOPPING=1")
        if let control { stopControl(control) }
        endLoop()
        afterLoop.withLock { _ in
            clock.finish()
            saveDrift()
            let c = responder.counters
            log.notice("stopped: \(c.received) requests, \(c.replied) answered, \(c.dropped + droppedOversize + droppedByInterface) dropped")
        }
        return exitStatus
    }

    /// No thread runs posted calls from here on: later calls run under ``afterLoop``, and
    /// those posted before (seen in `.running`/`.stopping`, put under the state lock) run now.
    private func endLoop() {
        loopState.withLock { $0 = .ended }
        afterLoop.withLock { _ in
            for job in inbox.take() { job(self) }
        }
    }

    /// Closes the control socket. Clients still inside a call wait for the loop: their jobs are
    /// run here until their threads end (bounded: a call that never returns does not keep the
    /// engine from stopping).
    private func stopControl(_ control: ControlServer) {
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
        control.listener.close()
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
        loopThread = nil
        endLoop()
        afterLoop.withLock { _ in
            clock.finish()
            saveDrift()
        }
    }

    /// Runs `body` where the engine may be touched and returns its result: directly before the
    /// loop runs (configuration at start) and on the loop thread; posted to the loop and waited
    /// for from other threads (the shell, control-socket clients, the SIGHUP re-read); under
    /// ``afterLoop`` once the loop has ended.
    func onLoop<T>(_ body: @escaping (Daemon) -> T) -> T {
        let done = Completion<T>()
        let route = loopState.withLock { state -> LoopRoute in
            switch state {
            case .notStarted: return .direct
            case .running(let owner), .stopping(let owner):
                if pthread_equal(owner, pthread_self()) != 0 { return .direct }
                // Put under the state lock: ``endLoop()`` either runs it or is not reached yet.
                inbox.put { d in done.finish(body(d)) }
                return .posted
            case .ended: return .afterLoop
            }
        }
        switch route {
        case .direct: return body(self)
        case .posted:
            wakeLoop()
            return done.wait()
        case .afterLoop:
            afterLoop.withLock { _ in done.finish(body(self)) }
            return done.wait()
        }
    }

    private func post(_ job: @escaping (Daemon) -> Void) {
        inbox.put(job)
        wakeLoop()
    }

    private func wakeLoop() {
        var byte: UInt8 = 0
        _ = write(wake.write, &byte, 1)
    }

    /// The keys the engine, the server side and mode 6 authenticate with (loop thread).
    var keys = KeyStore(provider: OpenSSLMAC()) {
        didSet {
            engine.keys = keys
            responder.keys = keys
        }
    }

    /// The addresses of `peer` associations, whose mode 1 packets pass `nopeer` (loop thread).
    func associationsChanged() {
        responder.configuredPeers = engine.peerAddresses
    }

    /// The restrict list the server applies (loop thread).
    var restrictions: RestrictList {
        get { responder.restrictions }
        set { responder.restrictions = newValue }
    }

    /// The MRU list and rate limit of the server (loop thread).
    var monitor: MRUList {
        get { responder.monitor }
        set { responder.monitor = newValue }
    }

    /// Takes the events recorded since the last call (loop thread).
    func takeMonitorEvents() -> [EngineEvent] {
        defer { monitorEvents.removeAll() }
        return monitorEvents
    }

    /// `driftfile`: remember the path; read it now when the clock was never corrected.
    func setDriftFile(_ path: String?) -> String? {
        settings.driftFile = path
        guard let path, engine.system.updates == 0 else { return nil }
        guard let ppm = Self.readDrift(path, log: log) else { return nil }
        engine.loadDrift(ppm: ppm)
        return nil
    }

    // MARK: - Interfaces

    /// A server socket on `address`. Only a wildcard socket needs to learn (and answer from)
    /// each request's local address; a socket bound to one address saves the per-packet cmsg.
    static func serverSocket(_ address: SocketAddress) throws(SystemCallError) -> UDPSocket {
        var options = UDPSocket.Options()
        options.receiveBufferSize = 4 << 20
        options.packetInfo = address.ip.isUnspecified
        return try UDPSocket(bindingTo: address, options: options)
    }

    /// `interface`/`nic` (loop thread): re-binds the server sockets to what `rules` decide (see
    /// ``InterfaceRule``) and returns what it now listens on and ignores, or why it cannot.
    /// Without rules: the wildcards, or the `--listen` addresses. With rules, per family: a
    /// wildcard that is listened on serves every address and drops requests to ignored ones;
    /// an ignored wildcard gives one socket per interface address listened on (or dropped).
    func setInterfaceRules(_ rules: [InterfaceRule]) -> Result<String, AdminError> {
        guard settings.port != 0 else { return .success("--port 0: serving nothing; interface rules kept\n") }
        var bind: [(SocketAddress, Bool)] = []
        var ignored: [IPAddress] = []
        var report = ""
        let port = settings.port
        if rules.isEmpty {
            let base = settings.listen.isEmpty ? [IPAddress.anyIPv4, .anyIPv6] : settings.listen.map(\.ip)
            bind = base.map { (SocketAddress(ip: $0, port: port), false) }
        } else if !settings.listen.isEmpty {
            for ip in settings.listen.map(\.ip) {
                let name = ip.isUnspecified ? nil : (InterfaceAddresses.list().first { $0.ip.unmapped == ip.unmapped }?.interface ?? "")
                let action = InterfaceRule.action(for: ip, interface: name, rules: rules)
                if action == .ignore { report += "ignoring \(ip) (interface rules)\n" } else { bind.append((SocketAddress(ip: ip, port: port), action == .drop)) }
            }
        } else {
            let interfaces = InterfaceAddresses.list()
            for wildcard in [IPAddress.anyIPv4, .anyIPv6] {
                let family = interfaces.filter { $0.ip.isIPv4 == wildcard.isIPv4 }
                let decided = family.map { ($0.ip, InterfaceRule.action(for: $0.ip, interface: $0.interface, rules: rules)) }
                switch InterfaceRule.action(for: wildcard, interface: nil, rules: rules) {
                case .ignore:
                    for (ip, action) in decided where action != .ignore { bind.append((SocketAddress(ip: ip, port: port), action == .drop)) }
                case let action:
                    bind.append((SocketAddress(ip: wildcard, port: port), action == .drop))
                    ignored += decided.filter { $0.1 != .listen }.map { $0.0.unmapped }
                }
                for (ip, action) in decided where action != .listen { report += "\(action == .drop ? "dropping" : "ignoring") \(ip) (interface rules)\n" }
            }
        }
        // Never called while the loop iterates its sockets: changes arrive as posted jobs (the
        // shell, the control socket, ntpq's `:config` from its own thread), run between iterations.
        return rebind(bind, ignored: ignored, report: report)
    }

    /// Closes the server sockets and binds `bind` (not while the loop iterates them).
    private func rebind(_ bind: [(SocketAddress, Bool)], ignored: [IPAddress], report: String) -> Result<String, AdminError> {
        for s in serverSockets { s.close() }
        serverSockets = []
        serverDrops = []
        var failures: [String] = []
        var listening = ""
        for (address, drop) in bind {
            do {
                serverSockets.append(try Self.serverSocket(address))
                serverDrops.append(drop)
                listening += Self.listeningLine(address, drop: drop)
            } catch {
                failures.append(DaemonError.cannotListen(address, error, holders: PortHolder.find(port: address.port)).description)
            }
        }
        ignoredDestinations = ignored
        socketsChanged = true
        for line in (listening + report).split(separator: "\n") { log.notice(String(line)) }
        for failure in failures { log.error(failure) }
        guard failures.isEmpty else { return .failure(AdminError(failures.joined(separator: "\n"))) }
        return .success(listening + report)
    }

    private static func listeningLine(_ address: SocketAddress, drop: Bool) -> String {
        "listening on \(address.ip) port \(address.port)\(drop ? " (dropping every packet)" : "")\n"
    }

    // MARK: - The event loop

    private func eventLoop() {
        var sockets: [UDPSocket] = []
        var pollfds: [pollfd] = []
        socketsChanged = true
        var nextDrift = OSClock.monotonicNanoseconds() + Self.driftInterval * 1_000_000_000
        perform(engine.handleTimer())
        var served: [(socket: UDPSocket, dropAll: Bool)] = []
        var clients: [(key: SocketAddress, value: UDPSocket)] = []
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
            if let w = engine.nextWakeup() { timeout = min(timeout, max(0, w - clock.now()) / (1 + clock.timerRate())) }
            let driftLeft = Double(nextDrift - OSClock.monotonicNanoseconds()) / 1e9
            timeout = min(timeout, max(0, driftLeft))
            let milliseconds = Int32(min(timeout * 1000 + 1, 3_600_000))
            let n = settings.singleThreaded ? CaughtSignals.poll(&pollfds, timeoutMilliseconds: milliseconds)
                : poll(&pollfds, nfds_t(pollfds.count), milliseconds)
            if n < 0 && errno != EINTR {
                log.error("poll: \(Errno(rawValue: errno))")
                return
            }
            responder.restrictions.follow(engine)  // `restrict source`: the associations' addresses now
            for (i, s) in served.enumerated() where pollfds[i].revents != 0 {
                serve(s.socket, dropAll: s.dropAll)
            }
            for (j, c) in clients.enumerated() where pollfds[served.count + j].revents != 0 {
                receiveReplies(c.value, from: c.key)
            }
            if pollfds[sockets.count].revents != 0 { drainWake() }
            if settings.singleThreaded { takeCaughtSignal() }
            for job in inbox.take() { job(self) }
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

    private func drainWake() {
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
            case .send(let bytes, let destination):
                guard let socket = clientSocket(for: destination) else { continue }
                do { _ = try socket.send(bytes, to: destination) } catch { log.warning("send to \(destination): \(error)") }
            case .resolve(let id, let host):
                startResolving(id, host)
            case .exit(let status, let reason):
                if status == 0 { log.notice(reason) } else { log.error(reason) }
                exitStatus = status
                stopping = true
            }
        }
        for event in engine.takeEvents() {
            log.notice(event.description)
            monitorEvents.append(event)
            if monitorEvents.count > Engine.eventHistory { monitorEvents.removeFirst() }
        }
        responder.state = engine.serverState
        if !actions.isEmpty { associationsChanged() }
    }

    /// Single-threaded: a signal the handler recorded since the last look.
    private func takeCaughtSignal() {
        guard let sig = CaughtSignals.take() else { return }
        if sig == SIGHUP {
            log.notice("SIGHUP received, re-reading the configuration")
            if let reload { reload() } else { log.warning("SIGHUP: no configuration file was read; nothing to re-read") }
            return
        }
        log.notice("\(TerminationSignals.name(sig)) received, stopping")
        stopping = true
    }

    private func startResolving(_ id: AssociationID, _ host: String) {
        if settings.singleThreaded {
            // Taken by the loop after this pass's actions (a numeric address returns at once).
            resolved.put(id, Resolver.resolve(host))
            return
        }
        let writeEnd = wake.write
        let box = resolved
        do {
            _ = try PlatformThread(name: "ntpsh-dns") {
                let addresses = Resolver.resolve(host)
                box.put(id, addresses)
                var zero: UInt8 = 0
                _ = write(writeEnd, &zero, 1)
            }
        } catch {
            log.warning("cannot resolve \(host): \(error)")
        }
    }

    /// Closes the client sockets replaced since the last iteration and those of servers no
    /// longer polled (loop thread, between polls).
    private func retireClientSockets() {
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
    private func clientSocket(for destination: SocketAddress) -> UDPSocket? {
        let any = destination.ip.isIPv4 ? IPAddress.anyIPv4 : IPAddress.anyIPv6
        let socket: UDPSocket
        do { socket = try UDPSocket(bindingTo: SocketAddress(ip: any, port: 0)) } catch {
            log.warning("no socket for \(destination): \(error)")
            return nil
        }
        if let old = clientSockets.updateValue(socket, forKey: destination) { retiredClientSockets.append(old) }
        socketsChanged = true
        return socket
    }

    private func receiveReplies(_ socket: UDPSocket, from server: SocketAddress) {
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
            let t4 = clock.served(fromRaw: d.receiveTime ?? OSClock.realtime())
            let restrict = responder.restrictions.check(d.source.ip, port: d.source.port)
            perform(engine.handleReply(Array(clientBuffer[0..<d.length]), from: d.source, receiveTime: t4, restrict: restrict,
                                       localAddress: d.destination?.ip))
        }
    }

    /// Answers what is waiting on `socket`, a bounded number of batches per wake-up so timers
    /// and the stop request are not starved under flood.
    private func serve(_ socket: UDPSocket, dropAll: Bool) {
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
                let raw = datagram.receiveTime ?? OSClock.realtime()
                let t2 = clock.served(fromRaw: raw)
                sendBatch.appendReply(to: datagram) { out in
                    switch responder.respond(to: payload, from: datagram.source.ip, sourcePort: datagram.source.port, receiveTime: t2,
                                             destination: datagram.destination?.ip, into: out) {
                    case .reply(let length): return length
                    case .drop: return 0
                    }
                }
            }
            if !sendBatch.isEmpty {
                let t3 = clock.now()
                for j in 0..<sendBatch.count {
                    let reply = sendBatch.payload(j)
                    ServerResponder.stampTransmit(t3, into: reply)
                    responder.seal(reply)
                }
                _ = socket.send(sendBatch)
            }
            if received < receiveBatch.capacity { break }
        }
        logAuthenticationFailures()
    }

    /// Requests that failed authentication are answered with crypto-NAKs; the log says so at
    /// most once a minute (a flood of bad MACs must not flood the log).
    private var authenticationLog = (naks: UInt64(0), at: Int64.min)
    private func logAuthenticationFailures() {
        let naks = responder.counters.cryptoNAKs
        guard naks != authenticationLog.naks, let last = responder.lastAuthenticationFailure else { return }
        let now = OSClock.monotonicNanoseconds()
        guard authenticationLog.at == .min || now - authenticationLog.at >= 60_000_000_000 else { return }
        let count = naks - authenticationLog.naks
        log.warning("\(count) request\(count == 1 ? "" : "s") failed authentication (crypto-NAK sent); last from \(last.source): \(last.failure)")
        authenticationLog = (naks, now)
    }

    /// Mode 6 (ntpq, ntpstat): answered off the fast path, one reply datagram per fragment;
    /// recorded in the MRU list; `restrict … noquery` (and `ignore`) drop it silently.
    /// Answers that would amplify are refused (``ControlResponder/answer(to:from:context:snapshot:)``)
    /// and counted (`iostats` control refused, `ss_ctlrefused`).
    private func answerControl(_ payload: UnsafeRawBufferPointer, _ datagram: ReceivedDatagram, on socket: UDPSocket) {
        let time = clock.served(fromRaw: datagram.receiveTime ?? OSClock.realtime())
        let version = payload.count > 0 ? (payload[0] >> 3) & 7 : 0
        let restrict = responder.admitControl(
            from: datagram.source.ip, port: datagram.source.port, destination: datagram.destination?.ip,
            version: version, at: time)
        if restrict.contains(.ignore) || restrict.contains(.noquery) || restrict.contains(.limited) { return }
        var context = ControlContext(
            source: datagram.source, restrict: restrict, receiveTime: time, nonceKey: nonceKey,
            statistics: { [self] in
                StatisticsSubject(server: responder.counters, uptime: Double(OSClock.monotonicNanoseconds() - started) / 1e9,
                                  monitor: responder.monitor.report(at: time))
            },
            mru: MRUSource(
                entry: { [self] in responder.monitor.entry(for: $0) }, count: { [self] in responder.monitor.count },
                walk: { [self] after, skip, body in responder.monitor.walk(after: after, skip: skip, body) }))
        context.keys = responder.keys
        context.restrictions = { [self] in responder.restrictions.entries }
        context.interfaces = { [self] in
            serverSockets.map { s in
                ControlContext.Interface(address: s.localAddress, name: s.localAddress.ip.isUnspecified ? "wildcard" : s.localAddress.ip.description,
                                         received: responder.counters.received, sent: responder.counters.replied,
                                         uptime: Double(OSClock.monotonicNanoseconds() - started) / 1e9)
            }
        }
        context.acceptsConfiguration = configure != nil
        let answer = ControlResponder.answer(to: payload, from: datagram.source.ip, context: context) {
            let now = clock.now()
            return ControlResponder.Snapshot(
                system: SystemVariableSubject(report: engine.systemReport(server: responder.counters)),
                peers: engine.peerReports().map { PeerVariableSubject(report: $0, now: now) },
                events: engine.events)
        }
        if answer.refusedAmplification { responder.countControlRefused() }
        if let pending = answer.configuration {
            runConfiguration(pending, source: datagram.source, destination: datagram.destination, socket: socket)
            return
        }
        sendControl(answer.replies, to: datagram.source, from: datagram.destination, on: socket)
    }

    private func sendControl(_ replies: [[UInt8]], to source: SocketAddress, from destination: PacketDestination?, on socket: UDPSocket) {
        for reply in replies {
            do { _ = try socket.send(reply, to: source, from: destination) } catch {
                log.warning("mode 6 reply to \(source): \(error)")
                return
            }
        }
    }

    /// Runs an accepted `:config` on a thread of its own (``configure``; single-threaded: on
    /// the loop); its reply is sent
    /// from the loop once it has run, from the socket the request came in on (or, when
    /// `interface` rules re-bound the sockets meanwhile, one bound to the same address).
    private func runConfiguration(_ pending: ControlResponder.PendingConfiguration, source: SocketAddress,
                                  destination: PacketDestination?, socket: UDPSocket) {
        guard let configure else { return }
        if settings.singleThreaded {
            // One thread: run it here; the loop waits for it, as for the SIGHUP re-read.
            sendControl(pending.replies(configure(pending.text).message), to: source, from: destination, on: socket)
            return
        }
        let running = configurationRunning
        guard running.take() else {
            sendControl(pending.replies("another :config is running; try again"), to: source, from: destination, on: socket)
            return
        }
        let local = socket.localAddress
        let inbox = self.inbox
        let writeEnd = wake.write
        do {
            let thread = try PlatformThread(name: "ntpsh-config") {
                let result = configure(pending.text)
                let replies = pending.replies(result.message)
                running.release()
                inbox.put { d in
                    // `interface` rules may have re-bound the sockets: the one the request came
                    // in on, else one bound to the address it was sent to, else that family's wildcard.
                    let sockets = d.serverSockets
                    let to = destination.map { SocketAddress(ip: $0.ip, port: local.port) }
                    guard let s = sockets.first(where: { $0 === socket }) ?? sockets.first(where: { $0.localAddress == local })
                        ?? sockets.first(where: { to != nil && $0.localAddress.ip.unmapped == to!.ip.unmapped && $0.localAddress.port == local.port })
                        ?? sockets.first(where: { $0.localAddress.ip.isUnspecified && $0.localAddress.ip.isIPv4 == source.ip.isIPv4 })
                    else {
                        d.log.warning("mode 6 :config reply to \(source): no socket serves \(destination.map { $0.ip.description } ?? local.description) any more")
                        return
                    }
                    // A socket bound to one address sends from it; only a wildcard needs the source set.
                    d.sendControl(replies, to: source, from: s.localAddress.ip.isUnspecified ? destination : nil, on: s)
                }
                var byte: UInt8 = 0
                _ = write(writeEnd, &byte, 1)
            }
            thread.detach()
        } catch {
            running.release()
            log.warning("mode 6 :config from \(source): cannot start a thread: \(error)")
            sendControl(pending.replies("cannot run :config now: \(error)"), to: source, from: destination, on: socket)
        }
    }

    // MARK: - Statistics files

    /// `statsdir`/`statistics`/`filegen`: statistics are written from now on.
    func setStatistics(_ settings: StatisticsSettings) -> String? {
        statisticsWriter.configure(settings, history: engine.history)
        guard settings.isActive else { return nil }
        var info = stat()
        guard stat(settings.directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            return "warning: statsdir \(settings.directory) is not a directory; statistics files cannot be written"
        }
        return nil
    }

    private func writeStatistics() {
        let failure = statisticsWriter.write(from: engine.history) { path, text in
            do throws(SystemCallError) { try AppendFile.append(text, to: path); return nil } catch { return error.description }
        }
        if let failure { log.warning(failure) }
    }

    // MARK: - Drift file

    static func readDrift(_ path: String, log: Log) -> Double? {
        guard let text = try? TextFile.read(path) else {
            log.notice("drift file \(path) not found; frequency starts at 0 ppm")
            return nil
        }
        let word = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init) ?? ""
        guard let ppm = Double(word), ppm.isFinite, abs(ppm) <= 500 else {
            log.warning("drift file \(path): '\(word)' is not a frequency in ppm; ignored")
            return nil
        }
        return ppm
    }

    private func saveDrift() {
        guard let path = settings.driftFile, engine.system.updates > 0 else { return }
        do {
            try AtomicFile.write(formatFixed(clock.status().frequency, 3) + "\n", to: path)
        } catch {
            log.warning("cannot write drift file \(path): \(error)")
        }
    }
}

/// Work that runs once at a time: taken, then released (`:config`).
final class Claim: Sendable {
    private let taken = Mutex<Bool>(false)
    /// True when it was free (and is now taken).
    func take() -> Bool { taken.withLock { t in defer { t = true }; return !t } }
    func release() { taken.withLock { $0 = false } }
}

/// Work handed from other threads to the event loop.
final class Inbox: @unchecked Sendable {
    private var jobs: [(Daemon) -> Void] = []
    private let lock = Mutex<Void>(())
    func put(_ job: @escaping (Daemon) -> Void) { lock.withLock { _ in jobs.append(job) } }
    func take() -> [(Daemon) -> Void] {
        lock.withLock { _ in defer { jobs.removeAll() }; return jobs }
    }
}

/// A one-shot result handed back from the loop thread.
final class Completion<T>: @unchecked Sendable {
    private var value: T?
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    init() { pthread_mutex_init(&mutex, nil); pthread_cond_init(&condition, nil) }
    deinit { pthread_mutex_destroy(&mutex); pthread_cond_destroy(&condition) }
    func finish(_ v: T) {
        pthread_mutex_lock(&mutex); value = v; pthread_cond_signal(&condition); pthread_mutex_unlock(&mutex)
    }
    func wait() -> T {
        pthread_mutex_lock(&mutex)
        while value == nil { pthread_cond_wait(&condition, &mutex) }
        let v = value!
        pthread_mutex_unlock(&mutex)
        return v
    }
}

/// DNS answers handed from resolver threads to the event loop.
final class ResolvedQueue: Sendable {
    private let items = Mutex<[(AssociationID, [IPAddress])]>([])
    func put(_ id: AssociationID, _ addresses: [IPAddress]) { items.withLock { $0.append((id, addresses)) } }
    func take() -> [(AssociationID, [IPAddress])] { items.withLock { r in defer { r.removeAll() }; return r } }
}
