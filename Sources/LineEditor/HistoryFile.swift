// The persistent history: a plain UTF-8 text file, one entry per line, oldest first, at most
// `limit` lines. Each accepted line is appended (O_APPEND, so two shells interleave rather than
// overwrite); when the file already holds `limit` lines it is instead rewritten with the newest
// `limit - 1` and the new one, atomically (temporary file + rename). The file is created mode 0600.
// The file is re-read on each append (a few tens of KB at human typing speed) so that lines
// another shell appended count towards the bound.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A bounded history file. Errors are thrown to the caller (LineEditor ignores them: a shell
/// without a writable history file still edits lines).
public struct HistoryFile: Sendable {
    public let path: String
    public let limit: Int

    public struct IOError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(path: String, limit: Int) {
        self.path = path
        self.limit = max(1, limit)
    }

    /// The entries, oldest first, at most `limit` (the newest). A missing file is empty history.
    public func load() throws -> [String] {
        Array(try Self.readLines(path).suffix(limit))
    }

    /// Appends one entry and keeps the file within `limit` lines.
    public func append(_ entry: String) throws {
        let line = Self.sanitize(entry)
        let existing = try Self.readLines(path)
        if existing.count >= limit {
            try rewrite(existing.suffix(limit - 1) + [line])
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IOError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try Self.writeAll(fd, Array((line + "\n").utf8))
    }

    /// Replaces the file with `kept`, atomically.
    private func rewrite(_ kept: [String]) throws {
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IOError(description: "\(tmp): \(String(cString: strerror(errno)))") }
        var text = ""
        for l in kept { text += l; text += "\n" }
        do {
            try Self.writeAll(fd, Array(text.utf8))
        } catch {
            close(fd); unlink(tmp); throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno; unlink(tmp)
            throw IOError(description: "\(path): \(String(cString: strerror(e)))")
        }
    }

    /// One entry is one line: line breaks and other C0 controls inside it become spaces.
    static func sanitize(_ entry: String) -> String {
        String(String.UnicodeScalarView(entry.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7f ? " " : $0
        }))
    }

    static func readLines(_ path: String) throws -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return [] }
            throw IOError(description: "\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(description: "\(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.allSatisfy(\.isWhitespace) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(description: "write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }
}
