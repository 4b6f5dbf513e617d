// A shipped lab's script run through a runner: taught (its notes, each command and what it
// printed, a pause between steps) or checked unattended (failures and the summary only).
public import NTPShell

public struct LabTeacher {
    public let scenario: LabScenario
    /// On a terminal the lab teaches; run unattended it only checks.
    public let teach: Bool
    /// Where the lab's text goes.
    public var write: (String) -> Void
    /// A taught lab's pause between steps: true to go on pausing, false to run the rest
    /// without stopping.
    public var waitForStudent: () -> Bool

    public init(scenario: LabScenario, teach: Bool, write: @escaping (String) -> Void, waitForStudent: @escaping () -> Bool) {
        self.scenario = scenario; self.teach = teach; self.write = write; self.waitForStudent = waitForStudent
    }

    /// Runs the script; true when every command ran and every `expect` held. Ends with the
    /// summary line.
    public func run(_ runner: CommandRunner) -> Bool {
        // Between steps (a note after commands) the taught lab waits for the student.
        var pausing = teach
        var afterCommand = false
        var failures = 0, expects = 0, failedExpects = 0
        for (i, line) in scenario.script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = String(line)
            if text.hasPrefix("#") {
                if pausing && afterCommand { pausing = waitForStudent() }
                afterCommand = false
                if teach { write(LabScenario.note(text)) }
                continue
            }
            if text.allSatisfy({ $0 == " " }) { continue }
            if teach { write(LabScenario.commandLine(text)) }
            afterCommand = true
            let match = runner.grammar.match(text)
            let isExpect = match.command?.id == LabCommandTable.expectID
            if isExpect { expects += 1 }
            let out = runner.run(text, from: .file("lab:\(scenario.name)", line: i + 1), matched: match)
            if teach { write(out.text) }
            if let e = out.error, out.status != 0 {
                write(e + "\n")
                if isExpect { failedExpects += 1 } else { failures += 1 }
            }
        }
        write("lab \(scenario.name): \(expects - failedExpects) of \(expects) expects hold"
              + (failures == 0 ? "" : "; \(failures) command\(failures == 1 ? "" : "s") failed") + "\n")
        return failures + failedExpects == 0
    }
}
