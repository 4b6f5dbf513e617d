// What a single word may be, and how a word is checked and turned into a typed value.
//
// Addresses are checked for syntax only, by NTPWire's `IPAddress.parse(numeric:)` (the reader
// the engine uses: RFC 4291 text form for IPv6 with an unresolved zone, dotted quad without
// leading zeros for IPv4), host names by RFC 1123 labels, and kept as text: the layer that uses
// them resolves zones and names.

import NTPWire

/// The kind of a grammar token.
public enum TokenKind: Sendable, Hashable {
    /// A literal word. Typed words match it exactly or by a unique prefix.
    case keyword(String)
    /// A whole number in a range (optional sign, decimal digits).
    case integer(ClosedRange<Int>)
    /// A decimal number in a range, in the unit kind's base unit (seconds, ppm), with an
    /// optional unit suffix (`64s`, `10m`, `-20ms`, `15ppm`).
    case decimal(ClosedRange<Double>, unit: DecimalUnit)
    /// An IPv4 address in dotted-quad form.
    case ipv4
    /// An IPv6 address (RFC 4291 text form, optional `%zone`).
    case ipv6
    /// An IPv4 or IPv6 address.
    case address
    /// An address or a DNS host name.
    case host
    /// An address with a prefix length: `192.0.2.0/24`, `2001:db8::/32`.
    case prefix
    /// A contiguous network mask written as an address: `255.255.255.0`, `ffff:ffff::`.
    case netmask
    /// Any single word.
    case word
    /// A file path (any non-empty word; completed by the "path" hook).
    case path
    /// The rest of the line, as written (quotes kept).
    case text

    /// A duration in seconds: `64`, `64s`, `10m`, `2h`, `1d`.
    public static func duration(_ range: ClosedRange<Double>) -> TokenKind { .decimal(range, unit: .duration) }
    /// A time offset in seconds: `0.5`, `0.5s`, `-20ms`, `300us`, `10ns`.
    public static func offset(_ range: ClosedRange<Double>) -> TokenKind { .decimal(range, unit: .offset) }
    /// A frequency in parts per million: `15`, `-3.5ppm`.
    public static func ppm(_ range: ClosedRange<Double>) -> TokenKind { .decimal(range, unit: .ppm) }
    /// A plain decimal number.
    public static func number(_ range: ClosedRange<Double>) -> TokenKind { .decimal(range, unit: .plain) }

    /// True for the literal-word kind.
    public var isKeyword: Bool { if case .keyword = self { true } else { false } }

    /// The placeholder used when a declaration gives none.
    public var defaultPlaceholder: String {
        switch self {
        case .keyword(let word): word
        case .integer: "NUMBER"
        case .decimal(_, let unit):
            switch unit {
            case .duration, .offset: "SECONDS"
            case .ppm: "PPM"
            case .plain: "NUMBER"
            }
        case .ipv4, .ipv6, .address: "ADDRESS"
        case .host: "HOST"
        case .prefix: "PREFIX"
        case .netmask: "MASK"
        case .word: "WORD"
        case .path: "FILE"
        case .text: "TEXT"
        }
    }

    /// What the kind accepts, as used in error messages: "an integer 3 to 17".
    public var expectation: String {
        switch self {
        case .keyword(let word): "\"\(word)\""
        case .integer(let r): "an integer \(r.lowerBound) to \(r.upperBound)"
        case .decimal(let r, let unit):
            switch unit {
            case .duration: "a duration \(format(r.lowerBound))s to \(format(r.upperBound))s (e.g. 64s, 10m, 2h)"
            case .offset: "an offset \(format(r.lowerBound))s to \(format(r.upperBound))s (e.g. 0.5s, -20ms, 300us)"
            case .ppm: "a frequency \(format(r.lowerBound)) to \(format(r.upperBound)) ppm"
            case .plain: "a number \(format(r.lowerBound)) to \(format(r.upperBound))"
            }
        case .ipv4: "an IPv4 address"
        case .ipv6: "an IPv6 address"
        case .address: "an IP address"
        case .host: "an IP address or host name"
        case .prefix: "an address with prefix length (ADDRESS/LENGTH)"
        case .netmask: "a network mask"
        case .word: "a word"
        case .path: "a file path"
        case .text: "text"
        }
    }

