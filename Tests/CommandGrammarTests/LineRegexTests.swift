import CommandGrammar
import Testing

/// The output filters' matcher: the usual syntax, linear time, clear refusals.
@Suite struct LineRegexTests {
    static func m(_ pattern: String, _ line: String) throws -> Bool { try LineRegex(pattern).matches(line) }

    @Test("literals, classes, anchors, groups, alternation and quantifiers match as in other engines")
    func semantics() throws {
        let cases: [(String, String, Bool)] = [
            ("stratum", "stratum=2, rootdelay", true), ("^s(how r|te)", "show running-config", true),
            ("^s(how r|te)", "step SECONDS", true), ("^s(how r|te)", "slew", false), ("===", "*LOCAL(0) ===", true),
            ("a.c", "abc", true), ("a.c", "ac", false), ("^abc$", "abc", true), ("^abc$", "abcd", false),
            ("[0-9]+ms", "delay 12ms", true), ("[^a-z]", "abc", false), ("[^a-z]", "ab1", true),
            (#"\d{2,3}"#, "a1b", false), (#"\d{2,3}"#, "a12b", true), (#"x{2}"#, "x", false), (#"x{2,}"#, "xxx", true),
            (#"\bpeer\b"#, "a peer here", true), (#"\bpeer\b"#, "peers", false), (#"\s\S"#, " a", true),
            ("colou?r", "color", true), ("(ab)+c", "ababc", true), ("(ab)+c", "ac", false), ("a|b|c", "zzc", true),
            (#"\.conf$"#, "ntp.conf", true), (#"\.conf$"#, "ntpXconf", false), ("[]a]", "]", true), ("a{x", "a{x", true),
            ("x*", "", true), ("(a*)*b", "aaab", true), ("a+?b", "aab", true), (#"[\d.]+"#, "1.5", true),
        ]
        for (pattern, line, expected) in cases {
            #expect(try Self.m(pattern, line) == expected, "\(pattern) on \(line)")
        }
    }

    @Test("back-references, look-around and malformed patterns are refused with a message")
    func refusals() {
        for (pattern, why) in [(#"(a)\1"#, "back-references"), ("(?=a)", "look-around"), ("(a", "unmatched '('"),
                               ("a)", "unmatched ')'"), ("[a", "unmatched '['"), ("*a", "nothing to repeat"),
                               ("a{5,2}", "reversed"), ("a{2000}", "over 1000"), (#"a\"#, "cannot end"), ("a++", "possessive")] {
            do {
                _ = try LineRegex(pattern)
                Issue.record("\(pattern) was accepted")
            } catch {
                #expect(error.description.contains(why), "\(pattern): \(error)")
            }
        }
        #expect(throws: LineRegex.SyntaxError.self) { try LineRegex("((a{1000}){1000})") }
    }

    @Test("patterns that backtrack exponentially elsewhere take linear time here")
    func linearTime() throws {
        let line = String(repeating: "a", count: 5000)
        #expect(try !Self.m("(a*)*b", line))
        #expect(try !Self.m(#"(\S+\s?)*!"#, String(repeating: "word ", count: 1000)))
        #expect(try !Self.m("(a|aa)+$b", line))
    }
}
