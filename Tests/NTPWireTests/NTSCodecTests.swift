import NTPWire
import Testing

private func hex(_ s: String) -> [UInt8] {
    let d = Array(s.filter { !$0.isWhitespace })
    return stride(from: 0, to: d.count, by: 2).map { UInt8(String(d[$0 ... $0 + 1]), radix: 16)! }
}

@Suite("NTS-KE records (RFC 8915 §4)")
struct NTSKERecordTests {
    /// A client request as RFC 8915 §4 lays it out: next protocol NTPv4 (critical), AEAD 15
    /// (critical), End of Message.
    let request = hex("8001 0002 0000  8004 0002 000f  8000 0000")

    @Test("a client request decodes byte by byte and re-encodes exactly")
    func request_() throws {
        let records = try NTSKEMessage.decode(request)
        #expect(records == [
            NTSKERecord(critical: true, .nextProtocols([0])),
            NTSKERecord(critical: true, .aeadAlgorithms([15])),
            NTSKERecord(critical: true, .endOfMessage),
        ])
        #expect(NTSKEMessage.encode(records) == request)
    }

    @Test("a server response: protocol, AEAD, server, port, cookies, warning, unknown non-critical")
    func response() throws {
        let bytes = hex("""
            8001 0002 0000  0004 0002 000f  0006 0009 3132372e302e302e31  8007 0002 1234
            0005 0004 deadbeef  0005 0003 010203  0003 0002 0007  4321 0001 ff  8000 0000
            """)
        let records = try NTSKEMessage.decode(bytes)
        #expect(records.map(\.content) == [
            .nextProtocols([0]), .aeadAlgorithms([15]), .server("127.0.0.1"), .port(0x1234),
            .newCookie([0xde, 0xad, 0xbe, 0xef]), .newCookie([1, 2, 3]), .warning(7),
            .other(type: 0x4321, body: [0xff]), .endOfMessage,
        ])
        #expect(NTSKEMessage.encode(records) == bytes)
    }

    @Test("scan reports incomplete until End of Message arrives, at every split")
    func incremental() throws {
        for cut in 0 ..< request.count {
            #expect(try NTSKEMessage.scan(request.prefix(cut)) == .incomplete, "cut \(cut)")
        }
        guard case .complete(let records, let length) = try NTSKEMessage.scan(request + [1, 2]) else {
            Issue.record("not complete"); return
        }
        #expect(records.count == 3 && length == request.count)
    }

    @Test("strict parsing: each malformed message gets its own error")
    func malformed() {
        let cases: [([UInt8], NTSKEError)] = [
            (hex("8002 0003 000100  8000 0000"), .badBodyLength(type: 2, length: 3)),
            (hex("8007 0000  8000 0000"), .badBodyLength(type: 7, length: 0)),
            (hex("8001 0001 00  8000 0000"), .badBodyLength(type: 1, length: 1)),
            (hex("0005 0000  8000 0000"), .badBodyLength(type: 5, length: 0)),
            (hex("8123 0000  8000 0000"), .unrecognizedCritical(type: 0x123)),
            (hex("0006 0003 61 2062  8000 0000"), .badServerName),
            (hex("0000 0000"), .badEndOfMessage),
            (hex("8000 0001 00"), .badEndOfMessage),
            (hex("8000 0000 00"), .trailingBytes(count: 1)),
            (hex("8001 0002 0000"), .missingEndOfMessage),
            (hex("8001 0002 00"), .truncated(offset: 0)),
            ([], .missingEndOfMessage),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) { try NTSKEMessage.decode(bytes) }
        }
    }

    @Test("limits: record count and message size")
    func limits() {
        let warning = NTSKERecord(critical: false, .warning(1))
        let many = NTSKEMessage.encode(Array(repeating: warning, count: NTSKEMessage.maximumRecords + 1))
        #expect(throws: NTSKEError.tooManyRecords) { try NTSKEMessage.scan(many) }
        let huge = hex("0005 ffff") + [UInt8](repeating: 0, count: 10)
        #expect(throws: NTSKEError.tooLong) { try NTSKEMessage.scan(huge) }
        let endless = [UInt8](repeating: 0, count: 4)  // non-critical type 0: bad End of Message
        #expect(throws: NTSKEError.badEndOfMessage) { try NTSKEMessage.scan(endless) }
    }
}