    /// A short note on the accepted values for `?` and help: "3-17", "seconds; 10m, 2h".
    public var valueHint: String? {
        switch self {
        case .integer(let r): "\(r.lowerBound)-\(r.upperBound)"
        case .decimal(let r, let unit):
            switch unit {
            case .duration: "\(format(r.lowerBound))-\(format(r.upperBound)) s; units s, m, h, d"
            case .offset: "\(format(r.lowerBound))-\(format(r.upperBound)) s; units s, ms, us, ns"
            case .ppm: "\(format(r.lowerBound))-\(format(r.upperBound)) ppm"
            case .plain: "\(format(r.lowerBound))-\(format(r.upperBound))"
            }
        default: nil
        }
    }

    /// A value the kind accepts, for lint's sample lines and generated examples.
    public var sample: String {
        switch self {
        case .keyword(let word): word
        case .integer(let r): String(r.contains(1) ? 1 : r.lowerBound)
        case .decimal(let r, _): format(r.contains(1) ? 1 : r.lowerBound)
        case .ipv4, .address, .host: "192.0.2.1"
        case .ipv6: "2001:db8::1"
        case .prefix: "192.0.2.0/24"
        case .netmask: "255.255.255.0"
        case .word: "word"
        case .path: "/tmp/file"
        case .text: "text"
        }
    }
}

/// The unit family of a decimal token; values are stored in the family's base unit.
public enum DecimalUnit: Sendable, Hashable {
    /// Seconds; suffixes s, m, h, d; no suffix means seconds.
    case duration
    /// Seconds; suffixes s, ms, us (or µs), ns; no suffix means seconds.
    case offset
    /// Parts per million; suffix ppm optional.
    case ppm
    /// No unit.
    case plain

    var suffixes: [(String, Double)] {
        switch self {
        case .duration: [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        case .offset: [("s", 1), ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9)]
        case .ppm: [("ppm", 1)]
        case .plain: []
        }
    }
}

/// A typed value parsed from a word.
public enum ArgumentValue: Sendable, Hashable {
    /// A keyword that was matched (by prefix or in full): its full spelling.
    case keyword(String)
    case integer(Int)
    /// In the unit family's base unit (seconds for durations and offsets, ppm).
    case decimal(Double)
    /// Addresses, host names, words, paths, text.
    case string(String)
    /// `ADDRESS/LENGTH`.
    case prefix(address: String, length: Int)
}

/// How well a word matches a token; higher tiers win when several tokens could take the word.
enum MatchTier: Int, Comparable {
    case text = 0       // rest-of-line
    case generic = 1    // word, path, host name
    case partial = 2    // unique keyword prefix
    case typed = 3      // number in range, address, prefix, mask
    case exact = 4      // keyword spelled in full

    static func < (a: MatchTier, b: MatchTier) -> Bool { a.rawValue < b.rawValue }
}

enum WordMatch {
    case matched(MatchTier, ArgumentValue)
    /// The word cannot be this token; for typed arguments, why.
    case rejected(String?)
}

