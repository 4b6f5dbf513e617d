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
}
