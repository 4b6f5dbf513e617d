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
public struct Seconds: UnitOfMeasure {
    /// The number of seconds.
    public var value: Double
    @inlinable public init(_ value: Double) { self.value = value }
    public static let zero = Seconds(0)
    public init(from decoder: any Decoder) throws { try self.init(bareNumberFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeBareNumber(to: encoder) }

    /// The ratio of two spans (a number, no unit).
    @inlinable public static func / (a: Seconds, b: Seconds) -> Double { a.value / b.value }
}

/// A frequency (a rate error or correction of a clock, or a slew rate), in parts per million:
/// 1 ppm is 1 µs gained per second. Positive runs the clock faster (ClockDriver.swift).
public struct PPM: UnitOfMeasure {
    /// The number of parts per million.
    public var value: Double
    @inlinable public init(_ value: Double) { self.value = value }
    /// The frequency of a rate given as a fraction (seconds per second): 5e-4 is 500 ppm.
    @inlinable public init(fraction: Double) { value = fraction * 1e6 }
    public static let zero = PPM(0)
    public init(from decoder: any Decoder) throws { try self.init(bareNumberFrom: decoder) }
    public func encode(to encoder: any Encoder) throws { try encodeBareNumber(to: encoder) }

    /// The rate as a fraction, seconds per second (500 ppm is 5e-4).
    @inlinable public var fraction: Double { value * 1e-6 }
    /// What a clock off by this frequency gains over `span` (1 ppm over 1000 s is 1 ms).
    @inlinable public static func * (a: PPM, span: Seconds) -> Seconds { Seconds(a.fraction * span.value) }
}

/// What ``Seconds`` and ``PPM`` share: a `Double` in a unit, compared, added and scaled as
/// one, encoded and printed as the bare number.
public protocol UnitOfMeasure: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    var value: Double { get set }
    init(_ value: Double)
}

extension UnitOfMeasure {
    /// Decodes a bare number (the format a `Double` had).
    public init(bareNumberFrom decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(Double.self)) }
    /// Encodes the bare number.
    public func encodeBareNumber(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
    /// The size without its sign.
    @inlinable public var magnitude: Self { Self(Swift.abs(value)) }
    @inlinable public var isFinite: Bool { value.isFinite }
    /// Prints as the bare number (messages read the same as with a `Double`).
    public var description: String { value.description }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
    @inlinable public static func + (a: Self, b: Self) -> Self { Self(a.value + b.value) }
    @inlinable public static func - (a: Self, b: Self) -> Self { Self(a.value - b.value) }
    @inlinable public static prefix func - (a: Self) -> Self { Self(-a.value) }
    @inlinable public static func * (a: Self, k: Double) -> Self { Self(a.value * k) }
    @inlinable public static func * (k: Double, a: Self) -> Self { Self(k * a.value) }
    @inlinable public static func / (a: Self, k: Double) -> Self { Self(a.value / k) }
}

extension UnixTime {
    /// The time `span` later (earlier for a negative span).
    @inlinable public static func + (t: UnixTime, span: Seconds) -> UnixTime { t.adding(seconds: span.value) }
}
