public import NTPEngine
public import NTPWire
import FoundationEssentials

/// ntpsh's control protocol: the ``AdminAPI`` over a Unix stream socket, between
/// `ntpsh --daemon --control-socket PATH` (the engine) and `ntpsh --attach PATH` (a shell).
/// Docs/control-protocol.md is its specification; this is the codec both sides share.
///
/// Every message is a frame: a 4-byte big-endian length, then that many bytes of UTF-8 JSON
/// (at most ``maxFrame``). The client speaks first with ``Hello``; the engine answers with
/// ``Welcome`` (or an ``Refusal`` and closes). Then the client sends requests
/// (`{"id":N,"call":NAME,"args":…}`) and the engine answers each, in order, with
/// `{"id":N,"result":…}` or `{"id":N,"error":TEXT}` (plus `"refused":true` when the caller
/// lacks the privilege). The protocol is append-only: new calls and new optional fields may be
/// added; nothing is renamed, removed or given another meaning. ``version`` counts the additions.
public enum ControlProtocol {
    /// The `protocol` word of the hello exchange.
    public static let name = "ntpsh-control"
    /// This side's protocol version; the session runs at the lower of the two sides' versions.
    public static let version = 4
    /// The largest frame either side accepts, bytes (a larger length disconnects the sender).
    public static let maxFrame = 1 << 20
    /// Once a frame has begun, the rest must arrive within this many seconds.
    public static let frameTimeout = 10.0

    /// The client's first frame.
    public struct Hello: Codable, Sendable, Equatable {
        public var `protocol`: String
        public var version: Int
        /// Free text naming the client, for the engine's log.
        public var client: String?
        public init(version: Int = ControlProtocol.version, client: String? = nil) {
            self.protocol = ControlProtocol.name; self.version = version; self.client = client
        }
    }

    /// The engine's answer to ``Hello``.
    public struct Welcome: Codable, Sendable, Equatable {
        public var `protocol`: String
        /// The version the session runs at.
        public var version: Int
        /// The engine's program and version (`ntpsh 0.2.0`).
        public var engine: String
        /// Whether this client may make changes (root, the engine's user, or the socket's group).
        public var privileged: Bool
        /// The calls the engine serves (a newer client can tell what an older engine lacks).
        public var calls: [String]
        public init(version: Int, engine: String, privileged: Bool, calls: [String]) {
            self.protocol = ControlProtocol.name; self.version = version; self.engine = engine
            self.privileged = privileged; self.calls = calls
        }
    }

    /// The engine's answer to a hello it cannot accept; it then closes the connection.
    public struct Refusal: Codable, Sendable, Equatable {
        public var error: String
        public init(_ error: String) { self.error = error }
    }

    /// What a request is, before its arguments are decoded for its call.
    public struct RequestHead: Codable, Sendable { public var id: UInt64; public var call: String }

    public struct Request<Arguments: Codable>: Codable {
        public var id: UInt64
        public var call: String
        public var args: Arguments
        public init(id: UInt64, call: String, args: Arguments) { self.id = id; self.call = call; self.args = args }
    }

    public struct Response<Result: Codable>: Codable {
        public var id: UInt64
        public var result: Result?
        public var error: String?
        /// The call needs a privilege the client lacks.
        public var refused: Bool?
        public init(id: UInt64, result: Result? = nil, error: String? = nil, refused: Bool? = nil) {
            self.id = id; self.result = result; self.error = error; self.refused = refused
        }
    }

    /// Why a frame is not acceptable (the connection is then closed).
    public struct ProtocolError: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// What to tell the client before closing, if anything.
        public var refusal: Refusal?
        public init(_ description: String, refusal: Refusal? = nil) { self.description = description; self.refusal = refusal }
    }

    /// The 4-byte header followed by `payload`.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + payload
    }

    /// The payload length a header announces, or why it is refused.
    public static func length(ofHeader h: [UInt8]) -> Result<Int, ProtocolError> {
        let n = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
        if n > maxFrame { return .failure(ProtocolError("oversize frame: \(n) bytes (at most \(maxFrame))")) }
        if n == 0 { return .failure(ProtocolError("empty frame")) }
        return .success(n)
    }

    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.outputFormatting = [.sortedKeys]
        // Every type sent is made of numbers, strings, arrays and optionals: encoding cannot fail.
        return (try? [UInt8](encoder.encode(value))) ?? Array(#"{"error":"unencodable"}"#.utf8)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from payload: [UInt8]) -> Result<T, ProtocolError> {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return .success(try decoder.decode(type, from: Data(payload)))
        } catch let error as DecodingError {
            return .failure(ProtocolError("not a valid \(String(describing: T.self)): \(Self.describe(error))"))
        } catch {
            return .failure(ProtocolError("not valid JSON: \(error)"))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.isEmpty ? "" : " at " + c.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let c): return c.debugDescription + path(c)
        case .keyNotFound(let key, let c): return "no '\(key.stringValue)'" + path(c)
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return c.debugDescription + path(c)
        @unknown default: return "\(error)"
        }
    }
}

