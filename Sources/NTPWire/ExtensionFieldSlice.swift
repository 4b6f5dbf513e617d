/// Where one extension field lies in a packet buffer, without copying it.
public struct ExtensionFieldSlice: Hashable, Sendable {
    /// The field type.
    public var fieldType: UInt16
    /// Offset of the field's 4-byte header in the packet.
    public var offset: Int
    /// The field's length, header included (≥ 16, a multiple of 4).
    public var length: Int
    /// The value bytes (padding included) within the packet.
    public var valueRange: Range<Int> { (offset + 4) ..< (offset + length) }
}

/// The extension fields of a packet that ``NTPPacketLayout/scan(_:)`` accepted, in order,
/// read from the buffer without allocating. The buffer must outlive the iteration.
public struct ExtensionFieldWalk: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private let end: Int
    private var offset: Int

    init(bytes: UnsafeRawBufferPointer, start: Int, end: Int) {
        self.bytes = bytes
        self.offset = start
        self.end = end
    }

    /// The next field, or nil after the last.
    public mutating func next() -> ExtensionFieldSlice? {
        guard offset + 4 <= end else { return nil }
        let fieldType = bytes.loadBigEndianUInt16(at: offset)
        let length = Int(bytes.loadBigEndianUInt16(at: offset + 2))
        // The scan checked every length; this guard only keeps a misuse from looping.
        guard length >= ExtensionField.minimumLength, offset + length <= end else { return nil }
        defer { offset += length }
        return ExtensionFieldSlice(fieldType: fieldType, offset: offset, length: length)
    }
}
