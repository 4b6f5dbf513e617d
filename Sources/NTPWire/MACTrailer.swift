/// What follows the header and extension fields of an authenticated NTP packet
/// (RFC 5905 §7.3, RFC 7822 §7.5): a key identifier and a digest, or the key identifier
/// alone, which is a crypto-NAK ("I could not authenticate you"; ntpd sends key ID 0).
public enum MACTrailer: Hashable, Sendable {
    /// Four bytes: only a key identifier.
    case cryptoNAK(keyID: UInt32)
    /// A key identifier and a 16-byte (MD5, AES-128-CMAC) or 20-byte (SHA-1) digest.
    case mac(keyID: UInt32, digest: [UInt8])

    /// The digest sizes a MAC may have in a packet (RFC 7822 limits NTPv4 MACs to 20 bytes
    /// so that the last extension field can be told from the MAC).
    public static let digestLengths: [Int] = [16, 20]

    /// The key identifier.
    public var keyID: UInt32 {
        switch self {
        case .cryptoNAK(let keyID): keyID
        case .mac(let keyID, _): keyID
        }
    }

    /// Bytes on the wire: 4, 20 or 24.
    public var length: Int {
        switch self {
        case .cryptoNAK: 4
        case .mac(_, let digest): 4 + digest.count
        }
    }
}
