import Testing
@testable import NTPWire

@Suite struct NTPPacketTests {
    static let header = NTPHeader(
        leap: .noWarning, version: 4, mode: .client, stratum: 2, poll: PollExponent(6),
        precision: PollExponent(-20), rootDelay: NTPShort(rawValue: 0x1234), rootDispersion: NTPShort(rawValue: 0x5678),
        referenceID: ReferenceID(ipv4: 192, 0, 2, 1), referenceTime: NTPTimestamp(rawValue: 1),
        originTime: NTPTimestamp(rawValue: 2), receiveTime: NTPTimestamp(rawValue: 3),
        transmitTime: NTPTimestamp(rawValue: 0xEC00_0000_8000_0000))

    static func bytes(_ p: NTPPacket) -> [UInt8] { p.encode() }

    @Test func headerFieldsRoundTrip() throws {
        for leap in LeapIndicator.allCases {
            for mode in NTPMode.allCases where mode != .control && mode != .privateUse {
                for version in UInt8(1)...4 {
                    var h = Self.header
                    h.leap = leap; h.mode = mode; h.version = version
                    let p = NTPPacket(header: h)
                    let b = p.encode()
                    #expect(b.count == 48)
                    #expect(b[0] == leap.rawValue << 6 | version << 3 | mode.rawValue)
                    #expect(try NTPPacket(decoding: b) == p)
                }
            }
        }
    }

    @Test func headerByteLayout() {
        let b = Self.header.bytes
        #expect(b[0] == 0x23 && b[1] == 2 && b[2] == 6 && b[3] == 0xEC)
        #expect(Array(b[4..<8]) == [0, 0, 0x12, 0x34])
        #expect(Array(b[12..<16]) == [192, 0, 2, 1])
        #expect(Array(b[40..<48]) == [0xEC, 0, 0, 0, 0x80, 0, 0, 0])
    }

    @Test func rejectsBadVersionsAndShortPackets() {
        var b = Self.header.bytes
        #expect(throws: NTPWireError.truncated(length: 47, needed: 48)) { try NTPPacket(decoding: Array(b.prefix(47))) }
        #expect(throws: NTPWireError.truncated(length: 0, needed: 48)) { try NTPPacketLayout.scan([]) }
        for v: UInt8 in [0, 5, 6, 7] {
            b[0] = v << 3 | 3
            #expect(throws: NTPWireError.unsupportedVersion(v)) { try NTPPacket(decoding: b) }
            #expect(throws: NTPWireError.unsupportedVersion(v)) { try NTPPacketLayout.scan(b) }
        }
    }

    @Test(arguments: [0, 4, 20, 24])
    func trailerSizes(size: Int) throws {
        let b = Self.header.bytes + [0xDE, 0xAD, 0xBE, 0xEF] + Array(repeating: 0xAB, count: max(0, size - 4))
        let bytes = Array(b.prefix(48 + size))
        let p = try NTPPacket(decoding: bytes)
        switch size {
        case 0: #expect(p.mac == nil)
        case 4: #expect(p.mac == .cryptoNAK(keyID: 0xDEAD_BEEF))
        default: #expect(p.mac == .mac(keyID: 0xDEAD_BEEF, digest: Array(repeating: 0xAB, count: size - 4)))
        }
        #expect(p.encode() == bytes)
        let layout = try NTPPacketLayout.scan(bytes)
        #expect(layout.macOffset == 48 && layout.macLength == size && layout.isCryptoNAK == (size == 4))
        #expect(layout.keyID == (size == 0 ? nil : 0xDEAD_BEEF))
    }

    @Test func cryptoNAKWithKeyZero() throws {
        // What ntpd sends back when it cannot authenticate a request: the header and 4 zero bytes.
        var h = Self.header
        h.mode = .server
        let bytes = h.bytes + [0, 0, 0, 0]
        let p = try NTPPacket(decoding: bytes)
        #expect(p.mac == .cryptoNAK(keyID: 0))
        #expect(p.mac?.length == 4)
        #expect(p.encode() == bytes)
    }

