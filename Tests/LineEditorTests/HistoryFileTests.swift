import Foundation
import Testing
@testable import LineEditor

@Suite("HistoryFile: format, bound, persistence")
struct HistoryFileTests {
    func path() throws -> String { try temporaryDirectory() + "/history" }

    func contents(_ p: String) throws -> String { try String(contentsOfFile: p, encoding: .utf8) }

    @Test func missingFileIsEmptyHistory() throws {
        let h = HistoryFile(path: try path(), limit: 10)
        #expect(try h.load() == [])
    }

    @Test func oneEntryALineOldestFirstMode0600() throws {
        let p = try path()
        let h = HistoryFile(path: p, limit: 10)
        _ = try h.load()
        try h.append("peers")
        try h.append("show running-config")
        try h.append("héllo")
        #expect(try contents(p) == "peers\nshow running-config\nhéllo\n")
        let mode = try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = HistoryFile(path: p, limit: 10)
        #expect(try again.load() == ["peers", "show running-config", "héllo"])
    }

    @Test func appendingKeepsTheNewestWithinTheLimit() throws {
        let p = try path()
        let h = HistoryFile(path: p, limit: 3)
        _ = try h.load()
        for i in 1...7 { try h.append("line \(i)") }
        #expect(try contents(p) == "line 5\nline 6\nline 7\n")
        #expect(!FileManager.default.fileExists(atPath: p + ".tmp.\(getpid())"))
    }

    @Test func loadingALongerFileKeepsTheNewestAndTheNextAppendTrimsIt() throws {
        let p = try path()
        try (1...6).map { "old \($0)\n" }.joined().write(toFile: p, atomically: true, encoding: .utf8)
        let h = HistoryFile(path: p, limit: 4)
        #expect(try h.load() == ["old 3", "old 4", "old 5", "old 6"])
        try h.append("new")
        #expect(try contents(p) == "old 4\nold 5\nold 6\nnew\n")
    }

    @Test func blankLinesAreSkippedAndBreaksInsideAnEntryBecomeSpaces() throws {
        let p = try path()
        try "a\n\n  \nb\n".write(toFile: p, atomically: true, encoding: .utf8)
        let h = HistoryFile(path: p, limit: 10)
        #expect(try h.load() == ["a", "b"])
        try h.append("x\ny\tz")
        #expect(try contents(p) == "a\n\n  \nb\nx y z\n")
    }

    @Test func twoShellsAppendingToOneFileKeepBothWithinTheLimit() throws {
        let p = try path()
        let a = HistoryFile(path: p, limit: 4)
        let b = HistoryFile(path: p, limit: 4)
        _ = try a.load()
        _ = try b.load()
        try a.append("a1"); try b.append("b1"); try a.append("a2"); try b.append("b2")
        #expect(try contents(p) == "a1\nb1\na2\nb2\n")
        try a.append("a3")
        #expect(try contents(p) == "b1\na2\nb2\na3\n")
        try b.append("b3")
        #expect(try b.load() == ["a2", "b2", "a3", "b3"])
    }

    @Test func unwritableFileThrows() throws {
        let h = HistoryFile(path: "/nonexistent-dir/history", limit: 4)
        #expect(try h.load() == [])
        #expect(throws: HistoryFile.IOError.self) { try h.append("x") }
    }
}
