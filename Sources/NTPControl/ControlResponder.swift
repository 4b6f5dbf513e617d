public import NTPEngine
public import NTPWire

/// Answers mode 6 control requests (RFC 9327, ntpd's ntp_control.c) from report snapshots:
/// READSTAT and READVAR, for the system (association 0) and each association. Sans-IO: bytes
/// in, reply datagrams out. It may allocate (it is not on the mode 3 fast path).
///
/// What it never answers: responses, fragments of requests (M bit or an offset), versions
/// outside 1…4, anything that is not mode 6. Replies are bounded: the variable tables are
/// fixed, and the association list is 4 bytes per association.
public enum ControlResponder {
    /// What a reply is built from, taken only for a request that will be answered.
    public struct Snapshot: Sendable {
        public var system: SystemVariableSubject
        public var peers: [PeerVariableSubject]
        /// The engine's event history, oldest first (for the status words' event tallies).
        public var events: [EngineEvent]
        public init(system: SystemVariableSubject, peers: [PeerVariableSubject], events: [EngineEvent]) {
            self.system = system; self.peers = peers; self.events = events
        }
    }

    /// ntpd breaks a text reply's line once it would reach this many characters (MAXDATALINELEN).
    static let maxLineLength = 72

    /// The reply datagrams for `request` (empty: drop it silently). `snapshot` is called at most once.
    public static func respond(to request: some Collection<UInt8>, snapshot: () -> Snapshot) -> [[UInt8]] {
        answer(to: request, context: nil, snapshot: snapshot).replies
    }

    /// What a request got.
    public struct Answer {
        /// The reply datagrams (empty: drop the request silently).
        public var replies: [[UInt8]] = []
        /// The request carried a valid nonce: its source has shown that it receives what is sent
        /// to its address (the mrulist handshake), so the answer may be larger than the request.
        public var proven = false
        /// The answer is a nonce, the handshake's first step.
        public var isNonce = false
        /// The request was signed with the control key (its answers are signed too).
        public var authenticated = false
        /// The answer would have been larger than the request, to a source that has not proven
        /// its address: `replies` is a permission error instead.
        public var refusedAmplification = false
        /// An accepted `:config` (CTL_OP_CONFIGURE): `replies` is empty; the caller runs the text
        /// away from its loop and sends ``PendingConfiguration/replies(_:)`` when it has run.
        public var configuration: PendingConfiguration?
    }

    /// An authenticated `:config` request to run: its text, and how its answer is built once
    /// it ran (signed with the request's key). Configuration work may take long (a DNS name,
    /// the configuration lock): it never runs where mode 3 requests are answered.
    public struct PendingConfiguration: Sendable {
        /// The ntp.conf lines ntpq sent.
        public var text: String
        var request: ControlMessage
        var keyID: UInt32?
        var keys = KeyStore()

        /// The reply datagrams carrying `message` ("Config Succeeded", or the errors), cut to
        /// what ntpq collects (``maxTextFragments``) with a note saying so.
        public func replies(_ message: String) -> [[UInt8]] {
            var reply = ControlMessage(version: request.version, isResponse: true, opcode: request.opcode,
                                       sequence: request.sequence, associationID: request.associationID)
            reply.leap = 0
            let datagrams = ControlResponder.fragments(reply, ControlResponder.capped(Array(message.utf8)), text: false)
            guard let keyID else { return datagrams }
            return ControlResponder.sign(datagrams, keyID: keyID, keys: keys)
        }
    }

    /// The most fragments one reply has: READ_MRU's limit (NTPsec's MRU_FRAGS_LIMIT); the
    /// offsets of 128 full fragments stay below 65,536.
    static let maxFragments = 128
    /// The most fragments of a reply ntpq did not size itself (text, ordered lists): NTPsec's
    /// ntpq gives up past 2 × MAXFRAGS (32) datagrams, ntp.org's ntpq past 32.
    static let maxTextFragments = 32
    /// The data of ``maxTextFragments`` fragments.
    static let maxTextData = maxTextFragments * ControlMessage.maxDataPerFragment