    @Test(arguments: [1, 2, 3, 5, 8, 12, 16, 19, 21, 25, 26, 27])
    func otherTrailerSizesAreRejected(size: Int) {
        let bytes = Self.header.bytes + Array(repeating: 0, count: size)
        #expect(throws: NTPWireError.badTrailer(offset: 48, length: size)) { try NTPPacket(decoding: bytes) }
        #expect(throws: NTPWireError.badTrailer(offset: 48, length: size)) { try NTPPacketLayout.scan(bytes) }
    }

    @Test func extensionFieldsOnlyInVersion4() throws {
        var h = Self.header
        let field = ExtensionField(fieldType: 0x0104, value: Array(repeating: 7, count: 32))
        let v4 = NTPPacket(header: h, extensionFields: [field])
        #expect(try NTPPacket(decoding: v4.encode()) == v4)
        h.version = 3
        let v3 = NTPPacket(header: h, extensionFields: [field])
        #expect(throws: NTPWireError.extensionFieldsNeedVersion4(version: 3)) { try v3.validate() }
        #expect(throws: NTPWireError.badTrailer(offset: 48, length: 36)) { try NTPPacket(decoding: v3.encode()) }
    }

    @Test func extensionFieldPadding() {
        #expect(ExtensionField(fieldType: 1, value: []).length == 16)
        #expect(ExtensionField(fieldType: 1, value: [1]).value == [1] + Array(repeating: 0, count: 11))
        #expect(ExtensionField(fieldType: 1, value: Array(repeating: 1, count: 13)).length == 20)
        #expect(ExtensionField(fieldType: 1, value: Array(repeating: 1, count: 24)).length == 28)
    }

    @Test func severalFieldsAndAMAC() throws {
        let fields = [
            ExtensionField(fieldType: 0x0104, value: Array(repeating: 1, count: 32)),
            ExtensionField(fieldType: 0x0204, value: Array(repeating: 2, count: 12)),  // 16-byte field
            ExtensionField(fieldType: 0x0304, value: Array(repeating: 3, count: 100)),
            ExtensionField(fieldType: 0x0404, value: Array(repeating: 4, count: 12)),  // 16 bytes, then a MAC
        ]
        for mac in [MACTrailer.mac(keyID: 9, digest: Array(repeating: 9, count: 16)),
                    .mac(keyID: 10, digest: Array(repeating: 10, count: 20))] {
            let p = NTPPacket(header: Self.header, extensionFields: fields, mac: mac)
            try p.validate()
            let bytes = p.encode()
            #expect(bytes.count == 48 + 36 + 16 + 104 + 16 + mac.length)
            #expect(try NTPPacket(decoding: bytes) == p)
            let layout = try NTPPacketLayout.scan(bytes)
            #expect(layout.extensionFieldCount == 4)
            #expect(layout.macOffset == 48 + 36 + 16 + 104 + 16)
            #expect(layout.extensionFieldsRange == 48 ..< layout.macOffset)
            let slices = bytes.withUnsafeBytes { Array(layout.extensionFields(in: $0)) }
            #expect(slices.map(\.fieldType) == [0x0104, 0x0204, 0x0304, 0x0404])
            #expect(slices.map(\.offset) == [48, 84, 100, 204])
            #expect(slices[1].valueRange == 88 ..< 100)
        }
    }

