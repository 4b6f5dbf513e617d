import Testing
@testable import NTPWire

@Test func moduleLoads() { #expect(Bool(true)) }
