import Glibc
import SystemPackage

/// Writes that leave either the old file or the new one whole: write a temporary file in the
/// same directory, fsync it, rename it over the target, fsync the directory.
///
/// Crash tests stop a write where a crash would hurt most: with `NTPSH_ATOMIC_PAUSE` set to
/// `before-rename:MARKER` or `after-rename:MARKER`, the writer creates the file MARKER at that
/// point and waits there (up to a minute) to be killed.
public enum AtomicFile {
    /// Replaces `path` with `contents`. With `keepBackup`, the previous file stays as `path.bak`.
    public static func write(_ contents: String, to path: String, keepBackup: Bool = false) throws(SystemCallError) {
        let temp = path + ".tmp.\(getpid())"
        let fd = try systemCall("open") { open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temp) }
        }
        try writeAll(contents, to: fd)
        _ = try systemCall("fsync") { fsync(fd) }
        if keepBackup, access(path, F_OK) == 0 {
            // The backup is replaced atomically too: a hard link under a temporary name, renamed.
            let bakTemp = path + ".bak.tmp.\(getpid())"
            unlink(bakTemp)
            _ = try systemCall("link") { link(path, bakTemp) }
            _ = try systemCall("rename") { rename(bakTemp, path + ".bak") }
        }
        pauseForCrashTest(at: "before-rename")
        _ = try systemCall("rename") { rename(temp, path) }
        ok = true
        pauseForCrashTest(at: "after-rename")
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    static func writeAll(_ contents: String, to fd: Int32) throws(SystemCallError) {
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = try systemCall("write") {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            }
            written += n
        }
    }

    private static func pauseForCrashTest(at point: String) {
        guard let setting = getenv("NTPSH_ATOMIC_PAUSE").map({ String(cString: $0) }),
              setting.hasPrefix(point + ":") else { return }
        let marker = String(setting.dropFirst(point.count + 1))
        let fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 { close(fd) }
        for _ in 0..<600 { usleep(100_000) }
    }
}

/// Appends to a log-like file (statistics files), creating it; each call opens, writes and closes.
public enum AppendFile {
    public static func append(_ contents: String, to path: String) throws(SystemCallError) {
        let fd = try systemCall("open") { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try AtomicFile.writeAll(contents, to: fd)
    }
}
