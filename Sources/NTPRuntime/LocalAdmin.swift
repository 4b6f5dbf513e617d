public import NTPEngine
public import NTPAdmin
public import NTPWire
import NTPPlatform
import Glibc

/// The AdminAPI in-process: the shell's calls run on the daemon's event-loop thread, which
/// owns the engine (synchronously, via ``Daemon/onLoop(_:)``). Requests go to the one
/// dispatcher (``AdminNode/answer(_:)``) on the daemon's ``Node``, on the loop thread; the members here are what only
/// a daemon does (real time, files, sockets, the per-shell event queue).
public final class LocalAdmin: AdminAPI {
    public let daemon: Daemon

    public init(daemon: Daemon) { self.daemon = daemon }

    public func perform(_ request: AdminRequest) throws(AdminError) -> AdminAnswer {
        try daemon.onLoop { d -> Result<AdminAnswer, AdminError> in
            do throws(AdminError) { return .success(try d.node.answer(request, host: d.adminHost)) } catch { return .failure(error) }
        }.get()
    }

    public func sampleHistory() -> SampleHistory { daemon.onLoop { $0.engine.history } }
    public func setStatistics(_ settings: StatisticsSettings) -> String? { daemon.onLoop { $0.setStatistics(settings) } }
    public func takeEvents() -> [EngineEvent] { daemon.onLoop { $0.takeMonitorEvents() } }
    public func uptime() -> Seconds { Seconds(daemon.adminHost.uptime) }
    public var clockKind: ClockKind { daemon.onLoop { $0.engine.clock.kind } }
    public func keyStore() -> KeyStore { daemon.onLoop { $0.node.keys } }
    public func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String {
        try daemon.onLoop { $0.setInterfaceRules(rules) }.get()
    }
    public func hardwareTimestamping(_ interface: String) throws(AdminError) -> String {
        try daemon.onLoop { $0.hardwareTimestamping(interface) }.get()
    }
    public func setDriftFile(_ path: String?) -> String? { daemon.onLoop { $0.setDriftFile(path) } }
    public func setMetrics(_ address: SocketAddress?) throws(AdminError) -> String { try daemon.onLoop { $0.setMetrics(address) }.get() }
    public func setNTS(_ settings: NTSSettings) throws(AdminError) -> String { try daemon.onLoop { $0.setNTS(settings) }.get() }
    public func ntsReport() -> NTSReport? { daemon.onLoop { $0.ntsReport() } }

    public func stepNow() throws(AdminError) -> Seconds {
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

    public func waitForSync(timeout: Seconds) -> Bool {
        let deadline = OSClock.monotonicNanoseconds() + Int64(timeout.value * 1e9)
        while true {
            if daemon.onLoop({ $0.engine.system.isSynchronized }) { return true }
            if OSClock.monotonicNanoseconds() >= deadline || daemon.isShuttingDown { return false }
            usleep(20_000)
        }
    }

    public func sleep(_ span: Seconds) { PlatformThread.sleep(seconds: span.value) }
}
