// A batch of commands (`ntpsh -e …`, `-f FILE`, standard input): no prompt, each line's output
// written as it runs, the batch's exit status, and where it stops.

/// Runs a batch's lines one at a time; where the lines come from is the caller's.
public struct BatchRun {
    public let runner: CommandRunner
    /// `--keep-going`: a failing command does not stop the batch.
    public let keepGoing: Bool
    /// Where a command's output and error go.
    public var write: (CommandRunner.Output) -> Void
    /// The exit status so far: the last command's (1 when one failed and stopped the batch).
    public private(set) var status: Int32 = 0

    public init(runner: CommandRunner, keepGoing: Bool, write: @escaping (CommandRunner.Output) -> Void) {
        self.runner = runner; self.keepGoing = keepGoing; self.write = write
    }

    /// Runs one line; false when the batch must stop here (`quit`, or a failure without
    /// `keepGoing`). Blank lines and comments are not commands: they keep the last status.
    public mutating func run(_ line: String, from origin: CommandRunner.Origin) -> Bool {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if code.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { return true }
        let out = runner.run(line, from: origin)
        write(out)
        status = out.status
        if out.quit { return false }
        if out.error != nil && out.status != 0 && !keepGoing { status = 1; return false }
        return true
    }
}
