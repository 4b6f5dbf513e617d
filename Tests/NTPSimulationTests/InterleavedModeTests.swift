import NTPEngine
import NTPSimulation
import NTPWire
import Testing

/// Interleaved mode (`server … xleave`, RFC 9769) in virtual time: a server whose basic
/// transmit timestamps are read up to 400 µs before its replies really leave (a loaded
/// server), against the kernel's stamp of the departure that interleaved mode returns.
@Suite struct InterleavedModeTests {
    struct Run {
        var errors: [Double]
        var report: PeerReport
        var serverInterleaved: UInt64
    }

    func run(xleave: Bool, servesInterleaved: Bool = true, seed: UInt64 = 3) throws -> Run {
        let network = SimulatedNetwork(seed: seed)
        let server = SimulatedServer(model: .perfect, startTime: network.startTime)
        server.transmitLag = 400e-6
        server.servesInterleaved = servesInterleaved
        let address = network.addServer(server)
        var a = AssociationConfiguration(kind: .server, host: address.ip.description)
        a.port = address.port
        a.iburst = true
        a.minPoll = 4
        a.maxPoll = 4
        a.xleave = xleave
        let clock = clientClock(offset: 0.001, ppm: 10, wander: 1e-10, seed: seed)
        let host = EngineHost(clock: clock, address: clientAddress, configuration: EngineConfiguration(),
                              associations: [a], seed: seed)
        network.addHost(host, address: host.address)
        network.run(for: 3000, sampleEvery: 0)
        var errors: [Double] = []
        network.run(for: 3000, sampleEvery: 16) { _ in errors.append(clock.trueOffset) }
        let report = try #require(host.engine.peerReports().first)
        return Run(errors: errors, report: report, serverInterleaved: server.interleavedReplies)
    }

    @Test(arguments: [UInt64(1), 3, 7])
    func interleavedModeMeasuresTheLateTransmitStampAway(seed: UInt64) throws {
        let basic = try run(xleave: false, seed: seed)
        let interleaved = try run(xleave: true, seed: seed)
        let basicMean = mean(basic.errors), interleavedMean = mean(interleaved.errors)
        print("true offset, basic: mean \(basicMean * 1e6) µs rms \(rms(basic.errors) * 1e6) µs; "
              + "interleaved: mean \(interleavedMean * 1e6) µs rms \(rms(interleaved.errors) * 1e6) µs")
        // Basic: a reply's transmit stamp is 0–400 µs early, its offset half that; the clock
        // filter's minimum-delay pick keeps the bias small but not the spread. Interleaved:
        // neither (what is left is the links' own jitter).
        #expect(rms(basic.errors) > 25e-6)
        #expect(rms(interleaved.errors) < rms(basic.errors) / 2)
        #expect(abs(interleavedMean) < 5e-6)
        #expect(interleaved.report.interleaved == true && basic.report.interleaved == nil)
        #expect(interleaved.report.counters.interleaved > 300 && basic.report.counters.interleaved == 0)
        #expect(interleaved.serverInterleaved >= interleaved.report.counters.interleaved)
        #expect(basic.serverInterleaved == 0, "a basic client's requests are never interleaved")
    }

    @Test func fallsBackToBasicWhenTheServerAnswersBasic() throws {
        let r = try run(xleave: true, servesInterleaved: false)
        #expect(r.report.interleaved == false)
        #expect(r.report.counters.interleaved == 0 && r.serverInterleaved == 0)
        #expect(r.report.reach == 0xFF, "every reply counts")
        #expect(r.report.counters.received > 300 && r.report.counters.bogusOrigin == 0)
        // Synchronised as a basic client is, the late stamps' error in.
        let basic = try run(xleave: false)
        #expect(abs(rms(r.errors) - rms(basic.errors)) < rms(basic.errors) / 2)
        #expect(rms(r.errors) > 25e-6 && rms(r.errors) < 200e-6)
    }
}
