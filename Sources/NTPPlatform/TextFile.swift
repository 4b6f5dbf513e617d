import SystemPackage
import Glibc

/// Whole-file text reads (configuration files, drift files).
public enum TextFile {
    /// The file's contents as UTF-8 (invalid bytes replaced). Files over `limit` bytes are refused.
    /// With `regularOnly`, anything but a regular file (a FIFO, a device such as /dev/urandom, a
    /// directory) is refused before a byte is read: opening does not wait for a FIFO's writer.
    public static func read(_ path: String, limit: Int = 64 << 20, regularOnly: Bool = false) throws(SystemCallError) -> String {
        let fd = try systemCall("open") { open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0)) }
        defer { close(fd) }
        if regularOnly {
            var info = stat()
            _ = try systemCall("fstat") { fstat(fd, &info) }
            guard info.st_mode & S_IFMT == S_IFREG else { throw SystemCallError("open", errno: .invalidArgument).on(path) }
            guard Int(info.st_size) <= limit else { throw SystemCallError("read", errno: .fileTooLarge).on(path) }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try systemCall("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw SystemCallError("read", errno: .fileTooLarge).on(path) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Directory listings (for completing file names).
public enum Directory {
    /// The entries of `path` with a trailing `/` on directories, sorted; nil if it cannot be read.
    public static func list(_ path: String) -> [String]? {
        guard let names = ProcFile.list(path) else { return nil }
        let base = path.hasSuffix("/") ? path : path + "/"
        return names.sorted().map { name in
            var st = stat()
            let isDirectory = stat(base + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            return isDirectory ? name + "/" : name
        }
    }
}
