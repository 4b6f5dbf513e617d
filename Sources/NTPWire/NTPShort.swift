/// NTP's short format: unsigned 16.16 fixed-point seconds, used for root delay and root
/// dispersion. Conversions from seconds saturate at the format's range (0 to 65535.99998 s).
public struct NTPShort: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `seconds << 16 | fraction`, as on the wire.
    public var rawValue: UInt32
    /// The value with this 32-bit wire form.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The value with these whole seconds and fraction (units of 2⁻¹⁶ s).
    public init(seconds: UInt16, fraction: UInt16) {
        rawValue = UInt32(seconds) << 16 | UInt32(fraction)
    }

    /// The value nearest to `seconds`, saturating at 0 and at the maximum; NaN gives zero.
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

    /// Zero seconds.
    public static let zero = NTPShort(rawValue: 0)
    /// The value in seconds (exact in a Double).
    public var seconds: Double { Double(rawValue) / 65536.0 }
    /// Whole seconds (the high 16 bits).
    public var wholeSeconds: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    /// The fraction in units of 2⁻¹⁶ s (the low 16 bits).
    public var fraction: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
    /// The value in nanoseconds, rounded to nearest.
    public var nanoseconds: Int64 { (Int64(rawValue) * 1_000_000_000 + (1 << 15)) >> 16 }

    public static func < (a: NTPShort, b: NTPShort) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "\(seconds)s" }
}
