import Foundation
import Testing

/// The daemon hands back the pages starting touched once the engine's first events have run
/// (BENCHMARKS.md, "Memory again"): released before them, the first poll, selection and their
/// log lines faulted most of them back at once (a third of the code resident, idle).
@Suite("idle memory: start-up's pages released after the engine's first events", .serialized)
struct IdleMemoryE2ETests {
    /// Mapped and resident kB of the ntpsh executable's code (r-xp) in `pid`, from smaps.
    static func code(_ pid: Int32, binary: String) -> (size: Int, rss: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8) else { return nil }
        var inCode = false, size = 0, rss = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5, first.first?.isHexDigit == true {
                inCode = fields[1] == "r-xp" && fields.count >= 6 && fields[5].hasSuffix("/" + URL(fileURLWithPath: binary).lastPathComponent)
            } else if inCode, fields.count >= 2, let kB = Int(fields[1]) {
                if fields[0] == "Size:" { size += kB } else if fields[0] == "Rss:" { rss += kB }
            }
        }
        return size > 0 ? (size, rss) : nil
    }

    @Test("idle after start, under a fifth of the executable's code is resident")
    func startUpPagesReleasedAfterFirstEvents() throws {
        let conf = try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n")
        let binary = ntpshBinary()
        let daemon = try Background(binary, ["--daemon", "--clock", "observe", "--port", "0", "-c", conf])
        defer { daemon.stop() }
        try daemon.waitUntil(timeout: 20, "the first selection") { daemon.stderr.contains("new system peer LOCAL(0)") }
        let pid = daemon.process.processIdentifier
        try daemon.waitUntil(timeout: 10, "the code's resident share to fall under 20 %") {
            guard let c = Self.code(pid, binary: binary) else { return false }
            return c.rss * 5 < c.size
        }
        #expect(!daemon.stderr.contains("cannot release start-up pages"), "\(daemon.stderr)")
    }
}
