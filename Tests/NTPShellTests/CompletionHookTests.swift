import CommandGrammar
import NTPEngine
import NTPSimulation
import NTPWire
import Testing
@testable import NTPShell

/// Tab's dynamic values: association addresses and ids, restrict entries, file paths.
@Suite struct CompletionHookTests {
    @Test func dynamicValues() {
        let admin = TranscriptTests.world()
        let runner = CommandRunner(admin: admin)
        _ = runner.run("server 10.0.0.1")
        _ = runner.run("server 10.0.0.2")
        _ = runner.run("restrict 192.168.0.0 mask 255.255.255.0 nomodify")
        runner.listDirectory = { dir in dir == "/etc/" ? ["ntp/", "ntp.conf", "passwd"] : nil }
        let g = runner.grammar
        #expect(g.complete("no server 10.0.0.", hooks: runner.completionHooks()).candidates.map(\.text) == ["10.0.0.1", "10.0.0.2"])
        #expect(g.complete("rv ", hooks: runner.completionHooks()).candidates.map(\.text).contains("1"))
        #expect(g.complete("no restrict 192", hooks: runner.completionHooks()).candidates.map(\.text) == ["192.168.0.0/24"])
        let files = g.complete("driftfile /etc/nt", hooks: runner.completionHooks())
        #expect(Set(files.candidates.map(\.text)) == ["/etc/ntp/", "/etc/ntp.conf"])
        #expect(files.insertion == "p")
    }
}
