/// A mode 6 control message (RFC 9327; ntpd's `ntpq` protocol): a 12-byte header, then
/// `count` bytes of data, zero-padded to a multiple of 4 (a MAC may follow; it is not read).
///
///     0       LI(2) VN(3) Mode(3)=6
///     1       R(1) E(1) M(1) Opcode(5)
///     2…3     sequence     4…5 status     6…7 association ID
///     8…9     offset       10…11 count    12… data
public struct ControlMessage: Sendable, Equatable {
    public static let headerSize = 12
    /// The most data one fragment carries (ntpd's CTL_MAX_DATA_LEN).
    public static let maxDataPerFragment = 468
    public static let mode: UInt8 = 6

    /// Opcodes (CTL_OP_*).
    public enum Opcode {
        public static let readStatus: UInt8 = 1
        public static let readVariables: UInt8 = 2
        public static let writeVariables: UInt8 = 3
        public static let readClock: UInt8 = 4
        public static let writeClock: UInt8 = 5
        public static let setTrap: UInt8 = 6
        public static let asyncMessage: UInt8 = 7
        public static let configure: UInt8 = 8
        public static let saveConfig: UInt8 = 9
        public static let readMRU: UInt8 = 10
        public static let readOrderedList: UInt8 = 11
        public static let requestNonce: UInt8 = 12
        public static let unsetTrap: UInt8 = 31
    }

    /// Error codes carried in the status's high byte of an error response (CERR_*).
    public enum ErrorCode {
        public static let unspecified: UInt8 = 0
        public static let permission: UInt8 = 1
        public static let badFormat: UInt8 = 2
        public static let badOpcode: UInt8 = 3
        public static let badAssociation: UInt8 = 4
        public static let unknownVariable: UInt8 = 5
        public static let badValue: UInt8 = 6
        public static let restricted: UInt8 = 7
    }

    public var leap: UInt8
    public var version: UInt8
    public var isResponse: Bool
    public var isError: Bool
    public var hasMore: Bool
    /// Five bits.
    public var opcode: UInt8
    public var sequence: UInt16
    public var status: UInt16
    public var associationID: UInt16
    public var offset: UInt16
    public var data: [UInt8]

    public init(
        leap: UInt8 = 0, version: UInt8 = 2, isResponse: Bool = false, isError: Bool = false, hasMore: Bool = false,
        opcode: UInt8, sequence: UInt16 = 0, status: UInt16 = 0, associationID: UInt16 = 0, offset: UInt16 = 0,
        data: [UInt8] = []
    ) {
        self.leap = leap & 3; self.version = version & 7; self.isResponse = isResponse; self.isError = isError
        self.hasMore = hasMore; self.opcode = opcode & 0x1F; self.sequence = sequence; self.status = status
        self.associationID = associationID; self.offset = offset; self.data = data
    }

    /// Decodes a control message. Bytes after the padded data (a MAC) are ignored.
    /// Throws ``NTPWireError/truncated(length:needed:)`` when the header or the `count` bytes
    /// of data are missing, ``NTPWireError/notControl(mode:)`` for another mode.
    public init(decoding bytes: some Collection<UInt8>) throws(NTPWireError) {
        let b = Array(bytes)
        guard b.count >= Self.headerSize else { throw .truncated(length: b.count, needed: Self.headerSize) }
        let mode = b[0] & 7
        guard mode == Self.mode else { throw .notControl(mode: mode) }
        func u16(_ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
        let count = Int(u16(10))
        guard count <= b.count - Self.headerSize else {
            throw .truncated(length: b.count, needed: Self.headerSize + count)
        }
        self.init(
            leap: b[0] >> 6, version: (b[0] >> 3) & 7, isResponse: b[1] & 0x80 != 0, isError: b[1] & 0x40 != 0,
            hasMore: b[1] & 0x20 != 0, opcode: b[1] & 0x1F, sequence: u16(2), status: u16(4),
            associationID: u16(6), offset: u16(8), data: Array(b[Self.headerSize..<Self.headerSize + count]))
    }

    /// The header, the data and zero padding to a multiple of 4. Data longer than 65535
    /// bytes cannot be encoded (count is 16 bits); it is cut.
    public var bytes: [UInt8] {
        let count = min(data.count, Int(UInt16.max))
        var out: [UInt8] = []
        out.reserveCapacity(Self.headerSize + count + 3)
        out.append(leap << 6 | version << 3 | Self.mode)
        out.append((isResponse ? 0x80 : 0) | (isError ? 0x40 : 0) | (hasMore ? 0x20 : 0) | opcode)
        for v in [sequence, status, associationID, offset, UInt16(count)] {
            out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF))
        }
        out += data[0..<count]
        while out.count % 4 != 0 { out.append(0) }
        return out
    }
}
