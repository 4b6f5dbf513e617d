import Foundation
import Testing

/// `hwtimestamp` in a running daemon, in a network namespace of our own with `lo` and a veth
/// pair (software-only devices: the kernel offers no hardware clock on either): each is
/// reported as software-only and keeps kernel software stamps; an interface that does not
/// exist is an error; the lines are in the running configuration.
@Suite("hwtimestamp reports software-only devices", .serialized)
struct HardwareTimestampTests {
    @Test func softwareOnlyDevicesAreReportedAndKeepSoftwareStamps() throws {
        let ns = try Namespace()
        let veth = try run("/usr/sbin/ip", ns.exec(["ip", "link", "add", "ntpsh-v0", "type", "veth", "peer", "name", "ntpsh-v1"]))
        try #require(veth.status == 0, "ip link add veth: \(veth.stderr)")
        let conf = try writeTemp("""
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            hwtimestamp lo

            """)
        let ntpsh = try Background("/usr/sbin/ip", ns.exec([ntpshBinary(), "--clock", "observe", "--port", "0", "-c", conf, "-f", "-"]),
                                   input: true)
        defer { ntpsh.stop() }
        try ntpsh.step("hwtimestamp ntpsh-v0", "veth")
        #expect(ntpsh.stdout.contains("ntpsh-v0: software timestamping only (transmit, receive), no hardware clock: kernel software stamps\n"))
        try ntpsh.step("hwtimestamp *", "all")
        #expect(ntpsh.stdout.contains("lo: software timestamping only (transmit, receive), no hardware clock: kernel software stamps\n"))
        #expect(ntpsh.stdout.contains("ntpsh-v1: software timestamping only"))
        try ntpsh.step("show running-config", "shown")
        #expect(ntpsh.stdout.contains("hwtimestamp lo\n") && ntpsh.stdout.contains("hwtimestamp ntpsh-v0\n") && ntpsh.stdout.contains("hwtimestamp *\n"))
        try ntpsh.step("no hwtimestamp ntpsh-v0\nshow running-config", "again")
        let after = ntpsh.stdout.components(separatedBy: "shown\n").last ?? ""
        #expect(!after.contains("hwtimestamp ntpsh-v0\n") && after.contains("hwtimestamp lo\n"))
        // An interface that does not exist: the error, and the batch stops there.
        ntpsh.send("hwtimestamp ntpsh-none0\n")
        try ntpsh.waitUntil(timeout: 10, "the batch to stop at the error") { !ntpsh.isRunning }
        #expect(ntpsh.stderr.contains("hwtimestamp: no interface 'ntpsh-none0'"), "\(ntpsh.stderr)")
    }
}
