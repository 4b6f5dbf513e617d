import NTPEngine
import NTPSimulation
import NTPWire
import Testing

@Suite struct AccuracyWorldTests {
    @Test func theDefaultWorld() {
        let w = AccuracyWorld(.defaults, seed: 1)
        #expect(w.network.servers.count == 1)
        #expect(w.network.defaultLink == LinkModel(baseDelay: 1e-4, jitter: 1e-4))
        #expect(w.clientClock.trueOffset == 0.1 && w.clientClock.oscillatorFrequency == 100)
        #expect(w.clientClock.wanderPerSqrtSecond == 1e-9)
        #expect(w.settings == ClientSettings(servers: [SocketAddress("10.0.0.1", port: 123)!]))
        #expect(w.settings.minpoll == PollExponent(6) && w.settings.maxpoll == PollExponent(10) && !w.settings.iburst)
        #expect(w.duration == 10_000 && w.statisticsFrom == 210 && w.limits == .accuracyDefault)
    }

    @Test func everyRow() {
        #expect(AccuracyScenario.all.count == 12)
        #expect(AccuracyScenario.all.map(\.description) == [
            "defaults", "fixed-poll-6", "frequency+5000ppm", "frequency-5000ppm", "frequency+50000ppm",
            "frequency-50000ppm", "offset+100s", "offset-100s", "falseticker", "two-falsetickers", "iburst",
            "packet-loss",
        ])
        for s in AccuracyScenario.all { #expect(AccuracyScenario(name: s.description) == s) }

        #expect(AccuracyWorld(.fixedPoll6, seed: 1).settings.maxpoll == PollExponent(6))
        let f = AccuracyWorld(.largeFrequencyError(ppm: -50000), seed: 1)
        #expect(f.clientClock.oscillatorFrequency == -50000 && abs(f.clientClock.trueOffset - 6.5) < 1e-12)
        #expect(AccuracyWorld(.largeTimeOffset(seconds: -100), seed: 1).clientClock.trueOffset == -100)

        let one = AccuracyWorld(.falseticker, seed: 1)
        #expect(one.settings.servers.count == 5 && one.network.defaultLink.outbound.baseDelay == 1e-3)
        #expect(one.network.servers.map { $0.falseticker } == [.constant(offset: 1), .none, .none, .none, .none])
        let two = AccuracyWorld(.twoFalsetickers, seed: 1)
        #expect(two.network.servers.map { $0.falseticker.extraOffset(at: two.network.now) } == [1, 2, 0, 0, 0])

        let i = AccuracyWorld(.iburst, seed: 1)
        #expect(i.settings.iburst && i.settings.stepThreshold == 0.01 && i.settings.initialFrequencyCorrection == -100)

        let loss = AccuracyWorld(.packetLoss, seed: 1)
        #expect(loss.network.defaultLink == LinkModel(baseDelay: 1e-4, jitter: 1e-5, loss: 0.33))
        #expect(loss.settings.maxpoll == PollExponent(8) && loss.duration == 20_000)
    }

    /// A client that knows the truth passes; one that does nothing never synchronises.
    @Test func theWorldAndTheMetricsAgree() {
        let w = AccuracyWorld(.defaults, seed: 4)
        let result = w.run(host: OracleHost(clock: w.clientClock))
        print(result.summary)
        #expect(result.passes)
        #expect(result.samples.count == 10_000)
        #expect((result.metrics.syncTime ?? 99) <= 16)
        #expect(result.metrics.maxOffset < 1e-6 && result.metrics.rmsFrequencyError < 1e-7)

        let idle = AccuracyWorld(.defaults, seed: 4)
        let none = idle.run(host: SNTPProbe(clock: idle.clientClock, servers: idle.settings.servers, address: idle.clientAddress))
        #expect(none.metrics.syncTime == nil && !none.passes)
        // The wander's random walk moves the offset by about 6e-4 s (1σ) in 10000 s.
        #expect(abs(none.samples.last!.offset - (0.1 + 100e-6 * 10_000)) < 3e-3)
        #expect(abs(none.samples.last!.frequencyError - 100e-6) < 1e-6)
    }

    @Test func trialsOverSeeds() {
        let results = AccuracyWorld.trials(.iburst, seeds: 1...3) { OracleHost(clock: $0.clientClock) }
        #expect(results.map(\.seed) == [1, 2, 3])
        #expect(results.allSatisfy { $0.passes })
    }

    @Test func sameSeedSameTrial() {
        func trial(_ seed: UInt64) -> [ClockSample] {
            let w = AccuracyWorld(.packetLoss, seed: seed)
            let probe = SNTPProbe(clock: w.clientClock, servers: w.settings.servers, address: w.clientAddress)
            return w.run(host: probe).samples
        }
        #expect(trial(9) == trial(9))
        #expect(trial(9) != trial(10))
    }
}
