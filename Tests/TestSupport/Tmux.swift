import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct TmuxFailure: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A program running in a detached tmux session of fixed size, on a tmux server of its own
/// (`-L`), so nothing here touches anyone else's tmux. `close()` kills that server by name.
public final class TmuxSession {
    public let socket: String
    public let name = "editor"
    private(set) var closed = false
    private var socketPath = ""
    public let statusFile: String

    /// Starts `command` (an argv) in a `columns`×`rows` pane that stays after the program exits;
    /// the shell running it writes its exit status to `statusFile`.
    public init(_ command: [String], environment: [String: String] = [:], statusFile: String,
         columns: Int = 100, rows: Int = 30) throws {
        socket = "le-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        self.statusFile = statusFile
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let shellCommand = (["env"] + env + command).map(Self.shellQuote).joined(separator: " ")
            + "; echo $? > " + Self.shellQuote(statusFile)
        try tmux(["new-session", "-d", "-s", name, "-x", "\(columns)", "-y", "\(rows)", shellCommand,
                  ";", "set-option", "-t", name, "remain-on-exit", "on"])
        socketPath = try tmux(["display-message", "-p", "#{socket_path}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { close() }

    /// Kills this test's tmux server (and so the program, if still running).
    public func close() {
        guard !closed else { return }
        closed = true
        _ = try? tmux(["kill-server"])
        if !socketPath.isEmpty { unlink(socketPath) }
    }

    /// Sends tmux key names (`Tab`, `Enter`, `C-c`, `Up`).
    public func keys(_ keys: String...) throws {
        try tmux(["send-keys", "-t", name] + keys)
    }

    /// Sends text literally.
    public func type(_ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
    }

    /// The visible pane, trailing blank lines removed.
    public func screen() throws -> [String] {
        var lines = try tmux(["capture-pane", "-p", "-t", name]).components(separatedBy: "\n")
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// Polls the pane until `predicate` holds; on timeout fails with `what` and the pane.
    @discardableResult
    public func waitFor(_ what: String, timeout: Double = 15, _ predicate: ([String]) -> Bool) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String] = []
        while true {
            last = try screen()
            if predicate(last) { return last }
            if Date() >= deadline { break }
            usleep(20_000)
        }
        throw TmuxFailure(description: "timed out after \(timeout) s waiting for \(what); the pane shows:\n"
                          + last.map { "| " + $0 }.joined(separator: "\n"))
    }

    /// Waits until the last line of the pane is exactly `line`.
    @discardableResult
    public func waitForLastLine(_ line: String, timeout: Double = 15) throws -> [String] {
        try waitFor("the last line to read \"\(line)\"", timeout: timeout) { $0.last == line }
    }

    /// Waits for the program to exit and returns its status (written by the shell that ran it:
    /// tmux 3.3a now and then leaves a pane's exited process unreaped, so `pane_dead` is not used).
    public func waitForExit(timeout: Double = 15) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: statusFile, encoding: .utf8), text.hasSuffix("\n"),
               let status = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return status
            }
            usleep(20_000)
        }
        throw TmuxFailure(description: "the program did not exit within \(timeout) s; the pane shows:\n"
                          + ((try? screen()) ?? []).map { "| " + $0 }.joined(separator: "\n"))
    }

    @discardableResult
    private func tmux(_ args: [String]) throws -> String {
        let (status, output) = try runQuietly(["/usr/bin/perl", "-MPOSIX", "-e", Self.cleanExec, "tmux", "-L", socket] + args)
        guard status == 0 || args.first == "kill-server" else {
            throw TmuxFailure(description: "tmux \(args.joined(separator: " ")) exited \(status): \(output)")
        }
        return output
    }

    /// Clears the signal mask and closes every descriptor above 2 before exec'ing the rest.
    private static let cleanExec =
        "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); POSIX::close($_) for 3..1023; exec @ARGV or die"

    public static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Runs argv[0] with stdin from /dev/null and stdout+stderr into a temporary file, waits for it
/// and returns its status and output. Not Foundation's Process: it learns of the exit through a
/// descriptor the child inherits, so a daemon forked by the child (the tmux server) would keep
/// it waiting; and it starts children with every signal blocked.
public func runQuietly(_ argv: [String]) throws -> (Int32, String) {
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)").path
    defer { unlink(outPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    let cEnv = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { cEnv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
    guard rc == 0 else { throw TmuxFailure(description: "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let exited = status & 0x7f == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
}
