public import NTPWire

/// ntpd's `interface`/`nic` rules: which local addresses the server listens on. Each rule names
/// an action (listen, ignore, drop: listen but drop every packet) and what it applies to (all,
/// ipv4, ipv6, wildcard, an interface name, an address or prefix); for each address the last
/// rule that matches decides, and with none it is listened on, as ntpd does.
public struct InterfaceRule: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Action: String, Sendable, Equatable, Codable {
        case listen, ignore, drop
    }

    public enum Target: Sendable, Equatable, Codable {
        case all, ipv4, ipv6, wildcard
        case name(String)
        case prefix(IPAddress, Int)
    }

    public var action: Action
    public var target: Target

    public init(action: Action, target: Target) {
        self.action = action
        self.target = target
    }

    /// `WHICH` as ntp.conf writes it: `all`, `ipv4`, `ipv6`, `wildcard`, an address, `ADDRESS/LEN`,
    /// or else an interface name.
    public init?(action: String, which: String) {
        guard let action = Action(rawValue: action) else { return nil }
        self.action = action
        switch which {
        case "all": target = .all
        case "ipv4": target = .ipv4
        case "ipv6": target = .ipv6
        case "wildcard": target = .wildcard
        default:
            let parts = which.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if let ip = IPAddress(parts[0]) {
                let length = parts.count == 2 ? Int(parts[1]) : ip.bitWidth
                guard let length, (0...ip.bitWidth).contains(length) else { return nil }
                target = .prefix(ip.unmapped.masked(prefixLength: length), length)
            } else {
                guard !which.contains("/"), !which.isEmpty else { return nil }
                target = .name(which)
            }
        }
    }

    public var which: String {
        switch target {
        case .all: "all"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .wildcard: "wildcard"
        case .name(let n): n
        case .prefix(let ip, let length): length == ip.bitWidth ? ip.description : "\(ip)/\(length)"
        }
    }

    public var description: String { "interface \(action.rawValue) \(which)" }

    /// Whether the rule applies to `address` on interface `name` (nil: the wildcard address).
    public func matches(_ address: IPAddress, interface name: String?) -> Bool {
        let ip = address.unmapped
        switch target {
        case .all: return true
        case .ipv4: return ip.isIPv4
        case .ipv6: return !ip.isIPv4
        case .wildcard: return name == nil
        case .name(let n): return name == n
        case .prefix(let network, let length): return name != nil && ip.isIPv4 == network.isIPv4 && ip.isIn(network, prefixLength: length)
        }
    }

    /// What the rules decide for `address` (on interface `name`; nil for the wildcard).
    public static func action(for address: IPAddress, interface name: String?, rules: [InterfaceRule]) -> Action {
        rules.last { $0.matches(address, interface: name) }?.action ?? .listen
    }
}
