import Testing
import NTPWire

@Suite struct NTPTimestampTextTests {
    @Test func writesAndReadsModeSixText() {
        let t = NTPTimestamp(seconds: 0xe3d1_b3a2, fraction: 0x1f)
        #expect(t.hexText == "0xe3d1b3a2.0000001f")
        #expect(NTPTimestamp(hexText: t.hexText) == t)
        #expect(NTPTimestamp(hexText: "0xE3D1B3A2.1F") == t)
        #expect(NTPTimestamp(hexText: "e3d1b3a2.0000001f") == nil)
        #expect(NTPTimestamp(hexText: "e3d1b3a2.0000001f", requirePrefix: false) == t)
        for bad in ["0x", "0x1", "0x1.", "0x.1", "0x1..2", "0x1.2.3", "0x123456789.0", "0x+1.0", "0x1.g", "0x-1.0"] {
            #expect(NTPTimestamp(hexText: bad) == nil, "\(bad)")
        }
    }
}
