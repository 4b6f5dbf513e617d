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

    /// Seals the session keys under the current master key.
    public static func make(_ session: NTSSessionKeys, keys: NTSCookieKeys,
                            using random: inout some RandomNumberGenerator) -> [UInt8] {
        let master = keys.current
        let nonce = randomBytes(nonceLength, using: &random)
        let sealed = try! master.aead.seal(session.c2s.key + session.s2c.key, associatedData: [nonce])
        return [UInt8(master.id >> 24), UInt8(master.id >> 16 & 0xff), UInt8(master.id >> 8 & 0xff), UInt8(master.id & 0xff)]
            + nonce + sealed
    }

    /// Opens a cookie: the session keys, or why not.
    public static func open(_ cookie: some Collection<UInt8>, keys: NTSCookieKeys) -> Result<NTSSessionKeys, NTSCookieError> {
        let c = Array(cookie)
        guard c.count >= 4 + nonceLength + NTSAEADAlgorithm.tagLength + 64 else { return .failure(.malformed) }
        let id = UInt32(c[0]) << 24 | UInt32(c[1]) << 16 | UInt32(c[2]) << 8 | UInt32(c[3])
        guard let master = keys.key(id: id) else { return .failure(.unknownKey(id)) }
        let nonce = Array(c[4 ..< 4 + nonceLength])
        guard let plain = try? master.aead.open(Array(c[(4 + nonceLength)...]), associatedData: [nonce]) else {
            return .failure(.notAuthentic)
        }
        let algorithm: NTSAEADAlgorithm
        switch plain.count {
        case 64: algorithm = .aesSIVCMAC256
        case 128: algorithm = .aesSIVCMAC512
        default: return .failure(.malformed)
        }
        let half = plain.count / 2
        guard let c2s = try? NTSAEAD(algorithm: algorithm, key: Array(plain[..<half])),
              let s2c = try? NTSAEAD(algorithm: algorithm, key: Array(plain[half...]))
        else { return .failure(.malformed) }
        return .success(NTSSessionKeys(c2s: c2s, s2c: s2c))
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

/// `count` random bytes, eight from each 64-bit draw: one getrandom(2) per 8 bytes from the
/// system generator, not one per byte (a byte drawn alone costs a whole `next()`).
func randomBytes(_ count: Int, using random: inout some RandomNumberGenerator) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(count + 7)
    while out.count < count {
        let v = random.next() as UInt64
        for i in 0 ..< 8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
    out.removeLast(out.count - count)
    return out
}
