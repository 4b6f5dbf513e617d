import NTPEngine
import NTPWire
import Testing

/// SoftwareClock in virtual time: raw instants are made up, nothing reads a real clock.
@Suite struct SoftwareClockTests {
    let t0 = UnixTime(seconds: 1_700_000_000, nanoseconds: 0)

    func at(_ seconds: Double) -> UnixTime { t0.adding(seconds: seconds) }

    @Test func startsAsIdentity() {
        let c = SoftwareClock(start: t0)
        #expect(c.correction(at: at(1000)) == 0)
        #expect(c.corrected(at(12.5)) == at(12.5))
        #expect(c.remainingSlew(at: at(5)) == 0)
        #expect(c.frequency == 0)
    }

    @Test func positiveStepMovesForward() throws {
        var c = SoftwareClock(start: t0)
        try c.step(by: 0.25, at: at(10))
        #expect(c.corrected(at(10)) == at(10.25))
        try c.step(by: -1.5, at: at(20))
        #expect(c.corrected(at(20)) == at(18.75))
    }

    @Test func positiveFrequencyRunsFaster() throws {
        var c = SoftwareClock(start: t0)
        try c.setFrequency(ppm: 100, at: t0)
        // After 1000 s at +100 ppm the clock has gained 0.1 s.
        #expect(abs(c.correction(at: at(1000)) - 0.1) < 1e-12)
        try c.setFrequency(ppm: -50, at: at(1000))
        #expect(abs(c.correction(at: at(3000)) - (0.1 - 0.1)) < 1e-12)
    }

    @Test func frequencyRebaseIsContinuous() throws {
        var c = SoftwareClock(start: t0, maxFrequency: 100_000)
        try c.step(by: 0.003, at: at(1))
        try c.slew(by: 0.01, at: at(2))
        try c.setFrequency(ppm: 321.5, at: at(7))
        for (i, ppm) in [-250.0, 4000, 0, 99_999, -77].enumerated() {
            let when = at(13.37 * Double(i + 1))
            let before = c.correction(at: when)
            try c.setFrequency(ppm: ppm, at: when)
            let after = c.correction(at: when)
            #expect(abs(after - before) < 1e-12, "jump at re-base \(i): \(after - before)")
            #expect(c.corrected(when) == UnixTime(nanoseconds: when.nanoseconds + Int64((before * 1e9).rounded())))
        }
    }

    @Test func frequencyIsClamped() throws {
        var kernel = SoftwareClock(start: t0)
        #expect(try kernel.setFrequency(ppm: 900, at: t0) == 500)
        #expect(try kernel.setFrequency(ppm: -501, at: t0) == -500)
        var simulated = SoftwareClock(start: t0, maxFrequency: 100_000)
        #expect(try simulated.setFrequency(ppm: 50_000, at: t0) == 50_000)
        #expect(try simulated.setFrequency(ppm: -250_000, at: t0) == -100_000)
    }

    @Test func slewMovesAtMaxRateAndStopsExactly() throws {
        var c = SoftwareClock(start: t0)
        let duration = try c.slew(by: 0.1, at: at(10))
        #expect(abs(duration - 200) < 1e-9)  // 0.1 s at 500 ppm
        #expect(abs(c.correction(at: at(110)) - 0.05) < 1e-12)
        #expect(abs(c.remainingSlew(at: at(110)) - 0.05) < 1e-12)
        #expect(c.isSlewing(at: at(110)))
        #expect(c.rate(at: at(110)) == 5e-4)
        // Done exactly, then it stops: no overshoot however late we look.
        #expect(c.correction(at: at(210)) == 0.1)
        #expect(c.correction(at: at(1e6)) == 0.1)
        #expect(c.remainingSlew(at: at(210)) == 0)
        #expect(!c.isSlewing(at: at(500)))
        #expect(c.rate(at: at(500)) == 0)
    }

    @Test func negativeSlewMovesBack() throws {
        var c = SoftwareClock(start: t0, maxSlewRate: 1e-3)
        let duration = try c.slew(by: -0.02, at: t0)
        #expect(abs(duration - 20) < 1e-9)
        #expect(abs(c.correction(at: at(5)) - -0.005) < 1e-12)
        #expect(abs(c.remainingSlew(at: at(5)) - -0.015) < 1e-12)
        #expect(c.rate(at: at(5)) == -1e-3)
        #expect(c.correction(at: at(25)) == -0.02)
    }

    @Test func newSlewReplacesOldKeepingAppliedPart() throws {
        var c = SoftwareClock(start: t0)
        try c.slew(by: 1, at: t0)
        let applied = c.correction(at: at(100))  // 0.05 s applied so far
        try c.slew(by: -0.01, at: at(100))
        #expect(abs(c.correction(at: at(100)) - applied) < 1e-15)  // continuous
        #expect(abs(c.remainingSlew(at: at(100)) - -0.01) < 1e-15)  // the old remainder is gone
        #expect(abs(c.correction(at: at(1000)) - (0.05 - 0.01)) < 1e-12)
    }

    @Test func slewBeforeItsStartAppliesNothing() throws {
        var c = SoftwareClock(start: t0)
        try c.slew(by: 0.5, at: at(100))
        #expect(c.appliedSlew(at: at(50)) == 0)  // raw went back (the OS clock was stepped)
    }

    @Test func stepDuringSlewKeepsSlewing() throws {
        var c = SoftwareClock(start: t0)
        try c.slew(by: 0.01, at: t0)
        try c.step(by: 2, at: at(10))
        #expect(abs(c.correction(at: at(10)) - (2 + 0.005)) < 1e-12)
        #expect(abs(c.correction(at: at(100)) - 2.01) < 1e-12)
    }

    @Test func slewAndFrequencyCombine() throws {
        var c = SoftwareClock(start: t0)
        try c.setFrequency(ppm: -100, at: t0)
        try c.slew(by: 0.001, at: t0)
        // At 10 s: −1 ms from the frequency; the slew, done after 2 s, adds its whole +1 ms.
        #expect(abs(c.correction(at: at(10)) - (-0.001 + 0.001)) < 1e-12)
        #expect(abs(c.rate(at: at(1)) - (-1e-4 + 5e-4)) < 1e-15)
    }

    @Test func rejectsNonFinite() {
        var c = SoftwareClock(start: t0)
        #expect(throws: ClockError.self) { try c.step(by: .nan, at: t0) }
        #expect(throws: ClockError.self) { try c.slew(by: .infinity, at: t0) }
        #expect(throws: ClockError.self) { try c.setFrequency(ppm: -.infinity, at: t0) }
        #expect(c == SoftwareClock(start: t0))
    }

    @Test func longRunKeepsNanosecondResolution() throws {
        var c = SoftwareClock(start: t0)
        try c.setFrequency(ppm: 12.345, at: t0)
        let later = at(86_400 * 30)  // 30 days
        let expected = 12.345e-6 * 86_400 * 30
        #expect(abs(c.correction(at: later) - expected) < 1e-9)
    }
}
