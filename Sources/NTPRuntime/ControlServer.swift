public import NTPPlatform
public import NTPShell
import NTPEngine
import Glibc
import Synchronization

extension UnixStream {
    /// The next frame's payload (ControlProtocol: 4-byte big-endian length, then the bytes);
    /// nil when the peer closed between frames. `idle`: how long to wait for a frame to begin
    /// (nil: for ever); once begun it must arrive within ``ControlProtocol/frameTimeout``.
    func readFrame(idle: Double?) throws(ControlProtocol.ProtocolError) -> [UInt8]? {
        let timeout = ControlProtocol.frameTimeout
        let header: [UInt8]
        do {
            guard let h = try read(exactly: 4, firstByteTimeout: idle, timeout: timeout) else { return nil }
            header = h
        } catch {
            if case .timedOut(0, _) = error, let idle { throw .init("no frame within \(Int(idle)) s") }
            throw .init("truncated frame: header \(error)")
        }
        let length = try ControlProtocol.length(ofHeader: header).get()
        let payload: [UInt8]?
        do { payload = try read(exactly: length, firstByteTimeout: timeout, timeout: timeout) } catch {
            throw .init("truncated frame: \(length)-byte payload \(error)")
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
/// A client that breaks the protocol (garbage, an oversize or truncated frame) is
/// disconnected with the reason logged; the others go on.
public final class ControlServer: @unchecked Sendable {
    public let listener: UnixListener
    private let log: Log
    private let admin: any AdminAPI
    private let keeper: ConfigurationKeeper
    private let engineName: String
    private let handlers: [String: ControlHandler]
    private let ownUID = geteuid()
    private let state = Mutex<(clients: [Int32: UnixStream], threads: Int, stopping: Bool)>(([:], 0, false))
    /// Connections served at once; more are refused.
    public static let maxClients = 16
    /// A client must say hello within this many seconds.
    static let helloTimeout = 10.0

    /// Creates the socket at `path` (mode 0660); serving starts with ``start()``.
    public init(path: String, admin: any AdminAPI, keeper: ConfigurationKeeper, engineName: String, log: Log) throws(SystemCallError) {
        listener = try UnixListener(path: path, mode: 0o660)
        self.admin = admin
        self.keeper = keeper
        self.engineName = engineName
        self.log = log
        handlers = Dictionary(ControlCalls.all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Threads still running (the acceptor and one per client).
    var activeThreads: Int { state.withLock { $0.threads } }

    func start() throws(SystemCallError) {
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
    func shutdown() {
        let clients = state.withLock { s in s.stopping = true; return Array(s.clients.values) }
        listener.shutdown()
        for c in clients { c.shutdown() }
    }

    private func acceptLoop() {
        defer { state.withLock { $0.threads -= 1 } }
        while !state.withLock({ $0.stopping }) {
            let stream: UnixStream
            do { stream = try listener.accept() } catch {
                if state.withLock({ $0.stopping }) { return }
                log.warning("control socket \(listener.path): \(error)")
                continue
            }
            let admitted = state.withLock { s -> Bool in
                guard !s.stopping, s.clients.count < Self.maxClients else { return false }
                s.clients[stream.descriptor] = stream
                s.threads += 1
                return true
            }
            guard admitted else {
                try? stream.writeFrame(ControlProtocol.encode(ControlProtocol.Refusal("too many clients (at most \(Self.maxClients))")))
                stream.close()
                log.warning("control: refused a client: already \(Self.maxClients) connected")
                continue
            }
            do {
                try PlatformThread(name: "ntpsh-control-client") { [self] in serve(stream) }.detach()
            } catch {
                state.withLock { s in s.clients[stream.descriptor] = nil; s.threads -= 1 }
                stream.close()
                log.warning("control: cannot start a client thread: \(error)")
            }
        }
    }

    private func serve(_ stream: UnixStream) {
        let peer = stream.peerCredentials()
        let who = peer.map { "pid \($0.pid) uid \($0.uid)" } ?? "unknown peer"
        defer {
            state.withLock { s in s.clients[stream.descriptor] = nil; s.threads -= 1 }
            stream.close()
        }
        let privileged = peer.map(isPrivileged) ?? false
        do throws(ControlProtocol.ProtocolError) {
            guard let first = try stream.readFrame(idle: Self.helloTimeout) else { return }
            let hello: ControlProtocol.Hello
            switch ControlProtocol.decode(ControlProtocol.Hello.self, from: first) {
            case .success(let h): hello = h
            case .failure(let e): throw ControlProtocol.ProtocolError("bad hello: \(e)")
            }
            guard hello.protocol == ControlProtocol.name, hello.version >= 1 else {
                try? stream.writeFrame(ControlProtocol.encode(ControlProtocol.Refusal(
                    "this is \(ControlProtocol.name) version \(ControlProtocol.version); got '\(hello.protocol)' version \(hello.version)")))
                throw ControlProtocol.ProtocolError("hello for '\(hello.protocol)' version \(hello.version)")
            }
            let welcome = ControlProtocol.Welcome(
                version: min(hello.version, ControlProtocol.version), engine: engineName, privileged: privileged,
                calls: ControlCalls.all.map(\.name))
            try send(welcome, on: stream)
            log.info("control: \(hello.client ?? "a client") attached (\(who), \(privileged ? "may change" : "views only"))")
            let session = ControlSession(admin: admin) { [keeper] line, origin in keeper.run(line, from: origin) }
            while let payload = try stream.readFrame(idle: nil) {
                let head: ControlProtocol.RequestHead
                switch ControlProtocol.decode(ControlProtocol.RequestHead.self, from: payload) {
                case .success(let h): head = h
                case .failure(let e): throw ControlProtocol.ProtocolError("bad request: \(e)")
                }
                let response: [UInt8]
                if let handler = handlers[head.call] {
                    switch handler.handle(session, privileged, head.id, payload) {
                    case .success(let r): response = r
                    case .failure(let e): throw ControlProtocol.ProtocolError("bad '\(head.call)' request: \(e)")
                    }
                } else {
                    response = ControlProtocol.encode(ControlProtocol.Response<Nothing>(
                        id: head.id, error: "this engine (protocol version \(ControlProtocol.version)) has no call '\(head.call)'"))
                }
                do { try stream.writeFrame(response) } catch { return }
            }
            log.info("control: client \(who) detached")
        } catch {
            if state.withLock({ $0.stopping }) { return }
            log.warning("control: disconnected client \(who): \(error)")
        }
    }

    private func send(_ value: some Encodable, on stream: UnixStream) throws(ControlProtocol.ProtocolError) {
        do { try stream.writeFrame(ControlProtocol.encode(value)) } catch { throw ControlProtocol.ProtocolError("\(error)") }
    }

    /// Root, the engine's own user, or a member of the socket file's group.
    func isPrivileged(_ peer: PeerCredentials) -> Bool {
        if peer.uid == 0 || peer.uid == ownUID { return true }
        guard let group = listener.group else { return false }
        return peer.gid == group || peer.groups.contains(group)
    }
}