    /// `text` cut to ``maxTextData`` bytes at a line end, with a last line saying how much was cut.
    static func capped(_ text: [UInt8]) -> [UInt8] {
        guard text.count > maxTextData else { return text }
        let keep = maxTextData - 64
        let end = text[..<keep].lastIndex(of: 10).map { $0 + 1 } ?? keep
        return Array(text[..<end]) + Array("... (\(text.count - end) more bytes cut: the reply is limited to \(maxTextData))\n".utf8)
    }

    /// The reply datagrams for `request`, from a source described by `context` (nil: answer
    /// only READSTAT and READVAR of the system and association variables). `snapshot` is
    /// called at most once.
    public static func answer(to request: some Collection<UInt8>, context: ControlContext?, snapshot: () -> Snapshot) -> Answer {
        guard let m = try? ControlMessage(decoding: request) else { return Answer() }
        guard !m.isResponse, !m.isError, !m.hasMore, m.offset == 0 else { return Answer() }
        guard m.version >= 1 && m.version <= 4 else { return Answer() }
        if let context {
            if let keyID = authenticatedKey(Array(request), m, keys: context.keys) {
                var a = answer(m, context: context, authenticated: true, snapshot: snapshot)
                a.replies = sign(a.replies, keyID: keyID, keys: context.keys)
                a.configuration?.keyID = keyID
                a.configuration?.keys = context.keys
                a.authenticated = true
                return a
            }
        }
        return answer(m, context: context, authenticated: false, snapshot: snapshot)
    }

    /// The answer for `request` from `source`, with no amplification (DESIGN.md): an answer
    /// larger than its request goes to a non-loopback source only after the source has proven
    /// its address with the nonce handshake (READ_MRU carries a nonce it received), or when the
    /// request was signed with the control key. Other larger answers (READVAR, READSTAT: ntpd
    /// sends them to anyone) are replaced by a permission error no larger than the request
    /// (``Answer/refusedAmplification``). The one exception is the nonce itself, the
    /// handshake's first step: 44 bytes for a 12-byte request, as ntpd. The daemon and
    /// `--lab --port` both answer through here.
    public static func answer(to request: some Collection<UInt8>, from source: IPAddress, context: ControlContext?,
                              snapshot: () -> Snapshot) -> Answer {
        let local = source.unmapped.isLoopback
        // READSTAT, READVAR and READCLOCK always answer more than their request: from an
        // unproven source they are refused before any snapshot is built (a flood costs no work).
        if !local, let m = try? ControlMessage(decoding: request), !m.isResponse, !m.isError, !m.hasMore, m.offset == 0,
           (1...4).contains(m.version),
           [ControlMessage.Opcode.readStatus, ControlMessage.Opcode.readVariables, ControlMessage.Opcode.readClock].contains(m.opcode),
           context.map({ authenticatedKey(Array(request), m, keys: $0.keys) == nil }) ?? true {
            return Answer(replies: refusal(for: request).map { [$0] } ?? [], refusedAmplification: true)
        }
        var a = answer(to: request, context: context, snapshot: snapshot)
        let size = a.replies.reduce(0) { $0 + $1.count }
        if size > request.count && !local && !a.proven && !a.isNonce && !a.authenticated {
            a.replies = refusal(for: request).map { [$0] } ?? []
            a.refusedAmplification = true
        }
        return a
    }

