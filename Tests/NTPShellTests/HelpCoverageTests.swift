import CommandGrammar
import NTPLab
import Testing
@testable import NTPShell

/// Every command is in `help` and in the generated command reference; every token has help.
@Suite struct HelpCoverageTests {
    @Test func everyCommandIsDocumented() {
        let g = LabShell.grammar
        let overview = g.helpOverview()
        let manual = CommandsManual.page(g, version: "test")
        for command in g.commands {
            let words = command.words.joined(separator: " ")
            #expect(overview.contains(words), "help lacks \(words)")
            #expect(g.help(forWords: command.words) != nil, "help \(words) says nothing")
            let macro = command.words.map { "Ic " + $0 }.joined(separator: " ")
            #expect(manual.contains(".It " + macro), "ntpsh-commands(7) lacks \(words)")
        }
        #expect(g.lint().isEmpty, "\(g.lint())")
    }
}
