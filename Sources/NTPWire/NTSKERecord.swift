/// One record of the NTS Key Establishment protocol (RFC 8915 §4): a critical bit, a 15-bit
/// type and a 16-bit body length, then the body. A message is records up to and including
/// End of Message; ``NTSKEMessage`` parses and encodes whole messages.
public struct NTSKERecord: Hashable, Sendable {
    /// Whether the receiver must understand the record (bit 15 of the first word).
    public var critical: Bool
    public var content: Content

    public init(critical: Bool, _ content: Content) {
        self.critical = critical
        self.content = content
    }

    /// Record types 0–7 (RFC 8915 §4.1) and any other type, kept as it came.
    public enum Content: Hashable, Sendable {
        /// 0: End of Message (empty body; always critical).
        case endOfMessage
        /// 1: NTS Next Protocol Negotiation: protocol ids (0 = NTPv4).
        case nextProtocols([UInt16])
        /// 2: Error: 0 unrecognized critical record, 1 bad request, 2 internal server error.
        case error(UInt16)
        /// 3: Warning.
        case warning(UInt16)
        /// 4: AEAD Algorithm Negotiation: IANA AEAD ids (15 = AEAD_AES_SIV_CMAC_256).
        case aeadAlgorithms([UInt16])
        /// 5: New Cookie for NTPv4: opaque to the client.
        case newCookie([UInt8])
        /// 6: NTPv4 Server Negotiation: an ASCII host name or address.
        case server(String)
        /// 7: NTPv4 Port Negotiation.
        case port(UInt16)
        /// Any other type, with its raw body.
        case other(type: UInt16, body: [UInt8])

        /// The record type number.
        public var type: UInt16 {
            switch self {
            case .endOfMessage: 0
            case .nextProtocols: 1
            case .error: 2
            case .warning: 3
            case .aeadAlgorithms: 4
            case .newCookie: 5
            case .server: 6
            case .port: 7
            case .other(let type, _): type
            }
        }
    }

    /// The ``Content/nextProtocols(_:)`` id of NTPv4.
    public static let protocolNTPv4: UInt16 = 0
    /// Error codes (RFC 8915 §4.1.3).
    public static let errorUnrecognizedCritical: UInt16 = 0
    public static let errorBadRequest: UInt16 = 1
    public static let errorInternal: UInt16 = 2
}

/// Why bytes are not a valid NTS-KE message.
public enum NTSKEError: Error, Hashable, Sendable {
    /// A record's header or body runs past the bytes received (only from ``NTSKEMessage/decode(_:)``,
    /// which is given a whole message; ``NTSKEMessage/scan(_:)`` says "incomplete" instead).
    case truncated(offset: Int)
    /// A record of a known type whose body has the wrong size for it.
    case badBodyLength(type: UInt16, length: Int)
    /// A critical record of a type this implementation does not know.
    case unrecognizedCritical(type: UInt16)
    /// A server name that is empty or not printable ASCII.
    case badServerName
    /// End of Message not marked critical, or with a body.
    case badEndOfMessage
    /// More records than ``NTSKEMessage/maximumRecords``.
    case tooManyRecords
    /// A message longer than ``NTSKEMessage/maximumLength`` without its End of Message.
    case tooLong
    /// Bytes after End of Message.
    case trailingBytes(count: Int)
    /// The bytes ended before End of Message.
    case missingEndOfMessage
}

/// A whole NTS-KE message: records up to End of Message, parsed strictly and with limits.
public enum NTSKEMessage {
    /// The most records one message may hold (8 cookies and the negotiation records fit many times).
    public static let maximumRecords = 64
    /// The most bytes one message may take.
    public static let maximumLength = 16384

    /// What ``scan(_:)`` found in the bytes received so far.
    public enum Scan: Hashable, Sendable {
        /// No End of Message yet and nothing wrong: read more.
        case incomplete
        /// A complete message: its records (End of Message last) and the bytes it took.
        case complete([NTSKERecord], length: Int)
    }