@Suite("NTS extension fields (RFC 8915 §5)")
struct NTSExtensionFieldTests {
    /// A client request: header, unique identifier (32 bytes), cookie (8), placeholder (8),
    /// authenticator (nonce 16, ciphertext 16).
    func request() -> [UInt8] {
        var p = [UInt8](repeating: 0, count: 48)
        p[0] = 0x23  // NTPv4, client
        NTSPacketFields.appendField(type: 0x0104, value: [UInt8](repeating: 0xaa, count: 32), to: &p)
        NTSPacketFields.appendField(type: 0x0204, value: hex("0102030405060708 090a0b0c"), to: &p)
        NTSPacketFields.appendField(type: 0x0304, value: [UInt8](repeating: 0, count: 12), to: &p)
        p += NTSPacketFields.authenticatorField(nonce: [UInt8](repeating: 0x11, count: 16),
                                                ciphertext: [UInt8](repeating: 0x22, count: 16))
        return p
    }

    @Test("fields laid out byte by byte as RFC 8915 §5 draws them")
    func layout() throws {
        let p = request()
        #expect(Array(p[48 ..< 52]) == hex("0104 0024"))
        #expect(Array(p[84 ..< 88]) == hex("0204 0010"))
        #expect(Array(p[100 ..< 104]) == hex("0304 0010"))
        #expect(Array(p[116 ..< 124]) == hex("0404 0028 0010 0010"))
        #expect(p.count == 116 + 40)
        let layout = try NTPPacketLayout.scan(p)
        #expect(layout.extensionFieldCount == 4 && layout.macLength == 0)
        let fields = try p.withUnsafeBytes { b throws(NTSFieldError) in try NTSPacketFields.scan(b, layout: layout) }
        #expect(fields.uniqueIdentifier == 52 ..< 84)
        #expect(fields.cookies == [88 ..< 100])
        #expect(fields.placeholderLengths == [12])
        #expect(fields.authenticator?.fieldOffset == 116)
        #expect(fields.authenticator?.nonce == 124 ..< 140)
        #expect(fields.authenticator?.ciphertext == 140 ..< 156)
    }

    @Test("the authenticator's padding: a 13-byte nonce pads to 16, 17-byte ciphertext to 20")
    func padding() {
        let f = NTSPacketFields.authenticatorField(nonce: [UInt8](repeating: 1, count: 17),
                                                   ciphertext: [UInt8](repeating: 2, count: 17))
        #expect(f.count == 4 + 4 + 20 + 20)
        #expect(Array(f[0 ..< 8]) == hex("0404 0030 0011 0011"))
        #expect(f[8 + 17 ..< 28].allSatisfy { $0 == 0 } && f[28 ..< 45].allSatisfy { $0 == 2 })
    }

    @Test("malformed NTS fields are refused with their reason")
    func malformed() throws {
        func scan(_ p: [UInt8]) throws -> NTSPacketFields {
            let layout = try NTPPacketLayout.scan(p)
            return try p.withUnsafeBytes { b throws(NTSFieldError) in try NTSPacketFields.scan(b, layout: layout) }
        }
        var after = request()
        NTSPacketFields.appendField(type: 0x0104, value: [UInt8](repeating: 0, count: 32), to: &after)
        #expect(throws: NTSFieldError.fieldAfterAuthenticator(offset: 156)) { try scan(after) }

        var base = [UInt8](repeating: 0, count: 48)
        base[0] = 0x23
        var short = base
        NTSPacketFields.appendField(type: 0x0104, value: [UInt8](repeating: 0, count: 28), to: &short)
        #expect(throws: NTSFieldError.shortUniqueIdentifier(28)) { try scan(short) }

        var twice = base
        for _ in 0 ..< 2 { NTSPacketFields.appendField(type: 0x0104, value: [UInt8](repeating: 0, count: 32), to: &twice) }
        #expect(throws: NTSFieldError.duplicateUniqueIdentifier) { try scan(twice) }

        var cookies = base
        for _ in 0 ..< 9 { NTSPacketFields.appendField(type: 0x0304, value: [UInt8](repeating: 0, count: 24), to: &cookies) }
        #expect(throws: NTSFieldError.tooManyCookieFields) { try scan(cookies) }

        var nonce = base
        nonce += NTSPacketFields.authenticatorField(nonce: [UInt8](repeating: 0, count: 12), ciphertext: [UInt8](repeating: 0, count: 16))
        #expect(throws: NTSFieldError.shortNonce(12)) { try scan(nonce) }

        var overrun = base
        overrun += hex("0404 0028 0010 0030") + [UInt8](repeating: 0, count: 32)
        #expect(throws: NTSFieldError.authenticatorOverrun(nonceLength: 16, ciphertextLength: 48)) { try scan(overrun) }

        var mac = request()
        mac += [0, 0, 0, 1] + [UInt8](repeating: 0, count: 16)
        #expect(throws: NTSFieldError.macWithAuthenticator) { try scan(mac) }
    }
}
