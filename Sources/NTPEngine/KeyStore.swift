/// Symmetric-key authentication (RFC 5905 §7.3, RFC 8573): the keys file, the trusted key ids,
/// and computing and checking MACs over packet bytes. The engine core links no crypto library:
/// the digests and CMACs come in through a ``MACProvider`` its runner supplies (NTPCrypto's,
/// over OpenSSL). Used by the client side (``Engine``), the server side (``ServerResponder``)
/// and mode 6 (`controlkey`).
///
/// The MAC of a packet is computed over everything before the key id; for digests it is
/// DIGEST(key ‖ bytes) — ntpd's and chrony's construction — for AES it is AES-CMAC(key, bytes).
/// MACs longer than 20 bytes are truncated to 20 (RFC 7822 §7.5 caps NTPv4 MACs there).

/// A MAC algorithm a key can name.
public enum MACAlgorithm: Int32, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case md5 = 1
    case sha1 = 2
    case sha256 = 3
    case sha512 = 4
    case aes128CMAC = 10
    case aes256CMAC = 11

    /// Parses a key type as NTPsec's ntp.keys(5), ntp.org's and chrony's key files write it,
    /// case-insensitively: `MD5`, `SHA1`/`SHA-1`/`SHA`, `SHA256`, `SHA512`, `AES`/`AES128`/
    /// `AES-128`/`AES128CMAC`, `AES256`/`AES-256`.
    public init?(name: String) {
        switch name.uppercased() {
        case "MD5", "M": self = .md5
        case "SHA1", "SHA-1", "SHA": self = .sha1
        case "SHA256", "SHA-256": self = .sha256
        case "SHA512", "SHA-512": self = .sha512
        case "AES", "AES128", "AES-128", "AES128CMAC", "AES-128-CMAC": self = .aes128CMAC
        case "AES256", "AES-256", "AES256CMAC", "AES-256-CMAC": self = .aes256CMAC
        default: return nil
        }
    }

    /// The name written back (`show running-config`, `keys` view).
    public var description: String {
        switch self {
        case .md5: "MD5"
        case .sha1: "SHA1"
        case .sha256: "SHA256"
        case .sha512: "SHA512"
        case .aes128CMAC: "AES128CMAC"
        case .aes256CMAC: "AES256CMAC"
        }
    }

    /// Bytes of the MAC in a packet (digests longer than 20 bytes are truncated).
    public var macLength: Int {
        switch self {
        case .md5, .aes128CMAC, .aes256CMAC: 16
        case .sha1, .sha256, .sha512: 20
        }
    }

    /// The key length a CMAC cipher needs; nil for digests (any length).
    public var cipherKeyLength: Int? {
        switch self {
        case .aes128CMAC: 16
        case .aes256CMAC: 32
        default: nil
        }
    }
}

/// One key of the keys file.
public struct SymmetricKey: Sendable, Equatable, Codable {
    public var id: UInt32
    public var algorithm: MACAlgorithm
    /// The secret, de-hexed, sized for a CMAC cipher.
    public var secret: [UInt8]

    public init(id: UInt32, algorithm: MACAlgorithm, secret: [UInt8]) {
        self.id = id
        self.algorithm = algorithm
        self.secret = secret
    }
}

/// Computes MACs (supplied from below the engine: NTPCrypto implements it over OpenSSL).
public protocol MACProvider: Sendable {
    /// Writes the MAC of `message` under `key` into `mac` (exactly `algorithm.macLength`
    /// bytes); false when the algorithm is not available.
    func computeMAC(_ algorithm: MACAlgorithm, key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer,
                    into mac: UnsafeMutableRawBufferPointer) -> Bool
}

/// Why a MAC was not accepted.
public enum AuthenticationFailure: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// No MAC at all where one was required.
    case missing
    /// A crypto-NAK: the other side could not authenticate us.
    case cryptoNAK
    /// The key id is not in the keys file.
    case unknownKey(UInt32)
    /// The key exists but is not in `trustedkey`.
    case untrustedKey(UInt32)
    /// Signed with another key than the one configured.
    case wrongKey(got: UInt32, expected: UInt32)
    /// The MAC does not match (wrong secret, or the packet was altered).
    case badMAC(UInt32)
    /// The MAC length does not fit the key's algorithm.
    case badLength(UInt32)
    /// No MAC provider, or it lacks the algorithm.
    case unavailable(UInt32)

    public var description: String {
        switch self {
        case .missing: "not authenticated (no MAC)"
        case .cryptoNAK: "crypto-NAK (the server could not authenticate our request)"
        case .unknownKey(let k): "key \(k) is not in the keys file"
        case .untrustedKey(let k): "key \(k) is not trusted (trustedkey)"
        case .wrongKey(let got, let expected): "signed with key \(got), expected key \(expected)"
        case .badMAC(let k): "bad MAC under key \(k)"
        case .badLength(let k): "MAC length does not fit key \(k)"
        case .unavailable(let k): "key \(k): its algorithm is not available"
        }
    }
}

