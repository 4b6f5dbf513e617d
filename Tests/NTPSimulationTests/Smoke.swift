import Testing
@testable import NTPSimulation

@Test func moduleLoads() { #expect(Bool(true)) }
