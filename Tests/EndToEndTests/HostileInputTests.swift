import Foundation
import NTPWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a correct server must do with a datagram: the client-side oracle.
private func mustAnswer(_ p: [UInt8]) -> Bool {
    // Longer than any NTP request we serve (ntpsh's receive buffer): dropped as oversize.
    guard p.count >= 48, p.count <= 2048 else { return false }
    let version = (p[0] >> 3) & 7, mode = p[0] & 7
    guard (1...4).contains(version) else { return false }
    // Client requests (mode 3, or NTPv1's mode 0) and symmetric active packets (mode 1, answered
    // statelessly in mode 2 as chrony does) are answered; every other mode is dropped.
    guard mode == 3 || mode == 1 || (version == 1 && mode == 0) else { return false }
    return p.withUnsafeBytes { (try? NTPPacketLayout.scan($0)) != nil }
}

@Suite("hostile input", .serialized)
struct HostileInputTests {
    @Test("truncations, bad versions, every mode, oversize and 100,000 random datagrams")
    func hostile() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let client = try UDPClient()

        var packets: [[UInt8]] = []
        let valid = clientRequest()
        for n in 0..<48 { packets.append(Array(valid.prefix(n))) }
        for v: UInt8 in [0, 5, 6, 7] { var p = clientRequest(); p[0] = v << 3 | 3; packets.append(p) }
        for m: UInt8 in 0...7 { var p = clientRequest(); p[0] = 4 << 3 | m; packets.append(p) }
        var big = clientRequest() + [UInt8](repeating: 0, count: 1200)
        packets.append(big)
        big = clientRequest() + [UInt8](repeating: 0xff, count: 65_000)
        packets.append(big)
        // Well-formed extension fields (type 0x0104): one of 1000 bytes is served, one of
        // 60000 is over the receive buffer and dropped.
        for len in [1000, 60_000] {
            var ext = clientRequest()
            ext += [0x01, 0x04, UInt8(len >> 8), UInt8(len & 0xff)] + [UInt8](repeating: 7, count: len - 4)
            packets.append(ext)
        }
        var rng = SystemRandomNumberGenerator()
        for i in 0..<100_000 {
            let size = i % 10 == 0 ? 48 : Int.random(in: 0...200, using: &rng)
            var p = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 10 == 0 { p[0] = (p[0] & 0xc0) | 4 << 3 | 3 }  // many syntactically valid requests
            packets.append(p)
        }

        // Cookie (request transmit timestamp) → index of the request, for the valid ones.
        var expected: [UInt64: Int] = [:]
        var expectedCount = 0
        for (i, p) in packets.enumerated() where mustAnswer(p) {
            let cookie = p.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 40, as: UInt64.self)) }
            expected[cookie] = i
            expectedCount += 1
        }

        var answered = 0, controlReplies = 0, wrong: [String] = []
        func drain(_ wait: Double) {
            while let reply = client.receive(timeout: wait) {
                // Mode 6 (ntpq's protocol) answers from this loopback client are allowed; they
                // carry no cookie to match. Mode 3 replies must answer a valid request.
                if reply.first.map({ $0 & 7 == 6 }) == true { controlReplies += 1; continue }
                guard reply.count >= 48 else { wrong.append("short reply \(reply.count)"); continue }
                let origin = reply.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) }
                guard let i = expected[origin] else { wrong.append("reply to a request that must be dropped"); continue }
                if reply.count > packets[i].count { wrong.append("reply of \(reply.count) bytes to a \(packets[i].count)-byte request") }
                answered += 1
            }
        }
        // Every 256 datagrams the sender lets the server catch up: it waits (up to 50 ms after
        // the last reply) until the valid requests sent so far are answered, so a busy machine
        // (the other suites run alongside) slows the test instead of overflowing the buffers.
        var validSent = 0
        for (i, p) in packets.enumerated() {
            try client.send(p, to: "127.0.0.1", port: port)
            if mustAnswer(p) { validSent += 1 }
            if i % 256 == 255 {
                drain(0)
                if answered < validSent { drain(0.05) }
            }
        }
        drain(0.5)
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        // Loopback with large buffers loses nothing; allow a little for a busy machine.
        #expect(Double(answered) >= Double(expectedCount) * 0.99, "answered \(answered) of \(expectedCount)")
        print("hostile: \(packets.count) datagrams, \(expectedCount) valid, \(answered) answered, \(controlReplies) mode 6 answers")

        // Still serving.
        try client.send(clientRequest(), to: "127.0.0.1", port: port)
        #expect(client.receive(timeout: 2) != nil)
        #expect(server.isRunning)
    }
}

@Suite("tshark dissects our replies", .serialized)
struct TsharkTests {
    @Test("replies decode as NTP with no malformed packets or expert warnings")
    func dissect() throws {
        let port = try freeUDPPort()
        let server = try startServer(port: port)
        defer { server.stop() }
        let pcap = NSTemporaryDirectory() + "ntpsh-\(UUID().uuidString).pcap"
        let capture = try Background("/usr/bin/tshark", ["-i", "lo", "-f", "udp port \(port)", "-c", "8", "-w", pcap])
        defer { capture.stop(signal: SIGINT) }
        try capture.waitUntil(timeout: 15, "tshark to start capturing") { capture.stderr.contains("Capturing on") }
        let client = try UDPClient()
        let deadline = Date().addingTimeInterval(15)
        while capture.isRunning && Date() < deadline {
            try client.send(clientRequest(), to: "127.0.0.1", port: port)
            _ = client.receive(timeout: 2)
        }
        #expect(!capture.isRunning, "tshark did not see 8 packets")
        let fields = try run("/usr/bin/tshark", [
            "-r", pcap, "-d", "udp.port==\(port),ntp", "-T", "fields",
            "-e", "ntp.flags.mode", "-e", "ntp.stratum", "-e", "_ws.expert", "-e", "_ws.malformed",
        ])
        let rows = fields.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == 8)
        // The capture may begin between a request and its reply, so it holds 3 to 5 replies:
        // count only that every packet is a request or a reply and that both directions decode.
        let requests = rows.filter { $0.first == "3" }.count, replies = rows.filter { $0.first == "4" }.count
        #expect(requests + replies == rows.count, "only client requests and server replies: \(fields.stdout)")
        #expect(requests >= 3 && replies >= 3, "requests and replies both captured: \(fields.stdout)")
        for row in rows {
            #expect(row.dropFirst(2).allSatisfy { $0.isEmpty }, "expert info or malformed: \(row)")
        }
        let expert = try run("/usr/bin/tshark", ["-r", pcap, "-d", "udp.port==\(port),ntp", "-q", "-z", "expert"])
        #expect(!expert.stdout.contains("Warning") && !expert.stdout.contains("Error") && !expert.stdout.contains("Malformed"),
                "\(expert.stdout)")
        unlink(pcap)
    }
}
