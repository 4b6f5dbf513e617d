/// The NTP extension fields of Network Time Security (RFC 8915 §5), found in a packet that
/// ``NTPPacketLayout/scan(_:)`` accepted, without copying: where the unique identifier, the
/// cookies, the placeholders and the authenticator lie, checked strictly.
public struct NTSPacketFields: Hashable, Sendable {
    /// Extension field types (RFC 8915 §5.7).
    public static let uniqueIdentifierType: UInt16 = 0x0104
    public static let cookieType: UInt16 = 0x0204
    public static let cookiePlaceholderType: UInt16 = 0x0304
    public static let authenticatorType: UInt16 = 0x0404
    /// The shortest unique identifier a receiver accepts (RFC 8915 §5.3: at least 32 octets).
    public static let minimumUniqueIdentifierLength = 32
    /// The shortest nonce accepted (RFC 8915 §5.6, N_REQ for AES-SIV).
    public static let minimumNonceLength = 16
    /// The most cookie and placeholder fields counted in one packet (RFC 8915: at most 7 more).
    public static let maximumCookieFields = 8

    /// The unique identifier's value bytes (padding included, as sent), if present.
    public var uniqueIdentifier: Range<Int>?
    /// Each cookie field's value (the first is what a server opens; a client may get several).
    public var cookies: [Range<Int>] = []
    /// The value lengths of the cookie placeholders (each asks for one more cookie of that size).
    public var placeholderLengths: [Int] = []
    /// The authenticator, if present (it is then the last field).
    public var authenticator: Authenticator?

    /// Where an Authenticator and Encrypted Extension Fields field's parts lie in the packet.
    public struct Authenticator: Hashable, Sendable {
        /// Offset of the field's header: the associated data is the packet before it.
        public var fieldOffset: Int
        public var nonce: Range<Int>
        /// The synthetic IV and the encrypted extension fields.
        public var ciphertext: Range<Int>
    }

    public init() {}

    /// Reads the NTS fields of `bytes`, a packet whose `layout` the scan returned. Errors:
    /// a field after the authenticator, a MAC with NTS, two unique identifiers, a short unique
    /// identifier, a malformed authenticator, too many cookie fields.
    public static func scan(_ bytes: UnsafeRawBufferPointer, layout: NTPPacketLayout) throws(NTSFieldError) -> NTSPacketFields {
        var fields = NTSPacketFields()
        for field in layout.extensionFields(in: bytes) {
            guard fields.authenticator == nil else { throw .fieldAfterAuthenticator(offset: field.offset) }
            let value = field.valueRange
            switch field.fieldType {
            case uniqueIdentifierType:
                guard fields.uniqueIdentifier == nil else { throw .duplicateUniqueIdentifier }
                guard value.count >= minimumUniqueIdentifierLength else { throw .shortUniqueIdentifier(value.count) }
                fields.uniqueIdentifier = value
            case cookieType:
                guard fields.cookies.count + fields.placeholderLengths.count < maximumCookieFields else { throw .tooManyCookieFields }
                fields.cookies.append(value)
            case cookiePlaceholderType:
                guard fields.cookies.count + fields.placeholderLengths.count < maximumCookieFields else { throw .tooManyCookieFields }
                fields.placeholderLengths.append(value.count)
            case authenticatorType:
                fields.authenticator = try parseAuthenticator(bytes, field: field)
            default:
                continue
            }
        }
        if fields.authenticator != nil, layout.macLength != 0 { throw .macWithAuthenticator }
        return fields
    }

    /// Parses the value of an authenticator field: nonce length, ciphertext length, nonce and
    /// ciphertext each padded to 4 bytes, then padding (RFC 8915 §5.6).
    static func parseAuthenticator(_ bytes: UnsafeRawBufferPointer, field: ExtensionFieldSlice) throws(NTSFieldError) -> Authenticator {
        let value = field.valueRange
        let nonceLength = Int(bytes.loadBigEndianUInt16(at: value.lowerBound))
        let ciphertextLength = Int(bytes.loadBigEndianUInt16(at: value.lowerBound + 2))
        let nonceStart = value.lowerBound + 4
        let ciphertextStart = nonceStart + padded(nonceLength)
        guard nonceLength >= minimumNonceLength else { throw .shortNonce(nonceLength) }
        guard ciphertextLength >= 16 else { throw .shortCiphertext(ciphertextLength) }
        guard ciphertextStart + padded(ciphertextLength) <= value.upperBound else {
            throw .authenticatorOverrun(nonceLength: nonceLength, ciphertextLength: ciphertextLength)
        }
        return Authenticator(fieldOffset: field.offset, nonce: nonceStart ..< nonceStart + nonceLength,
                             ciphertext: ciphertextStart ..< ciphertextStart + ciphertextLength)
    }

    /// `n` rounded up to a multiple of 4.
    public static func padded(_ n: Int) -> Int { (n + 3) & ~3 }

    /// Appends one extension field: header, `value`, zero padding to a multiple of 4 and to at
    /// least `minimumLength` bytes in all (16; 28 for a last field without a MAC after it).
    public static func appendField(type: UInt16, value: some Collection<UInt8>, minimumLength: Int = ExtensionField.minimumLength,
                                   to out: inout [UInt8]) {
        let length = max(minimumLength, padded(4 + value.count))
        precondition(length <= ExtensionField.maximumLength, "extension field too long")
        out += [UInt8(type >> 8), UInt8(type & 0xff), UInt8(length >> 8), UInt8(length & 0xff)]
        out += value
        out += repeatElement(0, count: length - 4 - value.count)
    }

    /// The header and value of an authenticator field around `nonce` and `ciphertext`.
    public static func authenticatorField(nonce: some Collection<UInt8>, ciphertext: some Collection<UInt8>) -> [UInt8] {
        var value: [UInt8] = [UInt8(nonce.count >> 8), UInt8(nonce.count & 0xff),
                              UInt8(ciphertext.count >> 8), UInt8(ciphertext.count & 0xff)]
        value += nonce
        value += repeatElement(0, count: padded(nonce.count) - nonce.count)
        value += ciphertext
        var out: [UInt8] = []
        appendField(type: authenticatorType, value: value, minimumLength: NTPPacketLayout.extensionFieldThreshold, to: &out)
        return out
    }
}

/// Why a packet's NTS extension fields are unacceptable.
public enum NTSFieldError: Error, Hashable, Sendable {
    case fieldAfterAuthenticator(offset: Int)
    case duplicateUniqueIdentifier
    case shortUniqueIdentifier(Int)
    case tooManyCookieFields
    case shortNonce(Int)
    case shortCiphertext(Int)
    case authenticatorOverrun(nonceLength: Int, ciphertextLength: Int)
    case macWithAuthenticator
}
