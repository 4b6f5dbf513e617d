import NTPEngine
import NTPWire
import Testing
@testable import NTPShell

@Suite struct ControlResponderTests {
    static func snapshot() -> ControlResponder.Snapshot {
        ControlResponder.Snapshot(
            system: Scenario.subject,
            peers: Scenario.peers.map { PeerVariableSubject(report: $0, now: Scenario.now) },
            events: Scenario.events)
    }

    static func ask(_ opcode: UInt8, assoc: UInt16 = 0, data: String = "", version: UInt8 = 2) -> [ControlMessage] {
        let request = ControlMessage(version: version, opcode: opcode, sequence: 7, associationID: assoc, data: Array(data.utf8))
        return ControlResponder.respond(to: request.bytes, snapshot: snapshot).map { bytes in
            #expect(bytes.count % 4 == 0)
            return try! ControlMessage(decoding: bytes)
        }
    }

    static func reassembled(_ replies: [ControlMessage]) -> String {
        var data: [UInt8] = []
        for r in replies {
            #expect(Int(r.offset) == data.count)
            data += r.data
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func readStatusListsAssociations() {
        let replies = Self.ask(ControlMessage.Opcode.readStatus)
        #expect(replies.count == 1)
        let r = replies[0]
        #expect(r.isResponse && !r.isError && !r.hasMore && r.sequence == 7 && r.version == 2)
        #expect(r.status == SystemStatusWord(Scenario.system, events: EventTally.system(Scenario.events)).rawValue)
        #expect(r.data.count == 4 * Scenario.peers.count)
        let first = Scenario.peers[0]
        let word = PeerStatusWord(first, events: EventTally.peer(first.id, Scenario.events)).rawValue
        #expect(Array(r.data[0..<4]) == [UInt8(first.id.rawValue >> 8), UInt8(first.id.rawValue & 0xFF), UInt8(word >> 8), UInt8(word & 0xFF)])
    }

    @Test func readVariablesSystemDefaults() {
        let replies = Self.ask(ControlMessage.Opcode.readVariables)
        let text = Self.reassembled(replies)
        let expected = SystemVariableTable.values(Scenario.subject).values.map { "\($0.0)=\($0.1)" }
        #expect(text.hasSuffix("\r\n"))
        // Line breaks replace the blank after a comma; the text ends with one. ("\r\n" is one
        // Character in Swift: work on scalars.)
        var scalars = Array(text.unicodeScalars)
        #expect(scalars.suffix(2) == ["\r", "\n"])
        scalars.removeLast(2)
        let flat = String(String.UnicodeScalarView(scalars.filter { $0 != "\r" }.map { $0 == "\n" ? " " : $0 }))
        #expect(flat == expected.joined(separator: ", "))
        #expect(text.unicodeScalars.contains("\n"))
        for line in text.unicodeScalars.split(separator: "\n") { #expect(line.count <= 73) }  // 72 + the \r
        #expect(replies.allSatisfy { $0.data.count <= 468 })
    }

    @Test func readVariablesNamed() {
        let text = Self.reassembled(Self.ask(ControlMessage.Opcode.readVariables, data: "stratum, rootdisp= ,leap"))
        #expect(text == "stratum=\(Scenario.system.variables.stratum), rootdisp=\(SystemVariableTable.values(Scenario.subject, names: ["rootdisp"]).values[0].1), leap=0\r\n")
    }

    @Test func readVariablesPeer() {
        let p = Scenario.peers[1]
        let replies = Self.ask(ControlMessage.Opcode.readVariables, assoc: p.id.rawValue)
        #expect(replies[0].associationID == p.id.rawValue)
        #expect(replies[0].status == PeerStatusWord(p, events: EventTally.peer(p.id, Scenario.events)).rawValue)
        let text = Self.reassembled(replies)
        #expect(text.hasPrefix("srcadr=127.127.1.0, srcport=123"))
        #expect(text.contains("stratum=10"))
    }

    @Test func longRepliesAreFragmented() {
        let replies = Self.ask(ControlMessage.Opcode.readVariables, assoc: Scenario.peers[0].id.rawValue)
        #expect(replies.count >= 2)
        #expect(replies.dropLast().allSatisfy { $0.hasMore && $0.data.count == 468 })
        #expect(!replies.last!.hasMore)
        #expect(Self.reassembled(replies).contains("filtdisp="))
    }

    @Test func errors() {
        let unknownAssoc = Self.ask(ControlMessage.Opcode.readVariables, assoc: 999)
        #expect(unknownAssoc.count == 1 && unknownAssoc[0].isError && unknownAssoc[0].status == 4 << 8)
        let unknownVar = Self.ask(ControlMessage.Opcode.readVariables, data: "nosuchvar")
        #expect(unknownVar[0].isError && unknownVar[0].status == 5 << 8 && unknownVar[0].data.isEmpty)
        let badOp = Self.ask(17)
        #expect(badOp[0].isError && badOp[0].status == 3 << 8 && badOp[0].opcode == 17)
        let write = Self.ask(ControlMessage.Opcode.writeVariables, data: "leap=1")
        #expect(write[0].isError && write[0].status == 1 << 8)
    }

    @Test func neverAnswered() {
        var response = ControlMessage(isResponse: true, opcode: 1)
        #expect(ControlResponder.respond(to: response.bytes, snapshot: Self.snapshot).isEmpty)
        response = ControlMessage(hasMore: true, opcode: 1)
        #expect(ControlResponder.respond(to: response.bytes, snapshot: Self.snapshot).isEmpty)
        response = ControlMessage(opcode: 1, offset: 4)
        #expect(ControlResponder.respond(to: response.bytes, snapshot: Self.snapshot).isEmpty)
        #expect(Self.ask(1, version: 0).isEmpty && Self.ask(1, version: 5).isEmpty)
        var mode7 = ControlMessage(opcode: 1).bytes
        mode7[0] = 0x17
        #expect(ControlResponder.respond(to: mode7, snapshot: Self.snapshot).isEmpty)
        #expect(ControlResponder.respond(to: [0x16, 0x01], snapshot: Self.snapshot).isEmpty)
    }
}
