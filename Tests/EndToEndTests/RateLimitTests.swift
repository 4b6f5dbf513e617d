import Foundation
import NTPWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reads system variables from `ntpsh` over mode 6 (from 127.0.0.1: loopback, so answers may
/// be larger than the request) and returns them by name.
func readVariables(port: UInt16, _ names: [String]) throws -> [String: String] {
    let client = try UDPClient()
    let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readVariables, sequence: 1,
                                 data: Array(names.joined(separator: ",").utf8))
    try client.send(request.bytes, to: "127.0.0.1", port: port)
    var data: [UInt8] = []
    while true {
        guard let bytes = client.receive(timeout: 2) else { throw TestFailure("no mode 6 answer for \(names)") }
        let m = try ControlMessage(decoding: bytes)
        guard !m.isError else { throw TestFailure("mode 6 error \(m.status >> 8) for \(names)") }
        data += m.data
        if !m.hasMore { break }
    }
    var out: [String: String] = [:]
    for item in String(decoding: data, as: UTF8.self).split(separator: ",") {
        let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if kv.count == 2 { out[kv[0]] = kv[1] }
    }
    return out
}

@Suite("rate limiting: restrict limited kod, discard", .serialized)
struct RateLimitTests {
    static func config(_ flags: String, discard: String = "") -> String {
        "restrict default \(flags)\n\(discard)\nserver 127.127.1.0\nfudge 127.127.1.0 stratum 10\n"
    }

    @Test("a client over the limit gets one RATE kiss, then silence; counters show both")
    func rateKisses() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port, config: Self.config("limited kod"))
        defer { server.stop() }
        // Not 127.0.0.1: the start-up probe's packets are not ours.
        let client = try UDPClient(bindTo: "127.0.0.2")
        func ask() throws -> (NTPTimestamp, [UInt8]?) {
            let t = NTPTimestamp(rawValue: UInt64.random(in: 1...UInt64.max))
            try client.send(clientRequest(transmit: t), to: "127.0.0.1", port: port)
            return (t, client.receive(timeout: 0.5))
        }
        let (_, first) = try ask()
        let normal = try NTPHeader(decoding: try #require(first, "the first request is answered"))
        #expect(normal.stratum == 11)
        let (cookie, second) = try ask()
        let kiss = try NTPHeader(decoding: try #require(second, "the second request, at once, gets a kiss"))
        #expect(kiss.kissCode == .RATE)
        #expect(kiss.stratum == 0 && kiss.leap == .unsynchronized && kiss.mode == .server)
        #expect(kiss.originTime == cookie)
        #expect(kiss.poll.log2Seconds >= 3, "the kiss asks for at least discard average (8 s)")
        #expect(try ask().1 == nil, "the kiss itself is rate limited: the third gets nothing")
        #expect(try ask().1 == nil)
        let v = try readVariables(port: port, ["ss_limited", "ss_kodsent", "ss_processed"])
        print("rate limit counters: \(v)")
        #expect(v["ss_limited"] == "3")
        #expect(v["ss_kodsent"] == "1")
        // A client that keeps to the limit (another address) is served throughout.
        let polite = try UDPClient(bindTo: "127.0.0.3")
        try polite.send(clientRequest(), to: "127.0.0.1", port: port)
        #expect(polite.receive(timeout: 1) != nil)
    }

    @Test("mode 7 (ntpdc) is never answered")
    func modeSevenIgnored() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let client = try UDPClient()
        // An ntpdc request: version 2, mode 7, REQ_PEER_LIST (implementation 3, request 0).
        var request = [UInt8](repeating: 0, count: 48)
        request[0] = 2 << 3 | 7
        request[2] = 3
        try client.send(request, to: "127.0.0.1", port: port)
        #expect(client.receive(timeout: 1) == nil)
        let v = try readVariables(port: port, ["ss_declined"])
        #expect(v["ss_declined"] == "1")
    }

    /// chronyd polls every 0.5 s, faster than `discard minimum 4` (4 s) allows. Without `kod`
    /// its requests are dropped and it keeps polling; with `kod` it gets RATE kisses, logs them,
    /// and backs off (chrony waits four poll intervals more after each): ntpsh sees far fewer
    /// requests in the same 12 s.
    @Test("a real chronyd client backs off from RATE kisses")
    func chronydBacksOff() throws {
        var requests: [String: Int] = [:]
        for flags in ["limited", "limited kod"] {
            let port = try freeUDPPort()
            let server = try startServer(port: port, config: Self.config(flags, discard: "discard average 1 minimum 4"))
            defer { server.stop() }
            let dir = try temporaryDirectory()
            try """
                server 127.0.0.1 port \(port) minpoll -1 maxpoll -1
                cmdport 0
                pidfile \(dir)/chronyd.pid
                """.write(toFile: "\(dir)/chrony.conf", atomically: true, encoding: .utf8)
            let before = Int(try readVariables(port: port, ["ss_received"])["ss_received"] ?? "") ?? 0
            let chronyd = try Background(dropTime[0], Array(dropTime.dropFirst()) + ["/usr/sbin/chronyd", "-x", "-d", "-f", "\(dir)/chrony.conf"])
            // The measurement window: chronyd polls for 12 s.
            let deadline = Date().addingTimeInterval(12)
            while Date() < deadline && chronyd.isRunning { usleep(100_000) }
            let log = chronyd.stderr
            chronyd.stop()
            let v = try readVariables(port: port, ["ss_received", "ss_limited", "ss_kodsent"])
            requests[flags] = (Int(v["ss_received"] ?? "") ?? 0) - before
            print("restrict default \(flags): \(requests[flags]!) requests from chronyd in 12 s; \(v)")
            if flags.hasSuffix("kod") {
                #expect(log.contains("Received KoD RATE from 127.0.0.1"), "chronyd's log: \(log)")
                #expect(Int(v["ss_kodsent"] ?? "") ?? 0 > 0)
            } else {
                #expect(!log.contains("KoD"))
                #expect(Int(v["ss_limited"] ?? "") ?? 0 > 0)
            }
        }
        let dropped = requests["limited"] ?? 0, kissed = requests["limited kod"] ?? 0
        #expect(dropped >= 8, "chronyd kept polling when dropped")
        #expect(kissed < dropped, "with kisses chronyd sent \(kissed) requests, without \(dropped)")
    }
}
