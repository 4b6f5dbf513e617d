import CNTPPlatform
import Glibc

/// The process's resident set: what starting touched, handed back once serving begins.
public enum ResidentPages {
    /// Unmaps this process's pages of every loaded object's read-only segments (code and
    /// constants; never a writable or RELRO segment, except the executable's `.rodata` when the
    /// linker put it in one: its pages never written, ``releaseUnwritten(_:)``). They stay in the page cache; the pages
    /// serving uses come back by minor faults. Returns the bytes advised (not all were resident).
    @discardableResult
    public static func releaseReadOnly() throws(SystemCallError) -> Int64 {
        try systemCall("madvise(MADV_DONTNEED)") { ntpsh_release_read_only_pages() }
    }

    /// Unmaps the pages wholly inside `memory`, a private file mapping, that are still the
    /// file's (never written: /proc/self/pagemap); written pages keep their contents. For
    /// constants only (a page written during the call could be lost). Returns the bytes unmapped.
    @discardableResult
    public static func releaseUnwritten(_ memory: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int64 {
        try systemCall("madvise(MADV_DONTNEED)") { ntpsh_release_unwritten_pages(memory.baseAddress, memory.count) }
    }
}
