import NTPWire
import Testing
@testable import CommandGrammar

private func word(_ s: String, quoted: Bool = false) -> LineToken {
    LineToken(text: s, column: 1, length: s.count, quoted: quoted, range: s.startIndex..<s.endIndex)
}

private func value(_ kind: TokenKind, _ s: String) -> ArgumentValue? {
    if case .matched(_, let v) = kind.match(word(s)) { v } else { nil }
}

private func rejection(_ kind: TokenKind, _ s: String) -> String? {
    if case .rejected(let m) = kind.match(word(s)) { m ?? "(no message)" } else { nil }
}

@Suite struct TokenKindTests {
    @Test func keywordsExactAndByPrefix() {
        let k = TokenKind.keyword("server")
        guard case .matched(.exact, .keyword("server")) = k.match(word("server")) else { Issue.record("exact"); return }
        guard case .matched(.partial, .keyword("server")) = k.match(word("ser")) else { Issue.record("prefix"); return }
        #expect(rejection(k, "servers") != nil)
        #expect(rejection(k, "x") != nil)
        #expect(rejection(k, "") != nil)
        guard case .rejected = k.match(word("server", quoted: true)) else { Issue.record("quoted"); return }
    }

    @Test func integers() {
        let k = TokenKind.integer(3...17)
        #expect(value(k, "3") == .integer(3))
        #expect(value(k, "+17") == .integer(17))
        #expect(rejection(k, "99") == "expected an integer 3 to 17")
        #expect(rejection(k, "2") != nil)
        #expect(rejection(k, "1e1") != nil)
        #expect(rejection(k, "") != nil)
        #expect(rejection(k, "99999999999999999999999") != nil)
        #expect(value(.integer(-5...5), "-5") == .integer(-5))
        #expect(value(.integer(Int.min...Int.max), "-9223372036854775808") == .integer(Int.min))
        #expect(rejection(.integer(Int.min...Int.max), "9223372036854775808") != nil)
    }

    @Test func durations() {
        let k = TokenKind.duration(0...86400)
        #expect(value(k, "64") == .decimal(64))
        #expect(value(k, "64s") == .decimal(64))
        #expect(value(k, "10m") == .decimal(600))
        #expect(value(k, "2h") == .decimal(7200))
        #expect(value(k, "1d") == .decimal(86400))
        #expect(value(k, "1.5m") == .decimal(90))
        #expect(rejection(k, "2d") != nil)
        #expect(rejection(k, "-1s") != nil)
        #expect(rejection(k, "10ms") != nil)
        #expect(rejection(k, "s") != nil)
        #expect(rejection(k, "inf") != nil)
        #expect(rejection(k, "nan") != nil)
        #expect(value(k, "1e3") == .decimal(1000))
        #expect(rejection(k, "1e6") != nil)  // read, then out of range
        #expect(rejection(k, "1..2") != nil)
        #expect(rejection(k, "x")?.hasPrefix("expected a duration 0s to 86400s") == true)
    }

    @Test func offsets() {
        let k = TokenKind.offset(-1...1)
        #expect(value(k, "0.5s") == .decimal(0.5))
        #expect(value(k, "0.5") == .decimal(0.5))
        #expect(value(k, "-20ms") == .decimal(-0.02))
        #expect(value(k, "300us") == .decimal(300e-6))
        #expect(value(k, "300µs") == .decimal(300e-6))
        #expect(value(k, "10ns") == .decimal(10e-9))
        #expect(value(k, ".25") == .decimal(0.25))
        #expect(rejection(k, "2s") != nil)
        #expect(rejection(k, "1m") != nil)
    }

    /// Every number form ntpd's scanner reads (its `is_double`: sign, digits with at most one
    /// point, an optional exponent), one test per form; integers stay integers as ntpd's do.
    @Test(arguments: [
        ("1e-2", 0.01), (".5", 0.5), ("5.", 5), ("-1e3", -1000), ("+2", 2), ("2.5E+1", 25), ("-.5e-1", -0.05),
        ("+0.", 0), ("1E2", 100), ("5.e1", 50),
    ])
    func ntpdNumberForms(text: String, expected: Double) {
        #expect(value(.number(-1e6...1e6), text) == .decimal(expected), "\(text)")
        #expect(value(.offset(-1e6...1e6), text) == .decimal(expected), "\(text)")
        #expect(value(.ppm(-1e6...1e6), text + "ppm") == .decimal(expected), "\(text)ppm")
    }

    @Test func exponentsWithUnits() {
        #expect(value(.offset(0...1), "1e-2s") == .decimal(0.01))
        #expect(value(.offset(0...1), "5e2us") == .decimal(5e-4))
        #expect(value(.duration(0...1e6), "1.5e1m") == .decimal(900))
        #expect(value(.offset(0...1e6), "1e-2") == .decimal(0.01))
    }

    @Test(arguments: ["e3", "1e", "1e+", "1e-", ".", "+.", "-", ".e1", "1e3.5", "1e3e2", "0x10", "1e+-2", "1.2.3", "++1", "1e 2"])
    func malformedNumbersAreRefused(text: String) {
        #expect(rejection(.number(-1e9...1e9), text) != nil, "\(text)")
        #expect(rejection(.offset(-1e9...1e9), text) != nil, "\(text)")
    }

