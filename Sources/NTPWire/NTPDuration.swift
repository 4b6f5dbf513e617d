/// A signed span of time in NTP's 32.32 fixed point (units of 2⁻³² s), range ±68 years.
/// Differences of timestamps are exact in this type; algorithms read ``seconds``.
public struct NTPDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The span in units of 2⁻³² s.
    public var rawValue: Int64
    /// A span of `rawValue` × 2⁻³² s.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// The span nearest to `seconds`, saturating at the format's range; NaN gives zero.
    public init(seconds: Double) {
        let scaled = (seconds * 4_294_967_296.0).rounded()
        if scaled.isNaN {
            rawValue = 0
        } else if scaled >= 9.223372036854775e18 {
            rawValue = .max
        } else if scaled <= -9.223372036854775e18 {
            rawValue = .min
        } else {
            rawValue = Int64(scaled)
        }
    }

    /// The span nearest to `nanoseconds` (ties away from zero). Wraps beyond ±68 years.
    public init(nanoseconds: Int64) {
        // Split to keep the product in range: whole seconds exactly, the rest rounded.
        let (q, r) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let half: Int64 = r < 0 ? -500_000_000 : 500_000_000
        let frac = ((r << 32) + half) / 1_000_000_000
        rawValue = (q &<< 32) &+ frac
    }

    /// The empty span.
    public static let zero = NTPDuration(rawValue: 0)
    /// The span in seconds (a Double holds it to about 2⁻²⁰ s over the full range).
    public var seconds: Double { Double(rawValue) / 4_294_967_296.0 }
    /// The span in nanoseconds, rounded to the nearest nanosecond.
    public var nanoseconds: Int64 {
        let whole = rawValue >> 32  // floor
        let frac = rawValue & 0xFFFF_FFFF  // 0 ..< 2^32
        return whole * 1_000_000_000 + (frac * 1_000_000_000 + (1 << 31)) >> 32
    }

    public static func < (a: NTPDuration, b: NTPDuration) -> Bool { a.rawValue < b.rawValue }
    public static func + (a: NTPDuration, b: NTPDuration) -> NTPDuration { NTPDuration(rawValue: a.rawValue &+ b.rawValue) }
    public static func - (a: NTPDuration, b: NTPDuration) -> NTPDuration { NTPDuration(rawValue: a.rawValue &- b.rawValue) }
    public static prefix func - (a: NTPDuration) -> NTPDuration { NTPDuration(rawValue: 0 &- a.rawValue) }

    public var description: String { "\(seconds)s" }
}