/// What a call needs: views are open to anyone who can connect; changes need the privilege.
public enum ControlAccess: String, Codable, Sendable {
    case view, change
}

/// No arguments, or no result.
public struct Nothing: Codable, Sendable, Equatable { public init() {} }

/// One connection's state in the engine, handed to every call.
public final class ControlSession {
    public let admin: any AdminAPI
    /// Runs a configuration command in the engine's own runner (the one that read the
    /// configuration file), so every attached shell shares one running configuration.
    public let configure: (_ line: String, _ origin: CommandRunner.Origin) -> CommandRunner.Output
    /// The last event this connection was given, or the newest when it connected
    /// (`takeEvents` is per connection; nil: there was none).
    var lastEvent: EngineEvent?

    public init(admin: any AdminAPI, configure: @escaping (String, CommandRunner.Origin) -> CommandRunner.Output) {
        self.admin = admin
        self.configure = configure
        lastEvent = admin.events().last
    }
}

/// One call of the protocol: its name on the wire, the privilege it needs and what the engine
/// does for it. The table is ``ControlCalls``.
public struct ControlCall<Arguments: Codable & Sendable, Result: Codable & Sendable>: Sendable {
    public let name: String
    let access: @Sendable (Arguments) -> ControlAccess
    let perform: @Sendable (ControlSession, Arguments) throws(AdminError) -> Result

    public init(_ name: String, _ access: ControlAccess,
                _ perform: @escaping @Sendable (ControlSession, Arguments) throws(AdminError) -> Result) {
        self.name = name
        self.access = { _ in access }
        self.perform = perform
    }

    init(_ name: String, access: @escaping @Sendable (Arguments) -> ControlAccess,
         _ perform: @escaping @Sendable (ControlSession, Arguments) throws(AdminError) -> Result) {
        self.name = name; self.access = access; self.perform = perform
    }

    /// The engine's side: decodes the request, checks the privilege, runs the call, encodes the
    /// response. A request whose arguments do not decode is a protocol error.
    public var handler: ControlHandler {
        ControlHandler(name: name) { session, privileged, id, payload in
            let request: ControlProtocol.Request<Arguments>
            switch ControlProtocol.decode(ControlProtocol.Request<Arguments>.self, from: payload) {
            case .success(let r): request = r
            case .failure(let e): return .failure(e)
            }
            if access(request.args) == .change && !privileged {
                return .success(ControlProtocol.encode(ControlProtocol.Response<Result>(
                    id: id, error: "permission denied: changing the engine ('\(name)') needs root, the engine's user or the control socket's group",
                    refused: true)))
            }
            do throws(AdminError) {
                let result = try perform(session, request.args)
                return .success(ControlProtocol.encode(ControlProtocol.Response(id: id, result: result)))
            } catch {
                return .success(ControlProtocol.encode(ControlProtocol.Response<Result>(id: id, error: error.description)))
            }
        }
    }
}

/// A call with its types erased, for the engine's dispatch table.
public struct ControlHandler: Sendable {
    public let name: String
    /// (session, privileged, request id, request frame) → response frame, or a protocol error.
    public let handle: @Sendable (ControlSession, Bool, UInt64, [UInt8]) -> Result<[UInt8], ControlProtocol.ProtocolError>
}

