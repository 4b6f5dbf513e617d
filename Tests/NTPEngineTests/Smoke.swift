import Testing
@testable import NTPEngine

@Test func moduleLoads() { #expect(Bool(true)) }
