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
    public static let version = 10
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

    public static func decode<T: Decodable>(_ type: T.Type, from payload: [UInt8],
                                            userInfo: [CodingUserInfoKey: any Sendable] = [:]) -> Result<T, ProtocolError> {
        let decoder = JSONDecoder()
        decoder.userInfo = userInfo
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

/// No arguments, or no result: `{}`.
public typealias Nothing = WireArguments.None

/// One connection's state in the engine, handed to every call.
public final class ControlSession {
    public let admin: any AdminAPI
    /// Runs a configuration command in the engine's own runner (the one that read the
    /// configuration file), so every attached shell shares one running configuration.
    public let configure: (_ line: String, _ origin: LineOrigin) -> ShellOutput
    /// Whether a `configure` line only reads (`show running-config`: open to anyone; the
    /// shell's grammar decides).
    public let readsOnly: (_ line: String) -> Bool
    /// The last event this connection was given, or the newest when it connected
    /// (`takeEvents` is per connection; nil: there was none).
    var lastEvent: EngineEvent?
    /// The protocol version the session runs at (what the client said it speaks, at most ours):
    /// what was added later is not sent to an older client.
    public var version = ControlProtocol.version
    /// Carries out `transaction` calls for this connection (the engine host's
    /// ``ConfigurationTransactions``, under its lock); nil: this engine has none.
    public var transact: ((ConfigurationRequest) throws(AdminError) -> ConfigurationAnswer)?
    /// Renders a `metrics` answer as Prometheus text for the `metricsText` call (NTPMetrics'
    /// renderer, above this module; nil: the call answers empty text).
    public var renderMetrics: ((MetricsSnapshot) -> String)?

    /// `events` as this session may see them: a client older than protocol version 9 cannot
    /// read a `configuration` event, so it is not sent one.
    func visible(_ events: [EngineEvent]) -> [EngineEvent] {
        guard version < 9 else { return events }
        return events.filter { if case .configuration = $0.kind { false } else { true } }
    }

    public init(admin: any AdminAPI, readsOnly: @escaping (String) -> Bool,
                configure: @escaping (String, LineOrigin) -> ShellOutput) {
        self.admin = admin
        self.readsOnly = readsOnly
        self.configure = configure
        lastEvent = admin.events().last
    }
}

/// One call of the protocol: its name on the wire, the privilege it needs and what the engine
/// does for it. The table is ``ControlCalls``.
public struct ControlCall<Arguments: Codable & Sendable, Result: Codable & Sendable>: Sendable {
    public let name: String
    let access: @Sendable (ControlSession, Arguments) -> ControlAccess
    let perform: @Sendable (ControlSession, Arguments) throws(AdminError) -> Result

    public init(_ name: String, _ access: ControlAccess,
                _ perform: @escaping @Sendable (ControlSession, Arguments) throws(AdminError) -> Result) {
        self.name = name
        self.access = { _, _ in access }
        self.perform = perform
    }

    init(_ name: String, access: @escaping @Sendable (ControlSession, Arguments) -> ControlAccess,
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
            if access(session, request.args) == .change && !privileged {
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

/// The calls of the protocol: every ``AdminRequest`` (carried by ``request(_:)``, with no code
/// per call), plus the members an engine serves its own way (real time, files, sockets, the
/// per-connection event queue), `configure` (a configuration command run by the engine's runner)
/// and `takeEvents` per connection.
///
/// Adding an admin capability (append-only: never rename or reuse a name): a case in NTPAdmin's
/// `AdminQuery` or `AdminChange` with its call name and `args` (AdminRequest+Wire.swift), its
/// handling in `AdminNode.answer`, its name in ``all``, and a line in Docs/control-protocol.md's
/// table (and bump ``ControlProtocol/version``).
public enum ControlCalls {
    public typealias RestrictTarget = WireArguments.Target
    public struct ConfigureLine: Codable, Sendable { public var line: String; public var origin: LineOrigin
        public init(line: String, origin: LineOrigin) { self.line = line; self.origin = origin } }
    public struct Double1: Codable, Sendable {
        public var value: Double
        public init(_ v: Double) { value = v }
        /// The value when it is finite and within `range`, else an error naming `what`.
        func checked(_ range: ClosedRange<Double>, _ what: String) throws(AdminError) -> Double {
            guard value.isFinite, range.contains(value) else { throw AdminError("\(what) of \(value) is out of range") }
            return value
        }
    }
    public typealias KeysFile = WireArguments.Keys
    public typealias Trust = WireArguments.Trust
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
    public static let uptime = ControlCall<Nothing, Seconds>("uptime", .view) { s, _ in s.admin.uptime() }
    public static let clockKind = ControlCall<Nothing, ClockKind>("clockKind", .view) { s, _ in s.admin.clockKind }
    public static let waitForSync = ControlCall<Double1, Bool>("waitForSync", .view) { s, a throws(AdminError) in
        s.admin.waitForSync(timeout: Seconds(try a.checked(0...86_400, "a timeout")))
    }
    /// Events since this connection's last `takeEvents` (the first time: since it connected).
    public static let takeEvents = ControlCall<Nothing, [EngineEvent]>("takeEvents", .view) { s, _ in
        let all = s.admin.events()
        defer { s.lastEvent = all.last ?? s.lastEvent }
        guard let last = s.lastEvent, let i = all.lastIndex(of: last) else { return s.visible(all) }
        return s.visible(Array(all[(i + 1)...]))
    }

    /// The engine's recent history for `plot`: the last ``historyLoop`` clock updates and
    /// ``historyPeers`` peer samples (a frame stays well under ``ControlProtocol/maxFrame``).
    public static let sampleHistory = ControlCall<Nothing, SampleHistory>("sampleHistory", .view) { s, _ in
        s.admin.sampleHistory().suffix(loop: historyLoop, peers: historyPeers)
    }
    public static let historyLoop = 1024
    public static let historyPeers = 1024

    // Every change validates its arguments before the engine sees them (``valid(_:)``,
    // `AdminChange.validated()`): a client is not trusted to keep the grammar's ranges.
    public static let keyStore = ControlCall<Nothing, KeySummary>("keyStore", .view) { s, _ in KeySummary(s.admin.keyStore()) }
    public static let mruLimit = AdminRequest.mruLimit
    public static let setInterfaceRules = ControlCall<[InterfaceRule], String>("setInterfaceRules", .change) { s, a throws(AdminError) in
        let rules = try valid { () throws(InvalidSetting) in
            try SettingRanges.check(a.count, in: 0...4096, "rule count")
            return try a.map { r throws(InvalidSetting) in try r.validated() }
        }
        return try s.admin.setInterfaceRules(rules)
    }
    public static let hardwareTimestamping = ControlCall<String, String>("hardwareTimestamping", .change) { s, a throws(AdminError) in
        let interface = try valid { () throws(InvalidSetting) in
            try SettingRanges.check(a.utf8.count, in: 1...15, "interface name length")
            return a
        }
        return try s.admin.hardwareTimestamping(interface)
    }
    public static let setDriftFile = ControlCall<String?, String?>("setDriftFile", .change) { s, a in s.admin.setDriftFile(a) }
    public static let setMetrics = ControlCall<SocketAddress?, String>("setMetrics", .change) { s, a throws(AdminError) in
        try s.admin.setMetrics(a)
    }
    /// Protocol versions 6 and earlier: the Prometheus text, rendered here from the `metrics`
    /// answer by the session's renderer (later shells ask `metrics` and render it themselves).
    public static let metricsText = ControlCall<Nothing, String>("metricsText", .view) { s, _ in
        s.renderMetrics?(s.admin.metricsSnapshot()) ?? ""
    }
    public static let setNTS = ControlCall<NTSSettings, String>("setNTS", .change) { s, a throws(AdminError) in try s.admin.setNTS(a) }
    public static let ntsReport = ControlCall<Nothing, NTSReport?>("ntsReport", .view) { s, _ in s.admin.ntsReport() }
    public static let setStatistics = ControlCall<StatisticsSettings, String?>("setStatistics", .change) { s, a in
        s.admin.setStatistics(a)
    }
    /// A configuration command (or `show running-config`, `write`) run by the engine's own
    /// runner: the one running configuration every attached shell shares, written by the engine.
    public static let configure = ControlCall<ConfigureLine, ShellOutput>("configure", access: { s, a in
        s.readsOnly(a.line) ? .view : .change
    }) { s, a in s.configure(a.line, a.origin) }

    /// Transactional configuration (protocol version 9): one call whose `args` is a
    /// ``ConfigurationRequest`` and whose `result` its ``ConfigurationAnswer``. Opening a
    /// candidate, checking one (the engine runs it, reading the files it names) and committing
    /// need the privilege; reading does not.
    public static let transaction = ControlCall<ConfigurationRequest, ConfigurationAnswer>("transaction", access: { _, a in
        switch a {
        case .open, .check, .commit: .change
        case .close, .running, .history, .archived: .view
        }
    }) { s, a throws(AdminError) in
        guard let transact = s.transact else { throw AdminError("this engine keeps no running configuration for transactions") }
        return try transact(a)
    }

    // Actions
    public static let stepNow = ControlCall<Nothing, Seconds>("stepNow", .change) { s, _ throws(AdminError) in try s.admin.stepNow() }

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

    /// The handler of the call `name` that carries an ``AdminRequest``: decodes it, checks the
    /// privilege a change needs, validates it, hands it to the engine's transport and encodes
    /// the answer.
    static func request(_ name: String) -> ControlHandler {
        ControlHandler(name: name) { session, privileged, id, payload in
            let request: AdminRequest
            switch ControlProtocol.decode(WireRequest.self, from: payload) {
            case .success(let r): request = r.request
            case .failure(let e): return .failure(e)
            }
            if request.isChange && !privileged {
                return .success(ControlProtocol.encode(ControlProtocol.Response<Nothing>(
                    id: id, error: "permission denied: changing the engine ('\(name)') needs root, the engine's user or the control socket's group",
                    refused: true)))
            }
            do throws(AdminError) {
                let checked: AdminRequest = switch request {
                case .query: request
                case .change(let change): .change(try change.validated())
                }
                var answer = try session.admin.perform(checked)
                if case .events(let events) = answer { answer = .events(session.visible(events)) }
                return .success(ControlProtocol.encode(WireAnswer(id: id, request: checked, answer: answer)))
            } catch {
                return .success(ControlProtocol.encode(ControlProtocol.Response<Nothing>(id: id, error: error.description)))
            }
        }
    }

    /// ``all`` by name.
    public static let byName: [String: ControlHandler] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// Every call the engine serves, by name.
    /// The order is the welcome's `calls` list, as protocol version 4 sent it.
    public static let all: [ControlHandler] = [
        request("peerReports"), request("systemReport"), request("events"), uptime.handler, clockKind.handler,
        request("engineConfiguration"), request("restrictions"), waitForSync.handler, takeEvents.handler,
        request("addAssociation"), request("removeAssociations"), request("setLocalClockStratum"),
        request("setEngineConfiguration"), request("setRestriction"), request("removeRestriction"), setDriftFile.handler,
        configure.handler, request("step"), stepNow.handler, request("slew"),
        sampleHistory.handler, setStatistics.handler,
        request("setKeys"), request("setTrusted"), request("setControlKey"), keyStore.handler, setInterfaceRules.handler,
        request("monitorSettings"), request("setMonitorSettings"), request("mruEntries"), request("monitorReport"),
        request("replaceAssociation"),
        setMetrics.handler, metricsText.handler, setNTS.handler, ntsReport.handler,
        request("metrics"),
        request("announce"), transaction.handler,
        hardwareTimestamping.handler,
    ]
}


/// A request frame that carries an ``AdminRequest``: `{"id":N,"call":NAME,"args":…}`.
public struct WireRequest: Codable, Sendable {
    public var id: UInt64
    public var request: AdminRequest
    enum CodingKeys: String, CodingKey { case id, call, args }

    public init(id: UInt64, request: AdminRequest) { self.id = id; self.request = request }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UInt64.self, forKey: .id)
        let call = try c.decode(String.self, forKey: .call)
        guard let request = try AdminRequest(call: call, arguments: c, forKey: .args) else {
            throw DecodingError.dataCorruptedError(forKey: .call, in: c, debugDescription: "'\(call)' is not a request")
        }
        self.request = request
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(request.call, forKey: .call)
        try request.encodeArguments(to: &c, forKey: .args)
    }
}

/// The engine's answer to a ``WireRequest``: `{"id":N,"result":…}`; an error is a
/// ``ControlProtocol/Response`` with no result.
public struct WireAnswer: Encodable, Sendable {
    public var id: UInt64
    public var request: AdminRequest
    public var answer: AdminAnswer
    enum CodingKeys: String, CodingKey { case id, result, error }

    public init(id: UInt64, request: AdminRequest, answer: AdminAnswer) { self.id = id; self.request = request; self.answer = answer }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try answer.encodeResult(to: &c, forKey: .result)
    }

    /// The answer to `request`, or the engine's error, from a response frame.
    public static func read(_ payload: [UInt8], answering request: AdminRequest)
        -> Result<Result<AdminAnswer, AdminError>, ControlProtocol.ProtocolError> {
        ControlProtocol.decode(Reading.self, from: payload, userInfo: [requestKey: request]).map(\.result)
    }

    static let requestKey = CodingUserInfoKey(rawValue: "ntpsh.request")!

    struct Reading: Decodable {
        var result: Result<AdminAnswer, AdminError>
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard let request = decoder.userInfo[WireAnswer.requestKey] as? AdminRequest else {
                throw DecodingError.dataCorruptedError(forKey: .result, in: c, debugDescription: "no request to read the answer to")
            }
            if let error = try c.decodeIfPresent(String.self, forKey: .error) { result = .failure(AdminError(error)); return }
            guard c.contains(.result) else { result = .failure(AdminError("'\(request.call)': the engine sent no result")); return }
            result = .success(try request.decodeAnswer(from: c, forKey: .result))
        }
    }
}
