
/// The server's master keys for cookies: the newest seals, every kept key opens. A key is
/// made every ``rotationInterval`` seconds and the last ``retainedKeys`` are kept, so a cookie
/// stays usable for about `rotationInterval × (retainedKeys − 1)` after it was issued (chrony:
/// a key a day, three kept; NTPsec likewise). The keys live in a key file written atomically
/// (NTPPlatform's AtomicFile, mode 0600; see NTSCookieKeyFile.swift) so cookies survive a
/// restart. This file stays free of I/O (the fuzz target compiles it alone).
///
/// Key file format, one key a line, oldest first: `ID CREATED HEXKEY` with ID a decimal
/// 32-bit key id, CREATED the Unix time the key was made, HEXKEY its 32 bytes in hex.
public struct NTSCookieKeys: Sendable, Hashable {
    public struct Key: Sendable, Hashable {
        public var id: UInt32
        public var created: Double
        public var aead: NTSAEAD
    }

    /// Oldest first; the last one seals.
    public private(set) var keys: [Key]
    public var rotationInterval: Double
    public var retainedKeys: Int

    /// Keys with one fresh key made now.
    public init(now: Double, rotationInterval: Double = 86400, retainedKeys: Int = 3,
                using random: inout some RandomNumberGenerator) {
        self.keys = []
        self.rotationInterval = rotationInterval
        self.retainedKeys = max(2, retainedKeys)
        addKey(now: now, using: &random)
    }

    /// The key that seals new cookies.
    public var current: Key { keys[keys.count - 1] }

    /// The key with this id, if it is still kept.
    public func key(id: UInt32) -> Key? { keys.last { $0.id == id } }

    /// Makes a new key when the current one is older than the interval (or the clock went
    /// back past it); drops the oldest beyond ``retainedKeys``. Returns whether it rotated
    /// (then the caller saves the file).
    public mutating func rotateIfDue(now: Double, using random: inout some RandomNumberGenerator) -> Bool {
        let age = now - current.created
        guard age >= rotationInterval || age < -rotationInterval else { return false }
        addKey(now: now, using: &random)
        return true
    }

    private mutating func addKey(now: Double, using random: inout some RandomNumberGenerator) {
        var id = random.next() as UInt32
        while keys.contains(where: { $0.id == id }) { id = random.next() }
        let bytes = randomBytes(32, using: &random)
        keys.append(Key(id: id, created: now, aead: try! NTSAEAD(algorithm: .aesSIVCMAC256, key: bytes, kept: true)))
        if keys.count > retainedKeys { keys.removeFirst(keys.count - retainedKeys) }
    }

    /// The key file's text.
    public var fileText: String {
        keys.map { "\($0.id) \(Int64($0.created)) \(hexString($0.aead.key))\n" }.joined()
    }

    /// Keys read from a key file's text; nil with a line number when a line is malformed.
    public init(fileText: String, rotationInterval: Double = 86400, retainedKeys: Int = 3) throws(NTSKeyFileError) {
        var keys: [Key] = []
        for (n, line) in fileText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(separator: " ")
            if words.isEmpty || words[0].hasPrefix("#") { continue }
            guard words.count == 3, let id = UInt32(words[0]), let created = Int64(words[1]),
                  let bytes = hexBytes(words[2]), bytes.count == 32,
                  let aead = try? NTSAEAD(algorithm: .aesSIVCMAC256, key: bytes, kept: true)
            else { throw .malformedLine(n + 1) }
            keys.append(Key(id: id, created: Double(created), aead: aead))
        }
        guard !keys.isEmpty else { throw .noKeys }
        self.keys = Array(keys.suffix(max(2, retainedKeys)))
        self.rotationInterval = rotationInterval
        self.retainedKeys = max(2, retainedKeys)
    }
}

/// Why a cookie key file was not usable.
public enum NTSKeyFileError: Error, Hashable, Sendable {
    case malformedLine(Int)
    case noKeys
    case write(String)
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}

func hexBytes(_ s: Substring) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30 ... 0x39: c - 0x30
        case 0x61 ... 0x66: c - 0x61 + 10
        case 0x41 ... 0x46: c - 0x41 + 10
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(u.count / 2)
    for i in stride(from: 0, to: u.count, by: 2) {
        guard let a = nibble(u[i]), let b = nibble(u[i + 1]) else { return nil }
        out.append(a << 4 | b)
    }
    return out
}