/// The keys file, the trusted ids and `controlkey`/`requestkey`, with MAC computation and
/// verification. A value type: the engine, the server responder and mode 6 each hold a copy,
/// replaced whenever the configuration changes.
public struct KeyStore: Sendable {
    public private(set) var keys: [UInt32: SymmetricKey] = [:]
    /// `trustedkey`: only these keys authenticate anything.
    public var trusted: Set<UInt32> = []
    /// `controlkey`: the key mode 6 changes (ntpq `:config`) must be signed with.
    public var controlKey: UInt32?
    /// `requestkey` (mode 7 is never answered; kept for the running configuration).
    public var requestKey: UInt32?
    /// The keys file these came from.
    public var file: String?
    public var provider: (any MACProvider)?

    public init(provider: (any MACProvider)? = nil) { self.provider = provider }

    /// Replaces the keys (a keys file was read).
    public mutating func replaceKeys(_ list: [SymmetricKey], file: String?) {
        keys = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.file = file
    }

    public func key(_ id: UInt32) -> SymmetricKey? { keys[id] }

    /// In the keys file and in `trustedkey` (key 0 never is).
    public func isTrusted(_ id: UInt32) -> Bool { id != 0 && keys[id] != nil && trusted.contains(id) }

    /// Whether `id` may sign: known, trusted, computable; else why not.
    public func usable(_ id: UInt32) -> AuthenticationFailure? {
        guard let key = keys[id] else { return .unknownKey(id) }
        guard trusted.contains(id) else { return .untrustedKey(id) }
        guard let provider else { return .unavailable(id) }
        var probe = (UInt64(0), UInt64(0), UInt64(0))
        let ok = withUnsafeMutableBytes(of: &probe) { out in
            key.secret.withUnsafeBytes { k in
                provider.computeMAC(key.algorithm, key: k, message: UnsafeRawBufferPointer(start: nil, count: 0),
                                    into: UnsafeMutableRawBufferPointer(rebasing: out[0..<key.algorithm.macLength]))
            }
        }
        return ok ? nil : .unavailable(id)
    }

    /// Writes the MAC of `message` under key `id` into `mac` (at least the algorithm's
    /// ``MACAlgorithm/macLength`` bytes) and returns its length; nil when the key cannot sign.
    public func computeMAC(keyID id: UInt32, over message: UnsafeRawBufferPointer,
                           into mac: UnsafeMutableRawBufferPointer) -> Int? {
        guard isTrusted(id), let key = keys[id], let provider, mac.count >= key.algorithm.macLength else { return nil }
        let n = key.algorithm.macLength
        let ok = key.secret.withUnsafeBytes { k in
            provider.computeMAC(key.algorithm, key: k, message: message,
                                into: UnsafeMutableRawBufferPointer(rebasing: mac[0..<n]))
        }
        return ok ? n : nil
    }

