/// A whole NTP packet of modes 0–5 (RFC 5905 §7.3): the 48-byte header, NTPv4 extension
/// fields (RFC 7822) and an optional MAC trailer. Decoding and encoding are exact inverses:
/// `NTPPacket(decoding: bytes).encode() == bytes` for every accepted input.
///
/// How the last extension field is told from the MAC is described at ``NTPPacketLayout``.
/// Mode 6 control messages have their own layout and are not decoded here.
public struct NTPPacket: Hashable, Sendable {
    /// The fixed header.
    public var header: NTPHeader
    /// Extension fields in order (NTPv4 only).
    public var extensionFields: [ExtensionField]
    /// The MAC or crypto-NAK after the extension fields, if any.
    public var mac: MACTrailer?

    /// A packet of these parts. ``validate()`` says whether it will decode back to itself.
    public init(header: NTPHeader, extensionFields: [ExtensionField] = [], mac: MACTrailer? = nil) {
        self.header = header
        self.extensionFields = extensionFields
        self.mac = mac
    }

    /// Decodes a complete packet, checking every length (see ``NTPPacketLayout/scan(_:)-(UnsafeRawBufferPointer)``).
    public init(decoding bytes: UnsafeRawBufferPointer) throws(NTPWireError) {
        let layout = try NTPPacketLayout.scan(bytes)
        self.header = try NTPHeader(decoding: bytes)
        var fields: [ExtensionField] = []
        if layout.extensionFieldCount > 0 {
            fields.reserveCapacity(layout.extensionFieldCount)
            for slice in layout.extensionFields(in: bytes) {
                fields.append(ExtensionField(
                    fieldType: slice.fieldType, validValue: Array(bytes[slice.valueRange])))
            }
        }
        self.extensionFields = fields
        if let keyID = layout.keyID {
            if let digest = layout.digestRange {
                self.mac = .mac(keyID: keyID, digest: Array(bytes[digest]))
            } else {
                self.mac = .cryptoNAK(keyID: keyID)
            }
        } else {
            self.mac = nil
        }
    }

    /// Decodes a complete packet from an array.
    public init(decoding bytes: [UInt8]) throws(NTPWireError) {
        let result: Result<NTPPacket, NTPWireError> = bytes.withUnsafeBytes { raw in
            do throws(NTPWireError) { return .success(try NTPPacket(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Bytes ``encode()`` produces.
    public var encodedLength: Int {
        extensionFields.reduce(NTPHeader.size) { $0 + $1.length } + (mac?.length ?? 0)
    }

    /// Throws if the packet would not decode back to itself: extension fields in a packet
    /// that is not NTPv4, a final extension field that would be read as a MAC (it and the
    /// trailer must make at least 28 bytes), or a digest that is not 16 or 20 bytes.
    public func validate() throws(NTPWireError) {
        guard (1...4).contains(header.version) else { throw .unsupportedVersion(header.version) }
        if case .mac(_, let digest) = mac, !MACTrailer.digestLengths.contains(digest.count) {
            throw .badDigestLength(digest.count)
        }
        guard let last = extensionFields.last else { return }
        guard header.version == 4 else { throw .extensionFieldsNeedVersion4(version: header.version) }
        if last.length + (mac?.length ?? 0) < NTPPacketLayout.extensionFieldThreshold {
            throw .lastExtensionFieldTooShort(length: last.length)
        }
    }

    /// Writes the packet at the start of `buffer` and returns the bytes written
    /// (``encodedLength``). The buffer must be large enough.
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let total = encodedLength
        precondition(buffer.count >= total, "buffer too small for the NTP packet")
        header.encode(into: buffer)
        var offset = NTPHeader.size
        for field in extensionFields {
            buffer.storeBigEndian(field.fieldType, at: offset)
            buffer.storeBigEndian(UInt16(field.length), at: offset + 2)
            field.value.withUnsafeBytes { value in
                UnsafeMutableRawBufferPointer(rebasing: buffer[(offset + 4)...]).copyMemory(from: value)
            }
            offset += field.length
        }
        switch mac {
        case nil: break
        case .cryptoNAK(let keyID):
            buffer.storeBigEndian(keyID, at: offset)
            offset += 4
        case .mac(let keyID, let digest):
            buffer.storeBigEndian(keyID, at: offset)
            digest.withUnsafeBytes { d in
                UnsafeMutableRawBufferPointer(rebasing: buffer[(offset + 4)...]).copyMemory(from: d)
            }
            offset += 4 + digest.count
        }
        return offset
    }

    /// The packet's bytes.
    public func encode() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedLength) { buffer, count in
            count = encode(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }
}
