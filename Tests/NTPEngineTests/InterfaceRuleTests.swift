import NTPEngine
import NTPWire
import Testing

@Suite("interface rules")
struct InterfaceRuleTests {
    @Test("the last matching rule decides; none means listen; wildcard, family, name and prefix targets")
    func lastMatchDecides() throws {
        let rules = try [("ignore", "all"), ("listen", "ipv4"), ("drop", "10.0.0.0/8"), ("ignore", "eth1"), ("listen", "10.1.2.3")]
            .map { try #require(InterfaceRule(action: $0.0, which: $0.1)) }
        let v4 = try #require(IPAddress("192.0.2.1")), lan = try #require(IPAddress("10.9.9.9"))
        let host = try #require(IPAddress("10.1.2.3")), v6 = try #require(IPAddress("2001:db8::1"))
        #expect(InterfaceRule.action(for: v4, interface: "eth0", rules: rules) == .listen)
        #expect(InterfaceRule.action(for: lan, interface: "eth0", rules: rules) == .drop)
        #expect(InterfaceRule.action(for: lan, interface: "eth1", rules: rules) == .ignore)
        #expect(InterfaceRule.action(for: host, interface: "eth1", rules: rules) == .listen)
        #expect(InterfaceRule.action(for: v6, interface: "eth0", rules: rules) == .ignore)
        #expect(InterfaceRule.action(for: .anyIPv4, interface: nil, rules: rules) == .listen, "ipv4 covers the IPv4 wildcard")
        #expect(InterfaceRule.action(for: .anyIPv6, interface: nil, rules: rules) == .ignore)
        #expect(InterfaceRule.action(for: v6, interface: "eth0", rules: []) == .listen)
    }

    @Test("WHICH is parsed as ntp.conf writes it; a bad prefix is refused")
    func parsing() {
        #expect(InterfaceRule(action: "listen", which: "wildcard")?.target == .wildcard)
        #expect(InterfaceRule(action: "drop", which: "lo")?.target == .name("lo"))
        #expect(InterfaceRule(action: "ignore", which: "192.168.1.77/24")?.which == "192.168.1.0/24")
        #expect(InterfaceRule(action: "ignore", which: "::1")?.description == "interface ignore ::1")
        #expect(InterfaceRule(action: "ignore", which: "10.0.0.0/33") == nil)
        #expect(InterfaceRule(action: "ignore", which: "eth0/3") == nil)
        for bad in ["/", "//", "10.0.0.0/", "/24", ""] {
            #expect(InterfaceRule(action: "listen", which: bad) == nil, "\(bad)")
        }
        #expect(InterfaceRule(action: "deny", which: "all") == nil)
    }
}
