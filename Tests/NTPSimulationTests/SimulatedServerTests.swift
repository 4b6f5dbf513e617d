import NTPEngine
import NTPSimulation
import NTPWire
import Testing

@Suite struct SimulatedServerTests {
    func world(_ configure: (SimulatedServer) -> Void = { _ in }, interval: Double = 16, seed: UInt64 = 21)
        -> (SimulatedNetwork, SimulatedServer, SNTPProbe)
    {
        let network = SimulatedNetwork(seed: seed)
        let server = SimulatedServer()
        configure(server)
        let address = network.addServer(server)
        let probe = SNTPProbe(clock: clientClock(), servers: [address], address: clientAddress, interval: interval)
        network.addHost(probe, address: clientAddress)
        return (network, server, probe)
    }

    @Test func advertisesItsSystemVariables() throws {
        let (network, _, probe) = world { s in
            s.stratum = 2
            s.referenceID = ReferenceID(ipv4: 192, 0, 2, 1)
            s.leap = .insertSecond
            s.rootDelay = 0.01
            s.rootDispersion = 0.002
        }
        network.run(for: 100, sampleEvery: 0)
        let m = try #require(probe.measurements.first)
        #expect(m.stratum == 2 && m.leap == .insertSecond && m.kiss == nil)
    }

    @Test func aSilentServerStopsAnsweringAndComesBack() {
        let (network, server, probe) = world()
        let start = network.startTime
        server.goSilent(from: start.adding(seconds: 1000), until: start.adding(seconds: 2000))
        network.schedule(at: start.adding(seconds: 3000)) { _ in server.isSilent = true }
        network.schedule(at: start.adding(seconds: 3500)) { _ in server.isSilent = false }
        network.run(for: 4000, sampleEvery: 0)
        let answeredAt = probe.measurements.map { $0.sent - start }
        #expect(!answeredAt.contains { (1000.2...1999.8).contains($0) || (3000.2...3499.8).contains($0) })
        #expect(answeredAt.contains { $0 > 2000 && $0 < 3000 } && answeredAt.contains { $0 > 3500 })
        #expect(server.counters.ignoredWhileSilent >= 90)
        #expect(server.counters.received == server.counters.replied + server.counters.ignoredWhileSilent)
    }

    @Test(arguments: [KissCode.RATE, .DENY, .RSTR])
    func kissOfDeathToEveryRequest(_ code: KissCode) {
        let (network, server, probe) = world { $0.kiss = .always(code) }
        network.run(for: 200, sampleEvery: 0)
        #expect(probe.measurements.count >= 12)
        #expect(probe.measurements.allSatisfy { $0.kiss == code && $0.stratum == 0 && $0.leap == .unsynchronized })
        #expect(server.counters.kissesSent == probe.measurements.count && server.counters.replied == 0)
    }

    @Test func rateKissAboveARequestRate() {
        let (fast, fastServer, fastProbe) = world({ $0.kiss = .rateLimit(minimumInterval: 8) }, interval: 2)
        fast.run(for: 200, sampleEvery: 0)
        #expect(fastProbe.measurements.dropFirst().allSatisfy { $0.kiss == .RATE })
        #expect(fastProbe.measurements.first?.kiss == nil)
        #expect(fastServer.counters.replied == 1)
        let (slow, _, slowProbe) = world({ $0.kiss = .rateLimit(minimumInterval: 8) }, interval: 16)
        slow.run(for: 200, sampleEvery: 0)
        #expect(slowProbe.measurements.count > 10 && slowProbe.measurements.allSatisfy { $0.kiss == nil })
    }

    @Test func unsynchronisedServer() throws {
        let (network, _, probe) = world { $0.unsynchronized = true }
        network.run(for: 50, sampleEvery: 0)
        let m = try #require(probe.measurements.first)
        #expect(m.leap == .unsynchronized && m.stratum == 0 && m.kiss == .INIT)
    }

    @Test func falsetickerStepsAtItsTime() {
        let (network, server, probe) = world()
        server.falseticker = .step(at: network.startTime.adding(seconds: 500), before: 0, after: 1)
        network.run(for: 1000, sampleEvery: 0)
        let early = probe.measurements.filter { $0.sent - network.startTime < 499 }
        let late = probe.measurements.filter { $0.sent - network.startTime > 501 }
        // The client is +0.1 s and 100 ppm fast; the server adds 1 s from 500 s on.
        func drift(_ m: ProbeMeasurement) -> Double { -0.1 - 100e-6 * (m.sent - network.startTime) }
        #expect(early.count > 25 && early.allSatisfy { abs($0.offset - drift($0)) < 2e-3 })
        #expect(late.count > 25 && late.allSatisfy { abs($0.offset - 1 - drift($0)) < 2e-3 })
        #expect(late.allSatisfy { abs($0.offset - $0.trueOffset) < 2e-3 })
    }

    /// Processing time is inside T2…T3, so it changes neither the offset nor the delay.
    @Test func processingDelayIsNotNetworkDelay() {
        let (network, _, probe) = world { $0.processingDelay = 0.05 }
        network.run(for: 2000, sampleEvery: 0)
        let errors = probe.measurements.map { $0.offset - $0.trueOffset }
        #expect(abs(mean(errors)) < 2e-5)
        #expect(mean(probe.measurements.map(\.delay)) < 5e-4)
    }

    /// A server that runs 50 ppm fast is measured so.
    @Test func serverClockModel() throws {
        let network = SimulatedNetwork(seed: 3)
        let server = SimulatedServer(model: ServerClockModel(offset: -0.5, frequencyPPM: 50))
        let address = network.addServer(server)
        let probe = SNTPProbe(clock: clientClock(ppm: 0, wander: 0), servers: [address], address: clientAddress, interval: 100)
        network.addHost(probe, address: clientAddress)
        network.run(for: 10_001, sampleEvery: 0)
        let first = try #require(probe.measurements.first), last = try #require(probe.measurements.last)
        #expect(abs(first.offset - (-0.6)) < 1e-3)
        #expect(abs((last.offset - first.offset) / (last.sent - first.sent) - 50e-6) < 1e-7)
        #expect(abs(server.clock.trueOffset - (-0.5 + 50e-6 * 10_001)) < 1e-9)
    }
}
