import Foundation
import Testing

@Suite("generated documentation is fresh and lint-clean")
struct DocsTests {
    @Test("Completions/ match the flags, Man/ntpsh-commands.7 matches the grammar")
    func fresh() throws {
        for sh in ["bash", "zsh", "fish"] {
            let r = try run(ntpshBinary(), ["--generate-completion-script", sh])
            let committed = try String(contentsOf: packageRoot.appendingPathComponent("Completions/ntpsh.\(sh)"), encoding: .utf8)
            #expect(r.stdout == committed, "Completions/ntpsh.\(sh) is stale: run scripts/generate-docs.sh")
        }
        for (page, file) in [("commands", "Man/ntpsh-commands.7"), ("conf", "Man/ntpsh.conf.5")] {
            let generated = try run(ntpshBinary(), ["--generate-manual", page])
            let committed = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            #expect(generated.stdout == committed, "\(file) is stale: run scripts/generate-docs.sh")
        }
    }

    @Test("mandoc -T lint finds no warnings")
    func lint() throws {
        let pages = ["Man/ntpsh.1", "Man/ntpsh.conf.5", "Man/ntpsh-commands.7"].map { packageRoot.appendingPathComponent($0).path }
        let r = try run("/usr/bin/mandoc", ["-T", "lint", "-W", "warning"] + pages)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
}
