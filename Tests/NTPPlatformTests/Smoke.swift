import Testing
@testable import NTPPlatform

@Test func moduleLoads() { #expect(Bool(true)) }
