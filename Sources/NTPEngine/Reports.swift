public import NTPWire

/// What views show about one association (`peers`, `associations`, `rv ASSOCID`). A plain
/// snapshot: renderers take this, never the engine's internals.
public struct PeerReport: Sendable, Codable, Equatable {
    public enum Kind: Character, Sendable, Equatable {
        case unicast = "u", localClock = "l", pool = "p", symmetricActive = "s", symmetricPassive = "S"
    }

    public var id: AssociationID
    /// As configured (address or name); for pool-spawned servers, their address.
    public var host: String
    /// The resolved address, if any.
    public var address: SocketAddress?
    public var kind: Kind
    public var configured: Bool
    public var prefer: Bool
    public var iburst: Bool
    public var state: AssociationState
    public var select: SelectStatus
    public var leap: LeapIndicator
    public var stratum: UInt8
    public var precision: PollExponent
    public var rootDelay: Seconds
    public var rootDispersion: Seconds
    public var referenceID: ReferenceID
    public var referenceTime: NTPTimestamp
    /// How long since the last valid reply, nil if none yet.
    public var sinceLastReply: Seconds?
    public var poll: Int8
    public var peerPoll: Int8
    public var reach: UInt8
    public var unreach: Int
    /// Clock filter result.
    public var offset: Seconds
    public var delay: Seconds
    public var dispersion: Seconds
    public var jitter: Seconds
    /// The eight filter stages, newest first.
    public var filter: [ClockFilter.Sample]
    public var counters: AssociationCounters
    public var lastKiss: KissCode?
    /// The discipline's estimate: offset now and frequency error (fraction), with errors.
    public var estimate: SourceStatistics.Estimate?
    /// `key N`: the key its requests are signed with and its replies must carry.
    public var keyID: UInt32?
    /// `nts`: the NTS-KE port its keys and cookies come from (nil without NTS).
    public var ntsKEPort: UInt16?
    /// The last reply passed authentication under ``keyID``, or (NTS) its authenticator was
    /// checked before the engine got it.
    public var authenticated = false
    /// Why the last reply (or poll) failed authentication, while it does.
    public var authenticationFailure: AuthenticationFailure?
    /// `xleave`: whether the last valid reply was interleaved (nil without `xleave`, or
    /// before a reply).
    public var interleaved: Bool?

    public init(
        id: AssociationID, host: String, address: SocketAddress?, kind: Kind, configured: Bool = true,
        prefer: Bool = false, iburst: Bool = false, state: AssociationState = .active, select: SelectStatus = .reject,
        leap: LeapIndicator = .unsynchronized, stratum: UInt8 = 16, precision: PollExponent = PollExponent(-20),
        rootDelay: Seconds = .zero, rootDispersion: Seconds = .zero, referenceID: ReferenceID = ReferenceID(ascii: "INIT"),
        referenceTime: NTPTimestamp = .zero, sinceLastReply: Seconds? = nil, poll: Int8 = NTPConstants.defaultMinPoll,
        peerPoll: Int8 = 0, reach: UInt8 = 0, unreach: Int = 0, offset: Seconds = .zero, delay: Seconds = .zero,
        dispersion: Seconds = Seconds(NTPConstants.maxDispersion), jitter: Seconds = .zero, filter: [ClockFilter.Sample] = [],
        counters: AssociationCounters = AssociationCounters(), lastKiss: KissCode? = nil,
        estimate: SourceStatistics.Estimate? = nil
    ) {
        self.id = id; self.host = host; self.address = address; self.kind = kind; self.configured = configured
        self.prefer = prefer; self.iburst = iburst; self.state = state; self.select = select; self.leap = leap
        self.stratum = stratum; self.precision = precision; self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion; self.referenceID = referenceID; self.referenceTime = referenceTime
        self.sinceLastReply = sinceLastReply; self.poll = poll; self.peerPoll = peerPoll; self.reach = reach
        self.unreach = unreach; self.offset = offset; self.delay = delay; self.dispersion = dispersion
        self.jitter = jitter; self.filter = filter; self.counters = counters; self.lastKiss = lastKiss
        self.estimate = estimate
    }