extension TokenKind {
    /// Checks one word against this kind.
    func match(_ token: LineToken) -> WordMatch {
        let word = token.text
        switch self {
        case .keyword(let keyword):
            if token.quoted || word.isEmpty { return .rejected(nil) }
            if word == keyword { return .matched(.exact, .keyword(keyword)) }
            if word.utf8.count < keyword.utf8.count, keyword.utf8.starts(with: word.utf8) {
                return .matched(.partial, .keyword(keyword))
            }
            return .rejected(nil)
        case .integer(let range):
            guard let n = parseInteger(word), range.contains(n) else { return .rejected("expected \(expectation)") }
            return .matched(.typed, .integer(n))
        case .decimal(let range, let unit):
            guard let v = parseDecimal(word, unit: unit), range.contains(v) else {
                return .rejected("expected \(expectation)")
            }
            return .matched(.typed, .decimal(v))
        case .ipv4:
            return isIPv4(word) ? .matched(.typed, .string(word)) : .rejected("expected \(expectation)")
        case .ipv6:
            return isIPv6(word) ? .matched(.typed, .string(word)) : .rejected("expected \(expectation)")
        case .address:
            return isIPv4(word) || isIPv6(word) ? .matched(.typed, .string(word)) : .rejected("expected \(expectation)")
        case .host:
            if isIPv4(word) || isIPv6(word) { return .matched(.typed, .string(word)) }
            return isHostName(word) ? .matched(.generic, .string(word)) : .rejected("expected \(expectation)")
        case .prefix:
            guard let (address, length) = parsePrefix(word) else { return .rejected("expected \(expectation)") }
            return .matched(.typed, .prefix(address: address, length: length))
        case .netmask:
            return isNetmask(word) ? .matched(.typed, .string(word)) : .rejected("expected \(expectation)")
        case .word:
            return .matched(.generic, .string(word))
        case .path:
            return word.isEmpty ? .rejected("expected \(expectation)") : .matched(.generic, .string(word))
        case .text:
            return .matched(.text, .string(word))
        }
    }

