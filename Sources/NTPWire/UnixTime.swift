/// An instant on the Unix (CLOCK_REALTIME) time scale, in nanoseconds since
/// 1970-01-01T00:00:00Z. Covers the years 1678 to 2262.
public struct UnixTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch (negative before 1970).
    public var nanoseconds: Int64
    /// The instant `nanoseconds` after the Unix epoch.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    /// The instant `seconds` s plus `nanoseconds` ns after the Unix epoch (a `timespec`).
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

    /// The instant `seconds` later (rounded to the nanosecond; NaN adds nothing).
    public func adding(seconds: Double) -> UnixTime {
        let ns = (seconds * 1e9).rounded()
        guard ns.isFinite, abs(ns) < 9.2e18 else { return self }
        return UnixTime(nanoseconds: nanoseconds &+ Int64(ns))
    }

    /// `seconds.nanoseconds` with nine digits, floor seconds (so `-1.500000000` is 0.5 s
    /// before the epoch).
    public var description: String {
        let (s, n) = secondsAndNanoseconds
        let ns = String(n)
        return "\(s).\(String(repeating: "0", count: 9 - ns.count))\(ns)"
    }
}
