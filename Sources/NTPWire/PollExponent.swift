/// A poll interval or precision as a signed log2 of seconds (`6` means 64 s, `-20` about 1 µs).
///
/// Every byte value is valid on the wire (−128…127), so nothing here may trap on network input.
public struct PollExponent: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The exponent: the interval is 2^log2Seconds seconds.
    public var log2Seconds: Int8
    /// An interval of 2^`log2Seconds` seconds.
    public init(_ log2Seconds: Int8) { self.log2Seconds = log2Seconds }
    /// 2^`log2Seconds` in seconds, exact for every exponent.
    public var seconds: Double {
        Double(sign: .plus, exponent: Int(log2Seconds), significand: 1.0)
    }
    public static func < (a: PollExponent, b: PollExponent) -> Bool { a.log2Seconds < b.log2Seconds }
    public var description: String { String(log2Seconds) }
}
