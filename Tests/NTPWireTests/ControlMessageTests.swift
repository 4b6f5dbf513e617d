import Testing
@testable import NTPWire

@Suite struct ControlMessageTests {
    @Test func roundTripWithPadding() throws {
        let m = ControlMessage(
            leap: 3, version: 2, isResponse: true, isError: false, hasMore: true,
            opcode: ControlMessage.Opcode.readVariables, sequence: 0x1234, status: 0x0615, associationID: 0xBEEF,
            offset: 468, data: Array("stratum=11".utf8))
        let b = m.bytes
        #expect(b.count == 24)  // 12 + 10, padded to 4
        #expect(b[0] == 0b11_010_110)
        #expect(b[1] == 0xA2)
        #expect(Array(b[2...11]) == [0x12, 0x34, 0x06, 0x15, 0xBE, 0xEF, 0x01, 0xD4, 0x00, 0x0A])
        #expect(b[22] == 0 && b[23] == 0)
        #expect(try ControlMessage(decoding: b) == m)
    }

    @Test func requestFromNtpq() throws {
        // ntpq's READSTAT: version 2, mode 6, opcode 1, sequence 1, no data.
        let b: [UInt8] = [0x16, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]
        let m = try ControlMessage(decoding: b)
        #expect(m.version == 2 && m.opcode == 1 && m.sequence == 1 && !m.isResponse && m.data.isEmpty)
        #expect(m.bytes == b)
    }

    @Test func trailingMACIsIgnored() throws {
        let m = ControlMessage(opcode: 2, data: Array("leap".utf8))
        let withMAC = m.bytes + [0, 0, 0, 1] + [UInt8](repeating: 0xAA, count: 16)
        #expect(try ControlMessage(decoding: withMAC) == m)
    }

    @Test func truncatedHeader() {
        for n in 0..<12 {
            #expect(throws: NTPWireError.truncated(length: n, needed: 12)) {
                try ControlMessage(decoding: [UInt8](repeating: 0x16, count: n))
            }
        }
    }

    @Test func countPastTheEnd() {
        var b = ControlMessage(opcode: 2, data: Array("rootdisp".utf8)).bytes  // 20 bytes
        b[10] = 0; b[11] = 9  // 12 + 9 = 21 > 20
        #expect(throws: NTPWireError.truncated(length: 20, needed: 21)) { try ControlMessage(decoding: b) }
        b[10] = 0xFF; b[11] = 0xFF
        #expect(throws: NTPWireError.truncated(length: 20, needed: 12 + 65535)) { try ControlMessage(decoding: b) }
    }

    @Test func otherModesAreNotControl() {
        var b = ControlMessage(opcode: 1).bytes
        b[0] = 0x17  // mode 7
        #expect(throws: NTPWireError.notControl(mode: 7)) { try ControlMessage(decoding: b) }
    }
}
