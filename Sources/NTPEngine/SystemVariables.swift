public import NTPWire

/// RFC 5905 §11.3's system variables, as `rv` shows them and replies carry them.
public struct SystemVariables: Sendable, Codable, Equatable {
    public var leap: LeapIndicator = .unsynchronized
    /// 16 until the first clock update.
    public var stratum: UInt8 = NTPConstants.maxStratum
    public var referenceID = ReferenceID(ascii: "INIT")
    public var referenceTime: UnixTime?
    /// Seconds, as of ``referenceTime``.
    public var rootDelay = 0.0
    public var rootDispersion = NTPConstants.maxDispersion
    public var precision: PollExponent
    /// The system peer's poll exponent (ntpq's `tc`).
    public var timeConstant: Int8 = NTPConstants.defaultMinPoll
    public var systemPeer: AssociationID?
    /// Last offset corrected, seconds.
    public var offset = 0.0
    /// Frequency correction in effect, ppm.
    public var frequency = 0.0
    /// Selection jitter (RFC 5905 ϑs), seconds.
    public var selectionJitter = 0.0
    /// RMS of recent offsets (ntpd's clk_jitter), seconds.
    public var clockJitter = 0.0
    /// RMS of recent frequency changes (ntpd's clk_wander), ppm.
    public var wander = 0.0
    /// Truechimers at the last selection.
    public var truechimers = 0
    /// Clock updates made.
    public var updates = 0

    public init(precision: PollExponent) { self.precision = precision }

    public var isSynchronized: Bool { leap != .unsynchronized && stratum < NTPConstants.maxStratum }

    /// System jitter (RFC 5905 ϑ): selection and clock jitter combined.
    public var systemJitter: Double {
        (selectionJitter * selectionJitter + clockJitter * clockJitter).squareRoot()
    }

    /// What replies to clients carry at `now`.
    public func serverState(at now: UnixTime) -> SystemState {
        guard isSynchronized else { return .unsynchronized(precision: precision) }
        return SystemState(
            leap: leap, stratum: stratum, referenceID: referenceID, referenceTime: referenceTime,
            rootDelay: rootDelay, rootDispersion: rootDispersion, precision: precision,
            poll: PollExponent(timeConstant))
    }

    /// Root dispersion grown since the reference time (RFC 5905: at PHI).
    public func rootDispersion(at now: UnixTime) -> Double {
        serverState(at: now).rootDispersion(at: now)
    }

    /// RFC 5905 §11.3 clock update: the system takes its stratum, reference and root values
    /// from the system peer.
    mutating func clockUpdated(
        peer: Association, offset: Double, jitter: Double, clock: any ClockDriver, at now: UnixTime,
        leap: LeapIndicator
    ) {
        self.leap = leap
        stratum = min(peer.stratum + 1, NTPConstants.maxStratum)
        referenceID = peer.address.map { ReferenceID(address: $0.ip) } ?? peer.referenceID
        referenceTime = now
        rootDelay = peer.rootDelay + peer.filter.delay
        rootDispersion = peer.rootDispersion + peer.sampleDispersion + peer.jitter
            + NTPConstants.phi * max(0, now - (peer.lastUpdate ?? now)) + abs(offset)
        timeConstant = peer.poll
        self.offset = offset
        let newFrequency = clock.status().frequency.value
        let change = newFrequency - frequency
        wander = updates == 0 ? 0 : ((wander * wander * 3 + change * change) / 4).squareRoot()
        frequency = newFrequency
        clockJitter = updates == 0 ? abs(offset) : ((clockJitter * clockJitter * 3 + offset * offset) / 4).squareRoot()
        updates += 1
    }

    /// Orphan mode (`tos orphan N`): nothing better is reachable, so this server claims the
    /// orphan stratum with the loopback refid, as ntpd's orphan parent does.
    mutating func enterOrphan(stratum: UInt8, at now: UnixTime) {
        leap = .noWarning
        self.stratum = stratum
        referenceID = ReferenceID(ipv4: 127, 0, 0, 1)
        referenceTime = now
        rootDelay = 0
        rootDispersion = 0
    }

    /// The local clock driver is the system peer: stratum its fudge stratum + 1, refid its
    /// address (127.127.1.0), as ntpd reports it.
    mutating func adoptLocalClock(_ peer: Association, at now: UnixTime) {
        leap = .noWarning
        stratum = min(peer.configuration.localStratum + 1, NTPConstants.maxStratum)
        referenceID = IPAddress(peer.configuration.host).map { ReferenceID(address: $0) } ?? ReferenceID(ascii: "LOCL")
        referenceTime = now
        rootDelay = 0
        rootDispersion = NTPConstants.minDispersion
        timeConstant = NTPConstants.defaultMinPoll
    }
}