/// The calls of protocol version 1, one per ``AdminAPI`` member, plus `configure` (a
/// configuration command run by the engine's runner) and `takeEvents` per connection.
///
/// Adding an AdminAPI method to the protocol (append-only: never rename or reuse a name):
/// 1. a `static let` here — `ControlCall<Args, Result>("name", .view or .change) { s, a in s.admin.method(a) }`,
///    with a small `Codable` struct for several arguments and ``Nothing`` for none;
/// 2. its name in ``all``;
/// 3. the method in NTPRuntime's `RemoteAdmin`: `call(ControlCalls.name, args)`;
/// 4. a line in Docs/control-protocol.md's table (and bump ``ControlProtocol/version``).
public enum ControlCalls {
    public struct RestrictTarget: Codable, Sendable { public var network: IPAddress; public var prefixLength: Int
        public init(network: IPAddress, prefixLength: Int) { self.network = network; self.prefixLength = prefixLength } }
    public struct ConfigureLine: Codable, Sendable { public var line: String; public var origin: CommandRunner.Origin
        public init(line: String, origin: CommandRunner.Origin) { self.line = line; self.origin = origin } }
    public struct Double1: Codable, Sendable {
        public var value: Double
        public init(_ v: Double) { value = v }
        /// The value when it is finite and within `range`, else an error naming `what`.
        func checked(_ range: ClosedRange<Double>, _ what: String) throws(AdminError) -> Double {
            guard value.isFinite, range.contains(value) else { throw AdminError("\(what) of \(value) is out of range") }
            return value
        }
    }
    public struct KeysFile: Codable, Sendable { public var keys: [SymmetricKey]; public var file: String?
        public init(keys: [SymmetricKey], file: String?) { self.keys = keys; self.file = file } }
    public struct Trust: Codable, Sendable { public var keyIDs: [UInt32]; public var trusted: Bool
        public init(keyIDs: [UInt32], trusted: Bool) { self.keyIDs = keyIDs; self.trusted = trusted } }
    /// The key store as views see it: ids, types, trust, control key, file — the secrets are
    /// never sent (they are emptied before encoding).
    public struct KeySummary: Codable, Sendable {
        public var keys: [SymmetricKey]; public var trusted: [UInt32]; public var controlKey: UInt32?
        public var requestKey: UInt32?; public var file: String?
        public init(_ store: KeyStore) {
            keys = store.keys.values.sorted { $0.id < $1.id }.map { SymmetricKey(id: $0.id, algorithm: $0.algorithm, secret: []) }
            trusted = store.trusted.sorted(); controlKey = store.controlKey; requestKey = store.requestKey; file = store.file
        }
        public var store: KeyStore {
            var s = KeyStore()
            s.replaceKeys(keys, file: file)
            s.trusted = Set(trusted); s.controlKey = controlKey; s.requestKey = requestKey
            return s
        }
    }

    // Views
    public static let peerReports = ControlCall<Nothing, [PeerReport]>("peerReports", .view) { s, _ in s.admin.peerReports() }
    public static let systemReport = ControlCall<Nothing, SystemReport>("systemReport", .view) { s, _ in s.admin.systemReport() }
    public static let events = ControlCall<Nothing, [EngineEvent]>("events", .view) { s, _ in s.admin.events() }
    public static let uptime = ControlCall<Nothing, Double>("uptime", .view) { s, _ in s.admin.uptime() }
    public static let clockKind = ControlCall<Nothing, ClockKind>("clockKind", .view) { s, _ in s.admin.clockKind }
    public static let engineConfiguration = ControlCall<Nothing, EngineConfiguration>("engineConfiguration", .view) { s, _ in
        s.admin.engineConfiguration()
    }
    public static let restrictions = ControlCall<Nothing, [RestrictEntry]>("restrictions", .view) { s, _ in s.admin.restrictions() }
    public static let waitForSync = ControlCall<Double1, Bool>("waitForSync", .view) { s, a throws(AdminError) in
        s.admin.waitForSync(timeout: try a.checked(0...86_400, "a timeout"))
    }
    /// Events since this connection's last `takeEvents` (the first time: since it connected).
    public static let takeEvents = ControlCall<Nothing, [EngineEvent]>("takeEvents", .view) { s, _ in
        let all = s.admin.events()
        defer { s.lastEvent = all.last ?? s.lastEvent }
        guard let last = s.lastEvent, let i = all.lastIndex(of: last) else { return all }
        return Array(all[(i + 1)...])
    }

    /// The engine's recent history for `plot`: the last ``historyLoop`` clock updates and
    /// ``historyPeers`` peer samples (a frame stays well under ``ControlProtocol/maxFrame``).
    public static let sampleHistory = ControlCall<Nothing, SampleHistory>("sampleHistory", .view) { s, _ in
        s.admin.sampleHistory().suffix(loop: historyLoop, peers: historyPeers)
    }
    public static let historyLoop = 1024
    public static let historyPeers = 1024

