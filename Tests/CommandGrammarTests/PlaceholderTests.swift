import Testing
@testable import CommandGrammar
@Test func placeholder() {}
