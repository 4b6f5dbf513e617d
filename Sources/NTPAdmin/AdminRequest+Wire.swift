public import NTPEngine
public import NTPWire

/// Owns how an ``AdminRequest`` and its ``AdminAnswer`` look on the control socket
/// (Docs/control-protocol.md): each request is a call name and its `args`, each answer the
/// call's `result`, exactly as protocol versions 1–4 sent them; and what a request must satisfy
/// before a node sees it (``AdminChange/validated()``: a client is not trusted to keep the
/// grammar's ranges). The socket's codec carries any request through these, with no code per call.
extension AdminRequest {
    /// Whether a client needs the privilege to make the request.
    public var isChange: Bool { if case .change = self { true } else { false } }

    /// The request's call name on the control socket.
    public var call: String {
        switch self {
        case .query(let query):
            switch query {
            case .peerReports: "peerReports"
            case .systemReport: "systemReport"
            case .events: "events"
            case .engineConfiguration: "engineConfiguration"
            case .restrictions: "restrictions"
            case .monitorSettings: "monitorSettings"
            case .mruEntries: "mruEntries"
            case .monitorReport: "monitorReport"
            case .metrics: "metrics"
            }
        case .change(let change):
            switch change {
            case .addAssociation: "addAssociation"
            case .replaceAssociation: "replaceAssociation"
            case .removeAssociations: "removeAssociations"
            case .setLocalClockStratum: "setLocalClockStratum"
            case .setEngineConfiguration: "setEngineConfiguration"
            case .setRestriction: "setRestriction"
            case .removeRestriction: "removeRestriction"
            case .setSourceRestriction: "setSourceRestriction"
            case .setKeys: "setKeys"
            case .setTrusted: "setTrusted"
            case .setControlKey: "setControlKey"
            case .setMonitorSettings: "setMonitorSettings"
            case .step: "step"
            case .slew: "slew"
            case .announce: "announce"
            }
        }
    }

    /// The newest MRU entries a socket answer carries (a frame stays well under the protocol's
    /// largest; ntpq's mrulist pages through all of it over mode 6).
    public static let mruLimit = 2048

    /// The calls carried as requests, by name (the socket's codec serves these).
    public static let calls: Set<String> = [
        "peerReports", "systemReport", "events", "engineConfiguration", "restrictions", "monitorSettings", "mruEntries",
        "monitorReport", "addAssociation", "removeAssociations", "setLocalClockStratum", "setEngineConfiguration",
        "setRestriction", "removeRestriction", "setKeys", "setTrusted", "setControlKey",
        "setMonitorSettings", "step", "slew", "replaceAssociation", "metrics", "announce",
    ]

    /// The request's `args` on the socket.
    public func encodeArguments<Key: CodingKey>(to c: inout KeyedEncodingContainer<Key>, forKey key: Key) throws {
        switch self {
        case .query: try c.encode(WireArguments.None(), forKey: key)
        case .change(let change):
            switch change {
            case .addAssociation(let a), .replaceAssociation(let a): try c.encode(a, forKey: key)
            case .removeAssociations(let host): try c.encode(host, forKey: key)
            case .setLocalClockStratum(let s): try c.encode(s, forKey: key)
            case .setEngineConfiguration(let e): try c.encode(e, forKey: key)
            case .setRestriction(let r): try c.encode(r, forKey: key)
            case .removeRestriction(let n, let p): try c.encode(WireArguments.Target(network: n, prefixLength: p), forKey: key)
            case .setSourceRestriction(let f): try c.encode(f, forKey: key)
            case .setKeys(let k, let file): try c.encode(WireArguments.Keys(keys: k, file: file), forKey: key)
            case .setTrusted(let ids, let trusted): try c.encode(WireArguments.Trust(keyIDs: ids, trusted: trusted), forKey: key)
            case .setControlKey(let id): try c.encode(id, forKey: key)
            case .setMonitorSettings(let m): try c.encode(m, forKey: key)
            case .step(let o), .slew(let o): try c.encode(WireArguments.Value(value: o), forKey: key)
            case .announce(let text): try c.encode(text, forKey: key)
            }
        }
    }

