// LineEditor in a real terminal: line-editor-demo in a detached tmux session, driven with
// send-keys and read with capture-pane (polled until the expected text shows, with a timeout).
import Foundation
import TestSupport
import Testing

@Suite("LineEditor in a terminal (tmux)")
struct TerminalTests {
    func start(_ dir: String, history: String? = nil) throws -> TmuxSession {
        let demo = try demoBinary()
        let status = "\(dir)/status-\(UUID().uuidString)"
        let session = try TmuxSession([demo, history ?? "\(dir)/history"],
                                      environment: ["HOME": dir, "LANG": "C.UTF-8", "TERM": "xterm"],
                                      statusFile: status)
        try session.waitForLastLine("demo>")
        return session
    }

    @Test("Tab completes and lists, ? describes, Ctrl-C clears, Up recalls, Ctrl-D exits 0")
    func editing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try start(dir)
        defer { t.close() }

        // Tab inserts the completion.
        try t.type("pe")
        try t.keys("Tab")
        try t.waitForLastLine("demo> peers")
        try t.keys("Enter")
        try t.waitFor("ran: peers and a new prompt") { $0.suffix(2) == ["ran: peers", "demo>"] }

        // Several candidates: the first Tab inserts nothing, the second lists them with their help.
        try t.type("p")
        try t.keys("Tab")
        try t.waitForLastLine("demo> p")
        try t.keys("Tab")
        let listed = try t.waitFor("the candidate list and the line redrawn") {
            $0.suffix(4) == ["demo> p", "peers  Show the peers", "ping   Send a ping", "demo> p"]
        }
        #expect(!listed.contains { $0.contains("server") })

        // Ctrl-C drops the line and shows a fresh prompt.
        try t.keys("C-c")
        try t.waitFor("Ctrl-C to end the line and show a fresh prompt") { $0.suffix(2) == ["demo> p^C", "demo>"] }

        // ? prints the description below and redraws the line as it was; ? is not inserted.
        try t.type("sh?")
        try t.waitFor("the description of sh and the line redrawn") {
            $0.suffix(3) == ["demo> sh", "  show running-config  Show the configuration", "demo> sh"]
        }
        // Inside a quoted string ? is a character.
        try t.type(" \"what?")
        try t.waitForLastLine("demo> sh \"what?")
        try t.keys("C-c")
        try t.waitForLastLine("demo>")

        // Multibyte input is decoded (UTF-8 under C.UTF-8).
        try t.type("héllo wörld")
        try t.keys("Enter")
        try t.waitFor("the UTF-8 line echoed") { $0.suffix(2) == ["ran: héllo wörld", "demo>"] }

        // Up recalls the previous line; Up again the one before.
        try t.keys("Up")
        try t.waitForLastLine("demo> héllo wörld")
        try t.keys("Up")
        try t.waitForLastLine("demo> peers")
        try t.keys("C-c")
        try t.waitFor("a fresh prompt") { $0.suffix(2) == ["demo> peers^C", "demo>"] }

        // Ctrl-D on an empty line: readLine returns nil, the program exits 0.
        try t.keys("C-d")
        #expect(try t.waitForExit() == 0)
        try t.waitFor("the demo's goodbye") { $0.contains("bye") }
    }

    @Test("printAbove from another thread prints above the prompt and keeps the typed line")
    func messagesAbove() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try start(dir)
        defer { t.close() }

        // The background thread prints once the gate file exists: type first, then open the gate.
        let gate = "\(dir)/gate1"
        try t.type("tick \(gate)")
        try t.keys("Enter")
        try t.waitFor("ran: tick") { $0.suffix(2) == ["ran: tick \(gate)", "demo>"] }
        try t.type("sho")
        try t.waitForLastLine("demo> sho")
        #expect(FileManager.default.createFile(atPath: gate, contents: nil))
        try t.waitFor("the message above the prompt, the typed line intact") {
            $0.suffix(3) == ["ran: tick \(gate)", "tick 1 from a background thread", "demo> sho"]
        }
        // The line is still editable where it was: finish it with Tab and run it.
        try t.keys("Tab")
        try t.waitForLastLine("demo> show running-config")
        try t.keys("Enter")
        try t.waitFor("the completed line run") { $0.suffix(2) == ["ran: show running-config", "demo>"] }

        // The plain `tick` (200 ms later) with nothing typed.
        try t.type("tick")
        try t.keys("Enter")
        try t.waitFor("the timed message") { $0.suffix(3) == ["ran: tick", "tick 2 from a background thread", "demo>"] }

        // A message while the cursor sits inside a line wrapped over two rows (100 columns).
        let long = String(repeating: "x", count: 120)
        let gate3 = "\(dir)/gate3"
        try t.type("tick \(gate3)")
        try t.keys("Enter")
        try t.waitForLastLine("demo>")
        try t.type(long)
        try t.keys("C-a")
        try t.waitFor("the long line wrapped") { $0.last == String(repeating: "x", count: 26) }
        #expect(FileManager.default.createFile(atPath: gate3, contents: nil))
        let after = try t.waitFor("the message above the wrapped line") {
            $0.contains("tick 3 from a background thread")
        }
        let i = after.lastIndex(of: "tick 3 from a background thread")!
        #expect(Array(after[(i + 1)...]) == ["demo> " + String(repeating: "x", count: 94), String(repeating: "x", count: 26)])
        try t.keys("C-c")
        try t.waitForLastLine("demo>")
        try t.keys("C-d")
        #expect(try t.waitForExit() == 0)
    }

    @Test("history persists across runs, one entry a line, bounded")
    func historyAcrossRuns() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = "\(dir)/history"
        try "ping\nserver\n".write(toFile: history, atomically: true, encoding: .utf8)

        let t = try start(dir, history: history)
        defer { t.close() }
        try t.keys("Up")
        try t.waitForLastLine("demo> server")
        try t.keys("Up")
        try t.waitForLastLine("demo> ping")
        try t.keys("Enter")
        try t.waitFor("ran: ping") { $0.suffix(2) == ["ran: ping", "demo>"] }
        try t.type("peers")
        try t.keys("Enter")
        try t.waitFor("ran: peers") { $0.suffix(2) == ["ran: peers", "demo>"] }
        try t.keys("Enter")  // an empty line is not history
        try t.waitFor("the empty line echoed") { $0.suffix(2) == ["ran:", "demo>"] }
        try t.keys("C-d")
        #expect(try t.waitForExit() == 0)
        #expect(try String(contentsOfFile: history, encoding: .utf8) == "ping\nserver\nping\npeers\n")

        // A second run recalls what the first added.
        let t2 = try start(dir, history: history)
        defer { t2.close() }
        try t2.keys("Up")
        try t2.waitForLastLine("demo> peers")
        try t2.keys("C-d")  // not on a non-empty line: it deletes (nothing, at the end)
        try t2.keys("C-c")
        try t2.waitFor("a fresh prompt") { $0.suffix(2) == ["demo> peers^C", "demo>"] }
        try t2.keys("C-d")
        #expect(try t2.waitForExit() == 0)
    }
}
