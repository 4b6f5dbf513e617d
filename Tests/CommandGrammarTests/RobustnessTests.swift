import Testing
import CommandGrammar

private let g = Sample.grammar

@Suite struct RobustnessTests {
    @Test func oneMegabyteLines() {
        let word = String(repeating: "x", count: 1 << 20)
        guard case .unknownCommand(1, _) = g.match(word) else { Issue.record("1 MB word"); return }
        #expect(g.match("hostname " + word).command?.arguments.string("name")?.utf8.count == 1 << 20)
        let manyWords = String(repeating: "a ", count: 1 << 19)
        guard case .unknownCommand = g.match(manyWords) else { Issue.record("many words"); return }
        let comment = "comment " + manyWords
        #expect(g.match(comment).command?.arguments.string("text")?.utf8.count == (1 << 20) - 1)
        _ = g.complete(comment)
        _ = g.describe(comment)
        _ = g.match(manyWords).errorMessage(line: manyWords)
    }

    @Test func deepRepetition() throws {
        let n = 100_000
        let line = "trust " + (0..<n).map { String($0 % 65535 + 1) }.joined(separator: " ")
        let start = ContinuousClock.now
        let parsed = try #require(g.match(line).command)
        let elapsed = ContinuousClock.now - start
        #expect(parsed.arguments.ints("keys").count == n)
        print("trust with \(n) key ids: \(elapsed)")
        let bad = line + " 0"
        guard case .badArgument = g.match(bad) else { Issue.record("bad tail"); return }
        let restrict = "restrict default " + String(repeating: "kod noquery ", count: 50_000)
        #expect(g.match(restrict).command?.arguments.strings("flags").count == 100_000)
    }

    @Test func binaryAndInvalidUTF8() {
        var bytes: [UInt8] = Array("server ".utf8) + [0xFF, 0xFE, 0x00, 0xC3, 0x28, 0x22, 0x5C]
        let line = String(decoding: bytes, as: UTF8.self)
        guard case .badArgument(_, let message) = g.match(line) else { Issue.record("binary"); return }
        #expect(message.hasPrefix("invalid character") || message == "unbalanced quote")
        _ = g.match(line).errorMessage(line: line)
        bytes = Array("hostname ".utf8) + [0xFF, 0xFE]
        let repaired = String(decoding: bytes, as: UTF8.self)
        #expect(g.match(repaired).command?.arguments.string("name") == "\u{FFFD}\u{FFFD}")
        for text in ["\"", "\"\\", "a\"", "\"\"\"", "\\", "#\"", "server \"a b"] {
            _ = g.match(text).errorMessage(line: text)
            _ = g.complete(text)
            _ = g.describe(text)
        }
    }

    @Test func completionIsFastOnLongLines() {
        let line = "server 192.0.2.1 iburst prefer minpoll 4 maxpoll 10 key 5 port 123 " + String(repeating: " ", count: 10_000)
        let trust = "trust " + String(repeating: "42 ", count: 5_000)
        var hooks = CompletionHooks()
        hooks.register("association") { _ in [CompletionCandidate("192.0.2.1")] }
        for l in [line, trust] {
            _ = g.complete(l, hooks: hooks)
            let start = ContinuousClock.now
            let c = g.complete(l, hooks: hooks)
            let d = g.describe(l)
            let elapsed = ContinuousClock.now - start
            print("complete + describe on a \(l.count)-character line: \(elapsed)")
            // Measured, not asserted (BENCHMARKS.md has the release numbers); only a blow-up fails.
            #expect(elapsed < .seconds(10))
            _ = (c, d)
        }
    }

    @Test func tenThousandConfigLines() {
        let lines = (0..<10_000).map { i -> String in
            switch i % 8 {
            case 0: "server 192.0.2.\(i % 250 + 1) iburst minpoll 4 maxpoll 10 key \(i % 100 + 1)"
            case 1: "restrict 10.\(i % 250).0.0 mask 255.255.0.0 nomodify noquery kod"
            case 2: "# comment line \(i)"
            case 3: "driftfile /var/lib/ntp/drift.\(i)"
            case 4: "restrict default kod nomodify"
            case 5: "server ntp\(i).example.com prefer"
            case 6: "trust 1 2 3 4 5"
            default: "wait sync 10m"
            }
        }
        let start = ContinuousClock.now
        var ok = 0
        for line in lines {
            switch g.match(line) {
            case .ok: ok += 1
            case .empty: break
            default: Issue.record("failed: \(line)")
            }
        }
        let elapsed = ContinuousClock.now - start
        print("parsed 10,000 config lines in \(elapsed)")
        #expect(ok == 8750)
        #expect(elapsed < .seconds(60))  // a blow-up guard; the release timing is in BENCHMARKS.md
    }

    @Test func pathologicalGrammarsAreBounded() {
        // Options that do not start with keywords (lint reports them) can be read many ways.
        let wild = Grammar {
            Command("wild", help: "Wild") {
                Options { for i in 0..<24 { Argument(.word, name: "W\(i)", help: "w") } }
            }
        }
        #expect(!wild.lint().isEmpty)
        let start = ContinuousClock.now
        let result = wild.match("wild " + String(repeating: "x ", count: 30))
        #expect(ContinuousClock.now - start < .seconds(60))
        guard case .badArgument(_, "too many ways to read this line") = result else { Issue.record("\(result)"); return }
    }
}