    @Test func shortLastFieldIsTakenForAMAC() throws {
        // A 16-, 20- or 24-byte last field with no MAC: receivers (chrony, NTPsec, us) cannot tell
        // it from a MAC. validate() says so; decoding the bytes does not give the packet back.
        for valueCount in [12, 16, 20] {
            let field = ExtensionField(fieldType: 0x0104, value: Array(repeating: 5, count: valueCount))
            let p = NTPPacket(header: Self.header, extensionFields: [field])
            #expect(throws: NTPWireError.lastExtensionFieldTooShort(length: field.length)) { try p.validate() }
            #expect((try? NTPPacket(decoding: p.encode())) != p)
        }
        // A 24-byte field before a crypto-NAK makes 28: fine.
        let ok = NTPPacket(header: Self.header,
                           extensionFields: [ExtensionField(fieldType: 1, value: Array(repeating: 1, count: 20))],
                           mac: .cryptoNAK(keyID: 0))
        try ok.validate()
        #expect(try NTPPacket(decoding: ok.encode()) == ok)
        // 16 + 4 is too short.
        let bad = NTPPacket(header: Self.header, extensionFields: [ExtensionField(fieldType: 1, value: [])],
                            mac: .cryptoNAK(keyID: 0))
        #expect(throws: NTPWireError.lastExtensionFieldTooShort(length: 16)) { try bad.validate() }
    }

    @Test func badDigestLength() {
        let p = NTPPacket(header: Self.header, mac: .mac(keyID: 1, digest: Array(repeating: 0, count: 32)))
        #expect(throws: NTPWireError.badDigestLength(32)) { try p.validate() }
    }

    @Test func malformedExtensionFields() {
        let h = Self.header.bytes
        func ef(_ type: UInt16, _ length: Int, pad: Int) -> [UInt8] {
            [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)] + Array(repeating: 0, count: pad)
        }
        // Length below 16.
        #expect(throws: NTPWireError.badExtensionField(offset: 48)) { try NTPPacket(decoding: h + ef(1, 12, pad: 24)) }
        // Not a multiple of 4.
        #expect(throws: NTPWireError.badExtensionField(offset: 48)) { try NTPPacket(decoding: h + ef(1, 30, pad: 26)) }
        // Runs past the end.
        #expect(throws: NTPWireError.badExtensionField(offset: 48)) { try NTPPacket(decoding: h + ef(1, 32, pad: 24)) }
        // Zero length (would loop forever if accepted).
        #expect(throws: NTPWireError.badExtensionField(offset: 48)) { try NTPPacketLayout.scan(h + ef(1, 0, pad: 24)) }
        // Second field bad.
        #expect(throws: NTPWireError.badExtensionField(offset: 76)) {
            try NTPPacketLayout.scan(h + ef(1, 28, pad: 24) + ef(2, 64, pad: 24))
        }
        // A good field followed by 8 stray bytes.
        #expect(throws: NTPWireError.badTrailer(offset: 76, length: 8)) {
            try NTPPacketLayout.scan(h + ef(1, 28, pad: 24) + Array(repeating: 0, count: 8))
        }
    }

    @Test func largestField() throws {
        let field = ExtensionField(fieldType: 0xFFFF, value: Array(repeating: 0xEE, count: ExtensionField.maximumLength - 4))
        let p = NTPPacket(header: Self.header, extensionFields: [field])
        try p.validate()
        let b = p.encode()
        #expect(b.count == 48 + 65532)
        #expect(try NTPPacket(decoding: b) == p)
    }

    @Test func encodeIntoBuffer() {
        let p = NTPPacket(header: Self.header, mac: .mac(keyID: 3, digest: Array(repeating: 1, count: 20)))
        var buffer = [UInt8](repeating: 0xFF, count: 100)
        let n = buffer.withUnsafeMutableBytes { p.encode(into: $0) }
        #expect(n == 72)
        #expect(Array(buffer.prefix(72)) == p.encode())
        #expect(buffer[72] == 0xFF)
    }

    @Test func pollAndPrecisionNeverTrap() {
        #expect(PollExponent(-128).seconds == 0x1p-128)
        #expect(PollExponent(127).seconds == 0x1p127)
        #expect(PollExponent(6).seconds == 64)
        #expect(PollExponent(-1).seconds == 0.5)
    }
}
