import Foundation
import Testing
import NTPWire

/// `Seconds` and `PPM`: arithmetic where it means something, and a Codable form that is the
/// bare number, so every frame and file that held a `Double` reads and writes the same bytes.
@Suite struct UnitsTests {
    struct Old: Codable, Equatable { var offset: Double; var frequency: Double; var timeout: Double? }
    struct New: Codable, Equatable { var offset: Seconds; var frequency: PPM; var timeout: Seconds? }

    @Test func encodesAsTheBareNumber() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for (offset, frequency, timeout) in [(0.5, -12.345678, 30.0), (-1e-9, 500, nil), (0, 0, 0.25)] as [(Double, Double, Double?)] {
            let old = Old(offset: offset, frequency: frequency, timeout: timeout)
            let new = New(offset: Seconds(offset), frequency: PPM(frequency), timeout: timeout.map { Seconds($0) })
            let oldBytes = try encoder.encode(old)
            #expect(try encoder.encode(new) == oldBytes)
            // A frame an older peer wrote reads as the same values, and back.
            #expect(try JSONDecoder().decode(New.self, from: oldBytes) == new)
            #expect(try JSONDecoder().decode(Old.self, from: try encoder.encode(new)) == old)
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(New.self, from: Data(#"{"offset":"1","frequency":0}"#.utf8)) }
    }

    @Test func arithmeticKeepsTheUnit() {
        let a = Seconds(0.25), b = Seconds(-0.75)
        #expect(a + b == Seconds(-0.5) && a - b == Seconds(1) && -a == Seconds(-0.25))
        #expect(a * 4 == Seconds(1) && 2 * a == Seconds(0.5) && a / 0.5 == Seconds(0.5))
        #expect(a / Seconds(0.5) == 0.5)
        #expect(b.magnitude == Seconds(0.75) && b < a && Seconds.zero == Seconds(0))
        #expect(PPM(500).fraction == 5e-4 && PPM(fraction: 1.0 / 12).fraction == 1.0 / 12)
        #expect(PPM(250) + PPM(-50) == PPM(200) && PPM(-3).magnitude == PPM(3))
        // 1 ppm over 1000 s is 1 ms.
        #expect(abs((PPM(1) * Seconds(1000)).value - 1e-3) < 1e-15)
        #expect(!Seconds(.infinity).isFinite && PPM(12).isFinite)
        // They print as the number, as the Double they replace did.
        #expect("\(Seconds(0.5))" == "0.5" && "\(PPM(-12.5))" == "-12.5")
        let t = UnixTime(seconds: 100, nanoseconds: 0)
        #expect(t + Seconds(1.5) == UnixTime(seconds: 101, nanoseconds: 500_000_000))
    }
}