    private static func answer(_ m: ControlMessage, context: ControlContext?, authenticated: Bool, snapshot: () -> Snapshot) -> Answer {
        if let context {
            switch m.opcode {
            case ControlMessage.Opcode.configure:
                guard authenticated, context.acceptsConfiguration, !context.restrict.contains(.nomodify) else {
                    return Answer(replies: errorReply(m, ControlMessage.ErrorCode.permission))
                }
                let text = String(decoding: m.data.prefix { $0 != 0 }, as: UTF8.self)
                return Answer(configuration: PendingConfiguration(text: text, request: m))
            case ControlMessage.Opcode.readOrderedList:
                guard authenticated else { return Answer(replies: errorReply(m, ControlMessage.ErrorCode.permission)) }
                return Answer(replies: readOrderedList(m, context))
            case ControlMessage.Opcode.requestNonce:
                var reply = ControlMessage(version: m.version, isResponse: true, opcode: m.opcode, sequence: m.sequence)
                reply.leap = 0
                return Answer(replies: fragments(reply, Array(("nonce=" + context.nonce()).utf8), text: true), isNonce: true)
            case ControlMessage.Opcode.readMRU:
                return readMRU(m, context)
            case ControlMessage.Opcode.readVariables where m.associationID == 0:
                // The statistics variables (sysstats, monstats) beside the system variables.
                let systemNames = Set(SystemVariableTable.variables.map(\.name))
                if let names = requestedNames(m.data), names.contains(where: { !systemNames.contains($0) }) {
                    return Answer(replies: readStatistics(m, names: names, context: context, snapshot: snapshot))
                }
            default:
                break
            }
        }
        return Answer(replies: answerCore(m, snapshot: snapshot))
    }

    /// An error reply (permission) no larger than `request`, for answers withheld because they
    /// would amplify; nil when the request is not a control request.
    public static func refusal(for request: some Collection<UInt8>) -> [UInt8]? {
        guard let m = try? ControlMessage(decoding: request), !m.isResponse else { return nil }
        let reply = ControlMessage(
            version: m.version, isResponse: true, isError: true, opcode: m.opcode, sequence: m.sequence,
            status: UInt16(ControlMessage.ErrorCode.permission) << 8, associationID: m.associationID)
        return reply.bytes
    }

    static func errorReply(_ m: ControlMessage, _ code: UInt8) -> [[UInt8]] {
        [ControlMessage(version: m.version, isResponse: true, isError: true, opcode: m.opcode, sequence: m.sequence,
                        status: UInt16(code) << 8, associationID: m.associationID).bytes]
    }

    private static func answerCore(_ m: ControlMessage, snapshot: () -> Snapshot) -> [[UInt8]] {
        let s = snapshot()
        var reply = ControlMessage(
            leap: SystemVariableTable.leap(s.system.report).rawValue, version: m.version, isResponse: true,
            opcode: m.opcode, sequence: m.sequence, associationID: m.associationID)
        func error(_ code: UInt8) -> [[UInt8]] {
            reply.isError = true
            reply.status = UInt16(code) << 8
            return [reply.bytes]
        }
        guard m.data.count <= ControlMessage.maxDataPerFragment else { return error(ControlMessage.ErrorCode.badFormat) }
        let systemWord = SystemStatusWord(s.system.report, events: EventTally.system(s.events)).rawValue

        switch m.opcode {
        case ControlMessage.Opcode.readStatus, ControlMessage.Opcode.readVariables:
            if m.associationID == 0 {
                reply.status = systemWord
                if m.opcode == ControlMessage.Opcode.readStatus {
                    var data: [UInt8] = []
                    for p in s.peers {
                        let id = UInt16(truncatingIfNeeded: p.report.id.rawValue)
                        let word = PeerStatusWord(p.report, events: EventTally.peer(p.report.id, s.events)).rawValue
                        data += [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(word >> 8), UInt8(word & 0xFF)]
                    }
                    return fragments(reply, data, text: false)
                }
                let (values, unknown) = SystemVariableTable.values(s.system, names: requestedNames(m.data))
                guard unknown.isEmpty else { return error(ControlMessage.ErrorCode.unknownVariable) }
                return fragments(reply, text(values), text: true)
            }
            guard let peer = s.peers.first(where: { UInt16(truncatingIfNeeded: $0.report.id.rawValue) == m.associationID }) else {
                return error(ControlMessage.ErrorCode.badAssociation)
            }
            reply.status = PeerStatusWord(peer.report, events: EventTally.peer(peer.report.id, s.events)).rawValue
            // READSTAT of one association answers as READVAR with the defaults (ntpd's read_status).
            let names = m.opcode == ControlMessage.Opcode.readStatus ? nil : requestedNames(m.data)
            let (values, unknown) = PeerVariableTable.values(peer, names: names)
            guard unknown.isEmpty else { return error(ControlMessage.ErrorCode.unknownVariable) }
            return fragments(reply, text(values), text: true)
        case ControlMessage.Opcode.readClock:
            // The local clock driver (LOCAL(0)) is the only reference clock.
            let id = m.associationID == 0 ? s.system.report.variables.systemPeer.map { UInt16(truncatingIfNeeded: $0.rawValue) } : m.associationID
            guard let peer = s.peers.first(where: { UInt16(truncatingIfNeeded: $0.report.id.rawValue) == id }),
                  peer.report.kind == .localClock else {
                return error(ControlMessage.ErrorCode.badAssociation)
            }
            reply.associationID = UInt16(truncatingIfNeeded: peer.report.id.rawValue)
            reply.status = 0
            let (values, unknown) = ClockVariableTable.values(peer, names: requestedNames(m.data))
            guard unknown.isEmpty else { return error(ControlMessage.ErrorCode.unknownVariable) }
            return fragments(reply, text(values), text: true)
        case ControlMessage.Opcode.readOrderedList:
            // ifstats and reslist need an authenticated request (as NTPsec); this server has no keys yet.
            return error(ControlMessage.ErrorCode.permission)
        case ControlMessage.Opcode.writeVariables, ControlMessage.Opcode.writeClock, ControlMessage.Opcode.setTrap,
             ControlMessage.Opcode.unsetTrap, ControlMessage.Opcode.configure, ControlMessage.Opcode.saveConfig:
            // These need an authenticated request; this server has no keys.
            return error(ControlMessage.ErrorCode.permission)
        default:
            return error(ControlMessage.ErrorCode.badOpcode)
        }
    }

