/// An NTP timestamp as it travels on the wire: 32 bits of seconds since the start of the
/// current era (era 0 began 1900-01-01 00:00:00 UTC, era 1 begins 2036-02-07 06:28:16 UTC)
/// and 32 bits of binary fraction.
///
/// The wire format carries no era. ``UnixTime`` is the era-aware instant; converting from a
/// timestamp needs a pivot (normally the local clock) and picks the era that puts the result
/// within ±68 years of it (RFC 5905 §6), so the 2036-02-07 rollover is handled.
public struct NTPTimestamp: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `seconds << 32 | fraction`.
    public var rawValue: UInt64

    /// The timestamp with this 64-bit wire value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The timestamp with these seconds (within their era) and fraction (units of 2⁻³² s).
    public init(seconds: UInt32, fraction: UInt32) {
        rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// Seconds since the start of the era.
    public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    /// The fraction of a second in units of 2⁻³² s.
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// The all-zero timestamp, which NTP uses to mean "unknown" or "not set".
    public static let zero = NTPTimestamp(rawValue: 0)
    /// Whether this is the all-zero "not set" timestamp.
    public var isZero: Bool { rawValue == 0 }

    /// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch).
    public static let unixEpochOffset: Int64 = 2_208_988_800
    /// Seconds in one NTP era.
    public static let eraLength: Int64 = 1 << 32

    /// The timestamp of an instant; its era is dropped. Exact to the nanosecond: the fraction
    /// is rounded to nearest (resolution 0.23 ns), so ``unixTime(near:)`` returns the same instant.
    public init(_ time: UnixTime) {
        let (sec, nsec) = time.secondsAndNanoseconds
        let ntpSeconds = sec &+ Self.unixEpochOffset
        // nsec < 1e9, so nsec << 32 < 2^62: no overflow. Round to nearest; the result is
        // below 2^32 because (1e9 − 1) · 2^32 / 1e9 + 0.5 < 2^32 − 1.
        let frac = (UInt64(nsec) << 32 + 500_000_000) / 1_000_000_000
        self.init(seconds: UInt32(truncatingIfNeeded: ntpSeconds), fraction: UInt32(frac))
    }

    /// The NTP era the instant falls in (0 from 1900 until 2036-02-07T06:28:16Z, 1 after it,
    /// −1 before 1900).
    public static func era(of time: UnixTime) -> Int64 {
        let ntpSeconds = time.secondsAndNanoseconds.seconds + unixEpochOffset
        return ntpSeconds >> 32  // arithmetic shift: floor division
    }

    /// The instant this timestamp denotes in the era that places it nearest to `pivot`
    /// (within −2³¹ … 2³¹ − 1 seconds of it), rounded to the nearest nanosecond.
    public func unixTime(near pivot: UnixTime) -> UnixTime {
        let pivotNTP = pivot.secondsAndNanoseconds.seconds + Self.unixEpochOffset
        let delta = Int64(Int32(bitPattern: seconds &- UInt32(truncatingIfNeeded: pivotNTP)))
        return Self.unixTime(ntpSeconds: pivotNTP + delta, fraction: fraction)
    }

    /// The instant this timestamp denotes in the given era, rounded to the nearest nanosecond.
    /// `era` must keep the result within ``UnixTime``'s range (eras −1 … 1).
    public func unixTime(era: Int64) -> UnixTime {
        Self.unixTime(ntpSeconds: era * Self.eraLength + Int64(seconds), fraction: fraction)
    }

    private static func unixTime(ntpSeconds: Int64, fraction: UInt32) -> UnixTime {
        // ≤ 999_999_999 for every fraction: (2^32 − 1) · 1e9 / 2^32 + 0.5 < 1e9.
        let nanos = (UInt64(fraction) * 1_000_000_000 + (1 << 31)) >> 32
        return UnixTime(nanoseconds: (ntpSeconds - unixEpochOffset) * 1_000_000_000 + Int64(nanos))
    }

    /// The signed difference `a − b`, correct whenever the two lie within 68 years of each
    /// other, whatever their eras (RFC 5905 §6: 64-bit two's-complement subtraction).
    public static func - (a: NTPTimestamp, b: NTPTimestamp) -> NTPDuration {
        NTPDuration(rawValue: Int64(bitPattern: a.rawValue &- b.rawValue))
    }

    /// The timestamp `d` later, wrapping into the next (or previous) era.
    public static func + (a: NTPTimestamp, d: NTPDuration) -> NTPTimestamp {
        NTPTimestamp(rawValue: a.rawValue &+ UInt64(bitPattern: d.rawValue))
    }

    /// Sixteen hex digits, as ntpq prints raw timestamps without the dot.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
