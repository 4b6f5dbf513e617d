import Glibc
import Testing
import NTPWire

/// The edge cases of address text on which the grammar's and the engine's readers used to be
/// able to disagree, each decided as ntpd's `is_ip_address` decides it (`inet_pton` on the text
/// before `%`), and checked against glibc's `inet_pton` itself.
@Suite struct IPAddressTextTests {
    /// Text, the canonical address it is (nil: not an address), the zone as written.
    static let table: [(String, String?, String?)] = [
        ("192.0.2.1", "192.0.2.1", nil),
        ("0.0.0.0", "0.0.0.0", nil),
        ("255.255.255.255", "255.255.255.255", nil),
        ("256.0.0.1", nil, nil),
        ("1.2.3", nil, nil),              // inet_aton's short form: not numeric for ntpd
        ("127.1", nil, nil),
        ("1.2.3.4.5", nil, nil),
        ("01.2.3.4", nil, nil),           // leading zero (octal to inet_aton): refused
        ("1.2.3.00", nil, nil),
        ("0x7f.0.0.1", nil, nil),
        ("1.2.3.4.", nil, nil),
        (".1.2.3.4", nil, nil),
        ("1..2.3", nil, nil),
        (" 1.2.3.4", nil, nil),
        ("1.2.3.4%1", nil, nil),          // zones are IPv6 only
        ("", nil, nil),
        ("::", "::", nil),
        ("::1", "::1", nil),
        ("1::", "1::", nil),
        ("2001:DB8::1", "2001:db8::1", nil),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", nil),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", nil),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", nil),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", nil),
        ("1:2:3:4::5:6:7:8", nil, nil),   // `::` standing for no group
        ("1:2:3:4:5:6:7", nil, nil),
        ("1:2:3:4:5:6:7:8:9", nil, nil),
        (":::", nil, nil),
        ("1:::2", nil, nil),
        ("1::2::3", nil, nil),
        (":1::2", nil, nil),
        ("1::2:", nil, nil),
        ("12345::", nil, nil),
        ("g::1", nil, nil),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4", nil),   // IPv4-mapped stays IPv6 text
        ("::FFFF:192.0.2.1", "::ffff:192.0.2.1", nil),
        ("::1.2.3.4", "::102:304", nil),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", nil),
        ("1:2:3:4:5:6:7:1.2.3.4", nil, nil),
        ("1:2:3:4:5:6::1.2.3.4", nil, nil),
        ("::ffff:1.2.3", nil, nil),
        ("::ffff:01.2.3.4", nil, nil),
        ("::1.2.3.4:1", nil, nil),
        ("0000:0000:0000:0000:0000:ffff:255.255.255.255", "::ffff:255.255.255.255", nil),
        ("fe80::1%3", "fe80::1", "3"),
        ("fe80::1%eth0", "fe80::1", "eth0"),
        ("2001:db8::1%lo", "2001:db8::1", "lo"),
        ("fe80::1%", nil, nil),
        ("%eth0", nil, nil),
        ("fe80::1%" + String(repeating: "x", count: 64), "fe80::1", String(repeating: "x", count: 64)),
        ("fe80::1%" + String(repeating: "x", count: 65), nil, nil),
    ]

    @Test func edgeCases() {
        for (text, expected, zone) in Self.table {
            let parsed = IPAddress.parse(numeric: text)
            #expect(parsed?.address.description == expected, "\(text)")
            #expect(parsed?.zone.map(String.init) == zone, "\(text)")
            #expect(parsed?.address.scope ?? 0 == 0, "\(text)")
        }
    }

    /// Without a zone, exactly what glibc's `inet_pton` (ntpd's reader) accepts, to the bit.
    @Test func agreesWithInetPton() {
        for (text, _, _) in Self.table where !text.contains("%") {
            var v4 = in_addr()
            var v6 = in6_addr()
            let reference: IPAddress? =
                if inet_pton(AF_INET, text, &v4) == 1 {
                    .v4(UInt32(bigEndian: v4.s_addr))
                } else if inet_pton(AF_INET6, text, &v6) == 1 {
                    IPAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) })
                } else {
                    nil
                }
            #expect(IPAddress.parse(numeric: text)?.address == reference, "\(text)")
        }
    }

    /// `init?(_:)` takes numeric zones only (names need the OS); the scope is the number.
    @Test func initTakesNumericZones() {
        #expect(IPAddress("fe80::1%3") == .v6(high: 0xfe80_0000_0000_0000, low: 1, scope: 3))
        #expect(IPAddress("fe80::1%eth0") == nil)
        #expect(IPAddress("fe80::1%4294967296") == nil)
        #expect(IPAddress("192.0.2.1%3") == nil)
        #expect(IPAddress("::ffff:1.2.3.4")?.unmapped == IPAddress("1.2.3.4"))
    }

    @Test func maskPrefixLength() {
        let cases: [(String, Int?)] = [
            ("255.255.255.0", 24), ("255.255.255.255", 32), ("0.0.0.0", 0), ("255.255.254.0", 23),
            ("255.0.255.0", nil), ("0.0.0.1", nil), ("ffff:ffff::", 32), ("::", 0), ("ffff:fffe:1::", nil),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128), ("ffff:ffff:ffff:ffff:8000::", 65),
        ]
        for (text, length) in cases { #expect(IPAddress(text)?.maskPrefixLength == length, "\(text)") }
    }
}