    // Configuration
    // Every change validates its arguments before the engine sees them (``valid(_:)``): a
    // client is not trusted to keep the grammar's ranges.
    public static let addAssociation = ControlCall<AssociationConfiguration, AssociationID>("addAssociation", .change) { s, a throws(AdminError) in
        s.admin.addAssociation(try valid { () throws(InvalidSetting) in try a.validated() })
    }
    public static let removeAssociations = ControlCall<String, Int>("removeAssociations", .change) { s, a throws(AdminError) in
        try valid { () throws(InvalidSetting) in try AssociationConfiguration.validateHost(a) }
        return s.admin.removeAssociations(host: a)
    }
    public static let setLocalClockStratum = ControlCall<UInt8, Nothing>("setLocalClockStratum", .change) { s, a throws(AdminError) in
        try valid { () throws(InvalidSetting) in try SettingRanges.check(Int(a), in: SettingRanges.stratum, "stratum") }
        s.admin.setLocalClockStratum(a); return Nothing()
    }
    public static let setEngineConfiguration = ControlCall<EngineConfiguration, Nothing>("setEngineConfiguration", .change) { s, a throws(AdminError) in
        s.admin.setEngineConfiguration(try valid { () throws(InvalidSetting) in try a.validated() }); return Nothing()
    }
    public static let setRestriction = ControlCall<RestrictEntry, Nothing>("setRestriction", .change) { s, a throws(AdminError) in
        s.admin.setRestriction(try valid { () throws(InvalidSetting) in try a.validated() }); return Nothing()
    }
    public static let removeRestriction = ControlCall<RestrictTarget, Bool>("removeRestriction", .change) { s, a throws(AdminError) in
        try valid { () throws(InvalidSetting) in try SettingRanges.check(a.prefixLength, in: 0...a.network.bitWidth, "prefix length") }
        return s.admin.removeRestriction(network: a.network, prefixLength: a.prefixLength)
    }
    public static let setKeys = ControlCall<KeysFile, Nothing>("setKeys", .change) { s, a throws(AdminError) in
        let keys = try valid { () throws(InvalidSetting) in
            try SettingRanges.check(a.keys.count, in: 0...SettingRanges.keys, "key count")
            return try a.keys.map { k throws(InvalidSetting) in try k.validated() }
        }
        s.admin.setKeys(keys, file: a.file); return Nothing()
    }
    public static let setTrusted = ControlCall<Trust, Nothing>("setTrusted", .change) { s, a throws(AdminError) in
        try valid { () throws(InvalidSetting) in
            try SettingRanges.check(a.keyIDs.count, in: 0...SettingRanges.keys, "key count")
            for id in a.keyIDs { try SettingRanges.check(Int(id), in: SettingRanges.keyID, "key id") }
        }
        s.admin.setTrusted(a.keyIDs, a.trusted); return Nothing()
    }
    public static let setControlKey = ControlCall<UInt32?, Nothing>("setControlKey", .change) { s, a throws(AdminError) in
        if let a { try valid { () throws(InvalidSetting) in try SettingRanges.check(Int(a), in: SettingRanges.keyID, "key id") } }
        s.admin.setControlKey(a); return Nothing()
    }
    public static let keyStore = ControlCall<Nothing, KeySummary>("keyStore", .view) { s, _ in KeySummary(s.admin.keyStore()) }
    public static let monitorSettings = ControlCall<Nothing, MonitorSettings>("monitorSettings", .view) { s, _ in s.admin.monitorSettings() }
    public static let setMonitorSettings = ControlCall<MonitorSettings, Nothing>("setMonitorSettings", .change) { s, a throws(AdminError) in
        s.admin.setMonitorSettings(try valid { () throws(InvalidSetting) in try a.validated() }); return Nothing()
    }
    /// The newest ``mruLimit`` entries of the MRU list, oldest first (a frame stays well under
    /// ``ControlProtocol/maxFrame``; ntpq's mrulist pages through all of it over mode 6).
    public static let mruEntries = ControlCall<Nothing, [MRUEntry]>("mruEntries", .view) { s, _ in
        s.admin.mruEntries(newest: mruLimit)
    }
    public static let mruLimit = 2048
    public static let monitorReport = ControlCall<Nothing, MonitorReport>("monitorReport", .view) { s, _ in s.admin.monitorReport() }
    public static let setInterfaceRules = ControlCall<[InterfaceRule], String>("setInterfaceRules", .change) { s, a throws(AdminError) in
        let rules = try valid { () throws(InvalidSetting) in
            try SettingRanges.check(a.count, in: 0...4096, "rule count")
            return try a.map { r throws(InvalidSetting) in try r.validated() }
        }
        return try s.admin.setInterfaceRules(rules)
    }
    public static let setDriftFile = ControlCall<String?, String?>("setDriftFile", .change) { s, a in s.admin.setDriftFile(a) }
    public static let setStatistics = ControlCall<StatisticsSettings, String?>("setStatistics", .change) { s, a in
        s.admin.setStatistics(a)
    }
    /// A configuration command (or `show running-config`, `write`) run by the engine's own
    /// runner: the one running configuration every attached shell shares, written by the engine.
    public static let configure = ControlCall<ConfigureLine, CommandRunner.Output>("configure", access: { a in
        CommandRunner.isView(a.line) ? .view : .change
    }) { s, a in s.configure(a.line, a.origin) }

