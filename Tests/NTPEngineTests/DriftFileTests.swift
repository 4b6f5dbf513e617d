import NTPWire
import Testing
@testable import NTPEngine

/// The drift file's one format, read by the daemon and the lab alike.
@Suite struct DriftFileTests {
    @Test("the first word is the frequency in ppm; anything else names the word")
    func reading() throws {
        #expect(try DriftFile.frequency(in: "-12.345\n").get() == PPM(-12.345))
        #expect(try DriftFile.frequency(in: "7.5\t# from ntpd\n").get() == PPM(7.5))
        #expect(DriftFile.frequency(in: "fast\n") == .failure(DriftFile.NotAFrequency(word: "fast")))
        #expect(DriftFile.frequency(in: "501\n") == .failure(DriftFile.NotAFrequency(word: "501")))
        #expect(DriftFile.frequency(in: "nan") == .failure(DriftFile.NotAFrequency(word: "nan")))
        #expect(DriftFile.frequency(in: "") == .failure(DriftFile.NotAFrequency(word: "")))
    }
}
