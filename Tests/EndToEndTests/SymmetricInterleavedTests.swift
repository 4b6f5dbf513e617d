import Foundation
import Testing

/// Interleaved symmetric mode (`peer HOST xleave`) between two ntpsh daemons on loopback: each
/// side's symmetric active packets become interleaved once a basic exchange has seeded them,
/// the other side completing them with its kernel transmit stamps. `rv 1 xmode` shows
/// `interleaved` on both. Never touching the clock (`--clock observe`); waits bounded.
@Suite("interleaved symmetric mode between two ntpsh", .serialized)
struct SymmetricInterleavedTests {
    @Test func bothPeersShowInterleaved() throws {
        let portA = try freeUDPPort(), portB = try freeUDPPort()
        func args(port: UInt16, peer: UInt16, local: Bool) -> [String] {
            // The peer first: association 1 on both sides.
            var a = ["--clock", "observe", "--port", String(port), "--listen", "127.0.0.1",
                     "-e", "peer 127.0.0.1 port \(peer) iburst xleave"]
            if local { a += ["-e", "server 127.127.1.0", "-e", "fudge 127.127.1.0 stratum 10"] }
            return a + ["-e", "sleep 14s", "-e", "rv 1 xmode,stratum", "-e", "peers"]
        }
        // A keeps the local clock (stratum 10); B has only its peer A.
        let a = try Background(ntpshBinary(), args(port: portA, peer: portB, local: true))
        defer { a.stop() }
        let b = try run(ntpshBinary(), args(port: portB, peer: portA, local: false), timeout: 40)
        try a.waitUntil(timeout: 20, "A to finish its batch") { !a.isRunning }
        print("A:\n\(a.stdout)\nB:\n\(b.stdout)")
        #expect(b.status == 0, "\(b.stderr)")
        #expect(a.stdout.contains("xmode=\"interleaved\""), "A: \(a.stdout) \(a.stderr)")
        #expect(b.stdout.contains("xmode=\"interleaved\""), "B: \(b.stdout)")
    }
}
