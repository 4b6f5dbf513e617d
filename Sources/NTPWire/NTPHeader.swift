/// The fixed 48-byte NTP header (RFC 5905 §7.3), versions 1 to 4.
public struct NTPHeader: Hashable, Sendable {
    /// Bytes in the header.
    public static let size = 48

    /// Leap second warning, or "not synchronised".
    public var leap: LeapIndicator
    /// Protocol version, 1…4.
    public var version: UInt8
    /// Association mode.
    public var mode: NTPMode
    /// On the wire: 0 = unspecified or kiss-o'-death, 1 primary, 2–15 secondary, 16 unsynchronised.
    public var stratum: UInt8
    /// Maximum interval between messages (log2 s).
    public var poll: PollExponent
    /// Precision of the sender's clock (log2 s).
    public var precision: PollExponent
    /// Round-trip delay to the reference clock.
    public var rootDelay: NTPShort
    /// Dispersion (error bound) relative to the reference clock.
    public var rootDispersion: NTPShort
    /// The sender's reference: a kiss code, clock kind, IPv4 address or IPv6 hash.
    public var referenceID: ReferenceID
    /// When the sender's clock was last set or corrected.
    public var referenceTime: NTPTimestamp
    /// T1 echoed: the request's transmit time, as the client sent it.
    public var originTime: NTPTimestamp
    /// T2: when the request reached the server.
    public var receiveTime: NTPTimestamp
    /// T3 (T1 in a request): when the packet left its sender.
    public var transmitTime: NTPTimestamp

    /// A header with the given fields; the defaults are zero (NTPv4, no leap warning).

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

    /// Decodes the first 48 bytes of an array; see ``init(decoding:)-(UnsafeRawBufferPointer)``.
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

