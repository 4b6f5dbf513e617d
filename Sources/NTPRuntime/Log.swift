import Glibc

/// Log lines on stderr, one per event, with a level. Under systemd (`JOURNAL_STREAM` names
/// this stderr, as sd-daemon(3) describes) each line starts with its syslog priority, `<3>` to
/// `<6>`, which journald turns into the entry's priority; elsewhere `ntpsh: LEVEL: message`.
/// Safe to use from any thread: each line is a single write(2). A message is always one line:
/// its control characters are escaped (``escaped(_:)``), so text from outside — a client's
/// hello, a host name, a mode 6 `:config` line, a line of a file — cannot forge a line or a
/// journald priority.
public struct Log: Sendable {
    public var name: String
    /// Only warnings and errors (the shell shows events through `terminal monitor` instead).
    public var quiet: Bool
    /// Lines carry `<N>` priority prefixes for journald.
    public var journal: Bool

    public init(name: String, quiet: Bool = false, journal: Bool = Log.stderrIsJournal()) {
        self.name = name; self.quiet = quiet; self.journal = journal
    }

    public func error(_ message: String) { emit(3, "error", message) }
    public func warning(_ message: String) { emit(4, "warning", message) }
    public func notice(_ message: String) { if !quiet { emit(5, "notice", message) } }
    public func info(_ message: String) { if !quiet { emit(6, "info", message) } }

    /// The line as written: `<5>message` for journald, else `ntpsh: notice: message`.
    func line(_ priority: Int, _ level: String, _ message: String) -> String {
        let message = Self.escaped(message)
        return journal ? "<\(priority)>\(message)\n" : "\(name): \(level): \(message)\n"
    }

    /// `text` with every control character (C0, DEL, C1, and the Unicode line and paragraph
    /// separators) written as an escape: `\n`, `\r`, `\t`, `\\`, else `\xNN` or `\u{NNNN}`.
    /// A backslash is doubled so that an escape in the input cannot pass for one of ours.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16)
                out += scalar.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{\(hex)}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || s.value == 0x7f || (0x80...0x9f).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
            || s == "\\"
    }

    private func emit(_ priority: Int, _ level: String, _ message: String) {
        var text = line(priority, level, message)
        text.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }

    /// Whether stderr is the stream systemd connected to the journal: `JOURNAL_STREAM` is
    /// `DEVICE:INODE` of that stream, and stderr must still be it (not redirected by a child).
    public static func stderrIsJournal() -> Bool {
        guard let env = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: env).split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
