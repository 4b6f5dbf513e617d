import Glibc
@testable import NTPPlatform
import Testing

/// AtomicFile and AppendFile against links and names planted in the directory.
@Suite struct FileWriteTests {
    func temporaryDirectory() -> String {
        var template = Array("/tmp/ntpsh-files-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) } + "/"
    }

    func contents(_ path: String) -> String? { try? TextFile.read(path) }

    @Test("appending to a statistics file that is a link is refused; the link's target is untouched")
    func appendRefusesLink() throws {
        let dir = temporaryDirectory()
        try AtomicFile.write("victim\n", to: dir + "victim")
        #expect(symlink(dir + "victim", dir + "loopstats") == 0)
        #expect(throws: SystemCallError.self) { try AppendFile.append("line\n", to: dir + "loopstats") }
        #expect(contents(dir + "victim") == "victim\n")
        #expect(mkfifo(dir + "fifo", 0o600) == 0)
        #expect(throws: SystemCallError.self) { try AppendFile.append("line\n", to: dir + "fifo") }
        try AppendFile.append("one\n", to: dir + "peerstats")
        try AppendFile.append("two\n", to: dir + "peerstats")
        #expect(contents(dir + "peerstats") == "one\ntwo\n")
    }

    @Test("an atomic write keeps the replaced file's mode, refuses a link unless asked, and refuses a non-file")
    func atomicWrite() throws {
        let dir = temporaryDirectory()
        try AtomicFile.write("old\n", to: dir + "conf")
        chmod(dir + "conf", 0o640)
        try AtomicFile.write("new\n", to: dir + "conf", keepBackup: true)
        var info = stat()
        #expect(stat(dir + "conf", &info) == 0 && info.st_mode & 0o7777 == 0o640)
        #expect(contents(dir + "conf") == "new\n" && contents(dir + "conf.bak") == "old\n")
        #expect(symlink(dir + "conf", dir + "link") == 0)
        let error = #expect(throws: SystemCallError.self) { try AtomicFile.write("x\n", to: dir + "link") }
        #expect(error?.description.contains("write follow") == true)
        #expect(contents(dir + "conf") == "new\n")
        try AtomicFile.write("followed\n", to: dir + "link", followSymlink: true)
        #expect(lstat(dir + "link", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(contents(dir + "conf") == "followed\n")
        #expect(mkdir(dir + "d", 0o700) == 0)
        #expect(throws: SystemCallError.self) { try AtomicFile.write("x\n", to: dir + "d") }
        // No temporaries are left behind.
        #expect(Directory.list(dir)?.filter { $0.contains(".tmp.") } == [])
    }
}
