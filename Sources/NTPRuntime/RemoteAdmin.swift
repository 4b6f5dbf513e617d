public import NTPEngine
public import NTPWire
public import NTPShell
import NTPPlatform
import Glibc
import Synchronization

/// The AdminAPI of an engine running elsewhere (`ntpsh --attach PATH`), over its control
/// socket (ControlProtocol). One request is in flight at a time. Losing the engine (the socket
/// closes or breaks) ends the process through ``onLost`` (by default: a message, status 2).
public final class RemoteAdmin: AdminAPI, @unchecked Sendable {
    public let path: String
    public let welcome: ControlProtocol.Welcome
    /// Called when the engine is gone; never returns.
    public var onLost: @Sendable (String) -> Never = { reason in
        var text = "ntpsh: lost the engine: \(reason)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
    private let stream: UnixStream
    private let nextID = Mutex<UInt64>(1)

    /// Connects to the engine's socket at `path` and says hello.
    public init(path: String, client: String) throws(AdminError) {
        self.path = path
        do { stream = try UnixStream.connect(to: path) } catch {
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

    /// Sends one call and returns its result, or the engine's error (a refusal, or the call's
    /// own failure) as an AdminError.
    public func call<A, R>(_ c: ControlCall<A, R>, _ args: A) throws(AdminError) -> R {
        let response: ControlProtocol.Response<R> = nextID.withLock { id in
            defer { id &+= 1 }
            let request = ControlProtocol.encode(ControlProtocol.Request(id: id, call: c.name, args: args))
            do { try stream.writeFrame(request) } catch { onLost("\(path): \(error)") }
            let payload: [UInt8]?
            do { payload = try stream.readFrame(idle: nil) } catch { onLost("\(path): \(error)") }
            guard let payload else { onLost("\(path): the engine closed the connection") }
            switch ControlProtocol.decode(ControlProtocol.Response<R>.self, from: payload) {
            case .success(let r): return r
            case .failure(let e): onLost("\(path): \(e)")
            }
        }
        if let error = response.error { throw AdminError(error) }
        guard let result = response.result else { throw AdminError("'\(c.name)': the engine sent no result") }
        return result
    }

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

    // Views
    public func peerReports() -> [PeerReport] { value(ControlCalls.peerReports, Nothing(), otherwise: []) }
    public func systemReport() -> SystemReport {
        do throws(AdminError) { return try call(ControlCalls.systemReport, Nothing()) } catch { onLost("\(path): \(error)") }
    }
    public func events() -> [EngineEvent] { value(ControlCalls.events, Nothing(), otherwise: []) }
    public func takeEvents() -> [EngineEvent] { value(ControlCalls.takeEvents, Nothing(), otherwise: []) }
    public func uptime() -> Double { value(ControlCalls.uptime, Nothing(), otherwise: 0) }
    public var clockKind: ClockKind { value(ControlCalls.clockKind, Nothing(), otherwise: .observe) }
    public func engineConfiguration() -> EngineConfiguration {
        value(ControlCalls.engineConfiguration, Nothing(), otherwise: EngineConfiguration())
    }
    public func restrictions() -> [RestrictEntry] { value(ControlCalls.restrictions, Nothing(), otherwise: []) }
    public func waitForSync(timeout: Double) -> Bool { value(ControlCalls.waitForSync, .init(timeout), otherwise: false) }
    public func sampleHistory() -> SampleHistory { value(ControlCalls.sampleHistory, Nothing(), otherwise: SampleHistory()) }
    /// Real time passes here as it does for the engine.
    public func sleep(seconds: Double) { PlatformThread.sleep(seconds: seconds) }

    // Configuration
    public func addAssociation(_ configuration: AssociationConfiguration) -> AssociationID {
        value(ControlCalls.addAssociation, configuration, otherwise: AssociationID(0))
    }
    public func removeAssociations(host: String) -> Int { value(ControlCalls.removeAssociations, host, otherwise: 0) }
    public func setLocalClockStratum(_ stratum: UInt8) { _ = value(ControlCalls.setLocalClockStratum, stratum, otherwise: Nothing()) }
    public func setEngineConfiguration(_ configuration: EngineConfiguration) {
        _ = value(ControlCalls.setEngineConfiguration, configuration, otherwise: Nothing())
    }
    public func setRestriction(_ entry: RestrictEntry) { _ = value(ControlCalls.setRestriction, entry, otherwise: Nothing()) }
    public func removeRestriction(network: IPAddress, prefixLength: Int) -> Bool {
        value(ControlCalls.removeRestriction, .init(network: network, prefixLength: prefixLength), otherwise: false)
    }
    public func setStatistics(_ settings: StatisticsSettings) -> String? {
        do throws(AdminError) { return try call(ControlCalls.setStatistics, settings) } catch { return error.description }
    }
    public func setKeys(_ keys: [SymmetricKey], file: String?) { _ = value(ControlCalls.setKeys, .init(keys: keys, file: file), otherwise: Nothing()) }
    public func setTrusted(_ keyIDs: [UInt32], _ trusted: Bool) {
        _ = value(ControlCalls.setTrusted, .init(keyIDs: keyIDs, trusted: trusted), otherwise: Nothing())
    }
    public func setControlKey(_ keyID: UInt32?) { _ = value(ControlCalls.setControlKey, keyID, otherwise: Nothing()) }
    public func keyStore() -> KeyStore { value(ControlCalls.keyStore, Nothing(), otherwise: ControlCalls.KeySummary(KeyStore())).store }
    public func monitorSettings() -> MonitorSettings { value(ControlCalls.monitorSettings, Nothing(), otherwise: MonitorSettings()) }
    public func setMonitorSettings(_ settings: MonitorSettings) { _ = value(ControlCalls.setMonitorSettings, settings, otherwise: Nothing()) }
    public func mruEntries(newest limit: Int) -> [MRUEntry] {
        Array(value(ControlCalls.mruEntries, Nothing(), otherwise: []).suffix(limit))
    }
    public func monitorReport() -> MonitorReport {
        value(ControlCalls.monitorReport, Nothing(), otherwise: MonitorReport(settings: MonitorSettings(), counters: MRUCounters(), entries: 0,
                                                                              bucketsInUse: 0, memoryBytes: 0, oldestAge: 0))
    }
    public func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String { try call(ControlCalls.setInterfaceRules, rules) }
    public func setDriftFile(_ path: String?) -> String? {
        do throws(AdminError) { return try call(ControlCalls.setDriftFile, path) } catch { return error.description }
    }

    // Actions
    public func step(by offset: Double) throws(AdminError) { _ = try call(ControlCalls.step, .init(offset)) }
    public func stepNow() throws(AdminError) -> Double { try call(ControlCalls.stepNow, Nothing()) }
    public func slew(by offset: Double) throws(AdminError) -> Double { try call(ControlCalls.slew, .init(offset)) }
}
