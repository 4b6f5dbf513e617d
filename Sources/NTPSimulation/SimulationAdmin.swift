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
    public func setKeys(_ keys: [SymmetricKey], file: String?) { host.keys.replaceKeys(keys, file: file) }
    public func setTrusted(_ keyIDs: [UInt32], _ trusted: Bool) {
        if trusted { host.keys.trusted.formUnion(keyIDs) } else { host.keys.trusted.subtract(keyIDs) }
    }
    public func setControlKey(_ keyID: UInt32?) { host.keys.controlKey = keyID }
    public func keyStore() -> KeyStore { host.keys }
    public func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String {
        "note: a lab has no sockets; interface rules are kept, not applied\n"
    }
    public func setRestriction(_ entry: RestrictEntry) { host.restrictions.set(entry) }
    public func removeRestriction(network: IPAddress, prefixLength: Int) -> Bool {
        host.restrictions.remove(network: network, prefixLength: prefixLength)
    }
    public func restrictions() -> [RestrictEntry] { host.restrictions.entries }
    public func monitorSettings() -> MonitorSettings { host.monitor.settings }
    public func setMonitorSettings(_ settings: MonitorSettings) { host.monitor.apply(settings) }
    public func mruEntries() -> [MRUEntry] { host.monitor.entries() }
    public func monitorReport() -> MonitorReport { host.monitor.report(at: host.engine.clock.now()) }

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

extension SimulationAdmin {
    /// An empty lab world (`ntpsh --lab`): the client at 10.1.0.1, its clock `clockOffset`
    /// seconds off and `frequencyError` ppm fast, no servers yet (`lab server add` brings them).
    /// `macProvider` computes MACs for `server … key N` in the lab (the runner supplies NTPCrypto's).
    public static func lab(seed: UInt64 = 1, clockOffset: Double = 0.05, frequencyError: Double = 20,
                           macProvider: (any MACProvider)? = nil) -> SimulationAdmin {
        let network = SimulatedNetwork(seed: seed)
        let clock = SimulatedClock(trueTime: network.startTime, initialOffset: clockOffset, frequencyError: frequencyError,
                                   wanderPerSqrtSecond: 1e-9, seed: seed)
        let host = EngineHost(clock: clock, address: SocketAddress(ip: .v4(0x0a01_0001), port: 123),
                              configuration: EngineConfiguration(), associations: [], seed: seed, macProvider: macProvider)
        network.addHost(host, address: host.address)
        return SimulationAdmin(network: network, host: host)
    }
}

extension SimulationAdmin: LabControl {
    private func lookup(_ address: String) throws(AdminError) -> SimulatedServer {
        guard let ip = IPAddress(address) else { throw AdminError("\(address) is not an IP address") }
        guard let server = network.server(at: SocketAddress(ip: ip, port: SimulatedNetwork.ntpPort)) else {
            throw AdminError("no lab server at \(address)")
        }
        return server
    }

    public func addServer(_ address: String, _ settings: LabServerSettings) throws(AdminError) -> String {
        guard let ip = IPAddress(address) else { throw AdminError("\(address) is not an IP address") }
        let socket = SocketAddress(ip: ip, port: SimulatedNetwork.ntpPort)
        guard network.server(at: socket) == nil, ip != host.address.ip else { throw AdminError("\(address) is taken") }
        let referenceID = settings.stratum <= 1 ? ReferenceID(ascii: "GPS") : ReferenceID(ipv4: 192, 0, 2, settings.stratum)
        let server = SimulatedServer(
            model: ServerClockModel(offset: settings.offset), startTime: network.now,
            seed: network.seed &+ UInt64(network.servers.count + 1), stratum: settings.stratum, referenceID: referenceID,
            rootDelay: settings.stratum <= 1 ? 0 : 0.001 * Double(settings.stratum - 1),
            rootDispersion: settings.stratum <= 1 ? 0 : 0.0005 * Double(settings.stratum - 1))
        network.addServer(server, address: socket)
        let loss = max(0, min(100, settings.lossPercent)) / 100
        let link = LinkModel(baseDelay: max(0, settings.delay) / 2, jitter: max(0, settings.jitter), loss: loss)
        if link != network.defaultLink { network.setLink(link, host: host.address.ip, peer: ip) }
        return ip.description
    }

    public func removeServer(_ address: String) throws(AdminError) {
        let server = try lookup(address)
        network.removeServer(server)
    }

    public func setServer(_ address: String, _ change: LabServerChange) throws(AdminError) {
        let server = try lookup(address)
        switch change {
        case .silent: server.isSilent = true
        case .answer: server.isSilent = false; server.silentPeriods = []
        case .falseticker(let offset): server.falseticker = offset == 0 ? .none : .constant(offset: offset)
        }
    }

    public func setClock(_ change: LabClockChange) {
        switch change {
        case .slewRate(let ppm): host.clock.setMaxSlewRate(ppm * 1e-6)
        case .jump(let seconds): host.clock.disturb(by: seconds)
        }
    }

    public func advance(seconds: Double) { network.run(for: seconds) }

    public func labStatus() -> LabStatus {
        let now = network.now
        return LabStatus(
            elapsed: network.elapsed, seed: network.seed, clockOffset: host.clock.trueOffset,
            frequencyError: host.clock.trueFrequencyError,
            servers: network.servers.map {
                LabStatus.Server(address: $0.address?.ip.description ?? "?", stratum: $0.stratum,
                                 offset: $0.trueOffset(at: now), silent: $0.isSilent(at: now))
            })
    }
}