    // Actions
    public static let step = ControlCall<Double1, Nothing>("step", .change) { s, a throws(AdminError) in
        try s.admin.step(by: a.checked(-1e9...1e9, "an offset")); return Nothing()
    }
    public static let stepNow = ControlCall<Nothing, Double>("stepNow", .change) { s, _ throws(AdminError) in try s.admin.stepNow() }
    public static let slew = ControlCall<Double1, Double>("slew", .change) { s, a throws(AdminError) in
        try s.admin.slew(by: a.checked(-1e9...1e9, "an offset"))
    }

    /// `body`'s value, or its ``InvalidSetting`` as the call's error.
    static func valid<T>(_ body: () throws(InvalidSetting) -> T) throws(AdminError) -> T {
        do { return try body() } catch { throw AdminError(error.description) }
    }

    /// The engine's answer to a client's first frame: the welcome, or the refusal to send
    /// before closing (in the error), and why. The hello's free text is the caller's to sanitise.
    public static func answer(hello payload: [UInt8], engine: String, privileged: Bool)
        -> Result<(ControlProtocol.Welcome, ControlProtocol.Hello), ControlProtocol.ProtocolError> {
        let hello: ControlProtocol.Hello
        switch ControlProtocol.decode(ControlProtocol.Hello.self, from: payload) {
        case .success(let h): hello = h
        case .failure(let e): return .failure(ControlProtocol.ProtocolError("bad hello: \(e)"))
        }
        guard hello.protocol == ControlProtocol.name, hello.version >= 1 else {
            let refusal = ControlProtocol.Refusal(
                "this is \(ControlProtocol.name) version \(ControlProtocol.version); got '\(hello.protocol)' version \(hello.version)")
            return .failure(ControlProtocol.ProtocolError("hello for '\(hello.protocol)' version \(hello.version)", refusal: refusal))
        }
        let welcome = ControlProtocol.Welcome(version: min(hello.version, ControlProtocol.version), engine: engine,
                                              privileged: privileged, calls: all.map(\.name))
        return .success((welcome, hello))
    }

    /// The engine's answer to one request frame after the hello: the response frame's payload,
    /// or a protocol error (the connection is then closed). An unknown call is an error
    /// response, not a protocol error (a newer client may ask an older engine).
    public static func answer(request payload: [UInt8], session: ControlSession, privileged: Bool)
        -> Result<[UInt8], ControlProtocol.ProtocolError> {
        let head: ControlProtocol.RequestHead
        switch ControlProtocol.decode(ControlProtocol.RequestHead.self, from: payload) {
        case .success(let h): head = h
        case .failure(let e): return .failure(ControlProtocol.ProtocolError("bad request: \(e)"))
        }
        guard let handler = byName[head.call] else {
            return .success(ControlProtocol.encode(ControlProtocol.Response<Nothing>(
                id: head.id, error: "this engine (protocol version \(ControlProtocol.version)) has no call '\(head.call)'")))
        }
        return handler.handle(session, privileged, head.id, payload).mapError { e in
            ControlProtocol.ProtocolError("bad '\(head.call)' request: \(e)")
        }
    }

    /// ``all`` by name.
    public static let byName: [String: ControlHandler] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// Every call the engine serves, by name.
    public static let all: [ControlHandler] = [
        peerReports.handler, systemReport.handler, events.handler, uptime.handler, clockKind.handler,
        engineConfiguration.handler, restrictions.handler, waitForSync.handler, takeEvents.handler,
        addAssociation.handler, removeAssociations.handler, setLocalClockStratum.handler,
        setEngineConfiguration.handler, setRestriction.handler, removeRestriction.handler, setDriftFile.handler,
        configure.handler, step.handler, stepNow.handler, slew.handler,
        sampleHistory.handler, setStatistics.handler,
        setKeys.handler, setTrusted.handler, setControlKey.handler, keyStore.handler, setInterfaceRules.handler,
        monitorSettings.handler, setMonitorSettings.handler, mruEntries.handler, monitorReport.handler,
    ]
}
