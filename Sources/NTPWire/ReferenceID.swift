/// The 32-bit reference identifier (RFC 5905 §7.3): four ASCII characters for stratum 0
/// (kiss codes) and 1 (reference clock kind), an IPv4 address or the first four bytes of the
/// MD5 of an IPv6 address for stratum 2 and above.
public struct ReferenceID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The four bytes in network order (first byte in the high bits).
    public var rawValue: UInt32
    /// The identifier with this value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Up to four ASCII characters, padded with NUL.
    public init(ascii: String) {
        var raw: UInt32 = 0
        var n = 0
        for byte in ascii.utf8.prefix(4) { raw |= UInt32(byte) << (24 - 8 * n); n += 1 }
        rawValue = raw
    }

    /// An IPv4 address `a.b.c.d`.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// An IPv4 address from its four bytes in network order; nil unless there are exactly four.
    public init?(ipv4 bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        var raw: UInt32 = 0
        for byte in bytes { raw = raw << 8 | UInt32(byte) }
        rawValue = raw
    }

    /// The identifier NTP uses for an IPv6 peer: the first four bytes of the MD5 digest of the
    /// 16 address bytes in network order (RFC 5905 §7.3; what ntpd, NTPsec and chrony send).
    /// Nil unless there are exactly 16 bytes.
    public init?(ipv6 bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let digest = MD5.digest(bytes)
        self.init(rawValue: UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16
            | UInt32(digest[2]) << 8 | UInt32(digest[3]))
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
         UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue)]
    }

    /// The characters, if all four bytes are printable ASCII or trailing NULs.
    public var asciiText: String? {
        var chars: [UInt8] = []
        var ended = false
        for b in bytes {
            if b == 0 { ended = true; continue }
            if ended || b < 0x20 || b > 0x7e { return nil }
            chars.append(b)
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// `a.b.c.d`, how ntpq shows an IPv4 (or hashed IPv6) reference ID.
    public var dottedQuad: String { bytes.map(String.init).joined(separator: ".") }

    /// `.TEXT.` for ASCII identifiers, else the dotted quad.
    public var description: String { asciiText.map { ".\($0)." } ?? dottedQuad }
}