    /// Whether `partial` could be the beginning of a word this kind accepts (for `?` mid-word).
    func couldStart(_ partial: String) -> Bool {
        if partial.isEmpty { return true }
        let u = Array(partial.utf8)
        func all(_ f: (UInt8) -> Bool) -> Bool { u.allSatisfy(f) }
        let digit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
        let hex: (UInt8) -> Bool = { digit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
        let v4: (UInt8) -> Bool = { digit($0) || $0 == 0x2E }
        let v6: (UInt8) -> Bool = { hex($0) || $0 == 0x3A || $0 == 0x2E || $0 == 0x25 || $0 > 0x20 && $0 != 0x2F && u.contains(0x25) }
        switch self {
        case .keyword(let k): return k.utf8.starts(with: partial.utf8)
        case .integer: return all { digit($0) || $0 == 0x2D || $0 == 0x2B }
        case .decimal: return all { digit($0) || $0 == 0x2D || $0 == 0x2B || $0 == 0x2E || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 >= 0x80 }
        case .ipv4: return all(v4)
        case .ipv6: return all(v6)
        case .address, .netmask: return all(v4) || all(v6)
        case .prefix: return all { v4($0) || v6($0) || $0 == 0x2F }
        case .host: return true
        case .word, .path, .text: return true
        }
    }
}

// MARK: - Parsers

func parseInteger(_ s: String) -> Int? {
    let u = s.utf8
    guard !u.isEmpty, u.count <= 24 else { return nil }
    var negative = false
    var digits = Substring(s)
    if let f = u.first, f == 0x2D || f == 0x2B {
        negative = f == 0x2D
        digits = digits.dropFirst()
    }
    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
    var n = 0
    for d in digits.utf8 {
        let (m, o1) = n.multipliedReportingOverflow(by: 10)
        let (a, o2) = negative ? m.subtractingReportingOverflow(Int(d - 0x30)) : m.addingReportingOverflow(Int(d - 0x30))
        if o1 || o2 { return nil }
        n = a
    }
    return n
}

/// What ntpd's scanner reads as a number, then an optional unit: `[+-]` mantissa (`5`, `5.`,
/// `.5`, `5.25`) and an optional exponent (`e-2`, `E+3`); no hex, inf or nan.
func parseDecimal(_ s: String, unit: DecimalUnit) -> Double? {
    guard !s.isEmpty, s.utf8.count <= 64 else { return nil }
    var number = Substring(s)
    var scale = 1.0
    // Longest suffix first so "ms" is not read as "s".
    for (suffix, factor) in unit.suffixes.sorted(by: { $0.0.utf8.count > $1.0.utf8.count })
    where number.hasSuffix(suffix) {
        number = number.dropLast(suffix.count)
        scale = factor
        break
    }
    var body = number.utf8[...]
    if let f = body.first, f == 0x2D || f == 0x2B { body = body.dropFirst() }
    var digits = 0
    var dots = 0
    while let c = body.first, c >= 0x30 && c <= 0x39 || c == 0x2E {
        if c == 0x2E { dots += 1 } else { digits += 1 }
        body = body.dropFirst()
    }
    if let e = body.first, e | 0x20 == 0x65 {
        body = body.dropFirst()
        if let f = body.first, f == 0x2D || f == 0x2B { body = body.dropFirst() }
        guard !body.isEmpty else { return nil }
        while let c = body.first, c >= 0x30 && c <= 0x39 { body = body.dropFirst() }
    }
    guard body.isEmpty else { return nil }
    guard digits > 0, dots <= 1, let v = Double(String(number)), v.isFinite else { return nil }
    let scaled = v * scale
    return scaled.isFinite ? scaled : nil
}

// Addresses: NTPWire's one reader of numeric address text (`IPAddress.parse(numeric:)`), so a
// word the grammar takes as an address is one the engine and the platform take too.

/// A dotted quad, no zone.
func isIPv4(_ s: String) -> Bool { IPAddress.parse(numeric: s).map { $0.address.isIPv4 } ?? false }

/// An IPv6 address with an optional zone (`%eth0`, `%3`): the grammar only checks its form; the
/// zone is resolved when the address is used.
func isIPv6(_ s: String) -> Bool { IPAddress.parse(numeric: s).map { $0.address.isIPv6 } ?? false }

/// An IPv4 or IPv6 address without a zone (prefixes and masks have none).
func parseUnzonedAddress(_ s: String) -> IPAddress? {
    guard let (address, zone) = IPAddress.parse(numeric: s), zone == nil else { return nil }
    return address
}

/// RFC 1123 host name: dot-separated labels of letters, digits, hyphens (and underscores, which
/// real networks use), 1–63 characters, not starting or ending with a hyphen; at most 253
/// characters; an optional trailing dot. All-numeric names are refused (they are mistyped IPv4).
func isHostName(_ s: String) -> Bool {
    var u = Array(s.utf8)
    if u.last == 0x2E { u.removeLast() }
    guard !u.isEmpty, u.count <= 253 else { return false }
    var labelLength = 0
    var allNumeric = true
    var previous: UInt8 = 0x2E
    for c in u {
        switch c {
        case 0x2E:
            guard labelLength > 0, previous != 0x2D else { return false }
            labelLength = 0
        case 0x2D:
            guard labelLength > 0 else { return false }
            labelLength += 1
            allNumeric = false
        case 0x30...0x39:
            labelLength += 1
        case 0x41...0x5A, 0x61...0x7A, 0x5F:
            labelLength += 1
            allNumeric = false
        default:
            return false
        }
        guard labelLength <= 63 else { return false }
        previous = c
    }
    return labelLength > 0 && previous != 0x2D && !allNumeric
}

func parsePrefix(_ s: String) -> (String, Int)? {
    guard let slash = s.firstIndex(of: "/") else { return nil }
    let address = String(s[..<slash])
    let lengthText = s[s.index(after: slash)...]
    guard !lengthText.isEmpty, lengthText.utf8.count <= 3, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
          let length = Int(lengthText) else { return nil }
    guard let ip = parseUnzonedAddress(address), length <= ip.bitWidth else { return nil }
    return (address, length)
}

/// A network mask: an address whose bits are ones then zeros.
func isNetmask(_ s: String) -> Bool {
    parseUnzonedAddress(s)?.maskPrefixLength != nil
}

/// Shortest plain rendering of a Double for messages: `3`, `0.5`, `-0.02`.
func format(_ v: Double) -> String {
    if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
}
