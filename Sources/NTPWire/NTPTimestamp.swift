/// An NTP timestamp as it travels on the wire: 32 bits of seconds since the start of the
/// current era (era 0 began 1900-01-01 00:00:00 UTC) and 32 bits of binary fraction.
///
/// The wire format carries no era. ``UnixTime`` is the era-aware instant; converting from a
/// timestamp needs a pivot (normally the local clock) and picks the era that puts the result
/// within ±68 years of it (RFC 5905 §6), so the 2036-02-07 rollover is handled.
public struct NTPTimestamp: Hashable, Sendable, CustomStringConvertible {
    /// `seconds << 32 | fraction`.
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(seconds: UInt32, fraction: UInt32) {
        rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// The all-zero timestamp, which NTP uses to mean "unknown" or "not set".
    public static let zero = NTPTimestamp(rawValue: 0)
    public var isZero: Bool { rawValue == 0 }

    /// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (the Unix epoch).
    public static let unixEpochOffset: Int64 = 2_208_988_800
    /// Seconds in one NTP era.
    public static let eraLength: Int64 = 1 << 32

    /// The timestamp of an instant; its era is dropped. Exact to the nanosecond: rounding back
    /// with ``unixTime(near:)`` returns the same instant.
    public init(_ time: UnixTime) {
        let (sec, nsec) = time.secondsAndNanoseconds
        let ntpSeconds = sec &+ Self.unixEpochOffset
        // nsec < 1e9, so nsec << 32 < 2^62: no overflow. Round to nearest.
        let frac = (UInt64(nsec) << 32 + 500_000_000) / 1_000_000_000
        self.init(seconds: UInt32(truncatingIfNeeded: ntpSeconds), fraction: UInt32(frac))
    }

    /// The NTP era the instant falls in (0 before 2036-02-07T06:28:16Z, 1 after, -1 before 1900).
    public static func era(of time: UnixTime) -> Int64 {
        let ntpSeconds = time.secondsAndNanoseconds.seconds + unixEpochOffset
        return ntpSeconds >> 32  // arithmetic shift: floor division
    }

    /// The instant this timestamp denotes in the era that places it nearest to `pivot`.
    public func unixTime(near pivot: UnixTime) -> UnixTime {
        let pivotNTP = pivot.secondsAndNanoseconds.seconds + Self.unixEpochOffset
        let delta = Int64(Int32(bitPattern: seconds &- UInt32(truncatingIfNeeded: pivotNTP)))
        let ntpSeconds = pivotNTP + delta
        let nanos = (UInt64(fraction) * 1_000_000_000 + (1 << 31)) >> 32  // ≤ 1e9
        return UnixTime(nanoseconds: (ntpSeconds - Self.unixEpochOffset) * 1_000_000_000 + Int64(nanos))
    }

    /// The instant this timestamp denotes in the given era.
    public func unixTime(era: Int64) -> UnixTime {
        let ntpSeconds = era * Self.eraLength + Int64(seconds)
        let nanos = (UInt64(fraction) * 1_000_000_000 + (1 << 31)) >> 32
        return UnixTime(nanoseconds: (ntpSeconds - Self.unixEpochOffset) * 1_000_000_000 + Int64(nanos))
    }

    /// The signed difference `a − b`, correct whenever the two lie within 68 years of each
    /// other, whatever their eras (RFC 5905 §6: 64-bit two's-complement subtraction).
    public static func - (a: NTPTimestamp, b: NTPTimestamp) -> NTPDuration {
        NTPDuration(rawValue: Int64(bitPattern: a.rawValue &- b.rawValue))
    }

    public static func + (a: NTPTimestamp, d: NTPDuration) -> NTPTimestamp {
        NTPTimestamp(rawValue: a.rawValue &+ UInt64(bitPattern: d.rawValue))
    }

    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A signed span of time in NTP's 32.32 fixed point (units of 2⁻³² s), range ±68 years.
/// Differences of timestamps are exact in this type; algorithms read ``seconds``.
public struct NTPDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }

    public init(seconds: Double) {
        let scaled = (seconds * 4_294_967_296.0).rounded()
        if scaled >= 9.223372036854775e18 {
            rawValue = .max
        } else if scaled <= -9.223372036854775e18 {
            rawValue = .min
        } else {
            rawValue = Int64(scaled)
        }
    }

    public init(nanoseconds: Int64) {
        // Split to keep the product in range: whole seconds exactly, the rest rounded.
        let (q, r) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let frac = (r << 32) / 1_000_000_000
        rawValue = (q << 32) &+ frac
    }

    public static let zero = NTPDuration(rawValue: 0)
    public var seconds: Double { Double(rawValue) / 4_294_967_296.0 }

    public static func < (a: NTPDuration, b: NTPDuration) -> Bool { a.rawValue < b.rawValue }
    public static func + (a: NTPDuration, b: NTPDuration) -> NTPDuration { NTPDuration(rawValue: a.rawValue &+ b.rawValue) }
    public static func - (a: NTPDuration, b: NTPDuration) -> NTPDuration { NTPDuration(rawValue: a.rawValue &- b.rawValue) }
    public static prefix func - (a: NTPDuration) -> NTPDuration { NTPDuration(rawValue: 0 &- a.rawValue) }

    public var description: String { "\(seconds)s" }
}

/// NTP's short format: unsigned 16.16 fixed-point seconds, used for root delay and root
/// dispersion. Conversions from seconds saturate at the format's range (0 to 65535.99998 s).
public struct NTPShort: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(seconds: Double) {
        let scaled = (seconds * 65536.0).rounded()
        if !(scaled > 0) {
            rawValue = 0
        } else if scaled >= 4_294_967_295.0 {
            rawValue = .max
        } else {
            rawValue = UInt32(scaled)
        }
    }

    public static let zero = NTPShort(rawValue: 0)
    public var seconds: Double { Double(rawValue) / 65536.0 }
    public static func < (a: NTPShort, b: NTPShort) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "\(seconds)s" }
}

/// An instant on the Unix (CLOCK_REALTIME) time scale, in nanoseconds since
/// 1970-01-01T00:00:00Z. Covers the years 1678 to 2262.
public struct UnixTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds * 1_000_000_000 + nanoseconds
    }

    /// Whole seconds (floor) and the nanoseconds past them (0 ..< 1e9), also before 1970.
    public var secondsAndNanoseconds: (seconds: Int64, nanoseconds: Int64) {
        var s = nanoseconds / 1_000_000_000
        var n = nanoseconds % 1_000_000_000
        if n < 0 { s -= 1; n += 1_000_000_000 }
        return (s, n)
    }

    public static func < (a: UnixTime, b: UnixTime) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Seconds from `b` to `a` as a Double (for offsets and intervals).
    public static func - (a: UnixTime, b: UnixTime) -> Double {
        Double(a.nanoseconds &- b.nanoseconds) / 1e9
    }

    /// The instant `seconds` later (rounded to the nanosecond).
    public func adding(seconds: Double) -> UnixTime {
        UnixTime(nanoseconds: nanoseconds &+ Int64((seconds * 1e9).rounded()))
    }

    public var description: String {
        let (s, n) = secondsAndNanoseconds
        let ns = String(n)
        return "\(s).\(String(repeating: "0", count: 9 - ns.count))\(ns)"
    }
}
