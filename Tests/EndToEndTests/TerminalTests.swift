import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A tmux session running a command in a real terminal, driven by keys and read by screen.
final class TmuxSession {
    let name = "ntpsh-e2e-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"

    init(_ command: String, width: Int = 100, height: Int = 30) throws {
        let r = try run("/usr/bin/tmux", ["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), command])
        guard r.status == 0 else { throw TestFailure("tmux: \(r.stderr)") }
    }

    func send(_ keys: String...) throws { _ = try run("/usr/bin/tmux", ["send-keys", "-t", name] + keys) }

    func screen() throws -> String { try run("/usr/bin/tmux", ["capture-pane", "-p", "-t", name]).stdout }

    /// Polls the screen (bounded) until `condition` holds.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        throw TestFailure("timed out waiting for \(what); screen:\n\(last)")
    }

    deinit { _ = try? run("/usr/bin/tmux", ["kill-session", "-t", name]) }
}

@Suite("the interactive shell in a real terminal", .serialized)
struct TerminalTests {
    @Test("pe+Tab completes peers; ? lists help and keeps the line; peers renders; Ctrl-D exits 0")
    func interactive() throws {
        let home = try temporaryDirectory()
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n")
        let status = home + "/status"
        let tmux = try TmuxSession("HOME=\(home) \(ntpshBinary()) --clock observe --port 0 -c \(conf); echo $? > \(status); sleep 60")
        try tmux.waitFor("the prompt") { $0.contains(":st11> ") || $0.contains(":unsync> ") }
        try tmux.send("pe", "Tab")
        try tmux.waitFor("pe+Tab to complete peers") { $0.contains("> peers") }
        try tmux.send("Enter")
        try tmux.waitFor("the peers view") { $0.contains("LOCAL(0)") && $0.contains("remote") }
        try tmux.send("show ", "?")
        let help = try tmux.waitFor("? to describe") { $0.contains("running-config") && $0.contains("The running configuration") }
        #expect(help.split(separator: "\n").last { $0.contains("> ") }?.hasSuffix("> show") == true, "the line is kept: \(help)")
        try tmux.send("C-u", "C-d")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !FileManager.default.fileExists(atPath: status) { usleep(50_000) }
        let code = try String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code == "0")
        #expect(FileManager.default.fileExists(atPath: home + "/.ntpsh_history"), "history is kept")
    }
}