    /// Parses the bytes received so far on an NTS-KE connection: `.incomplete` while the
    /// message may still be completed, the records once End of Message has arrived, or an
    /// error as soon as the bytes cannot start a valid message.
    public static func scan(_ bytes: some Collection<UInt8>) throws(NTSKEError) -> Scan {
        let b = Array(bytes)
        var records: [NTSKERecord] = []
        var offset = 0
        while true {
            guard offset + 4 <= b.count else { break }
            let word = UInt16(b[offset]) << 8 | UInt16(b[offset + 1])
            let length = Int(UInt16(b[offset + 2]) << 8 | UInt16(b[offset + 3]))
            guard offset + 4 + length <= maximumLength else { throw .tooLong }
            guard offset + 4 + length <= b.count else { break }
            let record = try parseRecord(critical: word & 0x8000 != 0, type: word & 0x7fff,
                                         body: b[(offset + 4) ..< (offset + 4 + length)])
            records.append(record)
            guard records.count <= maximumRecords else { throw .tooManyRecords }
            offset += 4 + length
            if record.content == .endOfMessage { return .complete(records, length: offset) }
        }
        guard b.count < maximumLength else { throw .tooLong }
        return .incomplete
    }

    /// Parses exactly one whole message.
    public static func decode(_ bytes: some Collection<UInt8>) throws(NTSKEError) -> [NTSKERecord] {
        let b = Array(bytes)
        switch try scan(b) {
        case .incomplete: throw b.isEmpty ? .missingEndOfMessage : (wholeRecords(b) ? .missingEndOfMessage : .truncated(offset: lastRecordOffset(b)))
        case .complete(let records, let length):
            guard length == b.count else { throw .trailingBytes(count: b.count - length) }
            return records
        }
    }

    /// Encodes records as given (the caller puts End of Message last).
    public static func encode(_ records: [NTSKERecord]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            let body = body(of: record.content)
            let word = record.content.type & 0x7fff | (record.critical ? 0x8000 : 0)
            append16(word, to: &out)
            append16(UInt16(body.count), to: &out)
            out += body
        }
        return out
    }

    private static func parseRecord(critical: Bool, type: UInt16, body: ArraySlice<UInt8>) throws(NTSKEError) -> NTSKERecord {
        func u16s() throws(NTSKEError) -> [UInt16] {
            guard body.count % 2 == 0 else { throw .badBodyLength(type: type, length: body.count) }
            return stride(from: body.startIndex, to: body.endIndex, by: 2).map { UInt16(body[$0]) << 8 | UInt16(body[$0 + 1]) }
        }
        func u16() throws(NTSKEError) -> UInt16 {
            guard body.count == 2 else { throw .badBodyLength(type: type, length: body.count) }
            return UInt16(body[body.startIndex]) << 8 | UInt16(body[body.startIndex + 1])
        }
        let content: NTSKERecord.Content
        switch type {
        case 0:
            guard critical, body.isEmpty else { throw .badEndOfMessage }
            content = .endOfMessage
        case 1: content = .nextProtocols(try u16s())
        case 2: content = .error(try u16())
        case 3: content = .warning(try u16())
        case 4: content = .aeadAlgorithms(try u16s())
        case 5:
            guard !body.isEmpty else { throw .badBodyLength(type: type, length: 0) }
            content = .newCookie(Array(body))
        case 6:
            guard !body.isEmpty, body.count <= 255, body.allSatisfy({ (0x21 ... 0x7e).contains($0) }) else { throw .badServerName }
            content = .server(String(decoding: body, as: Unicode.ASCII.self))
        case 7: content = .port(try u16())
        default:
            guard !critical else { throw .unrecognizedCritical(type: type) }
            content = .other(type: type, body: Array(body))
        }
        return NTSKERecord(critical: critical, content)
    }

    private static func body(of content: NTSKERecord.Content) -> [UInt8] {
        var out: [UInt8] = []
        switch content {
        case .endOfMessage: break
        case .nextProtocols(let ids), .aeadAlgorithms(let ids): for id in ids { append16(id, to: &out) }
        case .error(let code), .warning(let code), .port(let code): append16(code, to: &out)
        case .newCookie(let cookie): out = cookie
        case .server(let name): out = Array(name.utf8)
        case .other(_, let body): out = body
        }
        return out
    }

    private static func append16(_ v: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(v >> 8))
        out.append(UInt8(v & 0xff))
    }

    /// Whether the bytes are whole records (headers and bodies), and where the last one starts.
    private static func wholeRecords(_ b: [UInt8]) -> Bool { lastRecordOffset(b) == b.count }
    private static func lastRecordOffset(_ b: [UInt8]) -> Int {
        var offset = 0
        while offset + 4 <= b.count {
            let length = Int(UInt16(b[offset + 2]) << 8 | UInt16(b[offset + 3]))
            guard offset + 4 + length <= b.count else { return offset }
            offset += 4 + length
        }
        return offset
    }
}
