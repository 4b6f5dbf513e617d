/// A value handed to the engine from outside the grammar (the control protocol; later the
/// change enum) that the engine must not take: out of range, not finite, inconsistent. The
/// grammar keeps typed commands within these ranges; `validated()` is the same check for
/// everything else, so no path can hand the engine a value that traps it later.
public struct InvalidSetting: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The ranges the engine accepts, shared by the grammar's declarations where they coincide.
public enum SettingRanges {
    public static let stratum: ClosedRange<Int> = 0...15
    public static let orphanStratum: ClosedRange<Int> = 1...16
    public static let minSane: ClosedRange<Int> = 1...16
    public static let minClock: ClosedRange<Int> = 1...16
    public static let maxClock: ClosedRange<Int> = 1...32
    public static let poll: ClosedRange<Int> = 3...17
    public static let version: ClosedRange<Int> = 1...4
    public static let keyID: ClosedRange<Int> = 1...65535
    /// The longest host name (RFC 1035's 253, plus room for an IPv6 literal with a zone).
    public static let hostLength = 255
    /// Keys per store (ntpd's key file has no hard limit; a client is not trusted with memory).
    public static let keys = 65535

    /// Throws naming `name` unless `value` is within `range` (and finite).
    public static func check(_ value: Int, in range: ClosedRange<Int>, _ name: String) throws(InvalidSetting) {
        guard range.contains(value) else {
            throw InvalidSetting("\(name) \(value) is out of range (\(range.lowerBound)-\(range.upperBound))")
        }
    }

    public static func check(_ value: Double, in range: ClosedRange<Double>, _ name: String) throws(InvalidSetting) {
        guard value.isFinite, range.contains(value) else {
            throw InvalidSetting("\(name) \(value) is out of range (\(range.lowerBound)-\(range.upperBound))")
        }
    }
}

extension Selection.Settings {
    /// These settings when every field is within its range (`tos minsane/minclock/maxclock`).
    public func validated() throws(InvalidSetting) -> Self {
        try SettingRanges.check(minSane, in: SettingRanges.minSane, "minsane")
        try SettingRanges.check(minClock, in: SettingRanges.minClock, "minclock")
        try SettingRanges.check(maxClock, in: SettingRanges.maxClock, "maxclock")
        return self
    }
}

extension EngineConfiguration {
    /// This configuration when every field is within the range `tinker` and `tos` accept.
    public func validated() throws(InvalidSetting) -> Self {
        try SettingRanges.check(stepThreshold.value, in: 0...1e6, "step")
        try SettingRanges.check(stepout.value, in: 1...1e6, "stepout")
        try SettingRanges.check(panicThreshold.value, in: 0...1e9, "panic")
        _ = try selection.validated()
        if let orphanStratum { try SettingRanges.check(Int(orphanStratum), in: SettingRanges.orphanStratum, "orphan") }
        try SettingRanges.check(orphanWait.value, in: 0...1e6, "orphanwait")
        if let initialFrequency { try SettingRanges.check(initialFrequency.value, in: -500...500, "frequency (ppm)") }
        return self
    }
}

extension AssociationConfiguration {
    /// This association when it names a host and every option is within its range.
    public func validated() throws(InvalidSetting) -> Self {
        try Self.validateHost(host)
        guard port != 0 else { throw InvalidSetting("port 0 is out of range (1-65535)") }
        try SettingRanges.check(Int(minPoll), in: SettingRanges.poll, "minpoll")
        try SettingRanges.check(Int(maxPoll), in: SettingRanges.poll, "maxpoll")
        try SettingRanges.check(Int(version), in: SettingRanges.version, "version")
        try SettingRanges.check(Int(localStratum), in: SettingRanges.stratum, "stratum")
        if let key { try SettingRanges.check(Int(key), in: SettingRanges.keyID, "key") }
        return self
    }

    /// A host as an association may name it: 1 to ``SettingRanges/hostLength`` bytes, no
    /// spaces or control characters.
    public static func validateHost(_ host: String) throws(InvalidSetting) {
        guard !host.isEmpty, host.utf8.count <= SettingRanges.hostLength else {
            throw InvalidSetting("a host name must have 1 to \(SettingRanges.hostLength) characters")
        }
        guard !host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) else {
            throw InvalidSetting("a host name cannot contain spaces or control characters")
        }
    }
}

extension RestrictEntry {
    /// This entry when its prefix length fits its family, with the address masked as ``init``
    /// masks it (a decoded entry did not go through it).
    public func validated() throws(InvalidSetting) -> Self {
        try SettingRanges.check(prefixLength, in: 0...network.bitWidth, "prefix length")
        var entry = RestrictEntry(network: network, prefixLength: prefixLength, flags: flags)
        entry.hits = 0
        return entry
    }
}

extension MonitorSettings {
    /// These settings when every field is within the range `mru` and `discard` accept.
    public func validated() throws(InvalidSetting) -> Self {
        let ranges: [(Int, ClosedRange<Int>, String)] = [
            (maxDepth, 1...100_000_000, "maxdepth"), (minDepth, 0...100_000_000, "mindepth"),
            (maxAge, 1...100_000_000, "maxage"), (minAge, 0...100_000_000, "minage"),
            (average, 0...16, "average"), (minimum, 0...65_536, "minimum"), (monitor, 0...100_000, "monitor"),
        ]
        for (value, range, name) in ranges { try SettingRanges.check(value, in: range, name) }
        return self
    }
}

extension SymmetricKey {
    /// This key when its id is a key id and its secret fits its algorithm.
    public func validated() throws(InvalidSetting) -> Self {
        try SettingRanges.check(Int(id), in: SettingRanges.keyID, "key id")
        if let length = algorithm.cipherKeyLength {
            guard secret.count == length else { throw InvalidSetting("key \(id): a \(algorithm) key has \(length) bytes, not \(secret.count)") }
        } else {
            try SettingRanges.check(secret.count, in: 1...64, "key \(id): secret length")
        }
        return self
    }
}

extension InterfaceRule {
    /// This rule when a prefix fits its family and a name is an interface name.
    public func validated() throws(InvalidSetting) -> Self {
        switch target {
        case .all, .ipv4, .ipv6, .wildcard: break
        case .prefix(let address, let length): try SettingRanges.check(length, in: 0...address.bitWidth, "prefix length")
        case .name(let name):
            guard !name.isEmpty, name.utf8.count <= 255,
                  !name.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) else {
                throw InvalidSetting("an interface name must have 1 to 255 characters, no spaces or control characters")
            }
        }
        return self
    }
}
