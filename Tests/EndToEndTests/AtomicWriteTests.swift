import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("write is atomic", .serialized)
struct AtomicWriteTests {
    @Test("kill -9 in the middle of writes leaves a whole configuration file, never a torn one")
    func killDuringWrite() throws {
        // A large file so that a write takes a while; every version starts with the header and
        // ends with the local clock lines.
        var text = "# header kept by every write\n"
        for i in 0..<2000 { text += "restrict 10.\(i / 256).\(i % 256).0 mask 255.255.255.0 nomodify notrap\n" }
        text += "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
        for round in 0..<5 {
            let conf = try writeTemp(text)
            var commands = ""
            for i in 0..<200 { commands += "tinker step 0.\(i % 9 + 1)\nwrite force\n" }
            let shell = try Background(ntpshBinary(), ["--clock", "observe", "--port", "0", "--keep-going", "-c", conf, "-f", "-"],
                                       input: true)
            shell.send(commands)
            // Let some writes happen, then kill it at an arbitrary point.
            try shell.waitUntil(timeout: 20, "a few writes") { shell.stdout.components(separatedBy: "wrote").count > 3 + round * 7 }
            kill(shell.process.processIdentifier, SIGKILL)
            shell.stop(signal: SIGKILL)
            let after = try String(contentsOfFile: conf, encoding: .utf8)
            #expect(after.hasPrefix("# header kept by every write\n"), "round \(round): torn file")
            #expect(after.contains("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"), "round \(round): torn file")
            let last = after.split(separator: "\n").last.map(String.init) ?? ""
            #expect(after.hasSuffix("\n") && last.hasPrefix("tinker step 0.") && last.count == 15, "round \(round): torn end '\(last)'")
            let check = try run(ntpshBinary(), ["--check-config", "-c", conf])
            #expect(check.status == 0, "round \(round): \(check.stderr)")
            #expect(FileManager.default.fileExists(atPath: conf + ".bak"))
        }
    }

    @Test("kill -9 between fsync and rename leaves the old file whole; right after the rename, the new one")
    func killAtRename() throws {
        let original = "# a comment that stays\nserver 127.127.1.0\n\n# the local clock\nfudge 127.127.1.0 stratum 10\n"
        for point in ["before-rename", "after-rename"] {
            let conf = try writeTemp(original)
            let marker = conf + ".paused"
            let shell = try Background(ntpshBinary(), ["--clock", "observe", "--port", "0", "-c", conf, "-f", "-"],
                                       input: true, environment: ["NTPSH_ATOMIC_PAUSE": "\(point):\(marker)"])
            shell.send("fudge 127.127.1.0 stratum 9\nwrite\n")
            try shell.waitUntil(timeout: 20, "the write to pause \(point)") { FileManager.default.fileExists(atPath: marker) }
            kill(shell.process.processIdentifier, SIGKILL)
            shell.stop(signal: SIGKILL)
            let after = try String(contentsOfFile: conf, encoding: .utf8)
            if point == "before-rename" {
                #expect(after == original, "killed before the rename: the old file, whole")
            } else {
                #expect(after == original.replacingOccurrences(of: "stratum 10", with: "stratum 9"),
                        "killed after the rename: the new file, whole, only the edited line changed")
                #expect(try String(contentsOfFile: conf + ".bak", encoding: .utf8) == original)
            }
            let check = try run(ntpshBinary(), ["--check-config", "-c", conf])
            #expect(check.status == 0, "\(point): \(check.stderr)")
        }
    }

    @Test("a temporary name planted as a link to a victim is never written through; the file keeps its mode")
    func plantedTemporary() throws {
        let original = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
        let conf = try writeTemp(original)
        chmod(conf, 0o600)
        let victim = try writeTemp("victim's own text\n", suffix: ".victim")
        defer { unlink(victim) }
        let shell = try Background(ntpshBinary(), ["--clock", "observe", "--port", "0", "-c", conf, "-f", "-"], input: true)
        defer { shell.closeInput(); shell.stop() }
        // The name the old writer used: PATH.tmp.PID.
        let planted = conf + ".tmp.\(shell.process.processIdentifier)"
        #expect(symlink(victim, planted) == 0)
        defer { unlink(planted) }
        try shell.step("fudge 127.127.1.0 stratum 9\nwrite", "written")
        #expect(shell.stdout.contains("wrote \(conf)"), "\(shell.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "victim's own text\n", "written through the planted link")
        #expect(try String(contentsOfFile: conf, encoding: .utf8).contains("stratum 9"))
        var info = stat()
        #expect(stat(conf, &info) == 0 && info.st_mode & 0o7777 == 0o600, "mode \(String(info.st_mode & 0o7777, radix: 8)), not 600")
        #expect(stat(conf + ".bak", &info) == 0 && info.st_mode & 0o7777 == 0o600)
    }

    @Test("a configuration file that is a symbolic link: write refuses; write follow replaces the file it points to")
    func symlinkTarget() throws {
        let original = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
        let real = try writeTemp(original)
        let link = real + ".link"
        #expect(symlink(real, link) == 0)
        defer { unlink(link) }
        let refused = try run(ntpshBinary(), ["--clock", "observe", "--port", "0", "-c", link, "-e", "fudge 127.127.1.0 stratum 9", "-e", "write"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("symbolic link") && refused.stderr.contains("write follow"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: real, encoding: .utf8) == original)
        let followed = try run(ntpshBinary(), ["--clock", "observe", "--port", "0", "-c", link, "-e", "fudge 127.127.1.0 stratum 9", "-e", "write follow"])
        #expect(followed.status == 0, "\(followed.stderr)")
        var info = stat()
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK, "the link stays a link")
        #expect(try String(contentsOfFile: real, encoding: .utf8).contains("stratum 9"))
        #expect(try String(contentsOfFile: real + ".bak", encoding: .utf8) == original)
    }
}
