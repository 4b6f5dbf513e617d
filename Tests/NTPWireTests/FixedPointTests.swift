import Glibc
import Testing
import NTPWire

/// `formatFixed` is C's `%.Nf`: checked against glibc's own `vsnprintf`.
@Suite struct FixedPointTests {
    private func printf(_ value: Double, _ digits: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let n = withVaList([Int32(digits), value]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) }
        precondition(n > 0 && Int(n) < buffer.count)
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func knownValues() {
        #expect(formatFixed(1.5, 3) == "1.500")
        #expect(formatFixed(2.5, 0) == "2")          // tie to even
        #expect(formatFixed(3.5, 0) == "4")
        #expect(formatFixed(0.125, 2) == "0.12")
        #expect(formatFixed(1.005, 2) == "1.00")     // 1.00499999999999989…
        #expect(formatFixed(-0.0004, 3) == "-0.000") // the sign stays, as in C
        #expect(formatFixed(-0.0006, 3) == "-0.001")
        #expect(formatFixed(9.9996, 3) == "10.000")
        #expect(formatFixed(123.456789, 0) == "123")
        #expect(formatFixed(.infinity, 2) == "inf" && formatFixed(-.infinity, 2) == "-inf")
        #expect(formatFixed(.nan, 2) == "nan")
        #expect(formatFixed(1.25, -1) == "1")        // a negative precision counts as none
    }

    /// Edge values and a fixed pseudo-random sweep of magnitudes and precisions, each exactly
    /// as glibc prints it.
    @Test func agreesWithGlibc() {
        var values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.05, 0.15, 0.25, 0.35, 1.0005, 1.0015, 0.1234565,
            1e-9, 5e-10, 4.9999999999e-10, 123456789.125, 1e15 + 0.5, 9007199254740992, 1e22,
            .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude / 1e290,
        ]
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let mantissa = Double(state >> 11) / Double(1 << 53)
            let exponent = Int(state % 24) - 12
            var v = mantissa
            for _ in 0..<abs(exponent) { v = exponent < 0 ? v / 10 : v * 10 }
            values.append(state & 1 == 0 ? v : -v)
        }
        for v in values {
            for digits in [0, 1, 2, 3, 6, 9] {
                #expect(formatFixed(v, digits) == printf(v, digits), "\(v) \(digits)")
            }
        }
    }
}