    /// The request a call name and its `args` make; nil for a name that is not a request
    /// (`setSourceRestriction` is not a call: an attached shell's `restrict source` runs in the
    /// engine's runner).
    public init?<Key: CodingKey>(call: String, arguments c: KeyedDecodingContainer<Key>, forKey key: Key) throws {
        func args<T: Decodable>(_ type: T.Type = T.self) throws -> T { try c.decode(T.self, forKey: key) }
        switch call {
        case "peerReports": self = .query(.peerReports)
        case "systemReport": self = .query(.systemReport)
        case "events": self = .query(.events)
        case "engineConfiguration": self = .query(.engineConfiguration)
        case "restrictions": self = .query(.restrictions)
        case "monitorSettings": self = .query(.monitorSettings)
        case "mruEntries": self = .query(.mruEntries(newest: Self.mruLimit))
        case "monitorReport": self = .query(.monitorReport)
        case "metrics": self = .query(.metrics)
        case "addAssociation": self = .change(.addAssociation(try args()))
        case "replaceAssociation": self = .change(.replaceAssociation(try args()))
        case "removeAssociations": self = .change(.removeAssociations(host: try args()))
        case "setLocalClockStratum": self = .change(.setLocalClockStratum(try args()))
        case "setEngineConfiguration": self = .change(.setEngineConfiguration(try args()))
        case "setRestriction": self = .change(.setRestriction(try args()))
        case "removeRestriction":
            let t: WireArguments.Target = try args()
            self = .change(.removeRestriction(network: t.network, prefixLength: t.prefixLength))
        case "setKeys": let k: WireArguments.Keys = try args(); self = .change(.setKeys(k.keys, file: k.file))
        case "setTrusted": let t: WireArguments.Trust = try args(); self = .change(.setTrusted(t.keyIDs, trusted: t.trusted))
        case "setControlKey": self = .change(.setControlKey(try args()))
        case "setMonitorSettings": self = .change(.setMonitorSettings(try args()))
        case "step": self = .change(.step(by: try args(WireArguments.Value.self).value))
        case "slew": self = .change(.slew(by: try args(WireArguments.Value.self).value))
        case "announce": self = .change(.announce(try args()))
        default: return nil
        }
    }

    /// The answer to this request from its `result` on the socket.
    public func decodeAnswer<Key: CodingKey>(from c: KeyedDecodingContainer<Key>, forKey key: Key) throws -> AdminAnswer {
        func result<T: Decodable>(_ type: T.Type = T.self) throws -> T { try c.decode(T.self, forKey: key) }
        switch self {
        case .query(let query):
            switch query {
            case .peerReports: return .peerReports(try result())
            case .systemReport: return .systemReport(try result())
            case .events: return .events(try result())
            case .engineConfiguration: return .engineConfiguration(try result())
            case .restrictions: return .restrictions(try result())
            case .monitorSettings: return .monitorSettings(try result())
            case .mruEntries(let limit): return .mruEntries(Array(try result([MRUEntry].self).suffix(limit)))
            case .monitorReport: return .monitorReport(try result())
            case .metrics: return .metrics(try result())
            }
        case .change(let change):
            switch change {
            case .addAssociation, .replaceAssociation: return .association(try result())
            case .removeAssociations: return .count(try result())
            case .removeRestriction: return .found(try result())
            case .slew: return .seconds(try result())
            default: _ = try result(WireArguments.None.self); return .done
            }
        }
    }
}

