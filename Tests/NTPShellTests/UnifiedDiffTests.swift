import Foundation
import Testing
@testable import NTPShell

/// `show configuration compare`'s diff against GNU diff's `diff -u` on the same two texts.
@Suite struct UnifiedDiffTests {
    /// GNU diff's output for the two texts, the labels given (no dates), and its exit status.
    func gnu(_ old: String, _ new: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ntpsh-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        try old.write(to: a, atomically: false, encoding: .utf8)
        try new.write(to: b, atomically: false, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        p.arguments = ["-u", "--label", "running", "--label", "candidate", a.path, b.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == (old == new ? 0 : 1))
        return String(decoding: data, as: UTF8.self)
    }

    func ours(_ old: String, _ new: String) -> String {
        UnifiedDiff.render(old, new, oldLabel: "running", newLabel: "candidate")
    }

    /// Splitmix64: the same inputs on every run.
    struct Random { var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    /// `lines` edited at random: removed, replaced, added lines (from `fresh`), in runs.
    func edited(_ lines: [String], _ r: inout Random, fresh: (inout Random) -> String) -> [String] {
        var out: [String] = []
        var i = 0
        while i < lines.count {
            switch r.next(10) {
            case 0: i += 1 + r.next(3)                                       // a run removed
            case 1: out.append(fresh(&r)); i += 1                            // replaced
            case 2: for _ in 0...r.next(3) { out.append(fresh(&r)) }         // a run added
            default: out.append(lines[i]); i += 1
            }
        }
        if r.next(4) == 0 { out.append(fresh(&r)) }
        return out
    }

    @Test("hand-picked cases: empty sides, ends, no final newline, hunks merged at six lines apart and split at seven")
    func handPicked() throws {
        let ten = (1...10).map { "server 192.0.2.\($0)\n" }.joined()
        let twenty = (1...20).map { "restrict 10.0.0.\($0) nomodify\n" }.joined()
        func replacing(_ text: String, _ lines: [Int]) -> String {
            text.split(separator: "\n").enumerated().map { lines.contains($0.offset) ? "CHANGED \($0.offset)\n" : $0.element + "\n" }.joined()
        }
        let cases: [(String, String)] = [
            ("", ten), (ten, ""), (ten, ten), ("a\n", "b\n"), ("a", "a\n"), ("a\nb", "a\nc"), ("a\nb\n", "a\nb"),
            (ten, "tinker step 0\n" + ten), (ten, ten + "tos minsane 2\n"),
            (twenty, replacing(twenty, [2, 9])), (twenty, replacing(twenty, [2, 10])), (twenty, replacing(twenty, [2, 11])),
            (twenty, replacing(twenty, [0, 19])), (twenty, replacing(twenty, [5, 6, 7])),
            ("x\n" + ten, ten), (ten, String(ten.dropLast())),
        ]
        for (old, new) in cases {
            #expect(ours(old, new) == (try gnu(old, new)), "\(old.debugDescription) → \(new.debugDescription)")
        }
    }

    @Test("300 random edits of configuration-like texts (distinct lines): byte-identical to diff -u")
    func randomDistinct() throws {
        var r = Random(state: 16)
        var serial = 0
        let fresh: (inout Random) -> String = { r in serial += 1; return "server 198.51.100.\(r.next(250)) minpoll \(serial)" }
        for trial in 0..<300 {
            let base = (0..<(r.next(40))).map { "restrict 10.\(trial).\($0).0 mask 255.255.255.0 \($0 % 3 == 0 ? "ignore" : "nomodify")" }
            let old = base.map { $0 + "\n" }.joined()
            let new = edited(base, &r, fresh: fresh).map { $0 + "\n" }.joined()
            let expected = try gnu(old, new)
            #expect(ours(old, new) == expected, "trial \(trial)")
            if ours(old, new) != expected { break }
        }
    }

    @Test("texts of repeated lines: as short as diff -u's, and patch turns old into new with it")
    func randomRepeated() throws {
        var r = Random(state: 61)
        let words = ["a", "b", "c", ""]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ntpsh-patch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for trial in 0..<40 {
            let base = (0..<(5 + r.next(25))).map { _ in words[r.next(words.count)] }
            let old = base.map { $0 + "\n" }.joined()
            let new = edited(base, &r, fresh: { r in words[r.next(words.count)] }).map { $0 + "\n" }.joined()
            let mine = ours(old, new), theirs = try gnu(old, new)
            func changes(_ d: String) -> Int {
                d.split(separator: "\n").filter { ($0.hasPrefix("-") && !$0.hasPrefix("---")) || ($0.hasPrefix("+") && !$0.hasPrefix("+++")) }.count
            }
            #expect(changes(mine) == changes(theirs), "trial \(trial): not a shortest edit script")
            let file = dir.appendingPathComponent("t\(trial)")
            try old.write(to: file, atomically: false, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/patch")
            p.arguments = ["--quiet", "--posix", file.path]
            let input = Pipe()
            p.standardInput = input
            try p.run()
            input.fileHandleForWriting.write(Data(mine.utf8))
            try input.fileHandleForWriting.close()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "trial \(trial): patch refused\n\(mine)")
            #expect(try String(contentsOf: file, encoding: .utf8) == new, "trial \(trial)")
        }
    }

    @Test("hunks carry the positions and counts the header prints")
    func hunkFields() {
        let hunks = UnifiedDiff.hunks("a\nb\nc\n", "a\nc\nd\n", context: 0)
        #expect(hunks.map(\.header) == ["@@ -2 +1,0 @@", "@@ -3,0 +3 @@"])
        #expect(hunks.map(\.lines) == [["-b"], ["+d"]])
        #expect(UnifiedDiff.hunks("same\n", "same\n").isEmpty)
    }
}
