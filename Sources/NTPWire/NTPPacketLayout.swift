/// Where the parts of an NTP packet lie, found without copying or allocating: the check the
/// server's hot path runs on every request before deciding anything.
///
/// ## How the trailer is told from the last extension field
///
/// The packet carries no length for the MAC, so the split follows RFC 7822 §7.5 the way
/// NTPsec (`parse_packet` in `ntp_proto.c`) and chrony (`parse_packet` in `ntp_core.c`,
/// `NEF_ParseField`) do:
///
/// - Only NTPv4 packets have extension fields. In NTPv4, while 28 or more bytes remain
///   (more than the longest MAC, 24 bytes), the next bytes are an extension field, whose
///   length must be at least 16, a multiple of 4 and no more than what remains.
/// - What remains then (every byte after the header for NTPv1–3) is the trailer, by its
///   size alone: 0 bytes, none; 4, a crypto-NAK (key ID only); 20 or 24, a key ID and a
///   16- or 20-byte digest. Any other size is an error.
///
/// So a final extension field without a MAC after it must be at least 28 bytes long
/// (RFC 7822 asks senders for that), and chrony's longer NTPv3 MACs (up to 64-byte digests)
/// are not accepted.
public struct NTPPacketLayout: Hashable, Sendable {
    /// Bytes in the packet.
    public var length: Int
    /// The version field (1…4).
    public var version: UInt8
    /// The mode field.
    public var mode: NTPMode
    /// How many extension fields follow the header.
    public var extensionFieldCount: Int
    /// Offset of the trailer, which is also where the extension fields end; equals
    /// ``length`` when there is no trailer.
    public var macOffset: Int
    /// Bytes in the trailer: 0 (none), 4 (crypto-NAK), 20 or 24 (key ID and digest).
    public var macLength: Int
    /// The trailer's key ID, if there is a trailer.
    public var keyID: UInt32?

    /// Bytes of the longest MAC an NTPv4 packet may carry (RFC 7822 §7.5).
    public static let maximumMACLength = 24
    /// While at least this many bytes remain in an NTPv4 packet, they start an extension field.
    public static let extensionFieldThreshold = 28

    /// Whether there is a MAC with a digest (not a crypto-NAK).
    public var hasDigest: Bool { macLength > 4 }
    /// Whether the trailer is a 4-byte crypto-NAK.
    public var isCryptoNAK: Bool { macLength == 4 }
    /// The digest bytes within the packet, if there is a digest.
    public var digestRange: Range<Int>? { hasDigest ? (macOffset + 4) ..< length : nil }
    /// The extension fields' bytes within the packet (empty when there are none).
    public var extensionFieldsRange: Range<Int> { NTPHeader.size ..< macOffset }

    /// Checks `bytes` as a complete NTP packet (modes 0–5; mode 6 and 7 have other layouts)
    /// and says where its parts are. Allocates nothing.
    public static func scan(_ bytes: UnsafeRawBufferPointer) throws(NTPWireError) -> NTPPacketLayout {
        let count = bytes.count
        guard count >= NTPHeader.size else { throw .truncated(length: count, needed: NTPHeader.size) }
        let b0 = bytes[0]
        let version = (b0 >> 3) & 7
        guard (1...4).contains(version) else { throw .unsupportedVersion(version) }

        var offset = NTPHeader.size
        var fields = 0
        if version == 4 {
            while count - offset >= extensionFieldThreshold {
                let fieldLength = Int(bytes.loadBigEndianUInt16(at: offset + 2))
                guard fieldLength >= ExtensionField.minimumLength, fieldLength % 4 == 0,
                      fieldLength <= count - offset
                else { throw .badExtensionField(offset: offset) }
                offset += fieldLength
                fields += 1
            }
        }

        let remaining = count - offset
        let keyID: UInt32?
        switch remaining {
        case 0: keyID = nil
        case 4, 20, 24: keyID = bytes.loadBigEndianUInt32(at: offset)
        default: throw .badTrailer(offset: offset, length: remaining)
        }
        return NTPPacketLayout(
            length: count, version: version, mode: NTPMode(rawValue: b0 & 7)!,
            extensionFieldCount: fields, macOffset: offset, macLength: remaining, keyID: keyID)
    }

    /// Checks an array; see ``scan(_:)-(UnsafeRawBufferPointer)``.
    public static func scan(_ bytes: [UInt8]) throws(NTPWireError) -> NTPPacketLayout {
        let result: Result<NTPPacketLayout, NTPWireError> = bytes.withUnsafeBytes { raw in
            do throws(NTPWireError) { return .success(try scan(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The extension fields of the packet this layout was scanned from, read in place.
    /// `bytes` must be that same packet.
    public func extensionFields(in bytes: UnsafeRawBufferPointer) -> ExtensionFieldWalk {
        precondition(bytes.count == length, "not the packet this layout describes")
        return ExtensionFieldWalk(bytes: bytes, start: NTPHeader.size, end: macOffset)
    }
}
