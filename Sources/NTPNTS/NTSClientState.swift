public import NTPWire

/// One client association's NTS state (RFC 8915 §5.7): the session keys from NTS-KE, the
/// cookies held (each used once), the request outstanding. ``request(header:using:)`` wraps the
/// engine's 48-byte request; ``accept(_:)`` checks a response and takes its cookies. When no
/// cookie is left, or after an NTS NAK, ``needsKeyEstablishment`` asks the runtime for a
/// fresh NTS-KE (then ``init(session:cookies:server:port:)`` again).
public struct NTSClientState: Sendable, Hashable {
    /// Cookies kept at most (RFC 8915 recommends 8).
    public static let maximumCookies = 8

    public var session: NTSSessionKeys
    public private(set) var cookies: [[UInt8]]
    /// Where NTS-KE said to send NTP (server and port negotiation records), if it said.
    public var server: String?
    public var port: UInt16?
    /// The unique identifier of the request awaiting its response.
    public private(set) var pendingUniqueIdentifier: [UInt8]?
    /// Set by an NTS NAK; also true when no cookie is left.
    public private(set) var nakReceived = false
    /// Counters for the views.
    public private(set) var responsesAccepted = 0
    public private(set) var responsesRefused = 0

    public init(session: NTSSessionKeys, cookies: [[UInt8]], server: String? = nil, port: UInt16? = nil) {
        self.session = session
        self.cookies = Array(cookies.suffix(Self.maximumCookies))
        self.server = server
        self.port = port
    }

    public var needsKeyEstablishment: Bool { nakReceived || cookies.isEmpty }

    /// The NTS request around `header` (the engine's 48 bytes, transmit timestamp set): a new
    /// unique identifier, the oldest cookie (spent), placeholders asking for enough cookies to
    /// refill to ``maximumCookies``, and the authenticator. Nil when a KE is needed first.
    public mutating func request(header: [UInt8], using random: inout some RandomNumberGenerator) -> [UInt8]? {
        precondition(header.count == NTPHeader.size, "an NTP header is 48 bytes")
        guard !needsKeyEstablishment else { return nil }
        let cookie = cookies.removeFirst()
        let uid = randomBytes(NTSPacketFields.minimumUniqueIdentifierLength, using: &random)
        var packet = header
        NTSPacketFields.appendField(type: NTSPacketFields.uniqueIdentifierType, value: uid, to: &packet)
        NTSPacketFields.appendField(type: NTSPacketFields.cookieType, value: cookie, to: &packet)
        let placeholders = min(Self.maximumCookies - 1, Self.maximumCookies - 1 - cookies.count)
        for _ in 0 ..< max(0, placeholders) {
            NTSPacketFields.appendField(type: NTSPacketFields.cookiePlaceholderType,
                                        value: repeatElement(0, count: cookie.count), to: &packet)
        }
        let nonce = randomBytes(NTSPacketFields.minimumNonceLength, using: &random)
        let tag = try! session.c2s.seal([], associatedData: [packet, nonce])
        packet += NTSPacketFields.authenticatorField(nonce: nonce, ciphertext: tag)
        pendingUniqueIdentifier = uid
        return packet
    }

    /// What a response turned out to be.
    public enum Outcome: Sendable, Hashable {
        /// Authentic: the engine may use the header; `newCookies` were added.
        case authentic(newCookies: Int)
        /// An NTS NAK for our request: the cookies are dropped and a fresh KE is needed.
        case nak
        /// Not for us, or forged: ignore the packet (the engine must not use it).
        case refused(Refusal)
    }

    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        case layout(NTPWireError)
        case fields(NTSFieldError)
        case noRequestPending
        case uniqueIdentifierMismatch
        case missingAuthenticator
        case notAuthentic
        case badEncryptedFields

        /// Why, in words an administrator can act on.
        public var description: String {
            switch self {
            case .layout(let e): "not an NTP packet (\(e))"
            case .fields(let e): "malformed NTS extension fields (\(e))"
            case .noRequestPending: "no NTS request outstanding (a late or replayed reply)"
            case .uniqueIdentifierMismatch: "not the reply to our request (unique identifier differs)"
            case .missingAuthenticator: "no NTS authenticator (an unauthenticated reply)"
            case .notAuthentic: "the NTS authenticator does not verify (forged or altered in transit)"
            case .badEncryptedFields: "the encrypted fields do not parse"
            }
        }
    }

    /// Checks a response to the pending request.
    public mutating func accept(_ packet: [UInt8]) -> Outcome {
        let outcome = packet.withUnsafeBytes { check($0) }
        switch outcome {
        case .authentic: responsesAccepted += 1
        case .nak:
            nakReceived = true
            cookies.removeAll()
        case .refused: responsesRefused += 1
        }
        return outcome
    }

    private mutating func check(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let layout: NTPPacketLayout
        do throws(NTPWireError) { layout = try NTPPacketLayout.scan(bytes) } catch { return .refused(.layout(error)) }
        let fields: NTSPacketFields
        do throws(NTSFieldError) { fields = try NTSPacketFields.scan(bytes, layout: layout) } catch { return .refused(.fields(error)) }
        guard let pending = pendingUniqueIdentifier else { return .refused(.noRequestPending) }
        guard let uid = fields.uniqueIdentifier, bytes[uid].starts(with: pending), uid.count - pending.count < 4
        else { return .refused(.uniqueIdentifierMismatch) }
        guard let auth = fields.authenticator else {
            // An NTS NAK: stratum 0, kiss code NTSN, our unique identifier, no authenticator.
            if bytes[1] == 0, Array(bytes[12 ..< 16]) == Array("NTSN".utf8) {
                pendingUniqueIdentifier = nil
                return .nak
            }
            return .refused(.missingAuthenticator)
        }
        let ad = UnsafeRawBufferPointer(rebasing: bytes[0 ..< auth.fieldOffset])
        let nonce = UnsafeRawBufferPointer(rebasing: bytes[auth.nonce])
        let sealed = UnsafeRawBufferPointer(rebasing: bytes[auth.ciphertext])
        var plain = [UInt8](repeating: 0, count: sealed.count - NTSAEADAlgorithm.tagLength)
        let opened = plain.withUnsafeMutableBytes { out in try? session.s2c.open(sealed, associatedData: [ad, nonce], into: out) }
        guard opened != nil else { return .refused(.notAuthentic) }
        // The plaintext is extension fields; keep the cookies among them.
        var offset = 0
        var fresh: [[UInt8]] = []
        while offset + 4 <= plain.count {
            let type = UInt16(plain[offset]) << 8 | UInt16(plain[offset + 1])
            let length = Int(UInt16(plain[offset + 2]) << 8 | UInt16(plain[offset + 3]))
            guard length >= 4, length % 4 == 0, offset + length <= plain.count else { return .refused(.badEncryptedFields) }
            if type == NTSPacketFields.cookieType { fresh.append(Array(plain[(offset + 4) ..< (offset + length)])) }
            offset += length
        }
        guard offset == plain.count else { return .refused(.badEncryptedFields) }
        pendingUniqueIdentifier = nil
        let room = Self.maximumCookies - cookies.count
        cookies += fresh.prefix(room)
        return .authentic(newCookies: min(room, fresh.count))
    }
}
