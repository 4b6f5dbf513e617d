/// An NTPv4 extension field (RFC 7822): a 16-bit type, a 16-bit length that counts the
/// 4-byte field header, and the value. On the wire a field is at least 16 bytes and a
/// multiple of 4, so ``value`` always holds at least 12 bytes and a multiple of 4, padding
/// included: a decoded field keeps its padding bytes as they came, so re-encoding is exact.
public struct ExtensionField: Hashable, Sendable {
    /// The smallest field, header included (RFC 7822 §3).
    public static let minimumLength = 16
    /// The largest field the 16-bit length can describe (a multiple of 4).
    public static let maximumLength = 65532

    /// The field type (e.g. 0x0104 NTS Unique Identifier, 0x0204 NTS Cookie).
    public var fieldType: UInt16
    /// The value bytes with their padding; `4 + value.count` is the field's length.
    public private(set) var value: [UInt8]

    /// A field with this type and value. The value is padded with zero bytes up to a valid
    /// size (at least 12 bytes, a multiple of 4); it must not exceed 65528 bytes.
    public init(fieldType: UInt16, value: [UInt8]) {
        precondition(value.count <= Self.maximumLength - 4, "extension field value too long")
        var padded = value
        let length = max(Self.minimumLength, (4 + value.count + 3) & ~3)
        padded.append(contentsOf: repeatElement(0, count: length - 4 - value.count))
        self.fieldType = fieldType
        self.value = padded
    }

    /// A field whose value is already of a valid size (the decoder's path).
    init(fieldType: UInt16, validValue: [UInt8]) {
        self.fieldType = fieldType
        self.value = validValue
    }

    /// The field's length on the wire, header included.
    public var length: Int { 4 + value.count }
}
