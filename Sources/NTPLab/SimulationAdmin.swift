public import NTPEngine
public import NTPAdmin
public import NTPSimulation
public import NTPWire
import NTPControl

/// The AdminAPI in virtual time: the shell drives an ``EngineHost`` on a ``SimulatedNetwork``.
/// `sleep` and `wait sync` advance the simulation instead of waiting, so labs and tests run as
/// fast as the machine allows and give the same output for the same seed. Requests go to the
/// one dispatcher (``AdminNode/answer(_:)``) on the engine host.
public final class SimulationAdmin: AdminAPI {
    public private(set) var network: SimulatedNetwork
    /// The engine under test; replaced by ``restartEngine()``.
    public private(set) var host: EngineHost
    private var eventsTaken = 0
    /// The lab's simulated clients, in the order added.
    public private(set) var clients: [SimulatedClient] = []
    /// The lab's files (drift file): virtual, so a lab never writes the real disk.
    public private(set) var files: [String: String] = [:]
    /// `driftfile`: written hourly (virtual time) and when the engine restarts.
    public private(set) var driftFile: String?
    public var pace = LabPace()
    /// Writes statistics files (real files: a lab's statsdir is on the real disk, so ntpviz can
    /// read it); supplied by the program. Returns an error message, or nil.
    public var appendFile: ((_ path: String, _ text: String) -> String?)?
    /// Whether a directory exists (supplied with `appendFile`).
    public var isDirectory: ((String) -> Bool)?
    private var statisticsWriter = StatisticsWriter()
    private var scheduledCount = 0
    private var restarts: UInt64 = 0
    /// How the world was made (for `lab seed`).
    private let clockOffset: Double, frequencyError: Double

    public init(network: SimulatedNetwork, host: EngineHost) {
        self.network = network
        self.host = host
        clockOffset = host.clock.trueOffset
        frequencyError = host.clock.oscillatorFrequency
        scheduleDriftSave()
    }

    /// The drift file is written every hour of virtual time, as ntpd does.
    static let driftInterval = 3600.0

    private func scheduleDriftSave() {
        let current = network
        // Weak both ways: the network keeps this closure, so a strong `current` is a cycle.
        network.schedule(after: Self.driftInterval) { [weak self, weak current] _ in
            guard let self, let current, self.network === current else { return }
            self.saveDrift()
            self.scheduleDriftSave()
        }
    }

    private func saveDrift() {
        guard let path = driftFile, let text = DriftFile.text(for: host.engine) else { return }
        files[path] = text
    }

    private func readDrift() -> PPM? {
        guard let path = driftFile, let text = files[path] else { return nil }
        return try? DriftFile.frequency(in: text).get()
    }

    public func perform(_ request: AdminRequest) throws(AdminError) -> AdminAnswer {
        defer { if case .change(let change) = request, change.changesAssociations { network.hostsChanged() } }
        return try host.node.answer(request, host: AdminHost(uptime: network.elapsed, version: "lab"))
    }

    /// The history of the engines before the last `lab restart`, so plots go on across it.
    private var earlierHistory = SampleHistory()
    public func sampleHistory() -> SampleHistory {
        var h = earlierHistory
        h.append(host.engine.history)
        return h
    }
    public func takeEvents() -> [EngineEvent] {
        let all = host.events
        defer { eventsTaken = all.count }
        return Array(all.dropFirst(min(eventsTaken, all.count)))
    }
    public func uptime() -> Seconds { Seconds(network.elapsed) }
    public var clockKind: ClockKind { .simulated }

