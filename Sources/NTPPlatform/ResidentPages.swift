import CNTPPlatform
import Glibc

/// The process's resident set: what starting touched, handed back once serving begins.
public enum ResidentPages {
    /// Unmaps this process's pages of every loaded object's read-only segments (code and
    /// constants; never a writable or RELRO segment). They stay in the page cache; the pages
    /// serving uses come back by minor faults. Returns the bytes advised (not all were resident).
    @discardableResult
    public static func releaseReadOnly() throws(SystemCallError) -> Int64 {
        try systemCall("madvise(MADV_DONTNEED)") { ntpsh_release_read_only_pages() }
    }
}
