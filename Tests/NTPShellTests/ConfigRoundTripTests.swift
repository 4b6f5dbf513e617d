import NTPLab
import NTPEngine
import NTPSimulation
import Testing
@testable import NTPShell

/// What scripts/fuzz-config.sh checks, on the cases it found: the running configuration is
/// ntp.conf text that loads back to itself, and every error is located.
@Suite struct ConfigRoundTripTests {
    func load(_ text: String, files: String? = nil) -> (errors: [String], running: String) {
        let runner = CommandRunner(admin: SimulationAdmin.lab(seed: 1))
        runner.readFile = { _ in files }
        runner.recordsOrigins = true
        var errors: [String] = []
        for (i, line) in text.configurationLines.enumerated() {
            if let e = runner.run(String(line), from: .file("t.conf", line: i + 1)).error { errors.append(e) }
        }
        return (errors, runner.run("show running-config").text)
    }

    @Test("CRLF line ends, quoted paths with spaces, # inside a word: written back as they parse")
    func quotingAndLineEnds() {
        let text = "driftfile \"/var/lib/my drift\"\r\nkeys /etc/ntp#keys\r\nincludefile \"/etc/a \\\"b\\\"\"\r\nserver 192.0.2.1   iburst # comment\r\n"
        let first = load(text)
        #expect(first.errors.isEmpty, "\(first.errors)")
        #expect(first.running == """
            driftfile "/var/lib/my drift"
            keys /etc/ntp#keys
            includefile "/etc/a \\"b\\""
            server 192.0.2.1 iburst

            """)
        let second = load(first.running)
        #expect(second.errors.isEmpty)
        #expect(second.running == first.running)
    }

    @Test("includefile nested too deep is an error located at the including line")
    func includeDepth() {
        // Every file read holds `includefile deeper`; the name changes so it is no cycle.
        var depth = 0
        let runner = CommandRunner(admin: SimulationAdmin.lab(seed: 1))
        runner.readFile = { _ in depth += 1; return "includefile f\(depth)\n" }
        let out = runner.run("includefile f0", from: .file("t.conf", line: 3))
        #expect(out.error?.hasSuffix("f3:1:1: includefile f4: nested more than 5 deep") == true, "\(out.error ?? "")")
    }

    @Test("trustedkey takes NTPsec's ranges; no trustedkey takes ids out of them")
    func trustedKeyRanges() {
        let admin = SimulationAdmin.lab(seed: 1)
        let runner = CommandRunner(admin: admin)
        #expect(runner.run("trustedkey 1 (3 ... 5) (7...8)").error == nil)
        #expect(admin.keyStore().trusted == [1, 3, 4, 5, 7, 8])
        #expect(runner.run("no trustedkey (4 ... 5) 8").error == nil)
        #expect(admin.keyStore().trusted == [1, 3, 7])
        #expect(runner.run("show running-config").text == "trustedkey 1 3 7\n")
        #expect(runner.run("trustedkey (9 ... 2)").error?.contains("is not a range (FIRST ... LAST)") == true)
        #expect(runner.run("trustedkey (1 ... 70000)").error != nil)
    }
}