    public func setDriftFile(_ path: String?) -> String? {
        driftFile = path
        guard path != nil, host.engine.system.updates == 0 else { return nil }
        guard let ppm = readDrift() else {
            return "drift file \(path ?? "") not found in the lab; the frequency starts at 0 ppm"
        }
        host.engine.loadDrift(ppm)
        return "drift file \(path ?? ""): the frequency starts at \(formatFixed(ppm.value, 3)) ppm"
    }
    public func keyStore() -> KeyStore { host.node.keys }
    public func setMetrics(_ address: SocketAddress?) throws(AdminError) -> String {
        "note: a lab has no sockets; `show metrics` prints what /metrics would serve\n"
    }
    /// `show nts`, `ntsinfo`, NTS in `associations`/`rv`: the lab host's NTS client state (a
    /// lab serves no NTS itself; its servers do, with `lab server add … nts`).
    public func ntsReport() -> NTSReport? {
        let sessions = host.ntsSessions
        guard !sessions.isEmpty else { return nil }
        let now = network.now.nanoseconds
        var report = NTSReport()
        report.problem = "a lab host serves no NTS; its servers do: lab server add ADDRESS nts"
        report.clientTrust = "each lab server's own certificate (self-signed for its address, made in memory; `nts ca` is not read)"
        let c = host.ntsCounters
        report.counters.clientSend = c.sent
        report.counters.clientReceiveGood = c.receivedGood
        report.counters.clientReceiveBad = c.receivedBad
        report.counters.keProbeGood = c.keGood
        report.counters.keProbeBad = c.keBad
        let hosts = Set(host.engine.associations.values.filter { $0.configuration.ntsKEPort != nil }.map(\.configuration.host))
        report.associations = sessions.filter { hosts.contains($0.key) }.sorted { $0.key < $1.key }.map { name, s in
            NTSAssociationState(host: name, cookies: s.cookies, lastKE: s.lastKE.map { Double(now - $0) / 1e9 },
                                keFailures: s.failures, lastFailure: s.lastFailure, accepted: s.accepted,
                                refused: s.refused, naks: s.naks, ntpServer: s.ntpServer,
                                lastKEFailure: s.lastKEFailure, lastRefusal: s.lastRefusal)
        }
        return report
    }

    public func setInterfaceRules(_ rules: [InterfaceRule]) throws(AdminError) -> String {
        "note: a lab has no sockets; interface rules are kept, not applied\n"
    }
    public func hardwareTimestamping(_ interface: String) throws(AdminError) -> String {
        "note: a lab has no network interfaces; hwtimestamp is kept, not applied\n"
    }
    public func stepNow() throws(AdminError) -> Seconds {
        host.startStepNow(network: network)
        let deadline = network.now.adding(seconds: 20)
        while network.now < deadline {
            switch host.engine.stepNowOutcome {
            case .success(let offset)?: return offset
            case .failure(let refusal)?: throw AdminError("step now refused: \(refusal.reason)")
            case nil: run(for: 0.5)
            }
        }
        throw AdminError("step now: no outcome after 20 s")
    }

    public func waitForSync(timeout: Seconds) -> Bool {
        let deadline = network.now + timeout
        while !host.engine.system.isSynchronized {
            guard network.now < deadline else { return false }
            run(for: min(1, deadline - network.now))
        }
        return true
    }

    public func sleep(_ span: Seconds) { run(for: span.value) }

    /// Lets virtual time pass, then writes the statistics lines it produced.
    private func run(for seconds: Double) {
        network.run(for: seconds)
        writeStatistics()
    }

    public func setStatistics(_ settings: StatisticsSettings) -> String? {
        statisticsWriter.configure(settings, history: host.engine.history)
        guard settings.isActive else { return nil }
        guard appendFile != nil else { return "note: this lab writes no statistics files" }
        if isDirectory?(settings.directory) == false {
            return "warning: statsdir \(settings.directory) is not a directory; statistics files cannot be written"
        }
        return nil
    }

    private func writeStatistics() {
        guard let appendFile else { return }
        if let failure = statisticsWriter.write(from: host.engine.history, append: appendFile) {
            lastStatisticsError = failure
        }
    }

    /// The last statistics file error, if any (shown by `lab status`).
    public private(set) var lastStatisticsError: String?
}

extension SimulationAdmin {
    /// An empty lab world (`ntpsh --lab`): the client at 10.1.0.1, its clock `clockOffset`
    /// seconds off and `frequencyError` ppm fast, no servers yet (`lab server add` brings them).
    /// `macProvider` computes MACs for `server … key N` in the lab (the runner supplies NTPCrypto's).
    public static func lab(
        seed: UInt64 = 1, clockOffset: Double = 0.05, frequencyError: Double = 20,
        startTime: UnixTime = SimulatedNetwork.defaultStartTime, macProvider: (any MACProvider)? = nil
    ) -> SimulationAdmin {
        let network = SimulatedNetwork(seed: seed, startTime: startTime)
        let clock = SimulatedClock(trueTime: network.startTime, initialOffset: clockOffset, frequencyError: frequencyError,
                                   wanderPerSqrtSecond: 1e-9, seed: seed)
        let host = EngineHost(clock: clock, address: labHostAddress,
                              configuration: EngineConfiguration(), associations: [], seed: seed, macProvider: macProvider)
        network.addHost(host, address: host.address)
        return SimulationAdmin(network: network, host: host)
    }

