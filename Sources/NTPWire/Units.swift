/// Owns the units the modules hand each other: ``Seconds`` (a clock offset or a span of time)
/// and ``PPM`` (a frequency, parts per million; chrony's and ntpd's `freq`), each a `Double`
/// in a type so that a frequency passed where an offset belongs does not compile.
///
/// They are used at the boundaries between modules (the `ClockDriver` protocol, the admin
/// contract, the reports, the engine's configuration), not inside every formula: a formula
/// reads `.value` where it starts and wraps its result where it ends. Each encodes as its bare
/// number, so a Codable type that holds one looks on the wire exactly as it did with a `Double`
/// (the control protocol's frames do not change), and prints as its number. Neither takes a
/// bare literal (`Seconds(0.5)`, `PPM(500)`): a number says its unit where it is written.

/// An offset of a clock or a span of time, in seconds. Offsets follow the project's sign
/// convention (ClockDriver.swift): reference time minus local time.
public struct Seconds: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    /// The number of seconds.
    public var value: Double

    @inlinable public init(_ value: Double) { self.value = value }

    public static let zero = Seconds(0)

    /// Decodes a bare number (the format a `Double` had).
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    /// Encodes the bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// The size without its sign.
    @inlinable public var magnitude: Seconds { Seconds(Swift.abs(value)) }
    @inlinable public var isFinite: Bool { value.isFinite }
    /// Prints as the bare number (messages read the same as with a `Double`).
    public var description: String { value.description }

    @inlinable public static func < (a: Seconds, b: Seconds) -> Bool { a.value < b.value }
    @inlinable public static func + (a: Seconds, b: Seconds) -> Seconds { Seconds(a.value + b.value) }
    @inlinable public static func - (a: Seconds, b: Seconds) -> Seconds { Seconds(a.value - b.value) }
    @inlinable public static prefix func - (a: Seconds) -> Seconds { Seconds(-a.value) }
    @inlinable public static func * (a: Seconds, k: Double) -> Seconds { Seconds(a.value * k) }
    @inlinable public static func * (k: Double, a: Seconds) -> Seconds { Seconds(k * a.value) }
    @inlinable public static func / (a: Seconds, k: Double) -> Seconds { Seconds(a.value / k) }
    /// The ratio of two spans (a number, no unit).
    @inlinable public static func / (a: Seconds, b: Seconds) -> Double { a.value / b.value }
}

/// A frequency (a rate error or correction of a clock, or a slew rate), in parts per million:
/// 1 ppm is 1 µs gained per second. Positive runs the clock faster (ClockDriver.swift).
public struct PPM: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    /// The number of parts per million.
    public var value: Double

    @inlinable public init(_ value: Double) { self.value = value }
    /// The frequency of a rate given as a fraction (seconds per second): 5e-4 is 500 ppm.
    @inlinable public init(fraction: Double) { value = fraction * 1e6 }

    public static let zero = PPM(0)

    /// Decodes a bare number (the format a `Double` had).
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    /// Encodes the bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// The rate as a fraction, seconds per second (500 ppm is 5e-4).
    @inlinable public var fraction: Double { value * 1e-6 }
    /// The size without its sign.
    @inlinable public var magnitude: PPM { PPM(Swift.abs(value)) }
    @inlinable public var isFinite: Bool { value.isFinite }
    /// Prints as the bare number (messages read the same as with a `Double`).
    public var description: String { value.description }

    @inlinable public static func < (a: PPM, b: PPM) -> Bool { a.value < b.value }
    @inlinable public static func + (a: PPM, b: PPM) -> PPM { PPM(a.value + b.value) }
    @inlinable public static func - (a: PPM, b: PPM) -> PPM { PPM(a.value - b.value) }
    @inlinable public static prefix func - (a: PPM) -> PPM { PPM(-a.value) }
    @inlinable public static func * (a: PPM, k: Double) -> PPM { PPM(a.value * k) }
    @inlinable public static func * (k: Double, a: PPM) -> PPM { PPM(k * a.value) }
    @inlinable public static func / (a: PPM, k: Double) -> PPM { PPM(a.value / k) }
    /// What a clock off by this frequency gains over `span` (1 ppm over 1000 s is 1 ms).
    @inlinable public static func * (a: PPM, span: Seconds) -> Seconds { Seconds(a.fraction * span.value) }
}

extension UnixTime {
    /// The time `span` later (earlier for a negative span).
    @inlinable public static func + (t: UnixTime, span: Seconds) -> UnixTime { t.adding(seconds: span.value) }
}