    /// The refid as ntpq prints it: kiss and reference-clock codes as `.CODE.`, the local
    /// clock's `.LOCL.`, `.DNS.` while resolving, `.INIT.` before the first reply, else an address.
    public var referenceText: String {
        switch state {
        case .resolving, .unresolved: return ".DNS."
        case .denied: return lastKiss.map { ".\($0)." } ?? ".DENY."
        case .active: break
        }
        if kind == .pool { return ".POOL." }
        if kind == .localClock { return ".LOCL." }
        if stratum <= 1 || stratum >= 16, let text = referenceID.asciiText, !text.isEmpty { return ".\(text)." }
        if reach == 0 && counters.received == 0 { return ".INIT." }
        return referenceID.dottedQuad
    }

    /// The remote column's text: the address, or `LOCAL(u)` for the local clock.
    public var remoteText: String {
        if kind == .localClock { return "LOCAL(\(host.split(separator: ".").last ?? "0"))" }
        return address?.ip.description ?? host
    }
}

/// What views show about the system (`rv`, `sysinfo`, `ntpstat`, `tracking`).
public struct SystemReport: Sendable, Codable, Equatable {
    public var variables: SystemVariables
    /// Root dispersion grown to `now`.
    public var rootDispersionNow: Seconds
    /// Root distance now: rootdelay/2 + rootdisp.
    public var rootDistance: Seconds
    public var systemPeer: PeerReport?
    public var clock: ClockStatus
    public var now: UnixTime
    public var server: ServerCounters

    public init(
        variables: SystemVariables, rootDispersionNow: Seconds, rootDistance: Seconds, systemPeer: PeerReport?,
        clock: ClockStatus, now: UnixTime, server: ServerCounters = ServerCounters()
    ) {
        self.variables = variables; self.rootDispersionNow = rootDispersionNow; self.rootDistance = rootDistance
        self.systemPeer = systemPeer; self.clock = clock; self.now = now; self.server = server
    }
}

extension Engine {
    /// A snapshot of every association, in id order.
    public func peerReports() -> [PeerReport] {
        let now = clock.now()
        return sortedAssociations.map { report($0, now: now) }
    }

    public func peerReport(_ id: AssociationID) -> PeerReport? {
        associations[id].map { report($0, now: clock.now()) }
    }

    public func systemReport(server: ServerCounters = ServerCounters()) -> SystemReport {
        let now = clock.now()
        let disp = system.rootDispersion(at: now)
        return SystemReport(
            variables: system, rootDispersionNow: Seconds(disp), rootDistance: Seconds(system.rootDelay / 2 + disp),
            systemPeer: system.systemPeer.flatMap { peerReport($0) }, clock: clock.status(), now: now,
            server: server)
    }

    private func report(_ a: Association, now: UnixTime) -> PeerReport {
        let kind: PeerReport.Kind = a.isLocalClock ? .localClock
            : (a.isPool ? .pool : (a.configuration.kind == .peer ? .symmetricActive : .unicast))
        var r = PeerReport(
            id: a.id, host: a.spawnedBy == nil ? a.configuration.host : (a.address?.ip.description ?? a.configuration.host),
            address: a.address, kind: kind, configured: a.spawnedBy == nil,
            prefer: a.configuration.prefer, iburst: a.configuration.iburst, state: a.state, select: a.select,
            leap: a.leap, stratum: a.stratum, precision: a.precision, rootDelay: Seconds(a.rootDelay),
            rootDispersion: Seconds(a.rootDispersion), referenceID: a.referenceID, referenceTime: a.referenceTime,
            sinceLastReply: a.lastUpdate.map { Seconds(now - $0) }, poll: a.poll, peerPoll: a.peerPoll.log2Seconds,
            reach: a.reach, unreach: a.unreach, offset: Seconds(a.filter.offset), delay: Seconds(a.filter.delay),
            dispersion: Seconds(a.filter.dispersion), jitter: Seconds(a.jitter),
            filter: a.filter.stages(at: now), counters: a.counters, lastKiss: a.lastKiss,
            estimate: a.statistics.estimate)
        r.keyID = a.configuration.key
        r.ntsKEPort = a.configuration.ntsKEPort
        r.authenticated = a.authenticated
        r.authenticationFailure = a.authenticationFailure
        r.interleaved = a.interleaved
        return r
    }
}
