/// An IPv4 or IPv6 address, stored as integers so it is a plain value (no allocation).
///
/// Pure: parsing and printing are written here in Swift (no `inet_pton`), so the sans-IO engine
/// (associations, restrict lists, the MRU list) can hold addresses and the command grammar can
/// check a typed address with the same reader. The conversions to and from
/// `in_addr`/`in6_addr`/`sockaddr` live in NTPPlatform.
///
/// Ordering (``Comparable``): every IPv4 address before every IPv6 address; IPv4 by value;
/// IPv6 by its 128 bits, then by scope.
public enum IPAddress: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// IPv4 as a host-order integer (`127.0.0.1` is `0x7f00_0001`).
    case v4(UInt32)
    /// IPv6 as two host-order halves of the 16 network-order bytes, and the scope (interface
    /// index) for link-local addresses, 0 otherwise.
    case v6(high: UInt64, low: UInt64, scope: UInt32)

    public static let anyIPv4 = IPAddress.v4(0)
    public static let anyIPv6 = IPAddress.v6(high: 0, low: 0, scope: 0)
    public static let loopbackIPv4 = IPAddress.v4(0x7f00_0001)
    public static let loopbackIPv6 = IPAddress.v6(high: 0, low: 1, scope: 0)

    /// Parses `"192.0.2.1"`, `"2001:db8::1"`, `"::ffff:192.0.2.1"` or `"fe80::1%3"` (a numeric
    /// zone, IPv6 only); nil otherwise. The address text is what ``parse(numeric:)`` reads.
    /// Interface names as zones (`%eth0`) need the OS: see NTPPlatform's
    /// `IPAddress(resolvingZone:)`.
    public init?(_ text: String) {
        guard let (address, zone) = Self.parse(numeric: text) else { return nil }
        guard let zone else {
            self = address
            return
        }
        guard case .v6(let h, let l, _) = address, let scope = Self.parseDecimal(zone.utf8) else { return nil }
        self = .v6(high: h, low: l, scope: scope)
    }

    /// The one reader of numeric address text (the engine's configuration, the shell's grammar,
    /// the platform's zone resolver all use it): the address (scope 0) and the zone after `%` as
    /// written, unresolved; nil when the text is not an address.
    ///
    /// Accepts what ntpd's `is_ip_address` accepts (`inet_pton`, the zone split off first):
    /// dotted quads of exactly four decimal numbers 0…255 without leading zeros (so not
    /// `inet_aton`'s `1.2.3`, `0x7f.1` or octal `010.0.0.1`); one to eight groups of one to
    /// four hex digits, one `::` standing for one or more zero groups, an optional dotted quad
    /// as the last 32 bits (`::ffff:192.0.2.1`, kept as the IPv6 address it is). A zone is
    /// IPv6 only, not empty, at most 64 bytes, and can be a name (`fe80::1%eth0`) or a number.
    public static func parse(numeric text: some StringProtocol) -> (address: IPAddress, zone: Substring?)? {
        let text = Substring(text)
        guard let percent = text.utf8.firstIndex(of: UInt8(ascii: "%")) else {
            return parse(text.utf8).map { ($0, nil) }
        }
        let zone = text[text.utf8.index(after: percent)...]
        guard !zone.isEmpty, zone.utf8.count <= 64,
              let address = parse(text[..<percent].utf8), address.isIPv6
        else { return nil }
        return (address, zone)
    }

    /// The address from its 4 (IPv4) or 16 (IPv6) bytes in network order; nil for other counts.
    public init?(bytes: some Collection<UInt8>, scope: UInt32 = 0) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
            }
            self = .v6(high: high, low: low, scope: scope)
        default:
            return nil
        }
    }

    // MARK: Classification

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }
    public var isIPv6: Bool { !isIPv4 }

    /// The unspecified address (`0.0.0.0` or `::`).
    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a == 0
        case .v6(let h, let l, _): h == 0 && l == 0
        }
    }

    /// 127.0.0.0/8, `::1`, and `::ffff:127.x.y.z`.
    public var isLoopback: Bool {
        switch self {
        case .v4(let a): a >> 24 == 127
        case .v6(let h, let l, _): (h == 0 && l == 1) || (unmappedIPv4?.isLoopback ?? false)
        }
    }

    /// 224.0.0.0/4, ff00::/8.
    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a >> 28 == 0xe
        case .v6(let h, _, _): h >> 56 == 0xff
        }
    }

    /// 255.255.255.255 (limited broadcast).
    public var isLimitedBroadcast: Bool { self == .v4(0xffff_ffff) }

    /// fe80::/10.
    public var isLinkLocalIPv6: Bool {
        if case .v6(let h, _, _) = self { return h >> 54 == 0x3fa }
        return false
    }

    /// 169.254.0.0/16 or fe80::/10.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): a >> 16 == 0xa9fe
        case .v6: isLinkLocalIPv6
        }
    }

    /// RFC 1918 (10/8, 172.16/12, 192.168/16) or RFC 4193 unique local (fc00::/7).
    public var isPrivate: Bool {
        switch self {
        case .v4(let a): a >> 24 == 10 || a >> 20 == 0xac1 || a >> 16 == 0xc0a8
        case .v6(let h, _, _): h >> 57 == 0x7e
        }
    }

    /// `::ffff:0:0/96`.
    public var isIPv4Mapped: Bool {
        if case .v6(let h, let l, _) = self { return h == 0 && l >> 32 == 0xffff }
        return false
    }

    /// `::ffff:a.b.c.d` as the IPv4 address, nil for anything else.
    public var unmappedIPv4: IPAddress? {
        if case .v6(_, let l, _) = self, isIPv4Mapped { return .v4(UInt32(truncatingIfNeeded: l)) }
        return nil
    }

    /// The address with an IPv4-mapped IPv6 address turned into its IPv4 address; others as they are.
    public var unmapped: IPAddress { unmappedIPv4 ?? self }

    /// The scope (interface index) of an IPv6 address; 0 for IPv4.
    public var scope: UInt32 {
        if case .v6(_, _, let s) = self { return s }
        return 0
    }

    /// The same address without its scope.
    public var withoutScope: IPAddress {
        if case .v6(let h, let l, _) = self { return .v6(high: h, low: l, scope: 0) }
        return self
    }

    // MARK: Representations

    /// The 128 bits as IPv6 sees them, an IPv4 address as `::ffff:a.b.c.d` (host-order halves).
    /// One key for tables that hold both families (MRU list, restrict list).
    public var bits128: (high: UInt64, low: UInt64) {
        switch self {
        case .v4(let a): (0, 0xffff_0000_0000 | UInt64(a))
        case .v6(let h, let l, _): (h, l)
        }
    }

    /// The 4 (IPv4) or 16 (IPv6) bytes in network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a):
            return [UInt8(a >> 24), UInt8(truncatingIfNeeded: a >> 16), UInt8(truncatingIfNeeded: a >> 8),
                    UInt8(truncatingIfNeeded: a)]
        case .v6(let h, let l, _):
            var out = [UInt8]()
            out.reserveCapacity(16)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: h >> UInt64(shift))) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: l >> UInt64(shift))) }
            return out
        }
    }

    /// The number of bits: 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The address with all but the first `prefixLength` bits cleared (scope kept); the length is
    /// clamped to 0…``bitWidth``.
    public func masked(prefixLength: Int) -> IPAddress {
        let n = max(0, min(prefixLength, bitWidth))
        switch self {
        case .v4(let a):
            return .v4(n == 0 ? 0 : a & ~UInt32(0) << UInt32(32 - n))
        case .v6(let h, let l, let s):
            let hm: UInt64 = n >= 64 ? ~0 : (n == 0 ? 0 : ~UInt64(0) << UInt64(64 - n))
            let lm: UInt64 = n >= 128 ? ~0 : (n <= 64 ? 0 : ~UInt64(0) << UInt64(128 - n))
            return .v6(high: h & hm, low: l & lm, scope: s)
        }
    }

    /// As a network mask (`255.255.255.0`, `ffff:ffff::`): the number of leading one bits when
    /// the bits are ones then zeros; nil for a mask that is not contiguous (`255.0.255.0`).
    public var maskPrefixLength: Int? {
        let (high, low) = bits128
        let ones = isIPv4 ? (low & 0xffff_ffff).nonzeroBitCount : high.nonzeroBitCount + low.nonzeroBitCount
        return masked(prefixLength: ones).withoutScope == withoutScope ? ones : nil
    }

    /// True when `self` is in `network/prefixLength` (same family; scope ignored).
    public func isIn(_ network: IPAddress, prefixLength: Int) -> Bool {
        guard isIPv4 == network.isIPv4 else { return false }
        return masked(prefixLength: prefixLength).withoutScope == network.masked(prefixLength: prefixLength).withoutScope
    }

    // MARK: Ordering and text

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): x < y
        case (.v4, .v6): true
        case (.v6, .v4): false
        case (.v6(let h1, let l1, let s1), .v6(let h2, let l2, let s2)): (h1, l1, s1) < (h2, l2, s2)
        }
    }

    /// RFC 5952 canonical text: lower-case hex without leading zeros, the longest run of two or
    /// more zero groups (the first of equal runs) as `::`, IPv4-mapped addresses as
    /// `::ffff:a.b.c.d`, and `%scope` for a scoped address.
    public var description: String {
        switch self {
        case .v4(let a):
            return Self.dottedQuad(a)
        case .v6(let h, let l, let scope):
            let text = Self.ipv6Text(high: h, low: l)
            return scope == 0 ? text : "\(text)%\(scope)"
        }
    }

    private static func dottedQuad(_ a: UInt32) -> String {
        "\(a >> 24).\((a >> 16) & 0xff).\((a >> 8) & 0xff).\(a & 0xff)"
    }

    private static func ipv6Text(high h: UInt64, low l: UInt64) -> String {
        if h == 0 && l >> 32 == 0xffff {
            return "::ffff:" + dottedQuad(UInt32(truncatingIfNeeded: l))
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: h >> UInt64(48 - 16 * i))
            groups[4 + i] = UInt16(truncatingIfNeeded: l >> UInt64(48 - 16 * i))
        }
        // The longest run of zero groups, at least two long; the first one on a tie.
        var bestStart = -1, bestLength = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var out = ""
        i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }

    // MARK: Parsing

    /// A decimal UInt32 of at least one digit; nil otherwise.
    private static func parseDecimal(_ digits: some Collection<UInt8>) -> UInt32? {
        guard !digits.isEmpty else { return nil }
        var value: UInt32 = 0
        for b in digits {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt32(b - 0x30))
            guard !o1 && !o2 else { return nil }
            value = s
        }
        return value
    }

    /// An address without a zone (scope 0), from its UTF-8.
    private static func parse(_ utf8: Substring.UTF8View) -> IPAddress? {
        if let parsed = utf8.withContiguousStorageIfAvailable({ parse($0) }) { return parsed }
        return Array(utf8).withUnsafeBufferPointer { parse($0) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if let v4 = parseIPv4(bytes) { return .v4(v4) }
        guard let (h, l) = parseIPv6(bytes) else { return nil }
        return .v6(high: h, low: l, scope: 0)
    }

    /// `a.b.c.d`: four decimal numbers 0…255, no leading zeros (as `inet_pton`).
    private static func parseIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var value: UInt32 = 0
        var digits = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | value
                parts += 1
                value = 0
                digits = 0
            } else if b >= 0x30 && b <= 0x39 {
                if digits > 0 && value == 0 { return nil }  // leading zero
                value = value * 10 + UInt32(b - 0x30)
                digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return result << 8 | value
    }

    /// RFC 4291 §2.2 text forms (as `inet_pton` accepts them).
    private static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        let n = bytes.count
        guard n >= 2 else { return nil }
        var groups = [UInt16](repeating: 0, count: 8)
        var count = 0
        var gap: Int? = nil  // index in `groups` where `::` stands
        var i = 0
        if bytes[0] == UInt8(ascii: ":") {
            guard bytes[1] == UInt8(ascii: ":") else { return nil }
            gap = 0
            i = 2
            if i == n { return (0, 0) }
        }
        while i < n {
            // One group, or a trailing dotted quad.
            var j = i
            var value: UInt32 = 0
            while j < n, let d = hexValue(bytes[j]) {
                value = value << 4 | UInt32(d)
                j += 1
                guard j - i <= 4 else { break }
            }
            if j < n && bytes[j] == UInt8(ascii: ".") {
                // IPv4 suffix: must end the text and fit in the remaining two groups.
                guard count <= 6, let v4 = parseIPv4(UnsafeBufferPointer(rebasing: bytes[i...])) else { return nil }
                groups[count] = UInt16(v4 >> 16)
                groups[count + 1] = UInt16(truncatingIfNeeded: v4)
                count += 2
                i = n
                break
            }
            guard j > i, j - i <= 4, count < 8 else { return nil }
            groups[count] = UInt16(value)
            count += 1
            i = j
            if i == n { break }
            guard bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < n && bytes[i] == UInt8(ascii: ":") {
                guard gap == nil else { return nil }
                gap = count
                i += 1
                if i == n { break }
            } else if i == n {
                return nil  // a single trailing colon
            }
        }
        if let gap {
            guard count < 8 else { return nil }  // `::` stands for at least one group
            let tail = count - gap
            var expanded = [UInt16](repeating: 0, count: 8)
            for k in 0..<gap { expanded[k] = groups[k] }
            for k in 0..<tail { expanded[8 - tail + k] = groups[gap + k] }
            groups = expanded
        } else {
            guard count == 8 else { return nil }
        }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for k in 0..<4 {
            h = h << 16 | UInt64(groups[k])
            l = l << 16 | UInt64(groups[4 + k])
        }
        return (h, l)
    }

    @inline(__always)
    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x61...0x66: b - 0x61 + 10
        case 0x41...0x46: b - 0x41 + 10
        default: nil
        }
    }
}

extension ReferenceID {
    /// The reference ID a server at `address` is known by to its clients (RFC 5905 §7.3): an
    /// IPv4 address itself; an IPv6 address hashed (``ReferenceID/init(ipv6:)``, the first four
    /// bytes of MD5 of its 16 bytes, scope not included). An IPv4-mapped IPv6 address counts as
    /// its IPv4 address, as chrony and ntpd see such peers.
    public init(address: IPAddress) {
        switch address.unmapped {
        case .v4(let a):
            self.init(rawValue: a)
        case .v6(let h, let l, _):
            self = ReferenceID(ipv6: IPAddress.v6(high: h, low: l, scope: 0).bytes)!
        }
    }
}
