// NTPNTS: Network Time Security (RFC 8915) for ntpsh, below the shell and the runtime.
//
// - ``NTSAEAD``: AEAD_AES_SIV_CMAC_256/512 (RFC 5297) through OpenSSL 3 (CNTPCrypto).
// - ``NTSCookieKeys`` / ``NTSCookie``: the server's master keys (rotating, kept in a key
//   file written atomically) and the cookie format (key id, nonce, AEAD(C2S ‖ S2C)).
// - ``NTSServer``: an NTS-protected request in, its response (or an NTS NAK) out, as a pure
//   function of the request bytes, the keys and a nonce source.
// - ``NTSClientState``: a client association's cookies, placeholders, refill and NAK handling.
// - ``NTSKEClient``: one NTS-KE session (TLS 1.3 only, ALPN ntske/1, chain and name checked,
//   RFC 8915 key export) with a deadline, to run off the NTP thread.
// - ``NTSKEServer``: NTS-KE on its own poll() thread, bounded connections, per-connection
//   deadlines; cookies sealed under the keys of an ``NTSCookieKeyStore`` shared with NTP.
//
// The codecs (NTS-KE records, the NTS extension fields) are pure Swift in NTPWire. The
// engine core (NTPEngine, NTPWire) never imports this module. See Docs/nts.md.
import NTPWire
import CNTPCrypto

/// An AEAD algorithm NTS-KE negotiates (IANA "AEAD Algorithms" numbers).
public enum NTSAEADAlgorithm: UInt16, Sendable, Hashable, CaseIterable {
    /// AEAD_AES_SIV_CMAC_256: a 32-byte key (two AES-128 keys). Mandatory in RFC 8915.
    case aesSIVCMAC256 = 15
    /// AEAD_AES_SIV_CMAC_512: a 64-byte key (two AES-256 keys).
    case aesSIVCMAC512 = 17

    /// Bytes in a key.
    public var keyLength: Int { self == .aesSIVCMAC256 ? 32 : 64 }
    /// Bytes the synthetic IV adds to a plaintext.
    public static let tagLength = 16
    /// Whether this machine's OpenSSL provides it.
    public var isAvailable: Bool { ntpsh_aead_key_length(Int32(rawValue)) == keyLength }
}

/// Why a seal or an open failed.
public enum NTSAEADError: Error, Hashable, Sendable {
    /// The key is not of the algorithm's length.
    case badKeyLength(expected: Int, got: Int)
    /// The sealed bytes are shorter than the synthetic IV.
    case tooShort(Int)
    /// The synthetic IV does not match: tampered, wrong key, or wrong associated data.
    case notAuthentic
    /// OpenSSL refused (the algorithm is missing from this build).
    case unavailable(NTSAEADAlgorithm)
}

/// One AEAD key: seals and opens with associated data in pieces (RFC 5297's S2V vector; for
/// NTS the nonce is the last piece, RFC 8915 §5.6). Outputs are synthetic IV ‖ ciphertext.
public struct NTSAEAD: Sendable, Hashable {
    public let algorithm: NTSAEADAlgorithm
    public let key: [UInt8]
    /// A long-lived key (a cookie master key): its AES key schedules are kept per thread
    /// (CNTPCrypto keeps the last few such keys), not set up again for every operation.
    public let isKept: Bool

    public init(algorithm: NTSAEADAlgorithm, key: [UInt8], kept: Bool = false) throws(NTSAEADError) {
        guard key.count == algorithm.keyLength else {
            throw .badKeyLength(expected: algorithm.keyLength, got: key.count)
        }
        self.algorithm = algorithm
        self.key = key
        self.isKept = kept
    }

    /// Seals `plain` with `associatedData` pieces in order, writing 16 + plain.count bytes
    /// at the start of `out` (which must hold them). Returns the count written.
    public func seal(_ plain: UnsafeRawBufferPointer, associatedData: [UnsafeRawBufferPointer],
                     into out: UnsafeMutableRawBufferPointer) throws(NTSAEADError) -> Int {
        try key.withUnsafeBytes { k in
            Result { () throws(NTSAEADError) in try Self.seal(algorithm, key: k, kept: isKept, plain, associatedData: associatedData, into: out) }
        }.get()
    }

    /// Opens `sealed` into `out` (which must hold sealed.count - 16 bytes); returns the count.
    public func open(_ sealed: UnsafeRawBufferPointer, associatedData: [UnsafeRawBufferPointer],
                     into out: UnsafeMutableRawBufferPointer) throws(NTSAEADError) -> Int {
        try key.withUnsafeBytes { k in
            Result { () throws(NTSAEADError) in try Self.open(algorithm, key: k, kept: isKept, sealed, associatedData: associatedData, into: out) }
        }.get()
    }

    /// Seals under key bytes held anywhere (the server's session keys live in a stack buffer
    /// for one request); `plain` may be `out` from byte 16 on (sealing in place). The key must
    /// be of the algorithm's length.
    static func seal(_ algorithm: NTSAEADAlgorithm, key: UnsafeRawBufferPointer, kept: Bool,
                     _ plain: UnsafeRawBufferPointer, associatedData: [UnsafeRawBufferPointer],
                     into out: UnsafeMutableRawBufferPointer) throws(NTSAEADError) -> Int {
        let n = withPieces(associatedData) { ad, lengths in
            ntpsh_aead_seal(Int32(algorithm.rawValue), key.baseAddress, key.count, kept ? 1 : 0, ad, lengths,
                            associatedData.count, plain.baseAddress, plain.count, out.baseAddress, out.count)
        }
        guard n >= 0 else { throw .unavailable(algorithm) }
        return Int(n)
    }

