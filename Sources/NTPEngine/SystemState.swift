public import NTPWire

/// The system variables a server puts in every reply (RFC 5905 §9.1), as of the last clock
/// update. Root dispersion grows from ``referenceTime`` at ``dispersionRate`` (PHI, 15 ppm)
/// until the next update, so a server that lost its sources says so in its answers.
public struct SystemState: Sendable, Equatable {
    public var leap: LeapIndicator
    /// 1 for primary, 2–15 secondary, 16 unsynchronised (sent as 0 on the wire).
    public var stratum: UInt8
    public var referenceID: ReferenceID
    public var referenceTime: UnixTime?
    /// Seconds.
    public var rootDelay: Double
    /// Seconds, at ``referenceTime``.
    public var rootDispersion: Double
    public var precision: PollExponent
    /// The system poll interval (log2 s).
    public var poll: PollExponent

    /// RFC 5905's PHI: the frequency tolerance used to grow dispersion, 15 ppm.
    public static let dispersionRate = 15e-6
    /// RFC 5905's MAXDISP: dispersion never reported above 16 s.
    public static let maxDispersion = 16.0

    public init(
        leap: LeapIndicator, stratum: UInt8, referenceID: ReferenceID, referenceTime: UnixTime?,
        rootDelay: Double, rootDispersion: Double, precision: PollExponent, poll: PollExponent
    ) {
        self.leap = leap; self.stratum = stratum; self.referenceID = referenceID
        self.referenceTime = referenceTime; self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion; self.precision = precision; self.poll = poll
    }

    /// The state of a server that has never synchronised: leap alarm, stratum 16, refid INIT.
    public static func unsynchronized(precision: PollExponent) -> SystemState {
        SystemState(
            leap: .unsynchronized, stratum: 16, referenceID: ReferenceID(ascii: "INIT"),
            referenceTime: nil, rootDelay: 0, rootDispersion: maxDispersion,
            precision: precision, poll: PollExponent(6))
    }

    public var isSynchronized: Bool { leap != .unsynchronized && stratum < 16 }

    /// The stratum as it goes on the wire: 16 (unsynchronised) is sent as 0 (RFC 5905 §7.3).
    public var wireStratum: UInt8 { stratum >= 16 ? 0 : stratum }

    /// Root dispersion at `time`, grown at PHI since the reference time and capped at 16 s.
    public func rootDispersion(at time: UnixTime) -> Double {
        guard let ref = referenceTime else { return Self.maxDispersion }
        let grown = rootDispersion + Self.dispersionRate * max(0, time - ref)
        return min(grown, Self.maxDispersion)
    }

    /// Root distance (RFC 5905 §11.2.1 for the system: delay/2 + dispersion) at `time`.
    public func rootDistance(at time: UnixTime) -> Double {
        rootDelay / 2 + rootDispersion(at: time)
    }
}
