import Testing
import CommandGrammar

private let g = Sample.grammar

@Suite struct ErrorRenderingTests {
    private func shell(_ line: String) -> String? { g.match(line).errorMessage(line: line) }
    private func file(_ line: String) -> String? { g.match(line).errorMessage(source: "ntp.conf", line: 12) }

    @Test func shellForm() {
        #expect(shell("frob x") == "% Unknown command: \"frob\"\n")
        #expect(shell("sh") == "% Ambiguous command: \"sh\" could be show, shutdown\n")
        #expect(shell("server") == "% Incomplete command: expected ADDRESS\n")
        #expect(shell("server 192.0.2.1 minpoll 99") == """
            server 192.0.2.1 minpoll 99
                                     ^
            % Expected an integer 3 to 17

            """)
        #expect(shell("server 192.0.2.1 m 4") == """
            server 192.0.2.1 m 4
                             ^
            % Ambiguous command: "m" could be maxpoll, minpoll

            """)
        #expect(shell("shutdown now") == """
            shutdown now
                     ^
            % Unexpected "now"; expected <cr>

            """)
        #expect(shell("show running-config") == nil)
        #expect(shell("") == nil)
    }

    @Test func caretFollowsTabs() {
        #expect(shell("server\t192.0.2.1\tminpoll 1") == "server\t192.0.2.1\tminpoll 1\n      \t         \t        ^\n% Expected an integer 3 to 17\n")
    }

    @Test func longLinesAreShownAroundTheColumn() throws {
        let line = "trust " + String(repeating: "1 ", count: 500) + "0 " + String(repeating: "2 ", count: 500)
        let text = try #require(shell(line))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("…") && lines[0].hasSuffix("…") && lines[0].count < 100)
        let caret = try #require(lines[1].firstIndex(of: "^"))
        #expect(lines[0][lines[0].index(lines[0].startIndex, offsetBy: lines[1].distance(from: lines[1].startIndex, to: caret))] == "0")
    }

    @Test func binaryBytesAreNotEchoed() throws {
        let text = try #require(shell("show\u{1}\u{0}"))
        #expect(text == "show??\n    ^\n% Invalid character U+0001\n")
    }

    @Test func fileForm() {
        #expect(file("frob") == #"ntp.conf:12:1: unknown command: "frob""#)
        #expect(file("server 192.0.2.1 minpoll 99") == "ntp.conf:12:26: expected an integer 3 to 17")
        #expect(file("server") == "ntp.conf:12:8: incomplete command: expected ADDRESS")
        #expect(file(#"comment "x"#) == "ntp.conf:12:9: unbalanced quote")
        #expect(file("# fine") == nil)
    }
}

@Suite struct HelpRenderingTests {
    private func command(_ id: String) -> Command { g.commands.first { $0.id == id }! }

    @Test func syntaxLines() {
        #expect(command("server").syntaxLine
            == "server ADDRESS [iburst] [prefer] [minpoll EXPONENT] [maxpoll EXPONENT] [key KEYID] [port PORT]")
        #expect(command("restrict").syntaxLine
            == "restrict (default | source | PREFIX | ADDRESS [mask MASK]) [(ignore | nomodify | noquery | kod)...]")
        #expect(command("trust").syntaxLine == "trust KEYID...")
        #expect(command("wait sync").syntaxLine == "wait sync [SECONDS]")
        #expect(command("step").syntaxLine == "step (now | SECONDS)")
        #expect(command("show running-config").syntaxLine == "show running-config")
    }

    @Test func overviewHasEveryCommand() {
        let text = g.helpOverview()
        for c in g.commands { #expect(text.contains(c.syntaxLine + "\n    " + c.help + "\n")) }
    }

    @Test func perCommandHelp() {
        #expect(g.help(for: command("server")) == """
            server ADDRESS [iburst] [prefer] [minpoll EXPONENT] [maxpoll EXPONENT] [key KEYID] [port PORT]
              Add an upstream server

              ADDRESS           Server address or host name
              iburst            Send a burst of eight packets when unreachable
              prefer            Prefer this server
              minpoll EXPONENT  Minimum poll exponent (log2 s) (3-17)
              maxpoll EXPONENT  Maximum poll exponent (log2 s) (3-17)
              key KEYID         Authenticate with this key (1-65535)
              port PORT         UDP port of the server (1-65535)

            """)
        #expect(g.help(forWords: ["sh", "run"])?.hasPrefix("show running-config\n") == true)
        #expect(g.help(forWords: ["show"])?.contains("show associations") == true)
        #expect(g.help(forWords: ["nothing"]) == nil)
    }

    @Test func manPageFragment() {
        let mdoc = g.mdoc(for: command("server"))
        #expect(mdoc.hasPrefix(".It Ic server Ar ADDRESS Oo Cm iburst Oc Oo Cm prefer Oc Oo Cm minpoll Ar EXPONENT Oc"))
        #expect(mdoc.contains("\nAdd an upstream server.\n.Bl -tag -width Ds -compact\n.It Ar ADDRESS\nServer address or host name.\n"))
        #expect(mdoc.contains(".It Cm minpoll Ar EXPONENT\nMinimum poll exponent (log2 s) (3-17).\n"))
        #expect(g.mdoc(for: command("restrict")).hasPrefix(
            ".It Ic restrict Po Cm default | Cm source | Ar PREFIX | Ar ADDRESS Oo Cm mask Ar MASK Oc Pc Oo Po Cm ignore | Cm nomodify | Cm noquery | Cm kod Pc No ... Oc\n"))
        let all = g.mdoc()
        #expect(all.hasPrefix(".Bl -tag -width Ds\n") && all.hasSuffix(".El\n"))
        #expect(all.components(separatedBy: "\n.It Ic ").count - 1 == g.commands.count)
        // Macro-like words and roff specials are escaped.
        let odd = Grammar {
            Command("Op", help: ".starts with a dot \\ and backslash") { Keyword("|", help: "pipe") }
        }
        #expect(odd.mdoc(for: odd.commands[0]) == ".It Ic \\&Op Cm \\&|\n\\&.starts with a dot \\e and backslash.\n.Bl -tag -width Ds -compact\n.It Cm \\&|\npipe.\n.El\n")
    }

    @Test func wordsForShellCompletion() {
        #expect(g.commandWords == ["comment", "drift", "driftfile", "hostname", "lab", "listen", "no", "peers",
                                   "restrict", "server", "show", "shutdown", "slew", "step", "terminal", "trust", "wait"])
        let tree = Dictionary(uniqueKeysWithValues: g.commandWordTree.map { ($0.path, $0.next) })
        #expect(tree[["show"]] == ["associations", "running-config"])
        #expect(tree[["lab"]] == ["reset", "speed"])
        #expect(tree[[]] == g.commandWords)
        #expect(g.allKeywords.contains("iburst") && g.allKeywords.contains("running-config"))
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [Substring] {
        var parts: [Substring] = []
        var rest = self[...]
        while let r = rest.firstRange(of: separator) {
            parts.append(rest[..<r.lowerBound])
            rest = rest[r.upperBound...]
        }
        return parts + [rest]
    }
}
