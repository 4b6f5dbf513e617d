/// Leap indicator: the two top bits of an NTP packet (RFC 5905 §7.3).
public enum LeapIndicator: UInt8, Sendable, CaseIterable {
    case noWarning = 0
    /// The last minute of the current UTC day has 61 seconds.
    case insertSecond = 1
    /// The last minute of the current UTC day has 59 seconds.
    case deleteSecond = 2
    /// The clock is not synchronised (alarm condition).
    case unsynchronized = 3
}

/// Association mode (RFC 5905 §7.3).
public enum NTPMode: UInt8, Sendable, CaseIterable {
    case reserved = 0
    case symmetricActive = 1
    case symmetricPassive = 2
    case client = 3
    case server = 4
    case broadcast = 5
    /// NTP control messages (mode 6, RFC 9327).
    case control = 6
    /// Reserved for private use (ntpd's mode 7); never answered.
    case privateUse = 7
}

/// A poll interval or precision as a signed log2 of seconds (`6` means 64 s, `-20` about 1 µs).
public struct PollExponent: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var log2Seconds: Int8
    public init(_ log2Seconds: Int8) { self.log2Seconds = log2Seconds }
    public var seconds: Double {
        log2Seconds >= 0 ? Double(1 << Int(log2Seconds)) : 1.0 / Double(1 << Int(-log2Seconds))
    }
    public static func < (a: PollExponent, b: PollExponent) -> Bool { a.log2Seconds < b.log2Seconds }
    public var description: String { String(log2Seconds) }
}

/// The fixed 48-byte NTP header (RFC 5905 §7.3), versions 1 to 4.
public struct NTPHeader: Hashable, Sendable {
    public static let size = 48

    public var leap: LeapIndicator
    public var version: UInt8
    public var mode: NTPMode
    /// On the wire: 0 = unspecified or kiss-o'-death, 1 primary, 2–15 secondary, 16 unsynchronised.
    public var stratum: UInt8
    public var poll: PollExponent
    public var precision: PollExponent
    public var rootDelay: NTPShort
    public var rootDispersion: NTPShort
    public var referenceID: ReferenceID
    public var referenceTime: NTPTimestamp
    public var originTime: NTPTimestamp
    public var receiveTime: NTPTimestamp
    public var transmitTime: NTPTimestamp

    public init(
        leap: LeapIndicator = .noWarning, version: UInt8 = 4, mode: NTPMode,
        stratum: UInt8 = 0, poll: PollExponent = PollExponent(0), precision: PollExponent = PollExponent(0),
        rootDelay: NTPShort = .zero, rootDispersion: NTPShort = .zero,
        referenceID: ReferenceID = ReferenceID(rawValue: 0),
        referenceTime: NTPTimestamp = .zero, originTime: NTPTimestamp = .zero,
        receiveTime: NTPTimestamp = .zero, transmitTime: NTPTimestamp = .zero
    ) {
        self.leap = leap; self.version = version; self.mode = mode; self.stratum = stratum
        self.poll = poll; self.precision = precision; self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion; self.referenceID = referenceID
        self.referenceTime = referenceTime; self.originTime = originTime
        self.receiveTime = receiveTime; self.transmitTime = transmitTime
    }

    /// Decodes the first 48 bytes. Throws for a short buffer or a version outside 1…4.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(NTPWireError) {
        guard bytes.count >= Self.size else { throw .truncated(length: bytes.count, needed: Self.size) }
        let b0 = bytes[0]
        let version = (b0 >> 3) & 7
        guard (1...4).contains(version) else { throw .unsupportedVersion(version) }
        self.leap = LeapIndicator(rawValue: b0 >> 6)!
        self.version = version
        self.mode = NTPMode(rawValue: b0 & 7)!
        self.stratum = bytes[1]
        self.poll = PollExponent(Int8(bitPattern: bytes[2]))
        self.precision = PollExponent(Int8(bitPattern: bytes[3]))
        self.rootDelay = NTPShort(rawValue: bytes.loadBigEndianUInt32(at: 4))
        self.rootDispersion = NTPShort(rawValue: bytes.loadBigEndianUInt32(at: 8))
        self.referenceID = ReferenceID(rawValue: bytes.loadBigEndianUInt32(at: 12))
        self.referenceTime = NTPTimestamp(rawValue: bytes.loadBigEndianUInt64(at: 16))
        self.originTime = NTPTimestamp(rawValue: bytes.loadBigEndianUInt64(at: 24))
        self.receiveTime = NTPTimestamp(rawValue: bytes.loadBigEndianUInt64(at: 32))
        self.transmitTime = NTPTimestamp(rawValue: bytes.loadBigEndianUInt64(at: 40))
    }

    public init(decoding bytes: [UInt8]) throws(NTPWireError) {
        let result: Result<NTPHeader, NTPWireError> = bytes.withUnsafeBytes { raw in
            do throws(NTPWireError) { return .success(try NTPHeader(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Writes the 48 header bytes at the start of `buffer` (which must hold at least 48).
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size, "NTP header needs 48 bytes")
        buffer[0] = leap.rawValue << 6 | (version & 7) << 3 | mode.rawValue
        buffer[1] = stratum
        buffer[2] = UInt8(bitPattern: poll.log2Seconds)
        buffer[3] = UInt8(bitPattern: precision.log2Seconds)
        buffer.storeBigEndian(rootDelay.rawValue, at: 4)
        buffer.storeBigEndian(rootDispersion.rawValue, at: 8)
        buffer.storeBigEndian(referenceID.rawValue, at: 12)
        buffer.storeBigEndian(referenceTime.rawValue, at: 16)
        buffer.storeBigEndian(originTime.rawValue, at: 24)
        buffer.storeBigEndian(receiveTime.rawValue, at: 32)
        buffer.storeBigEndian(transmitTime.rawValue, at: 40)
    }

    /// The 48 encoded bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.size)
        out.withUnsafeMutableBytes { encode(into: $0) }
        return out
    }
}

/// Why bytes are not a valid NTP packet.
public enum NTPWireError: Error, Hashable, Sendable {
    case truncated(length: Int, needed: Int)
    case unsupportedVersion(UInt8)
    /// An extension field whose length is too small, not a multiple of 4, or runs past the end.
    case badExtensionField(offset: Int)
    /// Trailing bytes that are neither extension fields nor a MAC of a known size.
    case badTrailer(offset: Int, length: Int)
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always)
    func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
