// The hex text of an NTP timestamp in mode 6 variables (`reftime=0xe3d1b3a2.1f9a6b50`): the one
// writer and reader (the responder's variables and MRU requests, ntpq-style views).

extension NTPTimestamp {
    /// `0x%08x.%08x`: seconds and fraction in hex, as ntpd's `ctl_putts` writes them.
    public var hexText: String {
        "0x" + Self.hex8(seconds) + "." + Self.hex8(fraction)
    }

    /// Reads ``hexText``: `0x`, one to eight hex digits of seconds, `.`, one to eight of fraction;
    /// with `requirePrefix` false the `0x` may be left out. Nil for anything else.
    public init?(hexText text: some StringProtocol, requirePrefix: Bool = true) {
        var body = Substring(text)
        if body.hasPrefix("0x") { body = body.dropFirst(2) } else if requirePrefix { return nil }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let s = Self.hexWord(parts[0]), let f = Self.hexWord(parts[1]) else { return nil }
        self.init(seconds: s, fraction: f)
    }

    private static func hex8(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: 8 - h.count) + h
    }

    /// One to eight hex digits (no sign).
    private static func hexWord(_ s: Substring) -> UInt32? {
        guard (1...8).contains(s.utf8.count), s.utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66 || ($0 >= 0x30 && $0 <= 0x39) })
        else { return nil }
        return UInt32(s, radix: 16)
    }
}
