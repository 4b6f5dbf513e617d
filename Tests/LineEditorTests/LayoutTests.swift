import Testing
@testable import LineEditor

@Suite("Layout: widths, listings, quotes")
struct LayoutTests {
    @Test func quoteCounting() {
        #expect(!Layout.insideDoubleQuotes("show"))
        #expect(Layout.insideDoubleQuotes("echo \"what"))
        #expect(!Layout.insideDoubleQuotes("echo \"what\" "))
        #expect(Layout.insideDoubleQuotes("echo \"a \\\" b"))
    }

    @Test func promptWidthSkipsEscapedSequences() {
        #expect(Layout.promptWidth("demo> ") == 6)
        #expect(Layout.promptWidth("\u{1}\u{1b}[32m\u{1}host*\u{1}\u{1b}[0m\u{1}> ") == 7)
    }

    @Test func candidatesWithHelpOneALine() {
        let lines = Layout.candidateLines([("peers", "Show the peers"), ("ping", "Send a ping"), ("p", "")], columns: 80)
        #expect(lines == ["peers  Show the peers", "ping   Send a ping", "p"])
    }

    @Test func candidatesWithoutHelpInColumns() {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon"].map { (word: $0, help: "") }
        // cell = 7 + 2; 20 columns hold 2 cells: 3 rows, filled down the columns.
        #expect(Layout.candidateLines(words, columns: 20) == ["alpha    delta", "beta     epsilon", "gamma"])
        #expect(Layout.candidateLines(words, columns: 200) == ["alpha    beta     gamma    delta    epsilon"])
        #expect(Layout.candidateLines(words, columns: 3).count == 5)
        #expect(Layout.candidateLines([], columns: 80).isEmpty)
    }

    @Test func terminalTextUsesCRLF() {
        #expect(Layout.terminalText("a\nb") == "a\r\nb")
        #expect(Layout.terminalText("a\r\nb\n") == "a\r\nb")
        #expect(Layout.terminalText("") == "")
        #expect(Layout.terminalText("\n") == "")
    }

    @Test func controlCharactersTakeTwoColumns() {
        #expect(Layout.width("a") == 1)
        #expect(Layout.width("\u{3}") == 2)
    }
}
