import Glibc
@testable import NTPPlatform
import Testing

/// A global written at run time: it lives in a writable segment, which the release must leave alone.
nonisolated(unsafe) private var written: [Int] = []

@Suite struct ResidentPagesTests {
    /// kB of `field` (e.g. RssFile) in /proc/self/status.
    private func status(_ field: String) -> Int? {
        guard let text = ProcFile.read("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// The read-only segments' pages go (RssFile falls); writable data and the code keep working.
    @Test func releasesReadOnlyPagesAndKeepsData() throws {
        written = (0..<10_000).map { $0 &* 2_654_435_761 }
        let expected = written.reduce(0, &+)
        let before = try #require(status("RssFile"))
        let advised = try ResidentPages.releaseReadOnly()
        let after = try #require(status("RssFile"))
        #expect(advised > 1 << 20)   // this test binary's code alone is megabytes
        #expect(after < before, "RssFile \(before) kB before, \(after) kB after")
        #expect(written.reduce(0, &+) == expected)
        #expect(String(describing: written.count) == "10000")
        // Again: the pages came back by faults and go again; nothing refuses a second call.
        #expect(try ResidentPages.releaseReadOnly() > 0)
    }

    /// Of a private file mapping, the pages still the file's go and the written ones (copied on
    /// write: the executable's relocated `.rodata`, say) keep what was written.
    @Test func releasesUnwrittenPagesAndKeepsWrittenOnes() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = 16
        var path = Array("/tmp/ntpsh-resident-XXXXXX".utf8CString)
        let fd = mkstemp(&path)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        let contents = [UInt8]((0..<(pages * page)).map { UInt8(truncatingIfNeeded: $0 / page + 1) })
        try #require(contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == pages * page)
        let mapped: UnsafeMutableRawPointer? = mmap(nil, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        let base = try #require(mapped.flatMap { $0 == UnsafeMutableRawPointer(bitPattern: -1) ? nil : $0 })
        defer { munmap(base, pages * page) }
        let memory = UnsafeMutableRawBufferPointer(start: base, count: pages * page)
        var sum = 0
        for p in 0..<pages { sum &+= Int(memory[p * page]) }   // every page mapped: the file's
        #expect(sum == (1...pages).reduce(0, +))
        memory[3 * page] = 200
        memory[10 * page + 7] = 201
        let released = try ResidentPages.releaseUnwritten(memory)
        #expect(released == Int64((pages - 2) * page))
        #expect(memory[3 * page] == 200)
        #expect(memory[10 * page + 7] == 201)
        #expect(memory[10 * page] == 11)
        for p in 0..<pages where p != 3 { #expect(memory[p * page + 1] == UInt8(p + 1)) }
        // Nothing written, nothing unmapped: an empty range.
        #expect(try ResidentPages.releaseUnwritten(UnsafeMutableRawBufferPointer(start: base, count: page - 1)) == 0)
    }
}
