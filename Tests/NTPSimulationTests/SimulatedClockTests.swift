import NTPEngine
import NTPSimulation
import NTPWire
import Testing

@Suite struct SimulationRandomTests {
    @Test func sameSeedSameSequence() {
        var a = SimulationRandom(seed: 42)
        var b = SimulationRandom(seed: 42)
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
        var c = SimulationRandom(seed: 43)
        var d = SimulationRandom(seed: 42, stream: 1)
        var e = SimulationRandom(seed: 42)
        let x = (0..<8).map { _ in e.next() }
        #expect((0..<8).map { _ in c.next() } != x)
        #expect((0..<8).map { _ in d.next() } != x)
    }

    @Test func splitMix64KnownValues() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func uniformInRange() {
        var g = SimulationRandom(seed: 7)
        var sum = 0.0
        for _ in 0..<100_000 {
            let u = g.nextUniform()
            #expect(u >= 0 && u < 1)
            sum += u
        }
        #expect(abs(sum / 100_000 - 0.5) < 0.01)
    }

    @Test func gaussianMoments() {
        var g = SimulationRandom(seed: 1)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, beyond3 = 0
        for _ in 0..<n {
            let x = g.nextGaussian()
            sum += x; sumSq += x * x
            if abs(x) > 3 { beyond3 += 1 }
        }
        let mean = sum / Double(n)
        let variance = sumSq / Double(n) - mean * mean
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.02)
        // P(|x| > 3) = 0.0027.
        #expect(beyond3 > 400 && beyond3 < 700)
    }

    @Test func exponentialMean() {
        var g = SimulationRandom(seed: 3)
        var sum = 0.0
        for _ in 0..<100_000 {
            let x = g.nextExponential()
            #expect(x >= 0 && x.isFinite)
            sum += x
        }
        #expect(abs(sum / 100_000 - 1) < 0.02)
    }
}

@Suite struct SimulatedClockTests {
    let start = UnixTime(seconds: 1_700_000_000, nanoseconds: 0)

    @Test func initialOffsetIsLocalMinusTrue() {
        let c = SimulatedClock(trueTime: start, initialOffset: 0.1, frequencyError: 0)
        #expect(c.kind == .simulated)
        #expect(c.now() == start.adding(seconds: 0.1))
        #expect(abs(c.trueOffset - 0.1) < 1e-12)
        c.advance(by: 1000)
        #expect(abs(c.trueOffset - 0.1) < 1e-12)
    }

