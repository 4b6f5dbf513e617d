import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The engine's slot limits (ControlServer.maxClients, .maxPerUnprivilegedUID).
private enum ControlSocketLimits {
    static let maxClients = 16
    static let perUID = 4
}

/// A raw client of the control socket, for sending what a real client never would.
private final class RawClient {
    let fd: Int32
    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { close(fd); throw TestFailure("connect \(path): errno \(errno)") }
    }
    deinit { close(fd) }

    /// Never blocks: what does not fit in the socket buffer is dropped (a flood fills it).
    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) } }
    func frame(_ text: String) { let b = Array(text.utf8); send(withUnsafeBytes(of: UInt32(b.count).bigEndian, Array.init) + b) }
    func endWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until the engine closes the connection; what it sent, or nil if it did not close in time.
    func readUntilClosed(timeout: Double = 15) -> [UInt8]? {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 else { return nil }
            if p.revents == 0 { continue }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return got }
            got += buf[0..<n]
        }
        return nil
    }
}

@Suite("the engine as a service: control socket, --attach, SIGHUP, sd_notify", .serialized)
struct ControlSocketTests {
    @Test("attached shells share one engine: one adds a server, the next sees it; SIGHUP adds the file's new server; SIGTERM writes the drift file")
    func attachedShellsShareTheEngine() throws {
        let (chronyd, port, _) = try startChronyd()
        defer { chronyd.stop() }
        let dir = try temporaryDirectory()
        let (engine, socket, _) = try startEngine("server 127.0.0.1 port \(port) iburst\ndriftfile \(dir)/drift\n", directory: dir)
        defer { engine.stop() }
        var info = stat()
        #expect(stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o660, "socket mode \(String(info.st_mode & 0o777, radix: 8))")
        try engine.waitUntil(timeout: 30, "ntpsh to synchronise to chronyd") { engine.stderr.contains("synchronised at stratum 4") }

        let add = try attach(socket, ["-e", "server 127.0.0.2 iburst"])
        #expect(add.status == 0, "\(add.stderr)")
        let second = try attach(socket, ["-e", "peers -n"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains(" 127.0.0.2 "), "the second shell sees the first one's server:\n\(second.stdout)")
        #expect(second.stdout.contains("*127.0.0.1"), "\(second.stdout)")

        try "server 127.0.0.1 port \(port) iburst\ndriftfile \(dir)/drift\nserver 127.0.0.3 iburst\n"
            .write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        kill(engine.process.processIdentifier, SIGHUP)
        try engine.waitUntil(timeout: 10, "the configuration to be re-read") { engine.stderr.contains("re-read: 1 line applied, 0 removed") }
        let third = try attach(socket, ["-e", "peers -n", "-e", "show running-config"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains(" 127.0.0.3 "), "the file's new server:\n\(third.stdout)")
        #expect(third.stdout.contains(" 127.0.0.2 "), "the shell's server stays:\n\(third.stdout)")
        #expect(third.stdout.contains("server 127.0.0.3 iburst\n") && third.stdout.contains("server 127.0.0.2 iburst\n"))
        // write: the engine, which owns the configuration file, writes it.
        let write = try attach(socket, ["-e", "write"])
        #expect(write.status == 0 && write.stdout == "wrote \(dir)/ntp.conf\n", "\(write.stdout)\(write.stderr)")
        #expect(try String(contentsOfFile: "\(dir)/ntp.conf", encoding: .utf8).contains("server 127.0.0.2 iburst\n"))

        #expect(engine.stop() == 0)
        let drift = try String(contentsOfFile: "\(dir)/drift", encoding: .utf8)
        #expect(Double(drift.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "drift file: \(drift)")
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed on the way out")
    }

    @Test("two shells attached at the same time see each other's changes")
    func concurrentShells() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\n")
        defer { engine.stop() }
        let a = try Background(ntpshBinary(), ["--attach", socket], input: true)
        let b = try Background(ntpshBinary(), ["--attach", socket], input: true)
        defer { a.stop(signal: SIGKILL); b.stop(signal: SIGKILL) }
        b.send("peers\n")
        try b.waitUntil(timeout: 10, "the second shell's first view") { b.stdout.contains("LOCAL(0)") }
        a.send("server 127.0.0.8 iburst\nrestrict 198.51.100.0/24 noserve\necho done\n")
        try a.waitUntil(timeout: 10, "the first shell's changes") { a.stdout.contains("done") }
        b.send("peers\nshow running-config\nrestrictions match 198.51.100.1\necho done\n")
        try b.waitUntil(timeout: 10, "the second shell's views") { b.stdout.contains("done") }
        #expect(b.stdout.contains(" 127.0.0.8 ") && b.stdout.contains("server 127.0.0.8 iburst\n"), "\(b.stdout)")
        #expect(b.stdout.contains("198.51.100.1: restrict 198.51.100.0/24 noserve"), "\(b.stdout)")
        a.closeInput(); b.closeInput()
        #expect(a.stop() == 0 && b.stop() == 0)
        #expect(engine.isRunning)
    }

    @Test("SIGHUP with errors in the file keeps the running configuration and logs FILE:LINE:COL")
    func reloadWithErrors() throws {
        let (engine, socket, dir) = try startEngine("server 127.127.1.0\nserver 127.0.0.6\nrestrict 192.0.2.0 mask 255.255.255.0 kod\n")
        defer { engine.stop() }
        // A valid file: the removed server goes, the changed restrict line applies.
        try "server 127.127.1.0\nrestrict 192.0.2.0 mask 255.255.255.0 noquery\n".write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        kill(engine.process.processIdentifier, SIGHUP)
        try engine.waitUntil(timeout: 10, "the reload") { engine.stderr.contains("re-read: 1 line applied, 1 removed") }
        let applied = try attach(socket, ["-e", "peers", "-e", "restrictions match 192.0.2.7"])
        #expect(!applied.stdout.contains("127.0.0.6") && applied.stdout.contains("192.0.2.7: restrict 192.0.2.0/24 noquery\n"), "\(applied.stdout)")
        try "server 127.127.1.0\nserver 127.0.0.7 bogus\n".write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        kill(engine.process.processIdentifier, SIGHUP)
        try engine.waitUntil(timeout: 10, "the refused reload") { engine.stderr.contains("the running configuration is kept") }
        #expect(try attach(socket, ["-e", "restrictions match 192.0.2.7"]).stdout.contains("noquery"))
        #expect(engine.stderr.contains("\(dir)/ntp.conf:2:18: "), "\(engine.stderr)")
        let peers = try attach(socket, ["-e", "peers"])
        #expect(peers.status == 0 && !peers.stdout.contains("127.0.0.7"), "\(peers.stdout)")
    }

    @Test("a user outside the socket's group runs views but not changes")
    func unprivilegedViewsOnly() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n")
        defer { engine.stop() }
        chmod(socket, 0o666)  // let nobody connect at all; privilege is still the engine's decision
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        let views = try attach(socket, ["-e", "peers", "-e", "show running-config", "-e", "tracking"], as: nobody)
        #expect(views.status == 0, "\(views.stderr)")
        #expect(views.stdout.contains("LOCAL(0)") && views.stdout.contains("fudge 127.127.1.0 stratum 10"), "\(views.stdout)")
        for change in ["server 127.0.0.5", "step 1", "no server 127.127.1.0", "write"] {
            let r = try attach(socket, ["-e", change], as: nobody)
            #expect(r.status == 1, "\(change): \(r.stdout)")
            #expect(r.stderr.contains("-e 1:1: permission denied"), "\(change): \(r.stderr)")
        }
        let after = try attach(socket, ["-e", "peers"])
        #expect(after.stdout.contains("LOCAL(0)") && !after.stdout.contains("127.0.0.5"))
        #expect(engine.stderr.contains("uid 65534, views only"))
    }