    /// Opens under key bytes held anywhere (see ``seal(_:key:kept:_:associatedData:into:)``).
    static func open(_ algorithm: NTSAEADAlgorithm, key: UnsafeRawBufferPointer, kept: Bool,
                     _ sealed: UnsafeRawBufferPointer, associatedData: [UnsafeRawBufferPointer],
                     into out: UnsafeMutableRawBufferPointer) throws(NTSAEADError) -> Int {
        guard sealed.count >= NTSAEADAlgorithm.tagLength else { throw .tooShort(sealed.count) }
        let n = withPieces(associatedData) { ad, lengths in
            ntpsh_aead_open(Int32(algorithm.rawValue), key.baseAddress, key.count, kept ? 1 : 0, ad, lengths,
                            associatedData.count, sealed.baseAddress, sealed.count, out.baseAddress, out.count)
        }
        guard n >= 0 else { throw algorithm.isAvailable ? .notAuthentic : .unavailable(algorithm) }
        return Int(n)
    }

    /// Array conveniences (tests, cookies): seal and open whole arrays.
    public func seal(_ plain: [UInt8], associatedData: [[UInt8]]) throws(NTSAEADError) -> [UInt8] {
        try onArrays(plain, outputCount: plain.count + NTSAEADAlgorithm.tagLength, associatedData) { i, ad, o throws(NTSAEADError) in
            try seal(i, associatedData: ad, into: o)
        }
    }

    public func open(_ sealed: [UInt8], associatedData: [[UInt8]]) throws(NTSAEADError) -> [UInt8] {
        guard sealed.count >= NTSAEADAlgorithm.tagLength else { throw .tooShort(sealed.count) }
        return try onArrays(sealed, outputCount: sealed.count - NTSAEADAlgorithm.tagLength, associatedData) { i, ad, o throws(NTSAEADError) in
            try open(i, associatedData: ad, into: o)
        }
    }

    /// Runs a buffer operation on arrays: `input` and the AD pieces in, `outputCount` bytes out.
    private func onArrays(
        _ input: [UInt8], outputCount: Int, _ associatedData: [[UInt8]],
        _ operation: (UnsafeRawBufferPointer, [UnsafeRawBufferPointer], UnsafeMutableRawBufferPointer) throws(NTSAEADError) -> Int
    ) throws(NTSAEADError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputCount)
        let result: Result<Int, NTSAEADError> = withArrays(associatedData) { ad in
            input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in
                    do throws(NTSAEADError) { return .success(try operation(i, ad, o)) } catch { return .failure(error) }
                }
            }
        }
        _ = try result.get()
        return out
    }
}

/// Calls `body` with C arrays of the pieces' pointers and lengths (at most 8 pieces are kept
/// on the stack; NTS uses one or two).
private func withPieces<R>(_ pieces: [UnsafeRawBufferPointer],
                           _ body: (UnsafePointer<UnsafeRawPointer?>, UnsafePointer<Int>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: max(1, pieces.count)) { pointers in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, pieces.count)) { lengths in
            for (i, p) in pieces.enumerated() {
                // A non-NULL pointer even for an empty piece: OpenSSL reads NULL as "no data".
                pointers[i] = p.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)
                lengths[i] = p.count
            }
            return body(UnsafePointer(pointers.baseAddress!), UnsafePointer(lengths.baseAddress!))
        }
    }
}

/// Calls `body` with the arrays' bytes as buffers that live for the call.
private func withArrays<R>(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
    func go(_ i: Int, _ acc: [UnsafeRawBufferPointer]) -> R {
        if i == arrays.count { return body(acc) }
        return arrays[i].withUnsafeBytes { go(i + 1, acc + [$0]) }
    }
    return go(0, [])
}

/// Random numbers from OpenSSL's per-thread DRBG (seeded and reseeded from the kernel), drawn
/// 256 bytes at a time: the nonces and cookies of NTS replies come from here without a
/// getrandom(2) per 8 bytes, as ``SystemRandomNumberGenerator`` makes, nor OpenSSL's getpid(2)
/// fork check per draw. Falls back to the system generator if OpenSSL fails. Not to be shared
/// across a fork (the daemon does not fork once serving). Never copy one: a copy would hand out
/// the same buffered bytes again (nonces, unique identifiers, cookie keys); keep it in one place.
public struct NTSRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var buffer = [UInt64](repeating: 0, count: 32)
    private var used = 32

    public init() {}

    public mutating func next() -> UInt64 {
        if used == buffer.count {
            let ok = buffer.withUnsafeMutableBytes { ntpsh_random_bytes($0.baseAddress, $0.count) == 0 }
            guard ok else {
                var system = SystemRandomNumberGenerator()
                return system.next()
            }
            used = 0
        }
        defer { used += 1 }
        return buffer[used]
    }
}
