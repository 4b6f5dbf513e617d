public import NTPWire

/// A clock correction kept in software (chrony's `sys_null`): it maps a raw reading of some
/// underlying clock onto corrected time, and it is what `observe` and `simulated` clocks step,
/// slew and re-tune instead of the kernel. Pure value type: every operation takes the raw time
/// at which it happens, so it runs the same in real and in virtual time.
///
/// `corrected(raw) = raw + correction(raw)`, with
/// `correction(raw) = offset + frequency·1e-6·(raw − base) + applied part of the slew`.
/// A slew moves at `maxSlewRate` (raw seconds per second) from the raw time it was started
/// until its whole amount is applied, then stops exactly. Sign convention as in ``ClockDriver``:
/// stepping or slewing by a positive amount moves the clock forward; a positive frequency makes
/// it run faster.
public struct SoftwareClock: Sendable, Equatable {
    /// The largest frequency correction accepted, in ppm; larger requests are clamped.
    public var maxFrequency: Double
    /// The rate a slew moves the clock, seconds per second.
    public var maxSlewRate: Double

    /// Correction at `base`, excluding the slew, in seconds.
    public private(set) var offset: Double
    /// Raw time from which the frequency term runs.
    public private(set) var base: UnixTime
    /// Frequency correction in effect, ppm.
    public private(set) var frequency: Double
    /// The slew in progress: raw time started and the whole amount, seconds (0 when none).
    public private(set) var slewStart: UnixTime
    public private(set) var slewAmount: Double

    /// The kernel's limits: ±500 ppm and a 500 ppm slew, as the `observe` clock uses them.
    public static let kernelMaxFrequency = 500.0
    public static let kernelMaxSlewRate = 5e-4
    /// The slew rate of software-kept clocks (`observe`, `simulated`): chrony's default
    /// `maxslewrate`, 83333 ppm, so a 0.1 s correction takes 1.2 s, not 200 s.
    public static let softwareSlewRate = 0.083333

    /// A clock with no correction, starting at raw time `start`.
    public init(
        start: UnixTime = UnixTime(nanoseconds: 0), maxFrequency: Double = SoftwareClock.kernelMaxFrequency,
        maxSlewRate: Double = SoftwareClock.kernelMaxSlewRate
    ) {
        precondition(maxFrequency >= 0 && maxSlewRate > 0, "SoftwareClock: limits must be positive")
        self.maxFrequency = maxFrequency
        self.maxSlewRate = maxSlewRate
        offset = 0
        base = start
        frequency = 0
        slewStart = start
        slewAmount = 0
    }

    /// The part of the current slew already applied at `raw`, seconds (signed like the amount).
    public func appliedSlew(at raw: UnixTime) -> Double {
        guard slewAmount != 0 else { return 0 }
        let elapsed = Swift.max(0, raw - slewStart)
        let moved = elapsed * maxSlewRate
        let magnitude = slewAmount.magnitude
        return moved >= magnitude ? slewAmount : (slewAmount < 0 ? -moved : moved)
    }

    /// The part of the current slew still to be applied at `raw`, seconds (signed).
    public func remainingSlew(at raw: UnixTime) -> Double {
        slewAmount - appliedSlew(at: raw)
    }

    /// Whether a slew is still moving the clock at `raw`.
    public func isSlewing(at raw: UnixTime) -> Bool { remainingSlew(at: raw) != 0 }

    /// Seconds to add to the raw reading `raw`.
    public func correction(at raw: UnixTime) -> Double {
        offset + frequency * 1e-6 * (raw - base) + appliedSlew(at: raw)
    }

    /// The corrected time for the raw reading `raw`.
    public func corrected(_ raw: UnixTime) -> UnixTime {
        raw.adding(seconds: correction(at: raw))
    }

    /// The rate of the correction at `raw` (frequency plus slew), as a fraction (s/s).
    public func rate(at raw: UnixTime) -> Double {
        frequency * 1e-6 + (isSlewing(at: raw) ? (slewAmount < 0 ? -maxSlewRate : maxSlewRate) : 0)
    }

    /// Jumps the corrected time by `seconds` at once. A slew in progress continues. (`raw` is
    /// not needed to step; it is taken so that every operation says when it happens.)
    public mutating func step(by seconds: Double, at raw: UnixTime) throws(ClockError) {
        guard seconds.isFinite else { throw .outOfRange("step: \(seconds) is not a finite offset") }
        offset += seconds
    }

    /// Starts slewing by `seconds` at `raw`, replacing any slew in progress (its unapplied
    /// remainder is dropped, as adjtime() does). Returns the seconds the slew will take.
    @discardableResult
    public mutating func slew(by seconds: Double, at raw: UnixTime) throws(ClockError) -> Double {
        guard seconds.isFinite else { throw .outOfRange("slew: \(seconds) is not a finite offset") }
        offset += appliedSlew(at: raw)
        slewStart = raw
        slewAmount = seconds
        return seconds.magnitude / maxSlewRate
    }

    /// Sets the frequency correction from `raw` on, clamped to ±`maxFrequency`. The corrected
    /// time is continuous across the change. Returns the frequency applied.
    @discardableResult
    public mutating func setFrequency(ppm: Double, at raw: UnixTime) throws(ClockError) -> Double {
        guard ppm.isFinite else { throw .outOfRange("frequency: \(ppm) ppm is not finite") }
        offset += frequency * 1e-6 * (raw - base)
        base = raw
        frequency = Swift.min(Swift.max(ppm, -maxFrequency), maxFrequency)
        return frequency
    }
}
