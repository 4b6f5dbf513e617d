public import NTPEngine
public import NTPShell
import NTPWire

/// The AdminAPI in virtual time: the shell drives an ``EngineHost`` on a ``SimulatedNetwork``.
/// `sleep` and `wait sync` advance the simulation instead of waiting, so labs and tests run as
/// fast as the machine allows and give the same output for the same seed.
public final class SimulationAdmin: AdminAPI {
    public let network: SimulatedNetwork
    public let host: EngineHost
    private var eventsTaken = 0

    public init(network: SimulatedNetwork, host: EngineHost) {
        self.network = network
        self.host = host
    }

    public func peerReports() -> [PeerReport] { host.engine.peerReports() }
    public func systemReport() -> SystemReport { host.engine.systemReport(server: host.responder.counters) }
    public func events() -> [EngineEvent] { host.engine.events }
    public func takeEvents() -> [EngineEvent] {
        let all = host.events
        defer { eventsTaken = all.count }
        return Array(all.dropFirst(min(eventsTaken, all.count)))
    }
    public func uptime() -> Double { network.elapsed }
    public var clockKind: ClockKind { .simulated }

    public func addAssociation(_ configuration: AssociationConfiguration) -> AssociationID {
        defer { network.hostsChanged() }
        return host.engine.add(configuration)
    }
    public func removeAssociations(host name: String) -> Int {
        defer { network.hostsChanged() }
        return host.engine.remove(host: name)
    }
    public func setLocalClockStratum(_ stratum: UInt8) { host.engine.setLocalClockStratum(stratum) }
    public func engineConfiguration() -> EngineConfiguration { host.engine.configuration }
    public func setEngineConfiguration(_ configuration: EngineConfiguration) { host.engine.configuration = configuration }
    public func setDriftFile(_ path: String?) -> String? {
        path == nil ? nil : "note: a lab keeps no drift file; the frequency starts from the simulated clock"
    }
    public func setRestriction(_ entry: RestrictEntry) { host.restrictions.set(entry) }
    public func removeRestriction(network: IPAddress, prefixLength: Int) -> Bool {
        host.restrictions.remove(network: network, prefixLength: prefixLength)
    }
    public func restrictions() -> [RestrictEntry] { host.restrictions.entries }

    public func step(by offset: Double) throws(AdminError) {
        do throws(ClockError) { try host.engine.step(by: offset) } catch { throw AdminError("cannot step the clock: \(error)") }
    }

    public func stepNow() throws(AdminError) -> Double {
        host.startStepNow(network: network)
        let deadline = network.now.adding(seconds: 20)
        while network.now < deadline {
            switch host.engine.stepNowOutcome {
            case .success(let offset)?: return offset
            case .failure(let refusal)?: throw AdminError("step now refused: \(refusal.reason)")
            case nil: network.run(for: 0.5)
            }
        }
        throw AdminError("step now: no outcome after 20 s")
    }

    public func slew(by offset: Double) throws(AdminError) -> Double {
        do throws(ClockError) { return try host.engine.slew(by: offset) } catch { throw AdminError("cannot slew the clock: \(error)") }
    }

    public func waitForSync(timeout: Double) -> Bool {
        let deadline = network.now.adding(seconds: timeout)
        while !host.engine.system.isSynchronized {
            guard network.now < deadline else { return false }
            network.run(for: min(1, deadline - network.now))
        }
        return true
    }

    public func sleep(seconds: Double) { network.run(for: seconds) }
}
