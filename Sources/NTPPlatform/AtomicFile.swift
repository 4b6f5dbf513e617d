import Glibc
import SystemPackage

/// Writes that leave either the old file or the new one whole: write a temporary file in the
/// same directory, fsync it, rename it over the target, fsync the directory.
///
/// The temporary is created with `O_EXCL|O_NOFOLLOW` under an unpredictable name, so a name
/// planted in the directory (a symbolic link to some victim) is never written through; it gets
/// the replaced file's mode and owner before the rename. A target that is itself a symbolic
/// link is refused unless the caller asks to follow it (`write follow`): then the file it points
/// to is replaced and the link stays.
///
/// Crash tests stop a write where a crash would hurt most: with `NTPSH_ATOMIC_PAUSE` set to
/// `before-rename:MARKER` or `after-rename:MARKER`, the writer creates the file MARKER at that
/// point and waits there (up to a minute) to be killed.
public enum AtomicFile {
    /// Replaces `path` with `contents`. With `keepBackup`, the previous file stays as `path.bak`.
    /// With `followSymlink`, a symbolic link at `path` has the file it points to replaced;
    /// without, it is refused.
    public static func write(_ contents: String, to path: String, keepBackup: Bool = false,
                             followSymlink: Bool = false) throws(SystemCallError) {
        let target = try resolve(path, followSymlink: followSymlink)
        let (fd, temp) = try createTemporary(beside: target.path)
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temp) }
        }
        if let original = target.existing {
            // The replacement keeps the original's owner and permissions (fchown first: it may
            // clear set-id bits that fchmod then restores).
            if original.st_uid != geteuid() || original.st_gid != getegid() {
                _ = try systemCall("fchown") { fchown(fd, original.st_uid, original.st_gid) }
            }
            _ = try systemCall("fchmod") { fchmod(fd, original.st_mode & 0o7777) }
        }
        try writeAll(contents, to: fd)
        _ = try systemCall("fsync") { fsync(fd) }
        if keepBackup, target.existing != nil {
            // The backup is replaced atomically too: a hard link under a temporary name, renamed.
            let bakTemp = try createTemporary(beside: target.path, linkingTo: target.path)
            do {
                _ = try systemCall("rename") { rename(bakTemp, target.path + ".bak") }
            } catch {
                unlink(bakTemp)
                throw error
            }
        }
        pauseForCrashTest(at: "before-rename")
        _ = try systemCall("rename") { rename(temp, target.path) }
        ok = true
        pauseForCrashTest(at: "after-rename")
        let dir = target.path.lastIndex(of: "/").map { String(target.path[..<$0]) } ?? "."
        let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// The file to replace: `path`, or with `followSymlink` what its link resolves to; with its
    /// status when it exists (a regular file; anything else is refused).
    private static func resolve(_ path: String, followSymlink: Bool) throws(SystemCallError) -> (path: String, existing: stat?) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let e = errno
            if e == ENOENT { return (path, nil) }
            throw SystemCallError("lstat(\(path))", errno: Errno(rawValue: e))
        }
        var resolved = path
        if info.st_mode & S_IFMT == S_IFLNK {
            guard followSymlink else {
                throw SystemCallError("write(\(path)): a symbolic link, refused (at the shell, 'write follow' replaces the file it points to)",
                                      errno: .tooManySymbolicLinkLevels)
            }
            guard let real = realpath(path, nil) else {
                // A dangling link: the file it names does not exist yet.
                throw SystemCallError("realpath(\(path))", errno: Errno(rawValue: errno))
            }
            resolved = String(cString: real)
            free(real)
            guard lstat(resolved, &info) == 0 else { throw SystemCallError("lstat(\(resolved))", errno: Errno(rawValue: errno)) }
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SystemCallError("write(\(resolved)): not a regular file", errno: .invalidArgument)
        }
        return (resolved, info)
    }

    /// A new, empty file `PATH.tmp.<random>` in `path`'s directory, created exclusively (never
    /// through a link), or with `linkingTo` a new hard link to that file under such a name.
    private static func createTemporary(beside path: String) throws(SystemCallError) -> (Int32, String) {
        for _ in 0..<16 {
            let temp = path + ".tmp." + randomSuffix()
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, temp) }
            if errno == EINTR || errno == EEXIST { continue }
            throw SystemCallError("open(\(temp))", errno: Errno(rawValue: errno))
        }
        throw SystemCallError("open(\(path).tmp.*)", errno: .fileExists)
    }

    private static func createTemporary(beside path: String, linkingTo original: String) throws(SystemCallError) -> String {
        for _ in 0..<16 {
            let temp = path + ".bak.tmp." + randomSuffix()
            if link(original, temp) == 0 { return temp }
            if errno == EINTR || errno == EEXIST { continue }
            throw SystemCallError("link(\(original), \(temp))", errno: Errno(rawValue: errno))
        }
        throw SystemCallError("link(\(path).bak.tmp.*)", errno: .fileExists)
    }

    private static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
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
        let fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd >= 0 { close(fd) }
        for _ in 0..<600 { usleep(100_000) }
    }
}

/// Appends to a log-like file (statistics files), creating it; each call opens, writes and
/// closes. A symbolic link or anything but a regular file at `path` is refused (never written
/// through, never blocked on).
public enum AppendFile {
    public static func append(_ contents: String, to path: String) throws(SystemCallError) {
        let fd: Int32
        do {
            fd = try systemCall("open") { open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644) }
        } catch {
            if error.errno == .tooManySymbolicLinkLevels {
                throw SystemCallError("open(\(path)): a symbolic link, refused", errno: error.errno)
            }
            throw error.on(path)
        }
        defer { close(fd) }
        var info = stat()
        _ = try systemCall("fstat") { fstat(fd, &info) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SystemCallError("open(\(path)): not a regular file", errno: .invalidArgument)
        }
        try AtomicFile.writeAll(contents, to: fd)
    }
}
