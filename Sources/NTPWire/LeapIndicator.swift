/// Leap indicator: the two top bits of an NTP packet (RFC 5905 §7.3).
public enum LeapIndicator: UInt8, Sendable, Codable, CaseIterable {
    /// No leap second pending.
    case noWarning = 0
    /// The last minute of the current UTC day has 61 seconds.
    case insertSecond = 1
    /// The last minute of the current UTC day has 59 seconds.
    case deleteSecond = 2
    /// The clock is not synchronised (alarm condition).
    case unsynchronized = 3
}