    @Test("garbage, oversize and truncated frames disconnect that client; the engine keeps serving")
    func hostileClients() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\n")
        defer { engine.stop() }
        let hello = #"{"protocol":"ntpsh-control","version":1}"#
        var cases: [(String, (RawClient) -> Void)] = [
            ("oversize frame", { $0.send(Array("garbage!garbage".utf8)) }),
            ("bad hello", { $0.frame("hello?") }),
            ("oversize frame: 4294967295", { $0.send([0xff, 0xff, 0xff, 0xff]) }),
            ("truncated frame: 100-byte payload closed after 6", { c in
                c.send([0, 0, 0, 100] + Array("{\"prot".utf8)); c.endWriting()
            }),
            ("truncated frame: header closed after 2", { c in c.send([0, 0]); c.endWriting() }),
            ("empty frame", { $0.send([0, 0, 0, 0]) }),
            ("bad request", { c in c.frame(hello); c.frame("[1,2,3]") }),
            ("bad 'step' request", { c in c.frame(hello); c.frame(#"{"id":1,"call":"step","args":"now"}"#) }),
        ]
        cases.append(("bad hello", { c in c.frame(#"{"protocol":"ntpsh-control","version":"#) }))
        for (reason, misbehave) in cases {
            let client = try RawClient(socket)
            misbehave(client)
            #expect(client.readUntilClosed() != nil, "\(reason): the engine did not close the connection")
            try engine.waitUntil(timeout: 10, "the log of '\(reason)'") { engine.stderr.contains("disconnected client pid \(getpid()) uid 0: \(reason)") }
        }
        // A well-behaved exchange by hand: an unknown call is answered, not fatal.
        let polite = try RawClient(socket)
        polite.frame(hello)
        polite.frame(#"{"id":9,"call":"noSuchCall","args":{}}"#)
        polite.endWriting()
        let answer = String(decoding: try #require(polite.readUntilClosed()), as: UTF8.self)
        #expect(answer.contains(#""privileged":true"#) && answer.contains(#""id":9"#) && answer.contains("has no call 'noSuchCall'"), "\(answer)")
        let after = try attach(socket, ["-e", "peers"])
        #expect(after.status == 0 && after.stdout.contains("LOCAL(0)"), "the engine still serves: \(after.stderr)")
        #expect(engine.isRunning)
    }

    @Test("sixteen idle connections from one unprivileged user do not lock root out")
    func exhaustion() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n")
        defer { engine.stop() }
        chmod(socket, 0o666)
        let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        // Each attaches, says hello and then idles, reading a batch it is never sent.
        var idle: [Background] = []
        defer { for b in idle { b.closeInput(); b.stop(signal: SIGKILL) } }
        for _ in 0..<ControlSocketLimits.maxClients {
            idle.append(try Background("/usr/bin/setpriv", nobody + [ntpshBinary(), "--attach", socket, "-f", "-"], input: true))
        }
        try engine.waitUntil(timeout: 20, "every idle client attached or refused") {
            let text = engine.stderr
            return text.components(separatedBy: "uid 65534, views only").count - 1
                + text.components(separatedBy: "too many connections from uid 65534").count - 1 == ControlSocketLimits.maxClients
        }
        #expect(engine.stderr.components(separatedBy: "uid 65534, views only").count - 1 == ControlSocketLimits.perUID)
        let root = try attach(socket, ["-e", "peers"], timeout: 10)
        #expect(root.status == 0 && root.stdout.contains("LOCAL(0)"), "root locked out: \(root.stderr)")
    }

    @Test("an idle unprivileged connection is closed after the idle timeout; a privileged one stays")
    func idleTimeout() throws {
        let dir = try temporaryDirectory()
        try "server 127.127.1.0\n".write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        let socket = "\(dir)/ntpsh.sock"
        let engine = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--port", "0", "-c", "\(dir)/ntp.conf",
                                                    "--control-socket", socket], environment: ["NTPSH_CONTROL_IDLE_TIMEOUT": "2"])
        defer { engine.stop() }
        try engine.waitUntil(timeout: 10, "the control socket") { engine.stderr.contains("control socket \(socket)") }
        chmod(socket, 0o666)
        let viewer = try Background("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                                         ntpshBinary(), "--attach", socket, "-f", "-"], input: true)
        defer { viewer.closeInput(); viewer.stop(signal: SIGKILL) }
        let root = try Background(ntpshBinary(), ["--attach", socket, "-f", "-"], input: true)
        defer { root.closeInput(); root.stop() }
        try engine.waitUntil(timeout: 10, "the idle viewer to be closed") {
            engine.stderr.contains("uid 65534: no frame within 2 s")
        }
        try root.step("peers", "still-attached")
        #expect(root.stdout.contains("LOCAL(0)"), "the privileged shell, idle as long, still works: \(root.stderr)")
        #expect(!engine.stderr.contains("uid 0: no frame within"))
    }

    @Test("a frame trickled a byte at a time is cut off when the whole frame's deadline passes")
    func trickledFrame() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\n")
        defer { engine.stop() }
        let client = try RawClient(socket)
        client.send([0, 0, 0, 100])
        let started = Date()
        var closed = false
        // One byte every half second: every read is well within 10 s, the frame is not.
        while Date().timeIntervalSince(started) < 16 && !closed {
            client.send([UInt8(ascii: " ")])
            var p = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 500) > 0 {
                var byte: UInt8 = 0
                closed = recv(client.fd, &byte, 1, 0) <= 0
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(closed, "still connected after \(elapsed) s")
        #expect(elapsed < 13, "cut off after \(elapsed) s")
        try engine.waitUntil(timeout: 5, "the reason logged") { engine.stderr.contains("a frame must arrive within 10 s") }
    }

    @Test("a hello's client name cannot forge log lines: control characters are escaped")
    func logForging() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\n")
        defer { engine.stop() }
        let client = try RawClient(socket)
        client.frame(#"{"protocol":"ntpsh-control","version":1,"client":"shell\n<3>ntpsh: error: forged\r\u001b[2J"}"#)
        client.endWriting()
        _ = client.readUntilClosed()
        try engine.waitUntil(timeout: 10, "the attach to be logged") { engine.stderr.contains("attached (pid \(getpid())") }
        let lines = engine.stderr.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("<3>") || $0.contains("error: forged") && !$0.contains("control: shell") }, "\(engine.stderr)")
        #expect(engine.stderr.contains(#"control: shell\n<3>ntpsh: error: forged\r\x1b[2J attached"#), "\(engine.stderr)")
    }

    @Test("a stalled client (half a frame; requests it never reads) does not hold up the NTP service or other clients")
    func stalledClients() throws {
        let port = try freeUDPPort()
        let (engine, socket, _) = try startEngine("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n",
                                                  extra: ["--port", "\(port)", "--listen", "127.0.0.1"])
        defer { engine.stop() }
        let halfFrame = try RawClient(socket)
        halfFrame.send([0, 0, 0, 200] + Array("{\"protocol\":".utf8))
        let noReader = try RawClient(socket)
        noReader.frame(#"{"protocol":"ntpsh-control","version":1}"#)
        for i in 0..<2000 { noReader.frame(#"{"id":\#(i),"call":"peerReports","args":{}}"#) }
        let udp = try UDPClient()
        for _ in 0..<5 {
            try udp.send(clientRequest(), to: "127.0.0.1", port: port)
            let reply = try #require(udp.receive(timeout: 2), "no NTP reply while control clients stall")
            #expect(reply.count == 48)
        }
        let started = Date()
        let peers = try attach(socket, ["-e", "peers"])
        #expect(peers.status == 0 && peers.stdout.contains("LOCAL(0)"))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(engine.stop() == 0, "SIGTERM ends it even with stalled clients")
    }

    @Test("losing the engine ends an attached shell with a message and status 2")
    func losingTheEngine() throws {
        let missing = try attach("/nonexistent/ntpsh.sock", ["-e", "peers"])
        #expect(missing.status == 2 && missing.stderr.contains("cannot connect to /nonexistent/ntpsh.sock"), "\(missing.stderr)")
        let (engine, socket, _) = try startEngine("server 127.127.1.0\n")
        let shell = try Background(ntpshBinary(), ["--attach", socket], input: true)
        defer { shell.stop(signal: SIGKILL) }
        shell.send("peers\n")
        try shell.waitUntil(timeout: 10, "the peers view") { shell.stdout.contains("LOCAL(0)") }
        #expect(engine.stop() == 0)
        shell.send("peers\n")
        let deadline = Date().addingTimeInterval(10)
        while shell.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!shell.isRunning)
        #expect(shell.process.terminationStatus == 2)
        #expect(shell.stderr.contains("ntpsh: lost the engine"), "\(shell.stderr)")
        // A client waiting inside a call does not keep the engine from stopping.
        let (idle, idleSocket, _) = try startEngine("")
        let waiting = try Background(ntpshBinary(), ["--attach", idleSocket, "-e", "wait sync 600s"])
        defer { waiting.stop(signal: SIGKILL) }
        try idle.waitUntil(timeout: 10, "the client to attach") { idle.stderr.contains("attached") }
        let started = Date()
        #expect(idle.stop(timeout: 10) == 0)
        #expect(Date().timeIntervalSince(started) < 8, "stopped after \(Date().timeIntervalSince(started)) s")
        let stopDeadline = Date().addingTimeInterval(10)
        while waiting.isRunning && Date() < stopDeadline { usleep(20_000) }
        #expect(!waiting.isRunning && waiting.process.terminationStatus != 0)
    }

    @Test("sd_notify: READY=1 when serving, STOPPING=1 on SIGTERM; RUNTIME_DIRECTORY places the socket; journald priorities")
    func systemdNotify() throws {
        let dir = try temporaryDirectory()
        let notify = "\(dir)/notify"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(notify.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        func receive() -> String? {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 10_000) == 1 else { return nil }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
        }
        try "server 127.127.1.0\n".write(toFile: "\(dir)/ntp.conf", atomically: true, encoding: .utf8)
        // JOURNAL_STREAM names the stderr the daemon gets (the pipe to this test), as systemd would.
        let engine = try Background("/bin/sh", ["-c", """
            JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) NOTIFY_SOCKET=\(notify) RUNTIME_DIRECTORY=\(dir) \
            exec \(ntpshBinary()) --daemon --clock observe --port 0 -c \(dir)/ntp.conf
            """])
        defer { engine.stop() }
        let ready = try #require(receive(), "no notification within 10 s; stderr: \(engine.stderr)")
        #expect(ready.hasPrefix("READY=1\nSTATUS="), "\(ready)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/ntpsh.sock"), "the socket in RUNTIME_DIRECTORY")
        let peers = try attach("\(dir)/ntpsh.sock", ["-e", "peers"])
        #expect(peers.stdout.contains("LOCAL(0)"))
        kill(engine.process.processIdentifier, SIGHUP)
        #expect(receive() == "RELOADING=1")
        #expect(receive() == "READY=1")
        #expect(engine.stop() == 0)
        #expect(receive() == "STOPPING=1")
        #expect(engine.stderr.contains("<5>control socket \(dir)/ntpsh.sock\n"), "journald priorities: \(engine.stderr)")
        #expect(!engine.stderr.contains("ntpsh: notice:"))
    }

    @Test("an attached interactive shell: Tab completes with the engine's values, a view prints, quit leaves the engine running")
    func interactiveAttached() throws {
        let (engine, socket, _) = try startEngine("server 127.127.1.0\nfudge 127.127.1.0 stratum 10\nserver 127.0.0.44\n")
        defer { engine.stop() }
        let home = try temporaryDirectory()
        let tmux = try TmuxSession([ntpshBinary(), "--attach", socket], environment: ["HOME": home, "TERM": "xterm"], statusFile: home + "/status")
        defer { tmux.close() }
        try tmux.waitFor("the prompt") { $0.last?.hasSuffix(":st11>") == true || $0.last?.hasSuffix(":unsync>") == true }
        try tmux.type("no server 127.0.0.4")
        try tmux.keys("Tab")
        try tmux.waitFor("Tab to complete the engine's association") { $0.last?.hasSuffix("> no server 127.0.0.44") == true }
        try tmux.keys("C-u")
        try tmux.type("pe")
        try tmux.keys("Tab")
        // `peer` and `peers` share the prefix: Tab completes `peer`; an `s` makes it the view.
        try tmux.waitFor("pe+Tab to complete peer") { $0.last?.hasSuffix("> peer") == true }
        try tmux.type("s")
        try tmux.keys("Enter")
        try tmux.waitFor("the peers view") { $0.contains { $0.hasPrefix("*LOCAL(0)") } && $0.contains { $0.contains("127.0.0.44") } }
        // terminal monitor: an event caused by another attached shell prints above this prompt.
        let step = try attach(socket, ["-e", "step 0.25"])
        #expect(step.status == 0, "\(step.stderr)")
        try tmux.waitFor("the step event above the prompt") { $0.contains { $0.contains("% clock stepped by 0.250000 s") } }
        try tmux.type("quit")
        try tmux.keys("Enter")
        #expect(try tmux.waitForExit() == 0)
        #expect(engine.isRunning, "quitting an attached shell leaves the engine running")
    }
}

extension RawClient {
    /// The payload of the next frame, or nil when none arrived within `timeout` seconds.
    func readFrame(timeout: Double) -> String? {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if got.count >= 4 {
                let n = Int(got[0]) << 24 | Int(got[1]) << 16 | Int(got[2]) << 8 | Int(got[3])
                if got.count >= 4 + n { return String(decoding: got[4..<4 + n], as: UTF8.self) }
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 else { return nil }
            if p.revents == 0 { continue }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            got += buf[0..<n]
        }
        return nil
    }
}

/// Issue 19, defect 4: on main a `configure` call carrying `show running-config | include
/// REGEX` (a view: anyone who may connect) ran the regular expression in the engine under the
/// configuration lock; `(\S+\s?)*!` backtracked for ever, and every configure, SIGHUP and
/// SIGTERM waited behind it until SIGKILL.
@Suite("control socket: output filters run in the client", .serialized)
struct ControlSocketFilterTests {
    @Test("a configure call with a filter is refused at once; attached shells filter their own output in linear time; SIGTERM is handled")
    func filtersRunInTheClient() throws {
        let (engine, socket, _) = try startEngine(
            "server 127.127.1.0 iburst minpoll 4 maxpoll 6 prefer true\nfudge 127.127.1.0 stratum 10\n"
                + "restrict 192.0.2.0 mask 255.255.255.0 kod limited nomodify noquery notrap\n")
        defer { engine.stop(signal: SIGKILL) }
        let raw = try RawClient(socket)
        raw.frame(#"{"protocol":"ntpsh-control","version":2,"client":"raw test"}"#)
        #expect(raw.readFrame(timeout: 10)?.contains("\"privileged\":true") == true, "the welcome")
        raw.frame(#"{"id":1,"call":"configure","args":{"line":"show running-config | include (\\S+\\s?)*!","origin":{"prompt":{}}}}"#)
        let reply = raw.readFrame(timeout: 10)
        #expect(reply?.contains("output filters") == true, "\(reply ?? "no answer within 10 s")")

        let change = try attach(socket, ["-e", "restrict 198.51.100.0 mask 255.255.255.0 kod"], timeout: 15)
        #expect(change.status == 0, "\(change.stderr)")
        let filtered = try attach(socket, ["-e", "show running-config | include ^restrict"], timeout: 15)
        #expect(filtered.status == 0, "\(filtered.stderr)")
        #expect(filtered.stdout.contains("restrict 198.51.100.0") && !filtered.stdout.contains("server 127.127.1.0"))
        let catastrophic = try attach(socket, ["-e", #"show running-config | include (\S+\s?)*!"#], timeout: 15)
        #expect(catastrophic.status == 0 && catastrophic.stdout.isEmpty, "\(catastrophic.stderr)")
        #expect(engine.stop(signal: SIGTERM, timeout: 10) == 0)
    }
}