extension AdminAnswer {
    /// The answer as a call's `result` on the socket.
    public func encodeResult<Key: CodingKey>(to c: inout KeyedEncodingContainer<Key>, forKey key: Key) throws {
        switch self {
        case .done: try c.encode(WireArguments.None(), forKey: key)
        case .peerReports(let v): try c.encode(v, forKey: key)
        case .systemReport(let v): try c.encode(v, forKey: key)
        case .events(let v): try c.encode(v, forKey: key)
        case .engineConfiguration(let v): try c.encode(v, forKey: key)
        case .restrictions(let v): try c.encode(v, forKey: key)
        case .monitorSettings(let v): try c.encode(v, forKey: key)
        case .mruEntries(let v): try c.encode(v, forKey: key)
        case .monitorReport(let v): try c.encode(v, forKey: key)
        case .association(let v): try c.encode(v, forKey: key)
        case .count(let v): try c.encode(v, forKey: key)
        case .found(let v): try c.encode(v, forKey: key)
        case .seconds(let v): try c.encode(v, forKey: key)
        case .metrics(let v): try c.encode(v, forKey: key)
        }
    }
}

/// The shapes of the socket's `args` that are not one of the engine's own types.
public enum WireArguments {
    /// No arguments, or no result: `{}`.
    public struct None: Codable, Sendable, Equatable { public init() {} }
    public struct Target: Codable, Sendable {
        public var network: IPAddress; public var prefixLength: Int
        public init(network: IPAddress, prefixLength: Int) { self.network = network; self.prefixLength = prefixLength }
    }
    public struct Keys: Codable, Sendable {
        public var keys: [SymmetricKey]; public var file: String?
        public init(keys: [SymmetricKey], file: String?) { self.keys = keys; self.file = file }
    }
    public struct Trust: Codable, Sendable {
        public var keyIDs: [UInt32]; public var trusted: Bool
        public init(keyIDs: [UInt32], trusted: Bool) { self.keyIDs = keyIDs; self.trusted = trusted }
    }
    public struct Value: Codable, Sendable {
        public var value: Seconds
        public init(value: Seconds) { self.value = value }
    }
}

extension AdminChange {
    /// The change when its arguments are within the grammar's ranges, else why not.
    public func validated() throws(AdminError) -> AdminChange {
        do throws(InvalidSetting) {
            switch self {
            case .addAssociation(let a): return .addAssociation(try a.validated())
            case .replaceAssociation(let a): return .replaceAssociation(try a.validated())
            case .removeAssociations(let host): try AssociationConfiguration.validateHost(host)
            case .setLocalClockStratum(let s): try SettingRanges.check(Int(s), in: SettingRanges.stratum, "stratum")
            case .setEngineConfiguration(let e): return .setEngineConfiguration(try e.validated())
            case .setRestriction(let r): return .setRestriction(try r.validated())
            case .removeRestriction(let network, let prefixLength):
                try SettingRanges.check(prefixLength, in: 0...network.bitWidth, "prefix length")
            case .setSourceRestriction: break
            case .setKeys(let keys, let file):
                try SettingRanges.check(keys.count, in: 0...SettingRanges.keys, "key count")
                return .setKeys(try keys.map { k throws(InvalidSetting) in try k.validated() }, file: file)
            case .setTrusted(let ids, _):
                try SettingRanges.check(ids.count, in: 0...SettingRanges.keys, "key count")
                for id in ids { try SettingRanges.check(Int(id), in: SettingRanges.keyID, "key id") }
            case .setControlKey(let id):
                if let id { try SettingRanges.check(Int(id), in: SettingRanges.keyID, "key id") }
            case .setMonitorSettings(let m): return .setMonitorSettings(try m.validated())
            case .step(let offset), .slew(let offset):
                guard offset.isFinite, (-1e9...1e9).contains(offset.value) else { throw InvalidSetting("an offset of \(offset) is out of range") }
            case .announce(let text):
                guard text.utf8.count <= 1024 else { throw InvalidSetting("an announcement of \(text.utf8.count) bytes is too long (at most 1024)") }
            }
            return self
        } catch {
            throw AdminError(error.description)
        }
    }
}
