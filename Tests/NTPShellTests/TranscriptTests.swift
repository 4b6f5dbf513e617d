import NTPLab
import Foundation
import NTPEngine
import NTPSimulation
import NTPWire
import Testing
@testable import NTPShell

/// Golden transcripts: each file in Transcripts/ is a session — `> command` lines and the exact
/// output expected after each (errors prefixed `! `, a non-zero status as `[status N]`). The
/// engine runs in a seeded simulated world, so the screen is the same on every run. Set
/// NTPSH_UPDATE_TRANSCRIPTS=1 to rewrite the files from what the shell prints now (then review
/// the diff).
@Suite("golden transcripts")
struct TranscriptTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    /// Three stratum-1 servers at 10.0.0.1–3 and a client 50 ms fast with +20 ppm.
    static func world() -> SimulationAdmin {
        let network = SimulatedNetwork(seed: 1)
        for _ in 0..<3 { network.addServer(SimulatedServer(model: .perfect, startTime: network.startTime)) }
        network.register(name: "pool.lab", addresses: [IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!])
        let clock = SimulatedClock(trueTime: network.startTime, initialOffset: 0.05, frequencyError: 20,
                                   wanderPerSqrtSecond: 1e-9, seed: 1)
        let host = EngineHost(clock: clock, address: SocketAddress(ip: .v4(0x0a01_0001), port: 123),
                              configuration: EngineConfiguration(), associations: [], seed: 1)
        network.addHost(host, address: host.address)
        return SimulationAdmin(network: network, host: host)
    }

    static func transcripts() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test(arguments: transcripts())
    func transcript(_ name: String) throws {
        let url = Self.directory.appendingPathComponent(name)
        let expected = try String(contentsOf: url, encoding: .utf8)
        let runner = LabShell.runner(admin: Self.world())
        var actual = ""
        for line in expected.split(separator: "\n", omittingEmptySubsequences: false) where line.hasPrefix("> ") || line.hasPrefix("#") {
            if line.hasPrefix("#") { actual += line + "\n"; continue }
            let command = String(line.dropFirst(2))
            actual += line + "\n"
            let out = runner.run(command)
            actual += out.text
            if let e = out.error { actual += e.split(separator: "\n", omittingEmptySubsequences: false).map { "! " + $0 }.joined(separator: "\n") + "\n" }
            if out.status != 0 { actual += "[status \(out.status)]\n" }
        }
        if ProcessInfo.processInfo.environment["NTPSH_UPDATE_TRANSCRIPTS"] != nil {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(actual == expected, "transcript \(name) differs; NTPSH_UPDATE_TRANSCRIPTS=1 rewrites it:\n\(actual)")
    }
}
