import Foundation
import NTPWire
import Testing

@Suite("restrict decides per packet, changed at runtime", .serialized)
struct RestrictTests {
    @Test("a LAN rule, default noserve, a rule added and removed from a running batch")
    func restrictAtRuntime() throws {
        let port = try freeUDPPort()
        let conf = try writeTemp("""
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            restrict default kod nomodify notrap nopeer noquery noserve
            restrict 127.0.0.0 mask 255.255.255.0 nomodify notrap

            """)
        // A batch read from a pipe: each step's `echo` says the commands before it have run.
        let ntpsh = try Background(ntpshBinary(), ["--clock", "observe", "--listen", "127.0.0.1", "--listen", "127.0.1.2",
                                                   "--port", String(port), "-c", conf, "-f", "-"], input: true)
        defer { ntpsh.stop() }
        func answered(from source: String, to server: String) throws -> Bool {
            let client = try UDPClient(bindTo: source)
            try client.send(clientRequest(), to: server, port: port)
            return client.receive(timeout: 0.5) != nil
        }
        try ntpsh.step("wait sync 10s", "ready")
        #expect(try answered(from: "127.0.0.2", to: "127.0.0.1"), "inside 127.0.0.0/24")
        #expect(try !answered(from: "127.0.1.3", to: "127.0.1.2"), "outside: default noserve")

        try ntpsh.step("restrict 127.0.1.3 nomodify", "added")
        #expect(try answered(from: "127.0.1.3", to: "127.0.1.2"), "a host rule added at runtime")
        #expect(try !answered(from: "127.0.1.4", to: "127.0.1.2"), "its neighbour still falls under default")
        try ntpsh.step("restrictions match 127.0.1.3", "matched")
        #expect(ntpsh.stdout.contains("127.0.1.3: restrict 127.0.1.3/32 nomodify\n"))

        try ntpsh.step("no restrict 127.0.1.3", "removed")
        #expect(try !answered(from: "127.0.1.3", to: "127.0.1.2"), "removed at runtime")
        try ntpsh.step("restrictions", "listed")
        #expect(ntpsh.stdout.contains("default"))
        #expect(ntpsh.stdout.contains("127.0.0.0/24"))
        ntpsh.closeInput()
        try ntpsh.waitUntil(timeout: 10, "the batch to end") { !ntpsh.isRunning }
    }

    @Test("a real upstream (a second ntpsh): ignore and notrust drop its replies; restrict source lets it through a default ignore")
    func upstreamReplies() throws {
        let port = try freeUDPPort()
        let upstream = try Background(ntpshBinary(), ["--daemon", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(port),
                                                      "-c", try writeTemp("server 127.127.1.0\nfudge 127.127.1.0 stratum 8\n")])
        defer { upstream.stop() }
        try upstream.waitUntil(timeout: 10, "the upstream to listen") { upstream.stderr.contains("listening on 127.0.0.1") }
        let server = "server 127.0.0.1 port \(port) iburst"
        let cases: [(String, [String], Bool)] = [
            ("no restrict", [], true),
            ("ignore", ["restrict 127.0.0.1 ignore"], false),
            ("notrust", ["restrict default notrust"], false),
            ("mapped ignore", ["restrict ::ffff:127.0.0.1/128 ignore"], false),
            ("source", ["restrict default ignore", "restrict source nomodify noquery"], true),
        ]
        for (name, lines, heard) in cases {
            let conf = try writeTemp((lines + [server]).joined(separator: "\n") + "\n")
            let r = try run(ntpshBinary(), ["--clock", "observe", "--port", "0", "-c", conf,
                                            "-e", "sleep 5", "-e", "expect peer 127.0.0.1 reach \(heard ? ">" : "==") 0"], timeout: 30)
            #expect(r.status == 0, "\(name): \(r.stdout) \(r.stderr)")
        }
    }
}
