public import NTPEngine
public import NTPWire
public import NTPShell
import NTPPlatform
import Glibc

/// The AdminAPI in-process: the shell's calls run on the daemon's event-loop thread, which
/// owns the engine (synchronously, via ``Daemon/onLoop(_:)``).
public final class LocalAdmin: AdminAPI {
    public let daemon: Daemon

    public init(daemon: Daemon) { self.daemon = daemon }

    public func peerReports() -> [PeerReport] { daemon.onLoop { $0.engine.peerReports() } }
    public func systemReport() -> SystemReport { daemon.onLoop { $0.engine.systemReport(server: $0.serverCounters) } }
    public func events() -> [EngineEvent] { daemon.onLoop { $0.engine.events } }
    public func sampleHistory() -> SampleHistory { daemon.onLoop { $0.engine.history } }
    public func setStatistics(_ settings: StatisticsSettings) -> String? { daemon.onLoop { $0.setStatistics(settings) } }
    public func takeEvents() -> [EngineEvent] { daemon.onLoop { $0.takeMonitorEvents() } }
    public func uptime() -> Double { Double(OSClock.monotonicNanoseconds() - daemon.started) / 1e9 }
    public var clockKind: ClockKind { daemon.onLoop { $0.engine.clock.kind } }

    public func addAssociation(_ configuration: AssociationConfiguration) -> AssociationID {
        daemon.onLoop { d in defer { d.associationsChanged() }; return d.engine.add(configuration) }
    }
    public func removeAssociations(host: String) -> Int {
        daemon.onLoop { d in defer { d.associationsChanged() }; return d.engine.remove(host: host) }
    }
    public func setLocalClockStratum(_ stratum: UInt8) { daemon.onLoop { $0.engine.setLocalClockStratum(stratum) } }
    public func engineConfiguration() -> EngineConfiguration { daemon.onLoop { $0.engine.configuration } }
    public func setEngineConfiguration(_ configuration: EngineConfiguration) {
        daemon.onLoop { $0.engine.configuration = configuration }
    }
    public func setRestriction(_ entry: RestrictEntry) { daemon.onLoop { $0.restrictions.set(entry) } }
    public func removeRestriction(network: IPAddress, prefixLength: Int) -> Bool {
        daemon.onLoop { $0.restrictions.remove(network: network, prefixLength: prefixLength) }
    }
    public func restrictions() -> [RestrictEntry] { daemon.onLoop { $0.restrictions.entries } }
    public func setSourceRestriction(_ flags: RestrictFlags?) -> String? {
        daemon.onLoop { $0.restrictions.sourceFlags = flags }
        return nil
    }
    public func setKeys(_ keys: [SymmetricKey], file: String?) { daemon.onLoop { $0.keys.replaceKeys(keys, file: file) } }
    public func setTrusted(_ keyIDs: [UInt32], _ trusted: Bool) {
        daemon.onLoop { d in
            if trusted { d.keys.trusted.formUnion(keyIDs) } else { d.keys.trusted.subtract(keyIDs) }
        }
    }
    public func setControlKey(_ keyID: UInt32?) { daemon.onLoop { $0.keys.controlKey = keyID } }
    public func keyStore() -> KeyStore { daemon.onLoop { $0.keys } }
    public func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String {
        try daemon.onLoop { $0.setInterfaceRules(rules) }.get()
    }
    public func setDriftFile(_ path: String?) -> String? { daemon.onLoop { $0.setDriftFile(path) } }
    public func monitorSettings() -> MonitorSettings { daemon.onLoop { $0.monitor.settings } }
    public func setMonitorSettings(_ settings: MonitorSettings) { daemon.onLoop { $0.monitor.apply(settings) } }
    public func mruEntries(newest limit: Int) -> [MRUEntry] { daemon.onLoop { $0.monitor.entries(newest: limit) } }
    public func monitorReport() -> MonitorReport { daemon.onLoop { $0.monitor.report(at: $0.engine.clock.now()) } }

    public func step(by offset: Double) throws(AdminError) {
        let result: ClockError? = daemon.onLoop { d -> ClockError? in
            do throws(ClockError) { try d.engine.step(by: offset); return nil } catch { return error }
        }
        if let result { throw AdminError("cannot step the clock: \(result)") }
    }

    public func stepNow() throws(AdminError) -> Double {
        daemon.onLoop { d in d.perform(d.engine.startStepNow()) }
        let deadline = OSClock.monotonicNanoseconds() + 20_000_000_000
        while OSClock.monotonicNanoseconds() < deadline {
            switch daemon.onLoop({ $0.engine.stepNowOutcome }) {
            case .success(let offset)?: return offset
            case .failure(let refusal)?: throw AdminError("step now refused: \(refusal.reason)")
            case nil: usleep(20_000)
            }
        }
        throw AdminError("step now: no outcome after 20 s")
    }

    public func slew(by offset: Double) throws(AdminError) -> Double {
        let result: Result<Double, ClockError> = daemon.onLoop { d -> Result<Double, ClockError> in
            do throws(ClockError) { return .success(try d.engine.slew(by: offset)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let duration): return duration
        case .failure(let error): throw AdminError("cannot slew the clock: \(error)")
        }
    }

    public func waitForSync(timeout: Double) -> Bool {
        let deadline = OSClock.monotonicNanoseconds() + Int64(timeout * 1e9)
        while true {
            if daemon.onLoop({ $0.engine.system.isSynchronized }) { return true }
            if OSClock.monotonicNanoseconds() >= deadline || daemon.isShuttingDown { return false }
            usleep(20_000)
        }
    }

    public func sleep(seconds: Double) { PlatformThread.sleep(seconds: seconds) }
}