    @Test func ppmAndPlain() {
        #expect(value(.ppm(-500...500), "15ppm") == .decimal(15))
        #expect(value(.ppm(-500...500), "-3.5") == .decimal(-3.5))
        #expect(rejection(.ppm(-500...500), "501") == "expected a frequency -500 to 500 ppm")
        #expect(value(.number(0.1...1000), "2.5") == .decimal(2.5))
        #expect(rejection(.number(0.1...1000), "2.5s") != nil)
    }

    @Test func ipv4() {
        for good in ["0.0.0.0", "192.0.2.1", "255.255.255.255"] { #expect(value(.ipv4, good) == .string(good)) }
        for bad in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.4 ", "a.b.c.d", "", "1.2.3.", ".1.2.3"] {
            #expect(rejection(.ipv4, bad) == "expected an IPv4 address", "\(bad)")
        }
    }

    @Test func ipv6() {
        for good in ["::", "::1", "2001:db8::1", "fe80::1%eth0", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1",
                     "1::", "1:2:3:4:5:6:7::", "2001:DB8:0:0:0:0:0:1"] {
            #expect(value(.ipv6, good) == .string(good), "\(good)")
        }
        for bad in [":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7", ":1", "1:",
                    "fe80::1%", "::1.2.3", "::1.2.3.4:5", "1.2.3.4"] {
            #expect(rejection(.ipv6, bad) != nil, "\(bad)")
        }
    }

    /// The address edge cases are NTPWire's (IPAddressTextTests): the grammar takes exactly the
    /// words `IPAddress.parse(numeric:)` takes, a zone only on IPv6 and never on a prefix or mask.
    @Test func addressEdgeCasesAsTheEngineReadsThem() {
        let cases: [(String, ipv4: Bool, ipv6: Bool)] = [
            ("1.2.3", false, false), ("01.2.3.4", false, false), ("1.2.3.4%1", false, false),
            ("::ffff:1.2.3.4", false, true), ("fe80::1%eth0", false, true), ("fe80::1%3", false, true),
            ("fe80::1%", false, false), ("1:2:3:4::5:6:7:8", false, false), ("1:2:3:4:5:6:7::", false, true),
        ]
        for (word, v4, v6) in cases {
            #expect((value(.ipv4, word) != nil) == v4, "\(word)")
            #expect((value(.ipv6, word) != nil) == v6, "\(word)")
            #expect((value(.address, word) != nil) == (v4 || v6), "\(word)")
            #expect((value(.address, word) != nil) == (IPAddress.parse(numeric: word) != nil), "\(word)")
        }
        #expect(rejection(.prefix, "fe80::%eth0/64") != nil)
        #expect(rejection(.netmask, "ffff::%1") != nil)
        #expect(value(.netmask, "255.255.255.0") != nil && rejection(.netmask, "255.0.255.0") != nil)
        #expect(value(.netmask, "ffff:ffff::") != nil && rejection(.netmask, "ffff:fffe:1::") != nil)
        #expect(value(.netmask, "0.0.0.0") != nil && value(.netmask, "::") != nil)
    }

    @Test func addressHostPrefixMask() {
        #expect(value(.address, "192.0.2.1") == .string("192.0.2.1"))
        #expect(value(.address, "2001:db8::1") == .string("2001:db8::1"))
        #expect(rejection(.address, "ntp.example.com") == "expected an IP address")
        #expect(value(.host, "ntp.example.com") == .string("ntp.example.com"))
        #expect(value(.host, "ntp.example.com.") == .string("ntp.example.com."))
        #expect(value(.host, "localhost") == .string("localhost"))
        #expect(value(.host, "::1") == .string("::1"))
        for bad in ["-x.com", "x-.com", "a..b", "1.2.3.256", "a/b", "x_y!", String(repeating: "a", count: 64)] {
            #expect(rejection(.host, bad) == "expected an IP address or host name", "\(bad)")
        }
        #expect(value(.prefix, "192.0.2.0/24") == .prefix(address: "192.0.2.0", length: 24))
        #expect(value(.prefix, "2001:db8::/32") == .prefix(address: "2001:db8::", length: 32))
        for bad in ["192.0.2.0/33", "192.0.2.0/", "192.0.2.0", "/24", "2001:db8::/129", "x/3", "1.2.3.4/-1"] {
            #expect(rejection(.prefix, bad) != nil, "\(bad)")
        }
        for good in ["255.255.255.0", "0.0.0.0", "255.255.255.255", "ffff:ffff::"] { #expect(value(.netmask, good) != nil) }
        for bad in ["255.0.255.0", "255.255.255.1", "x"] { #expect(rejection(.netmask, bad) == "expected a network mask") }
    }

    @Test func wordsPathsText() {
        #expect(value(.word, "anything-at_all/!") == .string("anything-at_all/!"))
        #expect(value(.path, "/var/lib/ntp/drift") == .string("/var/lib/ntp/drift"))
        #expect(rejection(.path, "") == "expected a file path")
        #expect(value(.text, "x") == .string("x"))
    }

    @Test func placeholdersAndHints() {
        #expect(TokenKind.duration(0...10).defaultPlaceholder == "SECONDS")
        #expect(TokenKind.host.defaultPlaceholder == "HOST")
        #expect(TokenKind.integer(3...17).valueHint == "3-17")
        #expect(Token(kind: .path, help: "x").completion == "path")
    }
}
