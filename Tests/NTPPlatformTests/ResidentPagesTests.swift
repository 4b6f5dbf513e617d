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
}
