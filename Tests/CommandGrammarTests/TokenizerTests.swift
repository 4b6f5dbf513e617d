import Testing
@testable import CommandGrammar

@Suite struct TokenizerTests {
    @Test func wordsAndColumns() {
        let line = Tokenizer.tokenize("  server  pool.ntp.org\tiburst ")
        #expect(line.error == nil)
        #expect(line.tokens.map(\.text) == ["server", "pool.ntp.org", "iburst"])
        #expect(line.tokens.map(\.column) == [3, 11, 24])
        #expect(line.tokens.map(\.length) == [6, 12, 6])
        #expect(line.endsInSpace)
    }

    @Test func quotesAndEscapes() {
        let line = Tokenizer.tokenize(#"comment "a b" x"y z"w "q\"t\\" """#)
        #expect(line.error == nil)
        #expect(line.tokens.map(\.text) == ["comment", "a b", "xy zw", #"q"t\"#, ""])
        #expect(line.tokens.map(\.quoted) == [false, true, true, true, true])
        #expect(line.tokens.map(\.column) == [1, 9, 15, 23, 32])
        #expect(Tokenizer.tokenize(#""tab\there\n""#).tokens.first?.text == "tab\there\n")
    }

    @Test func commentsEndTheLine() {
        let line = Tokenizer.tokenize("server a # the rest \"unbalanced")
        #expect(line.error == nil)
        #expect(line.tokens.map(\.text) == ["server", "a"])
        #expect(line.hasComment)
        #expect(Tokenizer.tokenize("# only a comment").tokens.isEmpty)
        // Inside a word or quotes, # is an ordinary character.
        #expect(Tokenizer.tokenize("driftfile /tmp/a#b \"#x\"").tokens.map(\.text) == ["driftfile", "/tmp/a#b", "#x"])
    }

    @Test func unbalancedQuoteHasTheQuoteColumn() {
        let line = Tokenizer.tokenize(#"comment abc "open ended"#)
        #expect(line.error == TokenizeError(column: 13, message: "unbalanced quote"))
        #expect(Tokenizer.tokenize(#"x "ends in backslash\"#).error?.column == 3)
    }

    @Test func controlCharactersAreRejectedWithColumn() {
        #expect(Tokenizer.tokenize("ab\u{0}cd").error == TokenizeError(column: 3, message: "invalid character U+0000"))
        #expect(Tokenizer.tokenize("ok \"x\u{1B}\"").error?.column == 6)
        #expect(Tokenizer.tokenize("a\u{7F}").error?.message == "invalid character U+007F")
        // Tabs inside quotes are fine.
        #expect(Tokenizer.tokenize("\"a\tb\"").tokens.first?.text == "a\tb")
    }

    @Test func columnsCountCharacters() {
        let line = Tokenizer.tokenize("hostname café 🇸🇪x y")
        #expect(line.tokens.map(\.column) == [1, 10, 15, 18])
    }

    @Test func completionSplitsOffThePartialWord() {
        var (line, partial) = Tokenizer.tokenizeForCompletion("show ru")
        #expect(line.tokens.map(\.text) == ["show"])
        #expect(partial.text == "ru" && partial.column == 6)
        (line, partial) = Tokenizer.tokenizeForCompletion("show ")
        #expect(line.tokens.map(\.text) == ["show"])
        #expect(partial.text == "" && partial.column == 6)
        (line, partial) = Tokenizer.tokenizeForCompletion(#"driftfile "/tmp/my f"#)
        #expect(line.error == nil)
        #expect(partial.text == "/tmp/my f" && partial.quoted)
        (line, partial) = Tokenizer.tokenizeForCompletion("")
        #expect(line.tokens.isEmpty && partial.column == 1)
    }

    @Test func byteAndCharacterScannersAgreeOnASCII() {
        let lines = ["", " ", "a", "server  x\ty ", "a\r\nb", "\"a\r\nb\"", #"x "q\"t" "\r\n" y"#, #""\"#,
                     "# c", "a#b #c", "a\u{0}b", "\"x\u{1}\"", "\"open", "\"esc\\\r\n\" z", "\u{7F}", "w\r",
                     #"a"b"c"d e"#, "\u{0B}\u{0C}v"]
        for line in lines {
            let (ascii, characters) = Tokenizer.scanners(line)
            #expect(ascii == characters, "\(line.debugDescription)")
        }
    }
}
