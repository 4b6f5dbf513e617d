// A shell line as the admin contract carries it (the control socket's `configure` call): where
// it came from and what it produced. The shell's runner uses these types as its own.

/// What a command produced.
public struct ShellOutput: Sendable, Equatable, Codable {
    public var text: String = ""
    public var error: String?
    /// The command's exit status (`ntpstat`: 0/1/2; `wait sync`: 0/1; errors: 1).
    public var status: Int32 = 0
    /// `quit`/`exit`.
    public var quit = false

    public init(text: String = "", error: String? = nil, status: Int32 = 0, quit: Bool = false) {
        self.text = text; self.error = error; self.status = status; self.quit = quit
    }

    public static func failure(_ message: String) -> ShellOutput { ShellOutput(error: message, status: 1) }
}

/// Where a line came from, which decides how its errors read.
public enum LineOrigin: Sendable, Equatable, Codable {
    /// Typed at the prompt: `% …` messages, the line echoed with a `^` under the column.
    case prompt
    /// Line `line` of a file (`FILE:LINE:COL: message`); `-` for standard input.
    case file(String, line: Int)
    /// The n-th `-e` option (`-e N:COL: message`).
    case option(Int)
}
