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

    public enum NAKReason: Error, Sendable, Hashable {
        case cookie(NTSCookieError)
        case authenticator
    }

    public enum DropReason: Sendable, Hashable {
        case layout(NTPWireError)
        case fields(NTSFieldError)
        case missing(String)
        case notClientMode
    }

    /// Where an NTS request's fields lie, found without any cryptography (``classify(_:)``):
    /// the daemon runs restrict and the rate limit between finding them and opening the
    /// cookie, so a refused client costs no AES-SIV.
    public struct Candidate: Sendable, Hashable {
        public var uniqueIdentifier: Range<Int>
        public var cookie: Range<Int>
        public var authenticator: NTSPacketFields.Authenticator
        /// Placeholders of the cookie's size (each asks for one more cookie).
        public var placeholders: Int
        /// The master key id the cookie names (its first four bytes).
        public var cookieKeyID: UInt32
    }

    public enum Classification: Sendable, Hashable {
        case notNTS
        case drop(DropReason)
        case nts(Candidate)
    }

    /// Finds a request's NTS fields: `.notNTS` at the first look for a plain request.
    public static func classify(_ bytes: UnsafeRawBufferPointer) -> Classification {
        let layout: NTPPacketLayout
        do throws(NTPWireError) { layout = try NTPPacketLayout.scan(bytes) } catch { return .drop(.layout(error)) }
        guard layout.extensionFieldCount > 0 else { return .notNTS }
        let fields: NTSPacketFields
        do throws(NTSFieldError) { fields = try NTSPacketFields.scan(bytes, layout: layout) } catch { return .drop(.fields(error)) }
        if fields.uniqueIdentifier == nil, fields.cookies.isEmpty, fields.authenticator == nil { return .notNTS }
        guard layout.mode == .client else { return .drop(.notClientMode) }
        guard let uid = fields.uniqueIdentifier else { return .drop(.missing("unique identifier")) }
        guard let cookie = fields.cookies.first else { return .drop(.missing("cookie")) }
        guard let auth = fields.authenticator else { return .drop(.missing("authenticator")) }
        // A client sends one cookie; placeholders must be the cookie's size (RFC 8915 §5.5).
        guard fields.cookies.count == 1 else { return .drop(.missing("exactly one cookie")) }
        let keyID = cookie.count >= 4 ? UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: cookie.lowerBound, as: UInt32.self)) : 0
        return .nts(Candidate(uniqueIdentifier: uid, cookie: cookie, authenticator: auth,
                              placeholders: fields.placeholderLengths.count(where: { $0 == cookie.count }), cookieKeyID: keyID))
    }

    /// Opens a candidate's cookie into `sessionKeys` (at least 128 bytes: C2S ‖ S2C) and checks
    /// its authenticator: the session's AEAD, or why the request gets a NAK.
    static func open(_ bytes: UnsafeRawBufferPointer, _ candidate: Candidate, keys: NTSCookieKeys,
                     sessionKeys: UnsafeMutableRawBufferPointer) -> Result<NTSAEADAlgorithm, NAKReason> {
        let algorithm: NTSAEADAlgorithm
        switch NTSCookie.open(UnsafeRawBufferPointer(rebasing: bytes[candidate.cookie]), keys: keys, into: sessionKeys) {
        case .success(let a): algorithm = a
        case .failure(let e): return .failure(.cookie(e))
        }
        let auth = candidate.authenticator
        let ad = UnsafeRawBufferPointer(rebasing: bytes[0 ..< auth.fieldOffset])
        let nonce = UnsafeRawBufferPointer(rebasing: bytes[auth.nonce])
        let sealed = UnsafeRawBufferPointer(rebasing: bytes[auth.ciphertext])
        let c2s = UnsafeRawBufferPointer(rebasing: sessionKeys[0 ..< algorithm.keyLength])
        let opened = withUnsafeTemporaryAllocation(byteCount: max(1, sealed.count - NTSAEADAlgorithm.tagLength), alignment: 1) { out in
            try? NTSAEAD.open(algorithm, key: c2s, kept: false, sealed, associatedData: [ad, nonce], into: out)
        }
        return opened == nil ? .failure(.authenticator) : .success(algorithm)
    }

    /// The longest answer to `candidate` (a response with all its cookies, of the longest
    /// AEAD's size; a NAK is shorter): the buffer ``answer(_:_:keys:using:into:)`` needs.
    public static func answerCapacity(_ candidate: Candidate) -> Int {
        let cookies = (1 + candidate.placeholders) * cookieFieldLength(.aesSIVCMAC512)
        return NTPHeader.size + uniqueIdentifierFieldLength(candidate.uniqueIdentifier.count, last: false)
            + authenticatorFieldLength(ciphertext: NTSAEADAlgorithm.tagLength + cookies)
    }

    /// What ``answer(_:_:keys:using:into:)`` wrote.
    public enum Answer: Sendable, Hashable {
        /// A response with `cookies` fresh cookies, `length` bytes.
        case authentic(length: Int, cookies: Int)
        /// An NTS NAK (the cookie or the authenticator failed), `length` bytes.
        case nak(NAKReason, length: Int)
    }

    /// Opens `candidate`'s cookie and authenticator and writes the answer into `out`, whose
    /// first 48 bytes are the header the engine made for the request (its transmit timestamp
    /// in: it is sealed): a response with fresh cookies sealed under the S2C key, or an NTS NAK
    /// (stratum 0, kiss code NTSN, the unique identifier echoed). `out` must hold
    /// ``answerCapacity(_:)`` bytes. The session keys live on the stack and are wiped; nothing
    /// is allocated.
    public static func answer(_ request: UnsafeRawBufferPointer, _ candidate: Candidate, keys: NTSCookieKeys,
                              using random: inout some RandomNumberGenerator,
                              into out: UnsafeMutableRawBufferPointer) -> Answer {
        precondition(out.count >= answerCapacity(candidate), "NTSServer.answer: the buffer cannot hold the answer")
        return withUnsafeTemporaryAllocation(byteCount: 2 * NTSAEADAlgorithm.aesSIVCMAC512.keyLength, alignment: 8) { sessionKeys in
            defer { sessionKeys.initializeMemory(as: UInt8.self, repeating: 0) }
            let uid = UnsafeRawBufferPointer(rebasing: request[candidate.uniqueIdentifier])
            switch open(request, candidate, keys: keys, sessionKeys: sessionKeys) {
            case .failure(let reason):
                return .nak(reason, length: writeNAK(uniqueIdentifier: uid, into: out))
            case .success(let algorithm):
                let cookies = 1 + candidate.placeholders
                let length = writeResponse(uniqueIdentifier: uid, algorithm: algorithm,
                                           sessionKeys: UnsafeRawBufferPointer(rebasing: sessionKeys[0 ..< 2 * algorithm.keyLength]),
                                           cookies: cookies, keys: keys, using: &random, into: out)
                return .authentic(length: length, cookies: cookies)
            }
        }
    }

    /// The server's whole path for one request once its NTS fields are found: `header` writes
    /// the engine's 48-byte header into `out` (restrict, rate limit, MRU: the daemon's
    /// responder) and returns false to drop the request; only then are the cookie and the
    /// authenticator opened (``answer(_:_:keys:using:into:)``). A refused or rate-limited
    /// client costs no AES-SIV. Nil when `header` dropped it.
    public static func answer(_ request: UnsafeRawBufferPointer, _ candidate: Candidate, keys: NTSCookieKeys,
                              using random: inout some RandomNumberGenerator, into out: UnsafeMutableRawBufferPointer,
                              header: (UnsafeMutableRawBufferPointer) -> Bool) -> Answer? {
        guard header(out) else { return nil }
        return answer(request, candidate, keys: keys, using: &random, into: out)
    }

    static func cookieFieldLength(_ algorithm: NTSAEADAlgorithm) -> Int {
        max(ExtensionField.minimumLength, NTSPacketFields.padded(4 + NTSCookie.length(algorithm)))
    }

    static func uniqueIdentifierFieldLength(_ valueCount: Int, last: Bool) -> Int {
        max(last ? NTPPacketLayout.extensionFieldThreshold : ExtensionField.minimumLength, NTSPacketFields.padded(4 + valueCount))
    }

    static func authenticatorFieldLength(ciphertext: Int) -> Int {
        max(NTPPacketLayout.extensionFieldThreshold,
            NTSPacketFields.padded(8 + NTSPacketFields.padded(NTSPacketFields.minimumNonceLength) + ciphertext))
    }

    /// Writes an extension field's header at `offset` and zeroes its value; returns the value's offset.
    private static func fieldHeader(_ type: UInt16, length: Int, at offset: Int, in out: UnsafeMutableRawBufferPointer) -> Int {
        out.storeBytes(of: type.bigEndian, toByteOffset: offset, as: UInt16.self)
        out.storeBytes(of: UInt16(length).bigEndian, toByteOffset: offset + 2, as: UInt16.self)
        UnsafeMutableRawBufferPointer(rebasing: out[offset + 4 ..< offset + length]).initializeMemory(as: UInt8.self, repeating: 0)
        return offset + 4
    }

    /// The unique identifier field at byte 48; returns the offset after it.
    private static func writeUniqueIdentifier(_ uid: UnsafeRawBufferPointer, last: Bool, into out: UnsafeMutableRawBufferPointer) -> Int {
        let length = uniqueIdentifierFieldLength(uid.count, last: last)
        let value = fieldHeader(NTSPacketFields.uniqueIdentifierType, length: length, at: NTPHeader.size, in: out)
        UnsafeMutableRawBufferPointer(rebasing: out[value ..< value + uid.count]).copyMemory(from: uid)
        return NTPHeader.size + length
    }

    /// The NAK after the header in `out`; returns its length.
    static func writeNAK(uniqueIdentifier uid: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        out[1] = 0
        out.storeBytes(of: UInt32(0x4E54_534E).bigEndian, toByteOffset: 12, as: UInt32.self)  // "NTSN"
        return writeUniqueIdentifier(uid, last: true, into: out)
    }

    /// The response after the header in `out`: the unique identifier, then the authenticator
    /// around `cookies` cookie fields sealed in place under the S2C key (the second half of
    /// `sessionKeys`); returns its length.
    static func writeResponse(uniqueIdentifier uid: UnsafeRawBufferPointer, algorithm: NTSAEADAlgorithm,
                              sessionKeys: UnsafeRawBufferPointer, cookies: Int, keys: NTSCookieKeys,
                              using random: inout some RandomNumberGenerator, into out: UnsafeMutableRawBufferPointer) -> Int {
        let authOffset = writeUniqueIdentifier(uid, last: false, into: out)
        let cookieField = cookieFieldLength(algorithm)
        let nonceLength = NTSPacketFields.minimumNonceLength
        let plainCount = cookies * cookieField
        let ciphertextCount = NTSAEADAlgorithm.tagLength + plainCount
        let authLength = authenticatorFieldLength(ciphertext: ciphertextCount)
        let value = fieldHeader(NTSPacketFields.authenticatorType, length: authLength, at: authOffset, in: out)
        out.storeBytes(of: UInt16(nonceLength).bigEndian, toByteOffset: value, as: UInt16.self)
        out.storeBytes(of: UInt16(ciphertextCount).bigEndian, toByteOffset: value + 2, as: UInt16.self)
        let nonce = UnsafeMutableRawBufferPointer(rebasing: out[value + 4 ..< value + 4 + nonceLength])
        fillRandom(nonce, using: &random)
        let sealedAt = value + 4 + NTSPacketFields.padded(nonceLength)
        // The cookie fields are written where their ciphertext goes and sealed in place.
        var at = sealedAt + NTSAEADAlgorithm.tagLength
        for _ in 0 ..< cookies {
            let v = fieldHeader(NTSPacketFields.cookieType, length: cookieField, at: at, in: out)
            _ = NTSCookie.seal(sessionKeys: sessionKeys, keys: keys, using: &random,
                               into: UnsafeMutableRawBufferPointer(rebasing: out[v ..< at + cookieField]))
            at += cookieField
        }
        let plain = UnsafeRawBufferPointer(rebasing: out[sealedAt + NTSAEADAlgorithm.tagLength ..< sealedAt + ciphertextCount])
        let s2c = UnsafeRawBufferPointer(rebasing: sessionKeys[algorithm.keyLength ..< 2 * algorithm.keyLength])
        _ = try! NTSAEAD.seal(algorithm, key: s2c, kept: false, plain,
                              associatedData: [UnsafeRawBufferPointer(rebasing: out[0 ..< authOffset]), UnsafeRawBufferPointer(nonce)],
                              into: UnsafeMutableRawBufferPointer(rebasing: out[sealedAt ..< sealedAt + ciphertextCount]))
        return authOffset + authLength
    }

    /// Reads an NTP request for NTS.
    public static func verify(_ packet: [UInt8], keys: NTSCookieKeys) -> Verdict {
        packet.withUnsafeBytes { verify($0, keys: keys) }
    }

    public static func verify(_ bytes: UnsafeRawBufferPointer, keys: NTSCookieKeys) -> Verdict {
        let candidate: Candidate
        switch classify(bytes) {
        case .notNTS: return .notNTS
        case .drop(let reason): return .drop(reason)
        case .nts(let c): candidate = c
        }
        let uniqueIdentifier = Request.UniqueIdentifier(value: Array(bytes[candidate.uniqueIdentifier]))
        return withUnsafeTemporaryAllocation(byteCount: 2 * NTSAEADAlgorithm.aesSIVCMAC512.keyLength, alignment: 8) { sessionKeys in
            defer { sessionKeys.initializeMemory(as: UInt8.self, repeating: 0) }
            switch open(bytes, candidate, keys: keys, sessionKeys: sessionKeys) {
            case .failure(let reason): return .nak(uniqueIdentifier, reason)
            case .success(let algorithm):
                let n = algorithm.keyLength
                let session = NTSSessionKeys(c2s: try! NTSAEAD(algorithm: algorithm, key: Array(sessionKeys[0 ..< n])),
                                             s2c: try! NTSAEAD(algorithm: algorithm, key: Array(sessionKeys[n ..< 2 * n])))
                return .authentic(Request(uniqueIdentifier: uniqueIdentifier, session: session,
                                          cookiesWanted: 1 + candidate.placeholders, cookieKeyID: candidate.cookieKeyID))
            }
        }
    }

    /// The response: `header` (the 48 bytes the engine made), the unique identifier echoed, and
    /// an authenticator sealing fresh cookies under the request's S2C key.
    public static func respond(to request: Request, header: [UInt8], keys: NTSCookieKeys,
                               using random: inout some RandomNumberGenerator) -> [UInt8] {
        precondition(header.count == NTPHeader.size, "an NTP header is 48 bytes")
        let sessionKeys = request.session.c2s.key + request.session.s2c.key
        let capacity = NTPHeader.size + uniqueIdentifierFieldLength(request.uniqueIdentifier.value.count, last: false)
            + authenticatorFieldLength(ciphertext: NTSAEADAlgorithm.tagLength + request.cookiesWanted * cookieFieldLength(request.session.algorithm))
        var packet = header + [UInt8](repeating: 0, count: capacity - NTPHeader.size)
        let length = request.uniqueIdentifier.value.withUnsafeBytes { uid in
            sessionKeys.withUnsafeBytes { k in
                packet.withUnsafeMutableBytes { out in
                    writeResponse(uniqueIdentifier: uid, algorithm: request.session.algorithm, sessionKeys: k,
                                  cookies: request.cookiesWanted, keys: keys, using: &random, into: out)
                }
            }
        }
        precondition(length == capacity)
        return packet
    }

    /// An NTS NAK (RFC 8915 §5.7): `header` with stratum 0 and the kiss code NTSN, and the
    /// unique identifier echoed; no authenticator.
    public static func nak(to uniqueIdentifier: Request.UniqueIdentifier, header: [UInt8]) -> [UInt8] {
        precondition(header.count == NTPHeader.size, "an NTP header is 48 bytes")
        var packet = header + [UInt8](repeating: 0, count: uniqueIdentifierFieldLength(uniqueIdentifier.value.count, last: true))
        _ = uniqueIdentifier.value.withUnsafeBytes { uid in
            packet.withUnsafeMutableBytes { writeNAK(uniqueIdentifier: uid, into: $0) }
        }
        return packet
    }
}