    /// The MAC of `message` under key `id`; nil when the key cannot sign.
    public func mac(keyID id: UInt32, over message: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 20)
        let n = message.withUnsafeBytes { m in out.withUnsafeMutableBytes { computeMAC(keyID: id, over: m, into: $0) } }
        guard let n else { return nil }
        return Array(out[0..<n])
    }

    /// Checks `mac` as the MAC of `message` under key `id` (compared in constant time).
    public func verify(keyID id: UInt32, message: UnsafeRawBufferPointer, mac: UnsafeRawBufferPointer) -> AuthenticationFailure? {
        guard let key = keys[id] else { return .unknownKey(id) }
        guard trusted.contains(id) else { return .untrustedKey(id) }
        guard mac.count == key.algorithm.macLength else { return .badLength(id) }
        var expected = (UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &expected) { out -> AuthenticationFailure? in
            guard let n = computeMAC(keyID: id, over: message, into: out) else { return .unavailable(id) }
            var difference: UInt8 = 0
            for i in 0..<n { difference |= out[i] ^ mac[i] }
            return difference == 0 ? nil : .badMAC(id)
        }
    }

    /// Checks the MAC trailer of a whole packet (`macOffset`: where its key id starts; the MAC
    /// covers the bytes before it). Returns the key id on success.
    public func verifyPacket(_ packet: UnsafeRawBufferPointer, macOffset: Int) -> Result<UInt32, AuthenticationFailure> {
        guard packet.count >= macOffset + 4 else { return .failure(.missing) }
        let id = UInt32(packet[macOffset]) << 24 | UInt32(packet[macOffset + 1]) << 16
            | UInt32(packet[macOffset + 2]) << 8 | UInt32(packet[macOffset + 3])
        if packet.count == macOffset + 4 { return .failure(.cryptoNAK) }
        let message = UnsafeRawBufferPointer(rebasing: packet[0..<macOffset])
        let mac = UnsafeRawBufferPointer(rebasing: packet[(macOffset + 4)...])
        if let failure = verify(keyID: id, message: message, mac: mac) { return .failure(failure) }
        return .success(id)
    }

    /// `packet` followed by key id `id` and its MAC; nil when the key cannot sign.
    public func sign(_ packet: [UInt8], keyID id: UInt32) -> [UInt8]? {
        guard let mac = mac(keyID: id, over: packet) else { return nil }
        return packet + [UInt8(id >> 24), UInt8(truncatingIfNeeded: id >> 16), UInt8(truncatingIfNeeded: id >> 8),
                         UInt8(truncatingIfNeeded: id)] + mac
    }
}

/// The keys file (ntp.keys(5)): `KEYID TYPE KEY` per line, `#` comments. KEYID 1–65535; TYPE
/// as ``MACAlgorithm/init(name:)``; KEY printable ASCII of up to 20 characters, or hex when
/// longer (NTPsec's rule), or chrony's `HEX:…`/`ASCII:…`. AES keys shorter or longer than the
/// cipher's are zero-padded or truncated, as NTPsec does, with a note.
public enum KeyFile {
    public struct Parsed: Sendable, Equatable {
        public var keys: [SymmetricKey] = []
        /// `FILE:LINE: message` for each line not taken.
        public var errors: [String] = []
        /// `FILE:LINE: message` for lines taken with an adjustment.
        public var notes: [String] = []
    }

    public static func parse(_ text: String, file: String) -> Parsed {
        var result = Parsed()
        for (index, raw) in text.configurationLines.enumerated() {
            let code = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = code.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard !words.isEmpty else { continue }
            let here = "\(file):\(index + 1)"
            guard words.count >= 3 else {
                result.errors.append("\(here): expected KEYID TYPE KEY")
                continue
            }
            guard let id = UInt32(words[0]), (1...65535).contains(id) else {
                result.errors.append("\(here): expected a key id 1-65535")
                continue
            }
            guard let algorithm = MACAlgorithm(name: String(words[1])) else {
                result.errors.append("\(here): key \(id): expected a type (MD5, SHA1, SHA256, SHA512, AES128CMAC, AES256CMAC)")
                continue
            }
            guard var secret = decodeSecret(String(words[2])) else {
                result.errors.append("\(here): key \(id): the key is neither ASCII of up to 20 characters nor hex of up to 64 digits")
                continue
            }
            if let length = algorithm.cipherKeyLength, secret.count != length {
                result.notes.append("\(here): key \(id): \(algorithm) needs \(length) bytes; \(secret.count < length ? "zero-padded" : "truncated") from \(secret.count)")
                secret = Array((secret + [UInt8](repeating: 0, count: length)).prefix(length))
            }
            result.keys.append(SymmetricKey(id: id, algorithm: algorithm, secret: secret))
        }
        return result
    }

    /// ASCII (≤ 20 printable characters, no `#`) or hex (longer, even, ≤ 64 digits); chrony's
    /// `HEX:` and `ASCII:` prefixes say which.
    static func decodeSecret(_ word: String) -> [UInt8]? {
        if word.uppercased().hasPrefix("HEX:") { return hex(String(word.dropFirst(4))) }
        if word.uppercased().hasPrefix("ASCII:") {
            let bytes = Array(word.utf8.dropFirst(6))
            return bytes.isEmpty ? nil : bytes
        }
        let bytes = Array(word.utf8)
        if bytes.count <= 20 {
            return bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) ? bytes : nil
        }
        return hex(word)
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0, digits.count <= 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
