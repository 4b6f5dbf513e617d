public import NTPWire

/// The server side of NTS for NTP (RFC 8915 §5.7) as pure functions: ``verify(_:keys:)``
/// reads a request, ``respond(to:header:keys:using:)`` seals the response around the NTP header the
/// engine computed for it, ``nak(to:header:)`` makes an NTS NAK. No I/O, no clock: the
/// runtime calls them on its NTP thread; a plain request costs nothing here (it is never
/// given one: ``verify(_:keys:)`` returns `.notNTS` at the first look).
public enum NTSServer {
    /// What a request is, NTS-wise.
    public enum Verdict: Sendable, Hashable {
        /// No unique identifier, cookie or authenticator: serve it as plain NTP.
        case notNTS
        /// Authentic: respond with ``respond(to:header:keys:using:)``.
        case authentic(Request)
        /// The cookie or the authenticator failed: answer with ``nak(to:header:)``
        /// (RFC 8915 §5.7), and count the reason.
        case nak(Request.UniqueIdentifier, NAKReason)
        /// Malformed NTS fields, or NTS fields without what every NTS request carries: drop.
        case drop(DropReason)
    }

    /// An authentic request, what its response needs.
    public struct Request: Sendable, Hashable {
        public struct UniqueIdentifier: Sendable, Hashable {
            /// The value bytes as sent (padding included): echoed unchanged.
            public var value: [UInt8]
        }
        public var uniqueIdentifier: UniqueIdentifier
        public var session: NTSSessionKeys
        /// Cookies to return: one for the cookie spent, one per placeholder.
        public var cookiesWanted: Int
        /// The master key id the request's cookie was sealed under (an older key than the
        /// current one: the client holds cookies from before a rotation).
        public var cookieKeyID: UInt32
    }

    public enum NAKReason: Sendable, Hashable {
        case cookie(NTSCookieError)
        case authenticator
    }

    public enum DropReason: Sendable, Hashable {
        case layout(NTPWireError)
        case fields(NTSFieldError)
        case missing(String)
        case notClientMode
    }

    /// Reads an NTP request for NTS.
    public static func verify(_ packet: [UInt8], keys: NTSCookieKeys) -> Verdict {
        packet.withUnsafeBytes { verify($0, keys: keys) }
    }

    public static func verify(_ bytes: UnsafeRawBufferPointer, keys: NTSCookieKeys) -> Verdict {
        let layout: NTPPacketLayout
        do throws(NTPWireError) { layout = try NTPPacketLayout.scan(bytes) } catch { return .drop(.layout(error)) }
        guard layout.extensionFieldCount > 0 else { return .notNTS }
        let fields: NTSPacketFields
        do throws(NTSFieldError) { fields = try NTSPacketFields.scan(bytes, layout: layout) } catch { return .drop(.fields(error)) }
        if fields.uniqueIdentifier == nil, fields.cookies.isEmpty, fields.authenticator == nil { return .notNTS }
        guard layout.mode == .client else { return .drop(.notClientMode) }
        guard let uid = fields.uniqueIdentifier else { return .drop(.missing("unique identifier")) }
        guard let cookieRange = fields.cookies.first else { return .drop(.missing("cookie")) }
        guard let auth = fields.authenticator else { return .drop(.missing("authenticator")) }
        let uniqueIdentifier = Request.UniqueIdentifier(value: Array(bytes[uid]))
        // A client sends one cookie; placeholders must be the cookie's size (RFC 8915 §5.5).
        guard fields.cookies.count == 1 else { return .drop(.missing("exactly one cookie")) }
        let session: NTSSessionKeys
        switch NTSCookie.open(bytes[cookieRange], keys: keys) {
        case .success(let s): session = s
        case .failure(let e): return .nak(uniqueIdentifier, .cookie(e))
        }
        let ad = UnsafeRawBufferPointer(rebasing: bytes[0 ..< auth.fieldOffset])
        let nonce = UnsafeRawBufferPointer(rebasing: bytes[auth.nonce])
        let sealed = UnsafeRawBufferPointer(rebasing: bytes[auth.ciphertext])
        let plainCount = sealed.count - NTSAEADAlgorithm.tagLength
        let opened = withUnsafeTemporaryAllocation(byteCount: max(1, plainCount), alignment: 1) { out -> Int? in
            try? session.c2s.open(sealed, associatedData: [ad, nonce], into: out)
        }
        guard opened != nil else { return .nak(uniqueIdentifier, .authenticator) }
        let placeholders = fields.placeholderLengths.filter { $0 == cookieRange.count }.count
        let keyID = bytes[cookieRange.prefix(4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return .authentic(Request(uniqueIdentifier: uniqueIdentifier, session: session, cookiesWanted: 1 + placeholders,
                                  cookieKeyID: keyID))
    }

    /// The response: `header` (the 48 bytes the engine made), the unique identifier echoed, and
    /// an authenticator sealing fresh cookies under the request's S2C key.
    public static func respond(to request: Request, header: [UInt8], keys: NTSCookieKeys,
                               using random: inout some RandomNumberGenerator) -> [UInt8] {
        precondition(header.count == NTPHeader.size, "an NTP header is 48 bytes")
        var packet = header
        NTSPacketFields.appendField(type: NTSPacketFields.uniqueIdentifierType, value: request.uniqueIdentifier.value, to: &packet)
        var plain: [UInt8] = []
        for _ in 0 ..< request.cookiesWanted {
            NTSPacketFields.appendField(type: NTSPacketFields.cookieType,
                                        value: NTSCookie.make(request.session, keys: keys, using: &random), to: &plain)
        }
        let nonce = randomBytes(NTSPacketFields.minimumNonceLength, using: &random)
        let sealed = try! request.session.s2c.seal(plain, associatedData: [packet, nonce])
        packet += NTSPacketFields.authenticatorField(nonce: nonce, ciphertext: sealed)
        return packet
    }

    /// An NTS NAK (RFC 8915 §5.7): `header` with stratum 0 and the kiss code NTSN, and the
    /// unique identifier echoed; no authenticator.
    public static func nak(to uniqueIdentifier: Request.UniqueIdentifier, header: [UInt8]) -> [UInt8] {
        precondition(header.count == NTPHeader.size, "an NTP header is 48 bytes")
        var packet = header
        packet[1] = 0
        packet.replaceSubrange(12 ..< 16, with: Array("NTSN".utf8))
        NTSPacketFields.appendField(type: NTSPacketFields.uniqueIdentifierType, value: uniqueIdentifier.value,
                                    minimumLength: NTPPacketLayout.extensionFieldThreshold, to: &packet)
        return packet
    }
}
