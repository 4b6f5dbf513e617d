import Foundation
import Testing

/// `interface`/`nic` rules decide the server's sockets, at start and when changed in a running
/// batch. In a network namespace of our own (only `lo`: 127.0.0.1 and ::1), with NTPsec's
/// ntpdig (port 123 only) asking each address.
@Suite("interface rules decide where the server listens", .serialized)
struct InterfaceRulesTests {
    @Test("ignore wildcard and ipv6 → only 127.0.0.1; drop it; listen on the wildcard again; no interface ignore ipv6")
    func rulesAtRuntime() throws {
        let ns = try Namespace()
        let conf = try writeTemp("""
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            interface ignore wildcard
            nic ignore ipv6

            """)
        let ntpsh = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--clock", "observe", "--port", "123", "-c", conf, "-f", "-"]),
                                   input: true)
        defer { ntpsh.stop() }
        func answered(_ address: String) throws -> Bool {
            let r = try run("/usr/sbin/ip", ns.exec([ntpsecTool("ntpdig"), "-t", "1", "-j", address]), timeout: 20)
            return r.status == 0 && r.stdout.contains("\"stratum\":11")
        }
        try ntpsh.step("wait sync 10s", "ready")
        #expect(try answered("127.0.0.1"), "listened on: an interface address the rules keep")
        #expect(try !answered("::1"), "ipv6 ignored")

        try ntpsh.step("interface drop 127.0.0.1", "dropping")
        #expect(ntpsh.stdout.contains("listening on 127.0.0.1 port 123 (dropping every packet)\n"))
        #expect(try !answered("127.0.0.1"), "drop: bound, every packet dropped")

        try ntpsh.step("interface listen wildcard", "wildcard")
        #expect(ntpsh.stdout.contains("listening on 0.0.0.0 port 123\nlistening on :: port 123\ndropping 127.0.0.1 (interface rules)\nignoring ::1 (interface rules)\n"))
        #expect(try !answered("127.0.0.1"), "the wildcard socket drops requests to a dropped address")
        #expect(try !answered("::1"), "…and to an ignored one")

        try ntpsh.step("no interface ignore ipv6\nno interface drop 127.0.0.1", "removed")
        #expect(try answered("127.0.0.1"))
        #expect(try answered("::1"))
        try ntpsh.step("show running-config", "shown")
        #expect(ntpsh.stdout.contains("interface ignore wildcard\n") == false, "replaced by listen wildcard")
        #expect(ntpsh.stdout.contains("interface listen wildcard\n"))
        ntpsh.closeInput()
        try ntpsh.waitUntil(timeout: 10, "the batch to end") { !ntpsh.isRunning }
    }
}
