import Foundation
import TestSupport
import Testing

/// An interactive lab in a real terminal (tmux): the scenario teaches as it goes, the shell
/// opens in it, lab time runs while the shell waits, and `plot` draws in braille.
@Suite("an interactive lab in a real terminal", .serialized)
struct LabTerminalTests {
    static func start(_ args: [String], rows: Int = 40) throws -> TmuxSession {
        let home = try temporaryDirectory()
        return try TmuxSession([ntpshBinary()] + args,
                               environment: ["HOME": home, "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"],
                               statusFile: home + "/status", columns: 100, rows: rows)
    }

    @Test("ntpsh --lab client-tutorial: notes, then the shell; plot offset draws a braille chart")
    func scenarioNotesAndPlot() throws {
        let tmux = try Self.start(["--lab", "client-tutorial"])
        defer { tmux.close() }
        // The taught lab waits between steps: Enter goes on to the next, q runs the rest.
        let pause = "  -- Enter: next step"
        var paused = try tmux.waitFor("the first pause", timeout: 30) { $0.contains { $0.hasPrefix(pause) } }
        #expect(!paused.contains { $0.contains("expects hold") }, "the lab waits for the student")
        try tmux.keys("Enter")
        paused = try tmux.waitFor("the second pause", timeout: 30) { $0.filter { $0.hasPrefix(pause) }.count == 2 }
        try tmux.type("q")
        try tmux.keys("Enter")
        try tmux.waitFor("the scenario's summary and the prompt", timeout: 30) { screen in
            screen.contains { $0.contains("lab client-tutorial: 4 of 4 expects hold") } && screen.last?.hasSuffix(":st2>") == true
        }
        try tmux.keys("C-l")
        try tmux.type("plot offset")
        try tmux.keys("Enter")
        let screen = try tmux.waitFor("the chart") { screen in
            screen.contains { $0.hasPrefix("clock offset (ms): ") } && screen.contains { $0.contains("└────") }
        }
        let chart = screen.drop { !$0.hasPrefix("clock offset (ms): ") }
        let braille = chart.joined().unicodeScalars.filter { (0x2801...0x28FF).contains($0.value) }
        #expect(braille.count > 40, "a line of braille dots: \(screen.joined(separator: "\n"))")
        #expect(chart.filter { $0.contains("┤") }.count == 3, "three y labels")
        try tmux.type("quit")
        try tmux.keys("Enter")
        #expect(try tmux.waitForExit() == 0)
    }

    @Test("lab time runs while the shell waits (lab speed), stops when paused; a teaching note shows")
    func timeRunsWhileWaiting() throws {
        let tmux = try Self.start(["--lab", "falseticker"], rows: 70)
        defer { tmux.close() }
        try tmux.waitFor("the first pause", timeout: 30) { $0.contains { $0.hasPrefix("  -- Enter: next step") } }
        try tmux.type("q")
        try tmux.keys("Enter")
        try tmux.waitFor("the prompt", timeout: 30) { $0.last?.hasSuffix(":st2>") == true }
        #expect(try tmux.screen().contains { $0.hasPrefix("  | The intersection algorithm leaves 10.0.0.5 out") })
        func elapsed() throws -> Double {
            try tmux.keys("C-l")
            try tmux.type("lab status | include virtual")
            try tmux.keys("Enter")
            let screen = try tmux.waitFor("lab status") { $0.contains { $0.hasPrefix("virtual time") } }
            let line = screen.first { $0.hasPrefix("virtual time") } ?? ""
            return Double(line.split(separator: " ").dropFirst(2).first ?? "") ?? -1
        }
        try tmux.keys("C-l")
        try tmux.type("lab speed 3600x")
        try tmux.keys("Enter")
        try tmux.waitFor("the speed") { $0.contains("lab speed 3600x") }
        let t0 = try elapsed()
        // An hour of lab time passes in about a second of waiting.
        var t1 = t0
        let deadline = Date().addingTimeInterval(15)
        while t1 < t0 + 1800 && Date() < deadline { t1 = try elapsed() }
        #expect(t1 >= t0 + 1800, "lab time ran from \(t0) to \(t1)")
        // watch: the lab's time runs between refreshes too.
        try tmux.keys("C-l")
        try tmux.type("watch 0.2s lab status | include virtual")
        try tmux.keys("Enter")
        try tmux.waitFor("watch to show lab time an hour further on") { screen in
            guard screen.first?.hasPrefix("Every 0.2 s: lab status") == true,
                  let line = screen.first(where: { $0.hasPrefix("virtual time") }),
                  let t = Double(line.split(separator: " ").dropFirst(2).first ?? "") else { return false }
            return t > t1 + 3600
        }
        try tmux.keys("q")
        try tmux.waitFor("the prompt after watch") { $0.last?.hasSuffix(":st2>") == true }
        try tmux.keys("C-l")
        try tmux.type("lab pause")
        try tmux.keys("Enter")
        let p0 = try elapsed()
        let p1 = try elapsed()
        #expect(p1 == p0, "paused: \(p0) then \(p1)")
        try tmux.keys("C-d")
        #expect(try tmux.waitForExit() == 0)
    }
}
