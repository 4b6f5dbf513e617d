import Foundation
import TestSupport
import Testing

/// ntpsh's interactive shell in a 100×30 tmux pane, HOME in a fresh directory, optionally with
/// the local clock configured; returns the session and that directory.
private func startShell(localClock: Bool = true) throws -> (TmuxSession, String) {
    let home = try temporaryDirectory()
    var args = [ntpshBinary(), "--clock", "observe", "--port", "0"]
    if localClock { args += ["-c", try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n")] }
    let tmux = try TmuxSession(args, environment: ["HOME": home, "TERM": "xterm"], statusFile: home + "/status")
    return (tmux, home)
}

@Suite("the interactive shell in a real terminal", .serialized)
struct TerminalTests {
    @Test("pe+Tab completes peer, a second Tab lists peer and peers; ? lists help and keeps the line; peers renders; Ctrl-D exits 0")
    func interactive() throws {
        let (tmux, home) = try startShell()
        defer { tmux.close() }
        try tmux.waitFor("the prompt") { $0.last?.hasSuffix(":st11>") == true || $0.last?.hasSuffix(":unsync>") == true }
        try tmux.type("pe")
        try tmux.keys("Tab")
        // `peer` (the directive) and `peers` (the view) share the prefix: Tab completes it…
        try tmux.waitFor("pe+Tab to complete the common prefix peer") { $0.last?.hasSuffix("> peer") == true }
        try tmux.keys("Tab")
        // …and a second Tab lists both, with their help, keeping the line.
        let listed = try tmux.waitFor("Tab to list peer and peers") { lines in
            lines.contains { $0.hasPrefix("peer ") && $0.contains("symmetric peer") } && lines.contains { $0.hasPrefix("peers ") }
        }
        #expect(listed.last?.hasSuffix("> peer") == true, "the line is kept: \(listed)")
        try tmux.type("s")
        try tmux.keys("Enter")
        try tmux.waitFor("the peers view") { $0.contains { $0.hasPrefix("*LOCAL(0)") } && $0.contains { $0.contains("remote") } }
        try tmux.type("show ?")
        let screen = try tmux.waitFor("? to describe") { $0.contains { $0.contains("running-config  The running configuration") } }
        #expect(screen.last?.hasSuffix("> show") == true, "the line is kept as it was: \(screen)")
        try tmux.keys("C-u", "C-d")
        #expect(try tmux.waitForExit() == 0)
        #expect(FileManager.default.fileExists(atPath: home + "/.ntpsh_history"), "history is kept")
        let history = try String(contentsOfFile: home + "/.ntpsh_history", encoding: .utf8)
        #expect(history.contains("peers"))
    }

    @Test("configure: the prompt shows the candidate, Tab and ? know the mode's words, a directive edits the candidate only, end leaves")
    func configureMode() throws {
        let (tmux, _) = try startShell()
        defer { tmux.close() }
        try tmux.waitFor("the prompt") { $0.last?.hasSuffix(":st11>") == true || $0.last?.hasSuffix(":unsync>") == true }
        try tmux.type("configure")
        try tmux.keys("Enter")
        try tmux.waitFor("the configure prompt") { $0.last?.hasSuffix("(config)>") == true }
        try tmux.type("restrict 192.0.2.0/24 ignore")
        try tmux.keys("Enter")
        try tmux.type("comm")
        try tmux.keys("Tab")
        try tmux.waitFor("comm+Tab to complete commit") { $0.last?.hasSuffix("(config)> commit") == true }
        // The word is whole and the only one: Tab ended it with a space, so ? describes the next word.
        try tmux.type("?")
        try tmux.waitFor("? to describe commit's words") { lines in
            lines.contains { $0.contains("check") && $0.contains("--check-config") } && lines.contains { $0.contains("confirmed") }
        }
        try tmux.keys("C-u")
        try tmux.type("restrictions")
        try tmux.keys("Enter")
        try tmux.type("show configuration compare")
        try tmux.keys("Enter")
        let screen = try tmux.waitFor("the candidate's diff") { $0.contains { $0 == "+restrict 192.0.2.0/24 ignore" } }
        #expect(!screen.contains { $0.contains("192.0.2.0/24") && !$0.hasPrefix("+") && !$0.contains("(config)>") },
                "the running engine has no such entry: \(screen)")
        try tmux.type("end")
        try tmux.keys("Enter")
        try tmux.waitFor("the plain prompt again") { $0.last?.hasSuffix(":st11>") == true || $0.last?.hasSuffix(":unsync>") == true }
        try tmux.type("quit")
        try tmux.keys("Enter")
        #expect(try tmux.waitForExit() == 0)
    }

    @Test("engine events print above the prompt and leave the typed line intact")
    func eventsAbovePrompt() throws {
        let (tmux, _) = try startShell(localClock: false)
        defer { tmux.close() }
        try tmux.waitFor("the prompt") { $0.last?.hasSuffix(":unsync>") == true }
        try tmux.type("server 127.127.1.0")
        try tmux.keys("Enter")
        try tmux.type("sho")
        let screen = try tmux.waitFor("the new system peer event") { $0.contains { $0.contains("% new system peer LOCAL(0)") } }
        #expect(screen.last?.hasSuffix("> sho") == true, "typed text survives: \(screen)")
        try tmux.keys("C-u")
        try tmux.type("quit")
        try tmux.keys("Enter")
        #expect(try tmux.waitForExit() == 0)
    }

    @Test("watch refreshes a view until a key is pressed, then the prompt returns")
    func watch() throws {
        let (tmux, _) = try startShell()
        defer { tmux.close() }
        try tmux.waitFor("the prompt") { $0.last?.hasSuffix(":st11>") == true || $0.last?.hasSuffix(":unsync>") == true }
        try tmux.type("watch 0.2s peers")
        try tmux.keys("Enter")
        try tmux.waitFor("the watched view") { $0.first?.hasPrefix("Every 0.2 s: peers") == true && $0.contains { $0.hasPrefix("*LOCAL(0)") } }
        try tmux.type("q")
        try tmux.waitFor("the prompt again") { $0.last?.hasSuffix(":st11>") == true }
        try tmux.type("quit")
        try tmux.keys("Enter")
        #expect(try tmux.waitForExit() == 0)
    }

    @Test("Ctrl-C interrupts sleep, wait sync and watch and returns to the prompt; the shell and its engine keep running")
    func controlCInterruptsCommands() throws {
        let (tmux, _) = try startShell(localClock: false)
        defer { tmux.close() }
        let prompt: ([String]) -> Bool = { $0.last?.hasSuffix(":unsync>") == true }
        try tmux.waitFor("the prompt", prompt)
        for command in ["sleep 10m", "wait sync 10m"] {
            try tmux.type(command)
            try tmux.keys("Enter")
            try tmux.waitFor("\(command) to run") { $0.last?.hasSuffix("> \(command)") == true }
            try tmux.keys("C-c")
            try tmux.waitFor("\(command) interrupted, the prompt back") { lines in
                lines.contains { $0.contains("% interrupted") } && prompt(lines)
            }
            try tmux.keys("C-l")
        }
        try tmux.type("watch 0.2s peers")
        try tmux.keys("Enter")
        try tmux.waitFor("the watched view") { $0.first?.hasPrefix("Every 0.2 s: peers") == true }
        try tmux.keys("C-c")
        try tmux.waitFor("the prompt after watch", prompt)
        try tmux.type("quit")
        try tmux.keys("Enter")
        #expect(try tmux.waitForExit() == 0, "the shell was still running and quit normally")
    }
}
