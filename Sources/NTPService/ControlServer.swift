// Owns the control socket's server side (`ntpsh --daemon`): framed streams, the hello and
// its privilege check, one session per attached shell carrying requests to the engine.
public import NTPAdmin
public import NTPRuntime
public import NTPPlatform
import NTPShell
import NTPEngine
import NTPMetrics
import Glibc
import Synchronization

extension StreamConnection {
    /// The next frame's payload (ControlProtocol: 4-byte big-endian length, then the bytes);
    /// nil when the peer closed between frames. `idle`: how long to wait for a frame to begin
    /// (nil: for ever); once begun it must arrive within ``ControlProtocol/frameTimeout``.
    func readFrame(idle: Double?) throws(ControlProtocol.ProtocolError) -> [UInt8]? {
        let timeout = ControlProtocol.frameTimeout
        // One deadline for the whole frame, header and payload, from its first byte.
        var deadline: Double?
        let header: [UInt8]
        do {
            guard let h = try read(exactly: 4, firstByteTimeout: idle, deadline: &deadline, timeout: timeout) else { return nil }
            header = h
        } catch {
            if case .timedOut(0, _) = error, let idle { throw .init("no frame within \(Int(idle)) s") }
            throw .init("truncated frame: header \(error)")
        }
        let length = try ControlProtocol.length(ofHeader: header).get()
        let payload: [UInt8]?
        do { payload = try read(exactly: length, firstByteTimeout: timeout, deadline: &deadline, timeout: timeout) } catch {
            throw .init("truncated frame: \(length)-byte payload \(error) (a frame must arrive within \(Int(timeout)) s)")
        }
        guard let payload else { throw .init("truncated frame: \(length)-byte payload closed after 0 of \(length) bytes") }
        return payload
    }

    func writeFrame(_ payload: [UInt8]) throws(SystemCallError) {
        try write(ControlProtocol.frame(payload))
    }
}

/// The engine's side of the control socket (`--control-socket PATH`): a thread accepts
/// connections and each client gets a thread of its own, so a slow or stuck client never
/// holds up the event loop (calls reach the engine through ``LocalAdmin``, i.e. `onLoop`).
/// Privilege is decided here from SO_PEERCRED: root, the engine's own user, or a member of
/// the socket file's group may change things; anyone else who can connect only views.
/// A client that breaks the protocol (garbage, an oversize or truncated frame, a frame that
/// takes over ``ControlProtocol/frameTimeout`` to arrive) is disconnected with the reason
/// logged; the others go on.
///
/// Slots: at most ``maxClients`` connections, of which ``reservedForPrivileged`` only for
/// privileged peers; an unprivileged uid holds at most ``maxPerUnprivilegedUID``, and an
/// unprivileged connection that sends nothing for ``idleTimeout`` is closed. So viewers,
/// however many, can never lock root out.
public final class ControlServer: ControlEndpoint, @unchecked Sendable {
    public let listener: UnixListener
    private let log: Log
    private let admin: any AdminAPI
    private let keeper: ConfigurationKeeper
    private let engineName: String
    private let ownUID = geteuid()
    private struct Client { var stream: StreamConnection; var uid: UInt32?; var privileged: Bool }
    private let state = Mutex<(clients: [Int32: Client], threads: Int, stopping: Bool)>(([:], 0, false))
    /// The next connection's session number (transactions know candidates by it).
    private let nextSession = Mutex<UInt64>(1)
    /// Connections served at once; more are refused.
    public static let maxClients = 16
    /// Of ``maxClients``, the slots only privileged peers may take.
    public static let reservedForPrivileged = 4
    /// Connections one unprivileged uid may hold at once.
    public static let maxPerUnprivilegedUID = 4
    /// An unprivileged connection idle this long (no request) is closed, seconds. (An attached
    /// shell polls for events every 0.2 s; privileged peers are not timed out.)
    public static let idleTimeout = 300.0
    /// ``idleTimeout``, or for tests the seconds in `NTPSH_CONTROL_IDLE_TIMEOUT`.
    let idleTimeout: Double = getenv("NTPSH_CONTROL_IDLE_TIMEOUT").flatMap { Double(String(cString: $0)) }
        .flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? ControlServer.idleTimeout
    /// A client must say hello within this many seconds.
    static let helloTimeout = 10.0

    /// Creates the socket at `path` (mode 0660); serving starts with ``start()``.
    public init(path: String, admin: any AdminAPI, keeper: ConfigurationKeeper, engineName: String, log: Log) throws(SystemCallError) {
        listener = try UnixListener(path: path, mode: 0o660)
        self.admin = admin
        self.keeper = keeper
        self.engineName = engineName
        self.log = log
    }

    /// Threads still running (the acceptor and one per client).
    public var activeThreads: Int { state.withLock { $0.threads } }
    /// The socket file's path.
    public var path: String { listener.path }
    /// Closes the listening socket (after ``shutdown()`` and the threads' end).
    public func close() { listener.close() }

    public func start() throws(SystemCallError) {
        state.withLock { $0.threads += 1 }
        do {
            try PlatformThread(name: "ntpsh-control") { [self] in acceptLoop() }.detach()
        } catch {
            state.withLock { $0.threads -= 1 }
            throw error
        }
    }

