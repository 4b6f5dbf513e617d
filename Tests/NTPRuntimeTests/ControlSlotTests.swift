@testable import NTPRuntime
@testable import NTPService
import Testing

/// The control socket's slot policy and the log's escaping, without a socket.
@Suite struct ControlSlotTests {
    @Test("viewers share 12 slots, at most 4 per uid; 4 slots stay for privileged users")
    func slots() {
        typealias Held = [(uid: UInt32?, privileged: Bool)]
        let four: Held = Array(repeating: (65534, false), count: 4)
        #expect(ControlServer.refusal(uid: 65534, privileged: false, held: four)?.contains("from uid 65534") == true)
        #expect(ControlServer.refusal(uid: 1000, privileged: false, held: four) == nil)
        let twelve: Held = (0..<12).map { (UInt32(1000 + $0 / 4), false) }
        #expect(ControlServer.refusal(uid: 2000, privileged: false, held: twelve)?.contains("kept for privileged") == true)
        #expect(ControlServer.refusal(uid: 0, privileged: true, held: twelve) == nil)
        let full: Held = twelve + Array(repeating: (0, true), count: 4)
        #expect(ControlServer.refusal(uid: 0, privileged: true, held: full)?.contains("at most 16") == true)
    }

    @Test("log lines escape control characters: one message, one line, no forged priority")
    func escaping() {
        #expect(Log.escaped("plain text, ünïcode") == "plain text, ünïcode")
        #expect(Log.escaped("a\nb\r\t\u{1b}[2J\u{7f}\u{85}\u{2028}\\n") == #"a\nb\r\t\x1b[2J\x7f\x85\u{2028}\\n"#)
        let log = Log(name: "ntpsh", journal: true)
        let line = log.line(6, "info", "control: x\n<3>forged attached")
        #expect(line == "<6>control: x\\n<3>forged attached\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }
}
