import Testing
@testable import NTPEngine

@Test func fixedPointFormatting() {
    #expect(formatFixed(1.5, 3) == "1.500")
    #expect(formatFixed(-0.0004, 3) == "0.000")
    #expect(formatFixed(-0.0006, 3) == "-0.001")
    #expect(formatFixed(123.456789, 0) == "123")
    #expect(formatFixed(0.1234565, 6) == "0.123457" || formatFixed(0.1234565, 6) == "0.123456")
}
