import Testing
import CommandGrammar

private let g = Sample.grammar

private func parse(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> ParsedCommand? {
    let result = g.match(line)
    guard case .ok(let parsed) = result else {
        Issue.record("\(line): \(result)", sourceLocation: sourceLocation)
        return nil
    }
    return parsed
}

@Suite struct MatcherTests {
    @Test func simpleCommandWithArgument() throws {
        let p = try #require(parse("server ntp.example.com"))
        #expect(p.id == "server")
        #expect(p.command.words == ["server"])
        #expect(p.arguments.string("address") == "ntp.example.com")
        #expect(p.arguments.column("address") == 8)
        #expect(!p.arguments.flag("iburst"))
    }

    @Test func optionsInAnyOrder() throws {
        let a = try #require(parse("server 192.0.2.1 iburst minpoll 4 prefer maxpoll 10 key 7"))
        let b = try #require(parse("server 192.0.2.1 key 7 maxpoll 10 prefer minpoll 4 iburst"))
        for p in [a, b] {
            #expect(p.arguments.flag("iburst") && p.arguments.flag("prefer"))
            #expect(p.arguments.int("minpoll") == 4)
            #expect(p.arguments.int("maxpoll") == 10)
            #expect(p.arguments.int("key") == 7)
            #expect(p.arguments.string("minpoll") == "4")
        }
        // Options by unique prefix too.
        let c = try #require(parse("server 192.0.2.1 ib minp 5 pre"))
        #expect(c.arguments.flag("iburst") && c.arguments.int("minpoll") == 5 && c.arguments.flag("prefer"))
    }

    @Test func eachOptionAtMostOnce() {
        guard case .noMatch(let column, let word, let expected) = g.match("server 192.0.2.1 iburst prefer iburst") else {
            Issue.record("repeated option accepted"); return
        }
        #expect(column == 32 && word == "iburst")
        #expect(!expected.contains("iburst") && !expected.contains("prefer"))
        #expect(expected.contains("minpoll") && expected.contains("<cr>"))
    }

    @Test func badArgumentPointsAtTheColumn() {
        guard case .badArgument(let column, let message) = g.match("server 192.0.2.1 minpoll 99") else {
            Issue.record("minpoll 99 accepted"); return
        }
        #expect(column == 26)
        #expect(message == "expected an integer 3 to 17")
        guard case .badArgument(8, "expected an IP address or host name") = g.match("server bad!name") else {
            Issue.record("bad host accepted"); return
        }
    }

    @Test func unknownIncomplete() {
        guard case .unknownCommand(1, "frobnicate") = g.match("frobnicate now") else { Issue.record("unknown"); return }
        guard case .unknownCommand(3, "xyz") = g.match("  xyz") else { Issue.record("unknown col"); return }
        guard case .incomplete(8, let expected) = g.match("server") else { Issue.record("incomplete"); return }
        #expect(expected == ["ADDRESS"])
        guard case .incomplete(_, let showNext) = g.match("show") else { Issue.record("show"); return }
        #expect(showNext == ["running-config", "associations"])
        guard case .noMatch(6, "bogus", _) = g.match("show bogus") else { Issue.record("show bogus"); return }
        guard case .noMatch(10, "extra", let e) = g.match("shutdown extra") else { Issue.record("extra"); return }
        #expect(e == ["<cr>"])
    }

    @Test func emptyLinesAndComments() {
        guard case .empty = g.match("") else { Issue.record("empty"); return }
        guard case .empty = g.match("   \t ") else { Issue.record("blank"); return }
        guard case .empty = g.match("# comment") else { Issue.record("comment"); return }
        #expect(g.match("server a.example # trailing").command?.arguments.string("address") == "a.example")
    }

    @Test func uniquePrefixesAndAmbiguity() throws {
        #expect(parse("sh run")?.id == "show running-config")
        #expect(parse("show ass")?.id == "show associations")
        #expect(parse("shut")?.id == "shutdown")
        #expect(parse("sl 10ms")?.id == "slew")
        #expect(parse("s 192.0.2.1")?.id == "server")   // only server takes an address
        guard case .ambiguous(1, "sh", let candidates) = g.match("sh") else { Issue.record("sh"); return }
        #expect(candidates == ["show", "shutdown"])
        guard case .ambiguous(1, "s", let all) = g.match("s") else { Issue.record("s"); return }
        #expect(all == ["server", "show", "shutdown", "slew", "step"])
        guard case .ambiguous(1, "sh", _) = g.match("sh bogus") else { Issue.record("sh bogus"); return }
        // Inside a command: "m" could be minpoll or maxpoll.
        guard case .ambiguous(18, "m", let polls) = g.match("server 192.0.2.1 m 4") else { Issue.record("m"); return }
        #expect(polls == ["maxpoll", "minpoll"])
        // An exact keyword wins over a longer one it prefixes, and over a host name.
        #expect(parse("restrict default")?.arguments.string("target") == "default")
    }

    @Test func multiWordAndGroups() {
        #expect(parse("no server 192.0.2.1")?.id == "no server")
        #expect(parse("terminal monitor")?.id == "terminal monitor")
        #expect(parse("t m")?.id == "terminal monitor")
        let speed = parse("lab speed 2.5")
        #expect(speed?.id == "lab speed")
        #expect(speed?.arguments.double("factor") == 2.5)
        #expect(parse("lab reset")?.command.words == ["lab", "reset"])
        #expect(parse("peers -n")?.id == "peers-view")
        #expect(parse("peers -n")?.arguments.flag("numeric") == true)
        #expect(parse("peers")?.arguments.flag("numeric") == false)
    }

    @Test func alternativesAndRepetition() throws {
        let r = try #require(parse("restrict 192.0.2.0 mask 255.255.255.0 nomodify noquery kod"))
        #expect(r.arguments.string("address") == "192.0.2.0")
        #expect(r.arguments.string("mask") == "255.255.255.0")
        #expect(r.arguments.strings("flags") == ["nomodify", "noquery", "kod"])
        let p = try #require(parse("restrict 10.0.0.0/8 ignore"))
        #expect(p.arguments.prefix("prefix")! == ("10.0.0.0", 8))
        #expect(parse("restrict source")?.arguments.string("target") == "source")
        #expect(parse("restrict ::1 noq")?.arguments.strings("flags") == ["noquery"])
        let t = try #require(parse("trust 1 2 3 65535"))
        #expect(t.arguments.ints("keys") == [1, 2, 3, 65535])
        guard case .incomplete = g.match("trust") else { Issue.record("one or more"); return }
        guard case .badArgument(9, "expected an integer 1 to 65535") = g.match("trust 1 0") else { Issue.record("trust 0"); return }
    }

    @Test func typedArgumentsInCommands() throws {
        #expect(parse("step now")?.arguments.flag("now") == true)
        #expect(parse("step -20ms")?.arguments.double("offset") == -0.02)
    }

    @Test func offsetUnitsAreChecked() {
        guard case .badArgument(6, let m) = g.match("step 1h") else { Issue.record("1h"); return }
        #expect(m.hasPrefix("expected an offset"))
        #expect(g.match("wait sync").command?.arguments.has("timeout") == false)
        #expect(g.match("wait sync 10m").command?.arguments.double("timeout") == 600)
        #expect(g.match("drift -12.5ppm").command?.arguments.double("ppm") == -12.5)
        #expect(g.match("listen 192.0.2.1").command?.arguments.string("v4") == "192.0.2.1")
        #expect(g.match("listen ::1").command?.arguments.string("v6") == "::1")
        #expect(g.match(#"driftfile "/tmp/with space""#).command?.arguments.string("file") == "/tmp/with space")
    }

    @Test func restOfLineText() throws {
        let p = try #require(parse(#"comment  hello   "quoted  words" end # not this"#))
        #expect(p.arguments.string("text") == #"hello   "quoted  words" end"#)
        #expect(p.arguments.column("text") == 10)
        #expect(parse("comment x")?.arguments.string("text") == "x")
        guard case .incomplete = g.match("comment") else { Issue.record("comment alone"); return }
    }

    @Test func quotedWordsAreArgumentsNeverKeywords() {
        guard case .unknownCommand = g.match(#""server" 192.0.2.1"#) else { Issue.record("quoted keyword"); return }
        #expect(g.match(#"hostname "show""#).command?.arguments.string("name") == "show")
        #expect(g.match(#"hostname """#).command?.arguments.string("name") == "")
    }

    @Test func tokenizerErrorsAreBadArguments() {
        guard case .badArgument(9, "unbalanced quote") = g.match(#"comment "abc"#) else { Issue.record("quote"); return }
        guard case .badArgument(5, "invalid character U+0000") = g.match("show\u{0}") else { Issue.record("nul"); return }
    }

    @Test func actionsTravelWithTheCommand() {
        enum Handler: Sendable { case greet }
        let grammar = Grammar {
            Command("hello", help: "Say hello", action: Handler.greet)
        }
        let parsed = grammar.match("hello").command
        #expect(parsed?.action as? Handler == .greet)
        #expect(parsed?.id == "hello")
    }
}
