import NTPEngine
import NTPSimulation
import NTPWire
import Testing

@Suite struct PerformanceTests {
    /// A simulated day: ten servers (wandering clocks), one host polling each every 64 s,
    /// sampled every second. Must take well under 10 s of wall time.
    @Test func aSimulatedDayIsFast() {
        let wall = ContinuousClock()
        let started = wall.now
        let network = SimulatedNetwork(seed: 99)
        let addresses = (0..<10).map { i in
            network.addServer(SimulatedServer(
                model: ServerClockModel(offset: Double(i) * 1e-4, frequencyPPM: Double(i), wander: 1e-9), seed: UInt64(i)))
        }
        let clock = clientClock()
        let probe = SNTPProbe(clock: clock, servers: addresses, address: clientAddress, interval: 64)
        network.addHost(probe, address: clientAddress)
        var samples: [ClockSample] = []
        network.run(for: 86_400) { n in samples.append(ClockSample(clock: clock, start: n.startTime)) }
        let elapsed = wall.now - started
        print("simulated day (10 servers, poll 64 s, 1 s samples): \(elapsed) wall, "
            + "\(network.statistics.events) events, \(samples.count) samples")
        #expect(samples.count == 86_400)
        // 1351 polls: the client clock is 0.1 s + 100 ppm ahead, so its 86408.74th local second comes first.
        #expect(probe.measurements.count == 13_510)
        // Measured, not asserted (BENCHMARKS.md): only a blow-up fails (ASan on a loaded machine is slow).
        #expect(elapsed < .seconds(120))
    }
}
