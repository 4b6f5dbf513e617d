// libFuzzer target for the configuration parser: ntp.conf text run as ntpsh runs it at start
// (every line through the NTP grammar and CommandRunner, against the simulated engine), with
// the bytes after the first NUL as the contents of every other file it reads (`keys`,
// `includefile`). Built by scripts/fuzz-config.sh with the sources of the modules the runner and
// the lab need (scripts/lib/fuzz.sh's list) as one module (their imports of each other removed).
//
// For every input, besides not crashing: each error names its place as FILE:LINE:COL; and
// when it loads without an error, the running configuration it leaves (`show running-config`)
// loads again without an error and reads back the same.

#if canImport(Glibc)
import Glibc
#endif

/// Commands that would spend (virtual) time or leave the configuration: not configuration.
let skipped: Set<String> = [
    "sleep", "wait-sync", "step", "slew", "watch", "write", "quit", "exit", "expect",
    "lab-server", "lab-clock", "lab-advance", "lab-status",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let config = String(decoding: bytes[..<split], as: UTF8.self)
    let other = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : nil

    let first = load(config, files: other)
    for error in first.errors {
        for line in error.split(separator: "\n") {
            require(isLocated(line), "error without FILE:LINE:COL: \(line)")
        }
    }
    // A configuration that loaded cleanly leaves ntp.conf text that loads as it reads.
    guard first.errors.isEmpty else { return 0 }
    let text = first.running
    let second = load(text, files: other)
    require(second.errors.isEmpty, "running-config does not load again:\n\(text)\nerrors: \(second.errors)")
    require(second.running == text, "running-config changes when loaded again:\n\(text)\nthen\n\(second.running)")
    return 0
}

/// Runs `text` as a configuration file; returns the errors and `show running-config`.
func load(_ text: String, files: String?) -> (errors: [String], running: String) {
    let admin = SimulationAdmin.lab(seed: 1)
    let runner = LabShell.runner(admin: admin)
    runner.readFile = { _ in files }
    runner.recordsOrigins = true
    var errors: [String] = []
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = String(line)
        if let id = runner.grammar.match(line).command?.id, skipped.contains(id) { continue }
        if let e = runner.run(line, from: .file("fuzz.conf", line: i + 1)).error { errors.append(e) }
    }
    runner.recordsOrigins = false
    return (errors, runner.run("show running-config").text)
}

/// `FILE:LINE:COL: message` (FILE may itself hold colons: an included file's name is input too).
func isLocated(_ line: Substring) -> Bool {
    let chars = Array(line.utf8)
    func digits(from i: Int) -> Int? {
        var j = i
        while j < chars.count, chars[j] >= UInt8(ascii: "0"), chars[j] <= UInt8(ascii: "9") { j += 1 }
        return j > i ? j : nil
    }
    for i in chars.indices.dropFirst() where chars[i] == UInt8(ascii: ":") {
        guard let a = digits(from: i + 1), a < chars.count, chars[a] == UInt8(ascii: ":"),
              let b = digits(from: a + 1), b + 1 < chars.count, chars[b] == UInt8(ascii: ":"), chars[b + 1] == UInt8(ascii: " ")
        else { continue }
        return true
    }
    return false
}

/// `precondition` that also says what failed in -O builds, where the message would be dropped.
func require(_ condition: Bool, _ message: @autoclosure () -> String = "", line: UInt = #line) {
    if !condition {
        let text = "ConfigFuzz.swift:\(line): check failed \(message())\n"
        _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        fatalError()
    }
}