    /// The lab host's address: the server the simulated clients ask.
    public static let labHostAddress = SocketAddress(ip: .v4(0x0a01_0001), port: 123)
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
        guard endpoint(ip) == nil else { throw AdminError("\(address) is taken") }
        // A refid that is an IPv4 address is shown as one (a secondary server's upstream).
        let referenceID = settings.refid.map { text in
            IPAddress(text).flatMap { $0.isIPv4 ? ReferenceID(ipv4: $0.bytes) : nil } ?? ReferenceID(ascii: text)
        }
            ?? (settings.stratum <= 1 ? ReferenceID(ascii: "GPS") : ReferenceID(ipv4: 192, 0, 2, settings.stratum))
        let server = SimulatedServer(
            model: ServerClockModel(offset: settings.offset, frequencyPPM: settings.frequency), startTime: network.now,
            seed: network.seed &+ UInt64(network.servers.count + 1), stratum: settings.stratum, referenceID: referenceID,
            rootDelay: settings.stratum <= 1 ? 0 : 0.001 * Double(settings.stratum - 1),
            rootDispersion: settings.stratum <= 1 ? 0 : 0.0005 * Double(settings.stratum - 1))
        server.leap = settings.leap
        network.addServer(server, address: socket)
        if settings.nts, let problem = server.enableNTS(seed: network.seed &+ UInt64(network.servers.count), now: network.now) {
            network.removeServer(server)
            throw AdminError(problem)
        }
        let loss = max(0, min(100, settings.lossPercent)) / 100
        let link = LinkModel(baseDelay: max(0, settings.delay - abs(settings.asymmetry)) / 2, jitter: max(0, settings.jitter),
                             asymmetry: settings.asymmetry, loss: loss)
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
        case .kiss(let code): server.kiss = code.map { .always(KissCode(ReferenceID(ascii: $0.uppercased()))) } ?? .none
        case .leap(let leap): server.leap = leap; server.unsynchronized = leap == .unsynchronized
        case .stratum(let stratum): server.stratum = stratum
        case .mitm(let shift):
            guard let from = server.address?.ip else { return }
            if shift != 0, let middleman = network.manInTheMiddle(from: from, to: host.address.ip) {
                middleman.shift = shift  // the same man, his count of forged replies kept
            } else {
                network.setManInTheMiddle(shift == 0 ? nil : ManInTheMiddle(shift: shift), from: from, to: host.address.ip)
            }
        }
    }

    /// Whether a server or client already has `ip`.
    private func endpoint(_ ip: IPAddress) -> String? {
        if ip == host.address.ip { return "the lab host" }
        if network.server(at: SocketAddress(ip: ip, port: SimulatedNetwork.ntpPort)) != nil { return "a server" }
        if clients.contains(where: { network.address(of: $0)?.ip == ip }) { return "a client" }
        return nil
    }

    public func addClient(_ address: String, interval: Double) throws(AdminError) -> String {
        guard let ip = IPAddress(address) else { throw AdminError("\(address) is not an IP address") }
        if let what = endpoint(ip) { throw AdminError("\(address) is taken (\(what))") }
        guard ip.isIPv4 == host.address.ip.isIPv4 else { throw AdminError("lab clients are IPv4, as the lab host is") }
        let client = SimulatedClient(server: host.address, interval: interval, start: network.now,
                                     seed: network.seed &+ 0xC11E_0000 &+ UInt64(clients.count))
        network.addHost(client, address: SocketAddress(ip: ip, port: 123))
        clients.append(client)
        return ip.description
    }

    public func removeClient(_ address: String) throws(AdminError) {
        guard let ip = IPAddress(address), let i = clients.firstIndex(where: { network.address(of: $0)?.ip == ip }) else {
            throw AdminError("no lab client at \(address)")
        }
        network.removeHost(clients.remove(at: i))
    }

    public func schedule(atElapsed elapsed: Double, _ action: @escaping () -> Void) throws(AdminError) {
        guard elapsed >= network.elapsed else {
            throw AdminError("lab time is already \(formatFixed(network.elapsed, 1)) s; lab at needs a later time")
        }
        scheduledCount += 1
        let current = network
        network.schedule(at: network.startTime.adding(seconds: elapsed)) { [weak self] _ in
            guard let self, self.network === current else { return }
            self.scheduledCount -= 1
            action()
        }
    }

    public func reseed(_ seed: UInt64) throws(AdminError) {
        guard network.servers.isEmpty, clients.isEmpty, host.engine.associations.isEmpty, network.elapsed == 0 else {
            throw AdminError("lab seed comes first: this lab already has servers, clients, associations or a past")
        }
        let fresh = Self.lab(seed: seed, clockOffset: clockOffset, frequencyError: frequencyError, startTime: network.startTime)
        network = fresh.network
        host = fresh.host
        host.node.restrictions = RestrictList()
        eventsTaken = 0
        scheduledCount = 0
        scheduleDriftSave()
    }

    public func restartEngine() {
        saveDrift()
        writeStatistics()
        earlierHistory.append(host.engine.history)
        let clock = host.clock
        // A reboot: the kernel forgets the frequency correction and any slew in progress.
        _ = try? clock.slew(by: .zero)
        _ = try? clock.setFrequency(.zero)
        network.removeHost(host)
        restarts += 1
        var configuration = EngineConfiguration()
        configuration.initialFrequency = readDrift()
        host = EngineHost(clock: clock, address: Self.labHostAddress, configuration: configuration, associations: [],
                          seed: network.seed &+ restarts, macProvider: host.node.keys.provider)
        network.addHost(host, address: host.address)
        statisticsWriter.skip(host.engine.history)
        eventsTaken = 0
    }

    public func labFile(_ path: String) -> String? { files[path] }

    /// A real client's request (`--lab --port`), received at this machine's time `realTime`:
    /// answered by the lab host's server, its times moved from lab time onto real time, so the
    /// client sees the lab host's clock error (lab clock − lab true time) on top of its own
    /// clock whatever the lab's date and speed; nil when dropped (restrict, malformed).
    /// `arrival` is the kernel's receive timestamp: the time the request waited before this
    /// call (a busy shell thread) is taken off the receive timestamp, so it does not show as
    /// an offset to the client.
    public func answerRealRequest(_ bytes: [UInt8], from source: SocketAddress, realTime: UnixTime,
                                  arrival: UnixTime? = nil) -> [UInt8]? {
        let waited = arrival.map { max(0, realTime - $0) } ?? 0
        return host.answer(bytes, from: source, receiveTime: host.clock.now().adding(seconds: -waited),
                           shift: realTime - network.now)
    }

    public func setClock(_ change: LabClockChange) {
        switch change {
        case .slewRate(let ppm): host.clock.setMaxSlewRate(PPM(ppm))
        case .jump(let seconds): host.clock.disturb(by: seconds)
        }
    }

    public func advance(seconds: Double) { run(for: seconds) }

    public func labStatus() -> LabStatus {
        let now = network.now
        var status = LabStatus(
            elapsed: network.elapsed, seed: network.seed, clockOffset: host.clock.trueOffset,
            frequencyError: host.clock.trueFrequencyError,
            servers: network.servers.map {
                var s = LabStatus.Server(address: $0.address?.ip.description ?? "?", stratum: $0.stratum,
                                         offset: $0.trueOffset(at: now), silent: $0.isSilent(at: now))
                if case .always(let code) = $0.kiss { s.kiss = code.description }
                s.leap = $0.unsynchronized ? .unsynchronized : $0.leap
                if let nts = $0.nts {
                    s.nts = true
                    (s.ntsAnswered, s.ntsNAKs, s.ntsKeySessions) = (nts.counters.answered, nts.counters.naked, nts.counters.keySessions)
                }
                if let ip = $0.address?.ip, let mitm = network.manInTheMiddle(from: ip, to: host.address.ip) {
                    s.mitmShift = mitm.shift
                    s.forged = mitm.forged
                }
                return s
            })
        status.clients = clients.map { c in
            LabStatus.Client(address: network.address(of: c)?.ip.description ?? "?", interval: c.interval,
                             sent: c.counters.sent, answered: c.counters.answered, kissed: c.counters.kissed,
                             unanswered: c.counters.unanswered, lastOffset: c.lastOffset)
        }
        status.scheduled = scheduledCount
        status.files = files
        status.notes = [lastStatisticsError].compactMap { $0 }
        return status
    }
}