    /// The names a READVAR asks for (`name`, `name=value`, separated by commas and blanks);
    /// nil when it names none (the defaults).
    static func requestedNames(_ data: [UInt8]) -> [String]? {
        let names = requestedPairs(data).map(\.0)
        return names.isEmpty ? nil : names
    }

    /// `name=value` items as ctl_putdata joins them: `, ` between items, `,\r\n` instead once a
    /// line would reach 72 characters.
    static func text(_ values: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        var lineLength = 0
        for (i, (name, value)) in values.enumerated() {
            let item = Array((name + "=" + value).utf8)
            if i > 0 {
                out.append(UInt8(ascii: ",")); lineLength += 1
                if item.count + lineLength + 1 >= maxLineLength {
                    out += [13, 10]; lineLength = 0
                } else {
                    out.append(UInt8(ascii: " ")); lineLength += 1
                }
            }
            out += item; lineLength += item.count
        }
        return out
    }

    /// Splits `data` into fragments of at most 468 bytes (M bit on all but the last, offset of
    /// each); a text reply ends with `\r\n` when the last fragment has room (ctl_flushpkt).
    /// At most ``maxFragments`` fragments: data beyond is cut (callers whose data may grow,
    /// such as lists and `:config` errors, cut it themselves first and say so).
    static func fragments(_ header: ControlMessage, _ data: [UInt8], text: Bool) -> [[UInt8]] {
        let size = ControlMessage.maxDataPerFragment
        let data = data.count > maxFragments * size ? Array(data[..<(maxFragments * size)]) : data
        var chunks: [[UInt8]] = stride(from: 0, to: data.count, by: size).map { Array(data[$0..<min($0 + size, data.count)]) }
        if chunks.isEmpty { chunks = [[]] }
        if text && !data.isEmpty && chunks[chunks.count - 1].count + 2 < size { chunks[chunks.count - 1] += [13, 10] }
        var out: [[UInt8]] = []
        var offset = 0
        for (i, chunk) in chunks.enumerated() {
            var m = header
            m.hasMore = i < chunks.count - 1
            m.offset = UInt16(offset)
            m.data = chunk
            out.append(m.bytes)
            offset += chunk.count
        }
        return out
    }
}
