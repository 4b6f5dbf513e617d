import Testing
import CommandGrammar

@Suite struct LintTests {
    @Test func sampleGrammarIsClean() {
        #expect(Sample.grammar.lint().map(\.description) == [])
    }

    @Test func reportsMissingHelpDuplicatesAndShadowing() {
        let bad = Grammar {
            Command("show status", help: "Status") {       // no Group help for "show"
                Argument(.word, name: "WHAT", help: "")     // no help
            }
            Command("ping", help: "") {}                     // no help
            Command("ping", help: "Again") {}                // duplicate id, shadowed
            Command("set", help: "Set") {
                Options {
                    Flag("fast", help: "Fast")
                    Flag("fast", help: "Fast again")         // duplicate option keyword
                    Argument(.word, name: "X", help: "x")    // option without keyword
                }
            }
            Command("bad word", help: "Spaces") { Keyword("two words", help: "no") }
            Command("take", help: "Take") {
                Argument(.text, name: "TEXT", help: "All")
                Argument(.word, name: "MORE", help: "Never reached")
            }
        }
        let issues = bad.lint().map(\.description)
        let expected = [
            "show status WHAT: group word \"show\" has no help (declare a Group for it)",
            "show status WHAT: token WHAT has no help",
            "ping: command has no help",
            "ping: id \"ping\" is also used by ping",
            "ping: sample line \"ping\" matches ping instead (shadowed)",
            "set [fast] [fast] [X]: two options start with the keyword \"fast\"",
            "set [fast] [fast] [X]: option X does not start with a keyword",
            "bad word two words: group word \"bad\" has no help (declare a Group for it)",
            "bad word two words: keyword \"two words\" cannot be typed as one word",
            "take TEXT MORE: sample line \"take text word\" does not parse: incomplete command: expected MORE",
        ]
        for e in expected { #expect(issues.contains(e), "missing: \(e)\n\(issues.joined(separator: "\n"))") }
    }
}
