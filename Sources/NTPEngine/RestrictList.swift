public import NTPWire

/// ntpd's restrict flags.
public struct RestrictFlags: OptionSet, Sendable, Codable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ignore = RestrictFlags(rawValue: 1 << 0)
    public static let kod = RestrictFlags(rawValue: 1 << 1)
    public static let limited = RestrictFlags(rawValue: 1 << 2)
    public static let lowpriotrap = RestrictFlags(rawValue: 1 << 3)
    public static let nomodify = RestrictFlags(rawValue: 1 << 4)
    public static let nomrulist = RestrictFlags(rawValue: 1 << 5)
    public static let nopeer = RestrictFlags(rawValue: 1 << 6)
    public static let noquery = RestrictFlags(rawValue: 1 << 7)
    public static let noserve = RestrictFlags(rawValue: 1 << 8)
    public static let notrap = RestrictFlags(rawValue: 1 << 9)
    public static let notrust = RestrictFlags(rawValue: 1 << 10)
    public static let ntpport = RestrictFlags(rawValue: 1 << 11)
    public static let version = RestrictFlags(rawValue: 1 << 12)

    /// Names in ntp.conf's spelling, in ntpd's order.
    public static let names: [(String, RestrictFlags)] = [
        ("ignore", .ignore), ("kod", .kod), ("limited", .limited), ("lowpriotrap", .lowpriotrap),
        ("nomodify", .nomodify), ("nomrulist", .nomrulist), ("nopeer", .nopeer), ("noquery", .noquery),
        ("noserve", .noserve), ("notrap", .notrap), ("notrust", .notrust), ("ntpport", .ntpport),
        ("version", .version),
    ]

    public init?(name: String) {
        guard let f = Self.names.first(where: { $0.0 == name })?.1 else { return nil }
        self = f
    }

    /// `kod nomodify notrap` (ntp.conf order), or empty.
    public var text: String { Self.names.filter { contains($0.1) }.map(\.0).joined(separator: " ") }
}

/// One `restrict` line: an address and prefix (the defaults are 0.0.0.0/0 and ::/0), flags, and
/// how often it decided a packet.
public struct RestrictEntry: Sendable, Codable, Equatable {
    public var network: IPAddress
    public var prefixLength: Int
    public var flags: RestrictFlags
    public var hits: UInt64 = 0

    public init(network: IPAddress, prefixLength: Int, flags: RestrictFlags) {
        (self.network, self.prefixLength) = Self.key(network, prefixLength)
        self.flags = flags
    }

    /// The entry's address and prefix as the list keeps them: masked, without scope, and an
    /// IPv4-mapped IPv6 prefix (`::ffff:10.0.0.0/104`) as the IPv4 one it covers (`10.0.0.0/8`),
    /// since sources are matched unmapped.
    public static func key(_ network: IPAddress, _ prefixLength: Int) -> (IPAddress, Int) {
        let masked = network.masked(prefixLength: prefixLength).withoutScope
        if masked.isIPv4Mapped, prefixLength >= 96 { return (masked.unmapped, prefixLength - 96) }
        return (masked, prefixLength)
    }

    public var isDefault: Bool { prefixLength == 0 }

    /// `default`, `-6 default`, `192.168.0.0/24`.
    public var target: String {
        if isDefault { return network.isIPv4 ? "default" : "-6 default" }
        return "\(network)/\(prefixLength)"
    }
}

/// The access list: the most specific matching entry (longest prefix of the address's family)
/// decides, as ntpd does; the IPv4 and IPv6 defaults are separate entries. With no matching
/// entry, nothing is restricted.
public struct RestrictList: Sendable, Equatable {
    /// Most specific first.
    public private(set) var entries: [RestrictEntry] = []
    /// `restrict source FLAGS`: the flags for the addresses of associations that `server`,
    /// `peer` and `pool` mobilized (ntpd adds a host entry for each), unless an entry for
    /// exactly that address exists. Nil: no `restrict source` line.
    public var sourceFlags: RestrictFlags?
    /// How often the source flags decided a packet.
    public private(set) var sourceHits: UInt64 = 0
    /// The addresses ``sourceFlags`` apply to, unmapped (``follow(_:)`` keeps them).
    public private(set) var sources: Set<IPAddress> = []
    private var sourcesGeneration: UInt64?

    public init() {}

    /// Adds an entry or replaces the flags of the one with the same address and prefix.
    public mutating func set(_ entry: RestrictEntry) {
        if let i = entries.firstIndex(where: { $0.network == entry.network && $0.prefixLength == entry.prefixLength }) {
            entries[i].flags = entry.flags
            return
        }
        let at = entries.firstIndex { $0.prefixLength < entry.prefixLength } ?? entries.count
        entries.insert(entry, at: at)
    }

    /// Removes the entry for `network/prefixLength`; false when there is none.
    @discardableResult
    public mutating func remove(network: IPAddress, prefixLength: Int) -> Bool {
        let (key, length) = RestrictEntry.key(network, prefixLength)
        guard let i = entries.firstIndex(where: { $0.network == key && $0.prefixLength == length }) else { return false }
        entries.remove(at: i)
        return true
    }

    /// The index of the entry deciding for `address` (from `port`), if any.
    public func match(_ address: IPAddress, port: UInt16 = 0) -> Int? {
        let ip = address.unmapped
        for (i, e) in entries.enumerated() where e.network.isIPv4 == ip.isIPv4 {
            if e.flags.contains(.ntpport) && port != 123 { continue }
            if e.prefixLength == 0 || ip.isIn(e.network, prefixLength: e.prefixLength) { return i }
        }
        return nil
    }

    /// The flags for a packet from `address`, counting the hit. Fast when the list is empty.
    @inline(__always)
    public mutating func check(_ address: IPAddress, port: UInt16) -> RestrictFlags {
        if let sourceFlags, !sources.isEmpty, sources.contains(address.unmapped), !hasHostEntry(address) {
            sourceHits &+= 1
            return sourceFlags
        }
        guard !entries.isEmpty, let i = match(address, port: port) else { return [] }
        entries[i].hits &+= 1
        return entries[i].flags
    }

    /// Whether an entry names exactly `address` (it then beats `restrict source`, as in ntpd).
    private func hasHostEntry(_ address: IPAddress) -> Bool {
        let ip = address.unmapped
        return entries.contains { $0.prefixLength == ip.bitWidth && $0.network == ip.withoutScope }
    }

    /// Keeps ``sources`` to the engine's association addresses (cheap when they did not change).
    public mutating func follow(_ engine: Engine) {
        guard sourceFlags != nil, sourcesGeneration != engine.addressGeneration else { return }
        sourcesGeneration = engine.addressGeneration
        sources = engine.sourceAddresses
    }
}
