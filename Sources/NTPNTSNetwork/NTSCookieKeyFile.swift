import Glibc
public import NTPNTS
public import NTPPlatform

/// The cookie key file's I/O: written atomically with mode 0600, read back at start.
extension NTSCookieKeys {
    /// Writes the key file atomically with mode 0600.
    public func save(to path: String) throws(SystemCallError) {
        let old = umask(0o077)
        defer { umask(old) }
        try AtomicFile.write(fileText, to: path)
    }

    /// Loads the key file at `path`, or makes fresh keys and writes them when there is none.
    /// A file that exists but cannot be parsed is an error (never silently replaced).
    public static func loadOrCreate(path: String, now: Double, rotationInterval: Double = 86400, retainedKeys: Int = 3,
                                    using random: inout some RandomNumberGenerator) throws(NTSKeyFileError) -> NTSCookieKeys {
        if let text = readSmallFile(path) {
            var keys = try NTSCookieKeys(fileText: text, rotationInterval: rotationInterval, retainedKeys: retainedKeys)
            if keys.rotateIfDue(now: now, using: &random) {
                do throws(SystemCallError) { try keys.save(to: path) } catch { throw .write(String(describing: error)) }
            }
            return keys
        }
        let keys = NTSCookieKeys(now: now, rotationInterval: rotationInterval, retainedKeys: retainedKeys, using: &random)
        do throws(SystemCallError) { try keys.save(to: path) } catch { throw .write(String(describing: error)) }
        return keys
    }
}

/// The contents of a file of at most 1 MiB, or nil when it does not exist or cannot be read.
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while out.count < 1 << 20 {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        out += buffer[0 ..< n]
    }
    return String(decoding: out, as: UTF8.self)
}
