import Testing
import CommandGrammar

private let g = Sample.grammar

private let hooks: CompletionHooks = {
    var h = CompletionHooks()
    h.register("association") { _ in
        [CompletionCandidate("192.0.2.1", help: "assoc 1"), CompletionCandidate("192.0.2.17", help: "assoc 2"),
         CompletionCandidate("ntp.example.com", help: "assoc 3")]
    }
    h.register("key") { request in
        // Hooks see the values typed so far.
        let server = request.arguments.string("address") ?? "?"
        return [CompletionCandidate("1", help: "key for \(server)"), CompletionCandidate("12", help: "other")]
    }
    h.register("path") { request in
        request.partial.hasPrefix("/v")
            ? [CompletionCandidate("/var/", isComplete: false), CompletionCandidate("/vmlinuz")] : []
    }
    return h
}()

@Suite struct CompletionTests {
    @Test func commandWordsByPrefix() {
        let c = g.complete("sh")
        #expect(c.candidates.map(\.text) == ["show", "shutdown"])
        #expect(c.commonPrefix == "sh" && c.insertion == "" && !c.isUnique)
        #expect(c.candidates.first?.help == "Show running system information")
        let all = g.complete("")
        #expect(all.candidates.map(\.text).contains("server"))
        #expect(all.candidates.filter { $0.text == "show" }.count == 1)
    }

    @Test func uniqueCandidateInsertsTheRest() {
        let c = g.complete("show r")
        #expect(c.candidates.map(\.text) == ["running-config"])
        #expect(c.insertion == "unning-config" && c.isUnique)
        #expect(c.word == "r" && c.column == 6)
        #expect(g.complete("sh run").insertion == "ning-config")  // the words before may be prefixes
        #expect(g.complete(line: "show r and more", cursor: 6).insertion == "unning-config")
    }

    @Test func dynamicValuesFromHooks() {
        #expect(g.complete("server ", hooks: hooks).candidates.map(\.text) == ["192.0.2.1", "192.0.2.17", "ntp.example.com"])
        let c = g.complete("no server 192.0.2.1", hooks: hooks)
        #expect(c.candidates.map(\.text) == ["192.0.2.1", "192.0.2.17"])
        #expect(c.insertion == "")
        let key = g.complete("server 192.0.2.1 key ", hooks: hooks)
        #expect(key.candidates.map(\.text) == ["1", "12"])
        #expect(key.candidates.first?.help == "key for 192.0.2.1")
        // Without hooks, arguments offer nothing.
        #expect(g.complete("server ").candidates.isEmpty)
    }

    @Test func pathsThroughTheHook() {
        let c = g.complete("driftfile /v", hooks: hooks)
        #expect(c.candidates.map(\.text) == ["/var/", "/vmlinuz"])
        #expect(c.insertion == "")
        let one = g.complete("driftfile /va", hooks: hooks)
        #expect(one.candidates.map(\.text) == ["/var/"] && !one.isUnique && one.insertion == "r/")
    }

    @Test func usedOptionsAreNotOffered() {
        let c = g.complete("server 192.0.2.1 iburst ")
        #expect(c.candidates.map(\.text) == ["key", "maxpoll", "minpoll", "port", "prefer"])
        #expect(g.complete("server 192.0.2.1 iburst m").candidates.map(\.text) == ["maxpoll", "minpoll"])
        #expect(g.complete("server 192.0.2.1 minpoll ").candidates.isEmpty)
    }

    @Test func noCandidatesAfterAnError() {
        let c = g.complete("frob ")
        #expect(c.candidates.isEmpty)
        guard case .unknownCommand = c.error else { Issue.record("error"); return }
        #expect(g.complete("server x # comment ").candidates.isEmpty)
        #expect(g.complete("hostname \"abc").candidates.isEmpty)
    }

    @Test func describeListsWhatMayComeNext() {
        let d = g.describe("server 192.0.2.1 ")
        #expect(d.items.map(\.word) == ["iburst", "prefer", "minpoll", "maxpoll", "key", "port", "<cr>"])
        #expect(d.items[2].help == "Minimum poll exponent (log2 s)")
        let arg = g.describe("server 192.0.2.1 minpoll ")
        #expect(arg.items == [DescribeItem(word: "EXPONENT", help: "Minimum poll exponent (log2 s) (3-17)")])
        #expect(g.describe("server ").items.map(\.word) == ["ADDRESS"])
        #expect(g.describe("wait sync ").items.map(\.word) == ["SECONDS", "<cr>"])
        #expect(g.describe("sh").items.map(\.word) == ["show", "shutdown"])
        #expect(g.describe("restrict 1").items.map(\.word) == ["PREFIX", "ADDRESS"])
        #expect(g.describe("comment a b ").items.map(\.word) == ["TEXT", "<cr>"])
        let top = g.describe("")
        #expect(top.items.filter { $0.word == "show" }.count == 1)
        #expect(!top.items.contains { $0.word == "<cr>" })
    }

    @Test func describeRendersVtyshStyle() {
        let text = g.describe("show ").render()
        #expect(text == """
              running-config  Current configuration
              associations    Associations and their state

            """)
        guard case .unknownCommand = g.describe("bogus ").error else { Issue.record("describe error"); return }
    }
}
