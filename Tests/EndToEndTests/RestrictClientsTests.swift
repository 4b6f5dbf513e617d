import Foundation
import Testing

/// Restrict decisions seen by a real client: `chronyd -Q` measuring from distinct loopback
/// source addresses (`bindacqaddress`), against an ntpsh whose batch changes the rules while it
/// serves; and `peer` between two ntpsh processes, refused by `nopeer`.
@Suite("restrict with real clients from distinct loopback addresses", .serialized)
struct RestrictClientsTests {
    /// chronyd -Q from `source`: the offset it measured, or nil when it got no usable answer
    /// within `seconds` (chronyd exits as soon as it has measured, so a served source costs
    /// little; a refused one costs the whole wait: 3 s is plenty for a refusal, while a loaded
    /// machine has needed more than 3 s for chronyd to collect an authenticated measurement).
    static func measure(from source: String, port: UInt16, options: String = "", keyfile: String? = nil,
                        served: Bool) throws -> Double? {
        let dir = try temporaryDirectory()
        var args = ["-Q", "-t", served ? "15" : "3", "server 127.0.0.1 port \(port) iburst minpoll -6 maxpoll -6 \(options)",
                    "bindacqaddress \(source)", "pidfile \(dir)/chronyd.pid"]
        if let keyfile { args.append("keyfile \(keyfile)") }
        let r = try run("/usr/sbin/chronyd", args, timeout: 30)
        let text = r.stdout + r.stderr
        guard let line = text.split(separator: "\n").first(where: { $0.contains("System clock wrong by") }) else {
            #expect(text.contains("No suitable source"), "chronyd neither measured nor said why: \(text)")
            return nil
        }
        return line.split(separator: " ").compactMap { Double($0) }.first
    }

    @Test("default noserve with host rules; a rule added and removed from the running batch; version; notrust")
    func chronydClients() throws {
        let port = try freeUDPPort()
        let keys = try writeTemp("1 SHA1 0123456789abcdef0123456789abcdef01234567\n", suffix: ".keys")
        let chronyKeys = try writeTemp("1 SHA1 HEX:0123456789abcdef0123456789abcdef01234567\n", suffix: ".keys")
        let conf = try writeTemp("""
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            keys \(keys)
            trustedkey 1
            restrict default kod nomodify notrap nopeer noquery noserve
            restrict 127.0.0.1
            restrict 127.0.0.2 nomodify
            restrict 127.0.0.4 version
            restrict 127.0.0.5 notrust

            """)
        let ntpsh = try Background(ntpshBinary(), ["--clock", "observe", "--listen", "127.0.0.1", "--port", String(port),
                                                   "-c", conf, "-f", "-"], input: true)
        defer { ntpsh.stop() }
        try ntpsh.step("wait sync 10s", "ready")

        #expect(try Self.measure(from: "127.0.0.2", port: port, served: true) != nil, "a host rule without noserve")
        #expect(try Self.measure(from: "127.0.0.3", port: port, served: false) == nil, "default noserve")

        try ntpsh.step("restrict 127.0.0.3 nomodify", "added")
        #expect(try Self.measure(from: "127.0.0.3", port: port, served: true) != nil, "the rule added at runtime applies to the next packet")
        try ntpsh.step("no restrict 127.0.0.3", "removed")
        #expect(try Self.measure(from: "127.0.0.3", port: port, served: false) == nil, "removed at runtime: default noserve again")
        // unrestrict turns flags off (NTPsec): the default loses noserve for a moment.
        try ntpsh.step("unrestrict default noserve", "unrestricted")
        #expect(try Self.measure(from: "127.0.0.3", port: port, served: true) != nil, "default without noserve")
        try ntpsh.step("restrict default kod nomodify notrap nopeer noquery noserve", "restored")
        #expect(try Self.measure(from: "127.0.0.3", port: port, served: false) == nil)

        #expect(try Self.measure(from: "127.0.0.4", port: port, options: "version 3", served: false) == nil, "version: NTPv3 refused")
        #expect(try Self.measure(from: "127.0.0.4", port: port, options: "version 4", served: true) != nil, "version: NTPv4 served")

        #expect(try Self.measure(from: "127.0.0.5", port: port, served: false) == nil, "notrust: unauthenticated refused")
        #expect(try Self.measure(from: "127.0.0.5", port: port, options: "key 1", keyfile: chronyKeys, served: true) != nil,
                "notrust: authenticated served")

        try ntpsh.step("restrictions", "listed")
        let listing = ntpsh.stdout
        for entry in ["default", "127.0.0.2/32", "127.0.0.4/32", "127.0.0.5/32"] { #expect(listing.contains(entry)) }
        #expect(!listing.contains("127.0.0.3/32"))
        ntpsh.closeInput()
        try ntpsh.waitUntil(timeout: 10, "the batch to end") { !ntpsh.isRunning }
    }

    @Test("two ntpsh peer with each other (mode 1 answered in mode 2); nopeer refuses a peer not configured")
    func peers() throws {
        let (portA, portB) = (try freeUDPPort(), try freeUDPPort())
        // B serves its local clock and peers with A; A peers with B and synchronises to it.
        let b = try startServer(port: portB, config: """
            server 127.127.1.0
            fudge 127.127.1.0 stratum 8
            restrict default nopeer
            peer 127.0.0.1 port \(portA) minpoll 3

            """)
        defer { b.stop() }
        let a = try run(ntpshBinary(), ["--clock", "observe", "--listen", "127.0.0.1", "--port", String(portA),
                                        "-e", "peer 127.0.0.1 port \(portB) iburst minpoll 3", "-e", "wait sync 20s",
                                        "-e", "peers -n"], timeout: 40)
        #expect(a.status == 0, "\(a.stdout) \(a.stderr)")
        let line = try #require(a.stdout.split(separator: "\n").first { $0.hasPrefix("*127.0.0.1") }, "\(a.stdout)")
        let fields = line.split(separator: " ")
        #expect(fields[2] == "9" && fields[3] == "s", "B at stratum 9, a symmetric association: \(line)")

        // B's default nopeer let A in because A is B's configured peer; C has no peer, so D is refused.
        let (portC, portD) = (try freeUDPPort(), try freeUDPPort())
        let c = try startServer(port: portC, config: "server 127.127.1.0\nfudge 127.127.1.0 stratum 8\nrestrict 127.0.0.0 mask 255.0.0.0 nopeer\n")
        defer { c.stop() }
        let refused = try run(ntpshBinary(), ["--keep-going", "--clock", "observe", "--listen", "127.0.0.1", "--port", String(portD),
                                              "-e", "peer 127.0.0.1 port \(portC) iburst minpoll 3", "-e", "wait sync 6s",
                                              "-e", "peers -n"], timeout: 40)
        #expect(refused.stderr.contains("not synchronised after 6 s"), "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains(" 127.0.0.1       .INIT.          16 s"), "\(refused.stdout)")
    }
}