    @Test func frequencyErrorAccumulates() {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 100)
        c.advance(by: 10)
        #expect(abs(c.trueOffset - 1e-3) < 1e-12)
        c.advance(to: start.adding(seconds: 10_000))
        #expect(abs(c.trueOffset - 1.0) < 1e-9)
        #expect(abs(c.now() - start.adding(seconds: 10_001)) < 1e-9)
        let slow = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: -50_000)
        slow.advance(by: 100)
        #expect(abs(slow.trueOffset - -5) < 1e-9)
    }

    @Test func stepCorrectsOffset() throws {
        let c = SimulatedClock(trueTime: start, initialOffset: 0.1, frequencyError: 0)
        // The engine measures reference − local = −0.1 and steps by it.
        try c.step(by: Seconds(-0.1))
        #expect(abs(c.trueOffset) < 1e-12)
        #expect(c.now() == start)
    }

    @Test func slewCorrectsOffsetAtMaxRate() throws {
        // At 500 ppm (a lab can choose it; the default is 83333 ppm as on a real machine).
        let c = SimulatedClock(trueTime: start, initialOffset: -0.05, frequencyError: 0, maxSlewRate: PPM(500))
        let duration = try c.slew(by: Seconds(0.05))
        #expect(abs(duration.value - 100) < 1e-9)
        c.advance(by: 50)
        #expect(abs(c.trueOffset - -0.025) < 1e-9)
        #expect(abs(c.status().remainingSlew.value - 0.025) < 1e-9)
        // The driver ends the slew when serviced at nextService (the engine's timer does it).
        let end = try #require(c.nextService())
        c.advance(by: (end - c.now()) / (1 + c.rate))
        c.service()
        #expect(c.nextService() == nil)
        c.advance(by: 10)
        #expect(abs(c.trueOffset) < 1e-9)
        #expect(c.status().remainingSlew.value == 0)
    }

    /// No simulated clock may do what the driver on a real machine cannot: its limits and the
    /// kernel under it are the system driver's (±100,000 ppm through tick + word, 83,333 ppm).
    @Test func neverMoreCapableThanTheSystemDriver() throws {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 0)
        #expect(c.maxFrequency <= KernelClockDriver.hardMaxFrequency)
        #expect(c.maxSlewRate <= KernelClockDriver.defaultMaxSlewRate)
        let big = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 0, maxFrequency: PPM(1e6), maxSlewRate: PPM(fraction: 1))
        #expect(big.maxFrequency == KernelClockDriver.hardMaxFrequency)
        #expect(big.maxSlewRate == KernelClockDriver.defaultMaxSlewRate)
        try big.setFrequency(PPM(250_000))
        #expect(big.status().frequency.value == 100_000)
        #expect(big.kernel.model.tick == 11_000 && big.kernel.model.freq == 0)
        // Whatever the driver asked, the model kernel holds values a Linux kernel accepts.
        for ppm in [-100_000.0, -12_345.6, 0, 77.7, 99_999] {
            try big.setFrequency(PPM(ppm))
            #expect(KernelTimex.tickRange.contains(big.kernel.model.tick))
            #expect(abs(big.kernel.model.freq) <= 500 << 16)
        }
        // A slew is no faster than 83,333 ppm.
        try big.setFrequency(PPM(0))
        try big.slew(by: Seconds(10))
        big.advance(by: 12)
        #expect(abs(big.status().remainingSlew.value - (10 - 12 * KernelClockDriver.defaultMaxSlewRate.fraction)) < 1e-6)
    }

    @Test func frequencyCorrectionCancelsError() throws {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 5000)
        c.advance(by: 10)
        let offsetThen = c.trueOffset
        #expect(abs(offsetThen - 0.05) < 1e-9)
        try c.setFrequency(PPM(-5000))
        #expect(abs(c.trueOffset - offsetThen) < 1e-12)  // no jump at the change
        c.advance(by: 1000)
        // The correction scales raw seconds, so what is left is second order:
        // (1 + 5e-3)(1 − 5e-3) − 1 = −2.5e-5, i.e. −25 ppm (the engine's loop removes it).
        let residualPPM = c.trueFrequencyError
        #expect(abs(residualPPM - -25) < 1e-6)
        #expect(abs(c.trueOffset - (offsetThen + residualPPM * 1e-6 * 1000)) < 1e-9)
        #expect(c.status().frequency.value == -5000)
    }

    @Test func kernelLimitCanBeChosen() throws {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 5000, maxFrequency: PPM(500))
        try c.setFrequency(PPM(-5000))
        #expect(c.status().frequency.value == -500)
        #expect(c.maxFrequency == PPM(500))
    }

    @Test func servedFromRawUsesCorrection() throws {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 0)
        try c.step(by: Seconds(1))
        #expect(c.served(fromRaw: start) == start.adding(seconds: 1))
        #expect(c.served(fromRaw: c.rawNow) == c.now())
    }

    func trajectory(seed: UInt64, steps: [Double]) -> [Double] {
        let c = SimulatedClock(
            trueTime: start, initialOffset: 0.1, frequencyError: 100, wanderPerSqrtSecond: 1e-9, seed: seed)
        var out: [Double] = []
        var t = 0.0
        for s in steps {
            t += s
            c.advance(to: start.adding(seconds: t))
            out.append(c.trueOffset)
        }
        return out
    }

    @Test func sameSeedIdenticalTrajectory() {
        let steps = Array(repeating: 64.0, count: 100)
        let a = trajectory(seed: 9, steps: steps)
        #expect(a == trajectory(seed: 9, steps: steps))
        #expect(a != trajectory(seed: 10, steps: steps))
    }

    @Test func trajectoryIndependentOfAdvanceGranularity() {
        let coarse = SimulatedClock(
            trueTime: start, initialOffset: 0, frequencyError: 10, wanderPerSqrtSecond: 1e-8, seed: 5)
        let fine = SimulatedClock(
            trueTime: start, initialOffset: 0, frequencyError: 10, wanderPerSqrtSecond: 1e-8, seed: 5)
        coarse.advance(by: 1000)
        for i in 1...7919 { fine.advance(to: start.adding(seconds: 1000.0 * Double(i) / 7919)) }
        #expect(coarse.oscillatorFrequency == fine.oscillatorFrequency)
        #expect(abs(coarse.trueOffset - fine.trueOffset) < 1e-10)
    }

    @Test func wanderIsARandomWalkOfTheRightSize() {
        // Over T seconds the frequency moves by wander·√T·N(0,1): across seeds, the standard
        // deviation of the change after 10000 s is 1e-9·100 = 1e-7 = 0.1 ppm.
        var changes: [Double] = []
        for seed in 0..<200 as Range<UInt64> {
            let c = SimulatedClock(
                trueTime: start, initialOffset: 0, frequencyError: 100, wanderPerSqrtSecond: 1e-9, seed: seed)
            c.advance(by: 10_000)
            changes.append(c.oscillatorFrequency - 100)
        }
        let mean = changes.reduce(0, +) / Double(changes.count)
        let sd = (changes.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(changes.count - 1)).squareRoot()
        #expect(abs(mean) < 0.03)  // ±3 standard errors (0.1/√200 = 0.007)… generous
        #expect(sd > 0.08 && sd < 0.12)
    }

    @Test func noWanderMeansNoRandomness() {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 1, seed: 1)
        c.advance(by: 1e6)
        #expect(c.oscillatorFrequency == 1)
        #expect(abs(c.trueOffset - 1) < 1e-9)
    }

    @Test func statusReportsSimulatedKind() throws {
        let c = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 0, precision: PollExponent(-22))
        try c.setFrequency(PPM(12))
        let s = c.status()
        #expect(s.kind == .simulated && s.frequency == PPM(12) && s.precision == PollExponent(-22))
        #expect(s.kernelSynchronized == nil && s.maximumError == nil)
    }
}
