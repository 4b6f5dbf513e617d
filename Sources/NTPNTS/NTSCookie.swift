/// The keys one NTS-KE session exported (RFC 8915 §4.3): client-to-server and server-to-client.
public struct NTSSessionKeys: Sendable, Hashable {
    public var c2s: NTSAEAD
    public var s2c: NTSAEAD

    public init(c2s: NTSAEAD, s2c: NTSAEAD) {
        precondition(c2s.algorithm == s2c.algorithm, "C2S and S2C must share the AEAD")
        self.c2s = c2s
        self.s2c = s2c
    }

    public var algorithm: NTSAEADAlgorithm { c2s.algorithm }
}

/// A cookie as chrony and NTPsec make them: the master key's id (4 bytes, big-endian), a
/// 16-byte nonce, then AEAD(master key; AD = nonce; C2S ‖ S2C) with the synthetic IV first.
/// The session's AEAD follows from the keys' length (64 bytes: SIV-CMAC-256, 128: -512), so
/// an AES-SIV-CMAC-256 cookie is 4 + 16 + 16 + 64 = 100 bytes, as chrony's.
public enum NTSCookie {
    public static let nonceLength = 16

    /// A cookie's length for a session of `algorithm`.
    public static func length(_ algorithm: NTSAEADAlgorithm) -> Int {
        4 + nonceLength + NTSAEADAlgorithm.tagLength + 2 * algorithm.keyLength
    }

    /// Seals the session keys under the current master key.
    public static func make(_ session: NTSSessionKeys, keys: NTSCookieKeys,
                            using random: inout some RandomNumberGenerator) -> [UInt8] {
        let sessionKeys = session.c2s.key + session.s2c.key
        var out = [UInt8](repeating: 0, count: length(session.algorithm))
        _ = sessionKeys.withUnsafeBytes { k in
            out.withUnsafeMutableBytes { seal(sessionKeys: k, keys: keys, using: &random, into: $0) }
        }
        return out
    }

    /// Seals session keys (C2S ‖ S2C, 64 or 128 bytes) under the current master key into the
    /// start of `out` (which must hold 36 + their count bytes); returns the cookie's length.
    static func seal(sessionKeys: UnsafeRawBufferPointer, keys: NTSCookieKeys,
                     using random: inout some RandomNumberGenerator, into out: UnsafeMutableRawBufferPointer) -> Int {
        let master = keys.current
        out.storeBytes(of: master.id.bigEndian, toByteOffset: 0, as: UInt32.self)
        let nonce = UnsafeMutableRawBufferPointer(rebasing: out[4 ..< 4 + nonceLength])
        fillRandom(nonce, using: &random)
        let n = try! master.aead.seal(sessionKeys, associatedData: [UnsafeRawBufferPointer(nonce)],
                                      into: UnsafeMutableRawBufferPointer(rebasing: out[(4 + nonceLength)...]))
        return 4 + nonceLength + n
    }

    /// Opens a cookie: the session keys, or why not.
    public static func open(_ cookie: some Collection<UInt8>, keys: NTSCookieKeys) -> Result<NTSSessionKeys, NTSCookieError> {
        let c = Array(cookie)
        return c.withUnsafeBytes { bytes in
            withUnsafeTemporaryAllocation(byteCount: 2 * NTSAEADAlgorithm.aesSIVCMAC512.keyLength, alignment: 1) { plain in
                defer { plain.initializeMemory(as: UInt8.self, repeating: 0) }
                switch open(bytes, keys: keys, into: plain) {
                case .failure(let e): return .failure(e)
                case .success(let algorithm):
                    let half = algorithm.keyLength
                    return .success(NTSSessionKeys(c2s: try! NTSAEAD(algorithm: algorithm, key: Array(plain[..<half])),
                                                   s2c: try! NTSAEAD(algorithm: algorithm, key: Array(plain[half ..< 2 * half]))))
                }
            }
        }
    }

    /// Opens a cookie into `plain` (at least 128 bytes): C2S ‖ S2C at its start, and the
    /// session's AEAD (from the keys' length), or why not. Nothing of ours is allocated.
    static func open(_ cookie: UnsafeRawBufferPointer, keys: NTSCookieKeys,
                     into plain: UnsafeMutableRawBufferPointer) -> Result<NTSAEADAlgorithm, NTSCookieError> {
        let sealedCount = cookie.count - 4 - nonceLength
        guard cookie.count >= length(.aesSIVCMAC256), sealedCount - NTSAEADAlgorithm.tagLength <= plain.count else {
            return .failure(.malformed)
        }
        let id = UInt32(bigEndian: cookie.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        guard let master = keys.key(id: id) else { return .failure(.unknownKey(id)) }
        let nonce = UnsafeRawBufferPointer(rebasing: cookie[4 ..< 4 + nonceLength])
        let count: Int
        do throws(NTSAEADError) {
            count = try master.aead.open(UnsafeRawBufferPointer(rebasing: cookie[(4 + nonceLength)...]), associatedData: [nonce],
                                         into: plain)
        } catch { return .failure(.notAuthentic) }
        switch count {
        case 2 * NTSAEADAlgorithm.aesSIVCMAC256.keyLength: return .success(.aesSIVCMAC256)
        case 2 * NTSAEADAlgorithm.aesSIVCMAC512.keyLength: return .success(.aesSIVCMAC512)
        default: return .failure(.malformed)
        }
    }
}

/// Why a cookie was refused.
public enum NTSCookieError: Error, Hashable, Sendable {
    /// Too short, or keys of no known AEAD's length.
    case malformed
    /// Sealed under a master key no longer kept (or never ours).
    case unknownKey(UInt32)
    /// Tampered with, or sealed under another key with the same id.
    case notAuthentic
}

/// Fills `out` with random bytes, eight from each 64-bit draw.
func fillRandom(_ out: UnsafeMutableRawBufferPointer, using random: inout some RandomNumberGenerator) {
    var i = 0
    while i < out.count {
        var v = random.next() as UInt64
        for _ in 0 ..< min(8, out.count - i) {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
            i += 1
        }
    }
}

/// `count` random bytes, eight from each 64-bit draw: one getrandom(2) per 8 bytes from the
/// system generator, not one per byte (a byte drawn alone costs a whole `next()`).
func randomBytes(_ count: Int, using random: inout some RandomNumberGenerator) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { fillRandom($0, using: &random) }
    return out
}
