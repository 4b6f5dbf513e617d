import Glibc

/// Log lines on stderr, one per event, with a level word (journald reads the stream as is).
/// Safe to use from any thread: each line is a single write(2).
public struct Log: Sendable {
    public var name: String
    /// Only warnings and errors (the shell shows events through `terminal monitor` instead).
    public var quiet: Bool

    public init(name: String, quiet: Bool = false) { self.name = name; self.quiet = quiet }

    public func error(_ message: String) { emit("error", message) }
    public func warning(_ message: String) { emit("warning", message) }
    public func notice(_ message: String) { if !quiet { emit("notice", message) } }
    public func info(_ message: String) { if !quiet { emit("info", message) } }

    private func emit(_ level: String, _ message: String) {
        var line = "\(name): \(level): \(message)\n"
        line.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }
}