    /// Stops accepting, disconnects every client and removes the socket file; the threads end
    /// once their calls return (``activeThreads`` reaches 0).
    public func shutdown() {
        let clients = state.withLock { s in s.stopping = true; return s.clients.values.map(\.stream) }
        listener.shutdown()
        for c in clients { c.shutdown() }
    }

    /// Why a new connection from a peer (`uid`, privileged or not) cannot have a slot, given
    /// the connections held now; nil when it can.
    static func refusal(uid: UInt32?, privileged: Bool, held: [(uid: UInt32?, privileged: Bool)]) -> String? {
        if held.count >= maxClients { return "too many clients (at most \(maxClients))" }
        if privileged { return nil }
        let unprivileged = held.filter { !$0.privileged }.count
        if unprivileged >= maxClients - reservedForPrivileged {
            return "too many clients (\(reservedForPrivileged) of \(maxClients) slots are kept for privileged users)"
        }
        if held.filter({ !$0.privileged && $0.uid == uid }).count >= maxPerUnprivilegedUID {
            return "too many connections from uid \(uid.map(String.init) ?? "unknown") (at most \(maxPerUnprivilegedUID))"
        }
        return nil
    }

    private func acceptLoop() {
        defer { state.withLock { $0.threads -= 1 } }
        while !state.withLock({ $0.stopping }) {
            let stream: StreamConnection
            do { stream = try listener.accept() } catch {
                if state.withLock({ $0.stopping }) { return }
                log.warning("control socket \(listener.path): \(error)")
                continue
            }
            let peer = stream.peerCredentials()
            let privileged = peer.map(isPrivileged) ?? false
            let refused = state.withLock { s -> String? in
                if s.stopping { return "the engine is stopping" }
                if let why = Self.refusal(uid: peer?.uid, privileged: privileged,
                                          held: s.clients.values.map { ($0.uid, $0.privileged) }) { return why }
                s.clients[stream.descriptor] = Client(stream: stream, uid: peer?.uid, privileged: privileged)
                s.threads += 1
                return nil
            }
            if let refused {
                // A refusal never blocks the acceptor on a peer that does not read.
                stream.setSendTimeout(seconds: 1)
                try? stream.writeFrame(ControlProtocol.encode(ControlProtocol.Refusal(refused)))
                stream.close()
                log.warning("control: refused \(peer.map { "pid \($0.pid) uid \($0.uid)" } ?? "a client"): \(refused)")
                continue
            }
            do {
                try PlatformThread(name: "ntpsh-control-client") { [self] in serve(stream, peer: peer, privileged: privileged) }.detach()
            } catch {
                state.withLock { s in s.clients[stream.descriptor] = nil; s.threads -= 1 }
                stream.close()
                log.warning("control: cannot start a client thread: \(error)")
            }
        }
    }

    private func serve(_ stream: StreamConnection, peer: PeerCredentials?, privileged: Bool) {
        let who = peer.map { "pid \($0.pid) uid \($0.uid)" } ?? "unknown peer"
        defer {
            state.withLock { s in s.clients[stream.descriptor] = nil; s.threads -= 1 }
            stream.close()
        }
        // A client that stops reading its answers is given up on, not waited for.
        stream.setSendTimeout(seconds: ControlProtocol.frameTimeout)
        do throws(ControlProtocol.ProtocolError) {
            guard let first = try stream.readFrame(idle: Self.helloTimeout) else { return }
            let hello: ControlProtocol.Hello
            switch ControlCalls.answer(hello: first, engine: engineName, privileged: privileged) {
            case .success(let (welcome, h)):
                try send(welcome, on: stream)
                hello = h
            case .failure(let error):
                if let refusal = error.refusal { try? stream.writeFrame(ControlProtocol.encode(refusal)) }
                throw error
            }
            // The client's free text, escaped by the log and cut short here.
            let client = hello.client.map { $0.count > 64 ? String($0.prefix(64)) + "…" : $0 } ?? "a client"
            log.info("control: \(client) attached (\(who), \(privileged ? "may change" : "views only"))")
            let number = nextSession.withLock { n in defer { n += 1 }; return n }
            let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { [keeper] line, origin in
                keeper.run(line, from: origin, session: number)
            }
            session.version = min(hello.version, ControlProtocol.version)
            let name = "\(client) (\(who))"
            session.transact = { [keeper] request throws(AdminError) in try keeper.transact(request, session: number, who: name) }
            session.renderMetrics = PrometheusText.render
            defer { keeper.sessionEnded(number) }
            while let payload = try stream.readFrame(idle: privileged ? nil : idleTimeout) {
                let response = try ControlCalls.answer(request: payload, session: session, privileged: privileged).get()
                do { try stream.writeFrame(response) } catch { return }
            }
            log.info("control: client \(who) detached")
        } catch {
            if state.withLock({ $0.stopping }) { return }
            log.warning("control: disconnected client \(who): \(error)")
        }
    }

    private func send(_ value: some Encodable, on stream: StreamConnection) throws(ControlProtocol.ProtocolError) {
        do { try stream.writeFrame(ControlProtocol.encode(value)) } catch { throw ControlProtocol.ProtocolError("\(error)") }
    }

    /// Root, the engine's own user, or a member of the socket file's group.
    func isPrivileged(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == ownUID { return true }
        guard let group = listener.group else { return false }
        return peer.gid == group || peer.groups.contains(group)
    }
}
