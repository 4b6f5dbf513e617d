// The AdminAPI over the control socket: the client side of `ntpsh --attach`.
public import NTPAdmin
public import NTPEngine
public import NTPWire
public import NTPShell
import NTPPlatform
import Glibc
import Synchronization

/// The AdminAPI of an engine running elsewhere (`ntpsh --attach PATH`), over its control
/// socket (ControlProtocol). One request is in flight at a time. Losing the engine (the socket
/// closes or breaks) ends the process through ``onLost`` (by default: a message, status 2).
public final class RemoteAdmin: AdminAPI, ConfigurationHost, @unchecked Sendable {
    public let path: String
    public let welcome: ControlProtocol.Welcome
    /// Called when the engine is gone; never returns.
    public var onLost: @Sendable (String) -> Never = { reason in
        var text = "ntpsh: lost the engine: \(reason)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
    private let stream: StreamConnection
    private let nextID = Mutex<UInt64>(1)

    /// Connects to the engine's socket at `path` and says hello.
    public init(path: String, client: String) throws(AdminError) {
        self.path = path
        do { stream = try StreamConnection.connect(to: path) } catch {
            throw AdminError("cannot connect to \(path): \(error.errno)\(error.errno == .noSuchFileOrDirectory ? " (is the engine running with --control-socket \(path)?)" : "")")
        }
        do {
            try stream.writeFrame(ControlProtocol.encode(ControlProtocol.Hello(client: client)))
            guard let payload = try stream.readFrame(idle: ControlProtocol.frameTimeout) else {
                throw ControlProtocol.ProtocolError("the engine closed the connection")
            }
            if case .success(let refusal) = ControlProtocol.decode(ControlProtocol.Refusal.self, from: payload) {
                throw ControlProtocol.ProtocolError(refusal.error)
            }
            switch ControlProtocol.decode(ControlProtocol.Welcome.self, from: payload) {
            case .success(let w): welcome = w
            case .failure(let e): throw e
            }
        } catch {
            stream.close()
            throw AdminError("\(path): \(error)")
        }
    }

    deinit { stream.close() }

    /// Sends one frame and returns the engine's answer frame; losing the engine ends the process.
    private func exchange(_ request: (UInt64) -> [UInt8]) -> [UInt8] {
        nextID.withLock { id in
            defer { id &+= 1 }
            do { try stream.writeFrame(request(id)) } catch { onLost("\(path): \(error)") }
            let payload: [UInt8]?
            do { payload = try stream.readFrame(idle: nil) } catch { onLost("\(path): \(error)") }
            guard let payload else { onLost("\(path): the engine closed the connection") }
            return payload
        }
    }

    /// Sends one call and returns its result, or the engine's error (a refusal, or the call's
    /// own failure) as an AdminError.
    public func call<A, R>(_ c: ControlCall<A, R>, _ args: A) throws(AdminError) -> R {
        let payload = exchange { id in ControlProtocol.encode(ControlProtocol.Request(id: id, call: c.name, args: args)) }
        let response: ControlProtocol.Response<R>
        switch ControlProtocol.decode(ControlProtocol.Response<R>.self, from: payload) {
        case .success(let r): response = r
        case .failure(let e): onLost("\(path): \(e)")
        }
        if let error = response.error { throw AdminError(error) }
        guard let result = response.result else { throw AdminError("'\(c.name)': the engine sent no result") }
        return result
    }

    /// Carries `request` as its call (`WireRequest`) and reads the answer.
    public func perform(_ request: AdminRequest) throws(AdminError) -> AdminAnswer {
        guard welcome.calls.contains(request.call) else {
            throw AdminError("\(welcome.engine) (control protocol version \(welcome.version)) has no '\(request.call)' call; it needs a newer engine")
        }
        let payload = exchange { id in ControlProtocol.encode(WireRequest(id: id, request: request)) }
        switch WireAnswer.read(payload, answering: request) {
        case .success(let answer): return try answer.get()
        case .failure(let e): onLost("\(path): \(e)")
        }
    }

    /// A view or change that cannot fail on the engine failed here: the session ends.
    public func unanswered(_ request: AdminRequest, _ error: AdminError) -> Never { onLost("\(path): \(error)") }

    /// A call whose AdminAPI method cannot fail: an error is printed and `otherwise` returned.
    private func value<A, R>(_ c: ControlCall<A, R>, _ args: A, otherwise: R) -> R {
        do throws(AdminError) { return try call(c, args) } catch {
            var text = "% \(error)\n"
            text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            return otherwise
        }
    }

    /// Runs a configuration command in the engine's runner (``CommandRunner/configurationOwner``).
    public func configure(_ line: String, _ origin: CommandRunner.Origin) -> CommandRunner.Output {
        do throws(AdminError) {
            return try call(ControlCalls.configure, .init(line: line, origin: origin))
        } catch {
            return CommandRunner.Output(error: CommandRunner.locate(error.description, origin: origin), status: 1)
        }
    }

    /// A transactional-configuration request (`configure`, `commit`, `rollback`) carried by the
    /// `transaction` call; an engine older than protocol version 9 has none, and says so.
    public func transact(_ request: ConfigurationRequest) throws(AdminError) -> ConfigurationAnswer {
        guard welcome.calls.contains(ControlCalls.transaction.name) else {
            throw AdminError("\(welcome.engine) (control protocol version \(welcome.version)) has no configuration transactions; it needs version 9")
        }
        return try call(ControlCalls.transaction, request)
    }

    // Views
    public func takeEvents() -> [EngineEvent] { value(ControlCalls.takeEvents, Nothing(), otherwise: []) }
    public func uptime() -> Seconds { value(ControlCalls.uptime, Nothing(), otherwise: .zero) }
    public var clockKind: ClockKind { value(ControlCalls.clockKind, Nothing(), otherwise: .observe) }
    public func waitForSync(timeout: Seconds) -> Bool { value(ControlCalls.waitForSync, .init(timeout.value), otherwise: false) }
    public func sampleHistory() -> SampleHistory { value(ControlCalls.sampleHistory, Nothing(), otherwise: SampleHistory()) }
    /// `restrict source` runs in the engine's runner (`configure`); this engine has no call for it.
    public func setSourceRestriction(_ flags: RestrictFlags?) -> String? {
        flags == nil ? nil : "note: this engine does not apply 'restrict source'"
    }
    /// Real time passes here as it does for the engine.
    public func sleep(_ span: Seconds) { PlatformThread.sleep(seconds: span.value) }

    // Configuration
    public func setStatistics(_ settings: StatisticsSettings) -> String? {
        do throws(AdminError) { return try call(ControlCalls.setStatistics, settings) } catch { return error.description }
    }
    public func keyStore() -> KeyStore { value(ControlCalls.keyStore, Nothing(), otherwise: ControlCalls.KeySummary(KeyStore())).store }
    public func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String { try call(ControlCalls.setInterfaceRules, rules) }
    public func hardwareTimestamping(_ interface: String) throws(AdminError) -> String {
        try call(ControlCalls.hardwareTimestamping, interface)
    }
    public func setMetrics(_ address: SocketAddress?) throws(AdminError) -> String { try call(ControlCalls.setMetrics, address) }
    public func setNTS(_ settings: NTSSettings) throws(AdminError) -> String { try call(ControlCalls.setNTS, settings) }
    public func ntsReport() -> NTSReport? { value(ControlCalls.ntsReport, Nothing(), otherwise: nil) }
    public func setDriftFile(_ path: String?) -> String? {
        do throws(AdminError) { return try call(ControlCalls.setDriftFile, path) } catch { return error.description }
    }

    // Actions
    public func stepNow() throws(AdminError) -> Seconds { try call(ControlCalls.stepNow, Nothing()) }
}
