// libFuzzer target for the command-line parser. Built by scripts/fuzz-grammar.sh together with
// the CommandGrammar sources into one module (no import), with -sanitize=fuzzer,address.
//
// The first byte picks the mode: raw bytes as a line (invalid UTF-8, NULs, quotes and all), or
// the bytes as indices into a vocabulary of keywords, keyword prefixes, values and separators,
// which gets deep into the sample grammar below. Every line is matched, completed at every
// cursor position of a prefix of it, described, and its errors rendered; results must be
// self-consistent (columns on the line, candidates extending the word, the same answer twice).

#if canImport(Glibc)
import Glibc
#endif

let fuzzGrammar = Grammar {
    Group("show", help: "Show information")
    Group("no", help: "Negate a command")
    Command("server", help: "Add a server") {
        Argument(.host, name: "ADDRESS", help: "Address or name", key: "address", completion: "dyn")
        Options {
            Flag("iburst", help: "Burst")
            Flag("prefer", help: "Prefer")
            Option("minpoll", .integer(3...17), name: "EXPONENT", help: "Minimum poll")
            Option("maxpoll", .integer(3...17), name: "EXPONENT", help: "Maximum poll")
            Option("key", .integer(1...65535), name: "KEYID", help: "Key", completion: "dyn")
            Option("offset", .offset(-1...1), name: "SECONDS", help: "Offset")
        }
    }
    Command("no server", help: "Remove a server") { Argument(.host, name: "ADDRESS", help: "Address", completion: "dyn") }
    Command("show running-config", help: "Configuration")
    Command("show peers", help: "Peers") { Optionally { Flag("-n", help: "Numeric") } }
    Command("shutdown", help: "Stop")
    Command("restrict", help: "Restrict") {
        OneOf {
            Keyword("default", help: "Default", key: "target")
            Argument(.prefix, name: "PREFIX", help: "Prefix")
            Seq {
                Argument(.address, name: "ADDRESS", help: "Address")
                Optionally { Option("mask", .netmask, name: "MASK", help: "Mask") }
            }
        }
        ZeroOrMore { OneOf { Flag("kod", help: "KoD", key: "f"); Flag("nomodify", help: "No modify", key: "f") } }
    }
    Command("step", help: "Step") { OneOf { Flag("now", help: "Now"); Argument(.offset(-10...10), name: "SECONDS", help: "Offset") } }
    Command("wait sync", help: "Wait") { Optionally { Argument(.duration(0...3600), name: "SECONDS", help: "Timeout") } }
    Command("drift", help: "Drift") { Argument(.ppm(-500...500), name: "PPM", help: "Frequency") }
    Command("listen", help: "Listen") { OneOf { Argument(.ipv4, name: "V4", help: "v4"); Argument(.ipv6, name: "V6", help: "v6") } }
    Command("trust", help: "Trust") { OneOrMore { Argument(.integer(1...65535), name: "KEYID", help: "Key") } }
    Command("nest", help: "Nested") {
        ZeroOrMore { Optionally { ZeroOrMore { Argument(.word, name: "W", help: "Word") } } }
        Optionally { Keyword("end", help: "End") }
    }
    Command("comment", help: "Comment") { Argument(.text, name: "TEXT", help: "Text") }
    Command("driftfile", help: "File") { Argument(.path, name: "FILE", help: "Path") }
}

let vocabulary = [
    "server", "ser", "s", "sh", "show", "running-config", "run", "peers", "-n", "no", "shutdown", "restrict",
    "default", "def", "mask", "kod", "nomodify", "no", "step", "now", "wait", "sync", "drift", "listen", "trust",
    "nest", "end", "comment", "driftfile", "iburst", "ib", "prefer", "minpoll", "maxpoll", "m", "key", "offset",
    "192.0.2.1", "10.0.0.0/8", "255.255.0.0", "::1", "fe80::1%eth0", "2001:db8::/32", "ntp.example.com", "4", "17",
    "99", "-1", "0.5s", "-20ms", "10m", "2h", "15ppm", "1e9", "nan", "\"", "\"quoted word\"", "\\", "#", "# c",
    "\u{0}", "\u{FFFD}", "é", "🇸🇪", "\t", "", "x",
]

let fuzzHooks: CompletionHooks = {
    var hooks = CompletionHooks()
    hooks.register("dyn") { request in
        [CompletionCandidate(request.partial + "1"), CompletionCandidate("192.0.2.1"), CompletionCandidate("")]
    }
    hooks.register("path") { request in [CompletionCandidate(request.partial + "/", isComplete: false)] }
    return hooks
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func grammarFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let line: String
    if bytes[0] & 1 == 0 {
        line = String(decoding: bytes.dropFirst(), as: UTF8.self)
    } else {
        line = bytes.dropFirst().map { vocabulary[Int($0) % vocabulary.count] }
            .joined(separator: bytes[0] & 2 == 0 ? " " : "  ")
    }
    check(line)
    return 0
}

private func check(_ line: String) {
    let count = line.count
    if line.utf8.allSatisfy({ $0 < 0x80 }) {
        let (ascii, characters) = Tokenizer.scanners(line)
        require(ascii == characters, "byte and Character scanners disagree")
    }
    let result = fuzzGrammar.match(line)
    if let column = result.column {
        require(column >= 1 && column <= count + 2, "column \(column) outside a \(count)-character line")
        require(result.errorMessage(line: line) != nil && result.errorMessage(source: "f", line: 1) != nil)
    }
    switch result {
    case .ok(let parsed):
        require(fuzzGrammar.match(line).command?.index == parsed.index, "same line, different command")
        for entry in parsed.arguments.entries { require(entry.column >= 1 && entry.column <= count) }
        require(!parsed.tokens.isEmpty)
    case .ambiguous(_, _, let candidates):
        require(candidates.count >= 2, "ambiguous with \(candidates)")
    case .empty:
        require(Tokenizer.tokenize(line).tokens.isEmpty)
    default:
        break
    }

    // Complete and describe at a few cursor positions.
    for cursor in Set([0, count / 3, count / 2, count]) {
        let completion = fuzzGrammar.complete(line: line, cursor: cursor, hooks: fuzzHooks)
        for candidate in completion.candidates {
            require(candidate.text.utf8.starts(with: completion.word.utf8), "candidate does not extend the word")
        }
        if !completion.candidates.isEmpty {
            require(completion.commonPrefix.utf8.starts(with: completion.word.utf8))
        }
        _ = completion.insertion
        let description = fuzzGrammar.describe(String(line.prefix(cursor)))
        require(description.items.allSatisfy { !$0.word.isEmpty })
        _ = description.render()
    }
}

/// `precondition` that also says what failed in -O builds, where the message would be dropped.
private func require(_ condition: Bool, _ message: @autoclosure () -> String = "", line: UInt = #line) {
    if !condition { fail(message(), line: line) }
}

private func fail(_ message: String, line: UInt = #line) -> Never {
    let text = "GrammarFuzz.swift:\(line): check failed \(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    fatalError()
}
