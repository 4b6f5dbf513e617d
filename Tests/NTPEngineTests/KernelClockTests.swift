import NTPEngine
import NTPWire
import Testing

/// A raw clock the test moves by hand.
private final class RawClock {
    var t = UnixTime(seconds: 1_700_000_000, nanoseconds: 0)
    func advance(_ seconds: Double) { t = t.adding(seconds: seconds) }
}

private func isEINVAL(_ body: () throws(ClockError) -> Void) -> Bool {
    do throws(ClockError) {
        try body()
        return false
    } catch {
        if case .systemCall(_, let errno, _) = error { return errno == 22 }
        return false
    }
}

/// KernelClockModel against clknetsim's model of Linux's adjtimex (clock.cc): total rate =
/// tick/10000 + freq/65536e6 + singleshot slew; tick within ±10 %; freq clamped at ±500 ppm;
/// singleshot slews 500 µs per second.
@Suite struct KernelClockModelTests {
    let start = UnixTime(seconds: 1_700_000_000, nanoseconds: 0)

    @Test func tickOutsideTenPercentIsRefusedAndNothingApplied() {
        var m = KernelClockModel(start: start)
        for bad in [8999, 11_001, 0, -10_000, 20_000] {
            #expect(isEINVAL { () throws(ClockError) in
                var tx = KernelTimex(modes: [.tick, .frequency])
                tx.tick = bad
                tx.freq = 100 << 16
                try m.adjtimex(&tx, at: start)
            }, "tick \(bad)")
        }
        #expect(m.tick == 10_000 && m.freq == 0)
        for good in [9000, 9001, 10_999, 11_000] {
            var tx = KernelTimex(modes: .tick)
            tx.tick = good
            #expect(throws: Never.self) { try m.adjtimex(&tx, at: start) }
            #expect(m.tick == good && tx.tick == good)
        }
    }

    @Test func frequencyIsClampedAt500ppm() throws {
        var m = KernelClockModel(start: start)
        for (asked, kept) in [(600 << 16, 500 << 16), (-600 << 16, -500 << 16), (499 << 16, 499 << 16),
                              (Int.max / 2, 500 << 16), (-12345, -12345)] {
            var tx = KernelTimex(modes: .frequency)
            tx.freq = asked
            try m.adjtimex(&tx, at: start)
            #expect(m.freq == kept && tx.freq == kept)
        }
    }

    @Test func rateIsTickPlusFrequency() throws {
        var m = KernelClockModel(start: start)
        var tx = KernelTimex(modes: [.tick, .frequency])
        tx.tick = 10_100  // +1 %
        tx.freq = -250 << 16  // −250 ppm
        try m.adjtimex(&tx, at: start)
        let raw = start.adding(seconds: 1000)
        #expect(abs(m.correction(at: raw) - 1000 * (0.01 - 250e-6)) < 1e-9)
        #expect(abs(m.rate(at: raw) - (0.01 - 250e-6)) < 1e-15)
        // Piecewise: a change at 1000 s leaves the clock continuous.
        let before = m.time(at: raw)
        tx = KernelTimex(modes: .tick)
        tx.tick = 9_900
        try m.adjtimex(&tx, at: raw)
        #expect(m.time(at: raw) == before)
        #expect(abs(m.correction(at: raw.adding(seconds: 100)) - (1000 * (0.01 - 250e-6) + 100 * (-0.01 - 250e-6))) < 1e-9)
    }

    @Test func singleshotSlewsAt500ppmAndReturnsTheRemainder() throws {
        var m = KernelClockModel(start: start)
        var tx = KernelTimex(modes: .offsetSingleshot)
        tx.offset = 1000  // µs
        try m.adjtimex(&tx, at: start)
        #expect(tx.offset == 0)
        #expect(abs(m.correction(at: start.adding(seconds: 1)) - 500e-6) < 1e-12)
        #expect(m.isSingleshotSlewing(at: start.adding(seconds: 1.5)))
        #expect(abs(m.correction(at: start.adding(seconds: 2)) - 1000e-6) < 1e-12)
        #expect(abs(m.correction(at: start.adding(seconds: 10)) - 1000e-6) < 1e-12)
        // A new singleshot replaces the old one and returns what was left of it.
        var m2 = KernelClockModel(start: start)
        tx = KernelTimex(modes: .offsetSingleshot)
        tx.offset = -2000
        try m2.adjtimex(&tx, at: start)
        tx = KernelTimex(modes: .offsetSingleshot)
        tx.offset = 100
        try m2.adjtimex(&tx, at: start.adding(seconds: 1))
        #expect(tx.offset == -1500)
        #expect(abs(m2.correction(at: start.adding(seconds: 5)) - (-500e-6 + 100e-6)) < 1e-12)
    }

    @Test func setOffsetStepsRealtimeNotMonotonic() throws {
        var m = KernelClockModel(start: start)
        var tx = KernelTimex(modes: [.setOffset, .nano])
        tx.setOffset = -1_500_000_000
        try m.adjtimex(&tx, at: start)
        #expect(m.time(at: start) == start.adding(seconds: -1.5))
        #expect(m.monotonic(at: start) == start)
    }
}

/// A kernel that reads but refuses every write (a process without CAP_SYS_TIME: EPERM).
private final class ReadOnlyKernel: KernelClock {
    var model = KernelClockModel(start: UnixTime(seconds: 1_700_000_000, nanoseconds: 0))
    let t = UnixTime(seconds: 1_700_000_000, nanoseconds: 0)
    var precision: PollExponent { PollExponent(-20) }
    func realtime() -> UnixTime { model.time(at: t) }
    func monotonic() -> UnixTime { model.monotonic(at: t) }
    func served(fromRaw raw: UnixTime) -> UnixTime { model.time(at: raw) }
    func adjtimex(_ tx: inout KernelTimex) throws(ClockError) -> Int32 {
        guard tx.modes.isEmpty else { throw .systemCall("ntp_adjtime", errno: 1, message: "Operation not permitted") }
        return try model.adjtimex(&tx, at: t)
    }
}

/// KernelClockDriver over a model kernel: one test per rule.
@Suite struct KernelClockDriverTests {
    private func make(maxFrequency: PPM = KernelClockDriver.hardMaxFrequency,
                      maxSlewRate: PPM = KernelClockDriver.defaultMaxSlewRate) -> (RawClock, ModelKernel, KernelClockDriver) {
        let raw = RawClock()
        let kernel = ModelKernel(precision: PollExponent(-20)) { raw.t }
        let driver = KernelClockDriver(kind: .observe, kernel: kernel, maxFrequency: maxFrequency, maxSlewRate: maxSlewRate)
        return (raw, kernel, driver)
    }

    @Test(arguments: [
        (0.0, 10_000, 0), (100, 10_001, 0), (-100, 9_999, 0), (49.99, 10_000, 3_276_145), (50.5, 10_001, -3_244_032),
        (149.99, 10_001, 3_276_145), (-149.99, 9_999, -3_276_145), (500, 10_005, 0), (5000, 10_050, 0),
        (-50_000, 5_000 + 0, 0), (99_999.9, 11_000, -6_554), (100_000, 11_000, 0), (-100_000, 9_000, 0),
        (250_000, 11_000, 0), (-1e9, 9_000, 0),
    ])
    func tickAndFrequencySplit(ppm: Double, tick: Int, freq: Int) {
        let split = KernelClockDriver.split(ppm: ppm)
        let expectedTick = ppm == -50_000 ? 9_500 : tick
        #expect(split.tick == expectedTick, "\(ppm) ppm")
        #expect(split.freq == freq, "\(ppm) ppm")
        #expect(KernelTimex.tickRange.contains(split.tick) && abs(split.freq) <= 50 << 16)
    }

    @Test func frequencyGoesToTickAndWordAndIsClampedAtTheLimit() throws {
        let (raw, kernel, driver) = make()
        try driver.setFrequency(PPM(12_345.678))
        #expect(kernel.model.tick == 10_123 && kernel.model.freq == Int((45.678 * 65536).rounded()))
        #expect(driver.status().frequency.value == 12_345.678)
        raw.advance(100)
        #expect(abs((driver.now() - raw.t) - 12_345.678e-6 * 100) < 2e-9)
        try driver.setFrequency(PPM(-150_000))
        #expect(driver.status().frequency.value == -100_000 && kernel.model.tick == 9_000)
        let (_, lowKernel, low) = make(maxFrequency: PPM(500))
        try low.setFrequency(PPM(5000))
        #expect(low.status().frequency.value == 500 && lowKernel.model.tick == 10_005)
        #expect(make(maxFrequency: PPM(1e7)).2.maxFrequency == KernelClockDriver.hardMaxFrequency)
    }

    @Test func aRefusingKernelChangesNothing() {
        let driver = KernelClockDriver(kind: .system, kernel: ReadOnlyKernel())
        #expect(throws: ClockError.systemCall("ntp_adjtime", errno: 1, message: "Operation not permitted")) {
            try driver.setFrequency(PPM(20))
        }
        #expect(throws: ClockError.self) { try driver.slew(by: Seconds(0.1)) }
        #expect(throws: ClockError.self) { try driver.step(by: Seconds(1)) }
        let s = driver.status()
        #expect(s.frequency == .zero && s.remainingSlew == .zero && driver.nextService() == nil)
    }

    @Test func badRequestsAreRefused() {
        let (_, kernel, driver) = make()
        #expect(throws: ClockError.self) { try driver.setFrequency(PPM(.nan)) }
        #expect(throws: ClockError.self) { try driver.slew(by: Seconds(.infinity)) }
        #expect(throws: ClockError.self) { try driver.slew(by: Seconds(2e6)) }
        #expect(throws: ClockError.self) { try driver.step(by: Seconds(-.infinity)) }
        #expect(kernel.model.tick == 10_000 && kernel.model.freq == 0 && driver.nextService() == nil)
    }

    @Test func slewEndsAtTheRightTimeAndRate() throws {
        let (raw, kernel, driver) = make()
        try driver.setFrequency(PPM(10_000))
        let before = driver.now()
        #expect(abs(try driver.slew(by: Seconds(0.5)).value - 6) < 1e-9)  // 0.5 s at 83,333 ppm
        #expect(driver.isSlewing && abs(driver.slewRate - 1.0 / 12) < 1e-10)
        #expect(kernel.model.tick == 10_933)  // 93,333 ppm in all
        let end = try #require(driver.nextService())
        // 6 raw seconds, during which the clock runs at 1 + 0.01 + 1/12.
        #expect(abs((end - before) - 6 * (1 + 0.01 + 1.0 / 12)) < 1e-8)
        raw.advance(6)
        driver.service()
        #expect(!driver.isSlewing && driver.nextService() == nil && driver.status().remainingSlew.value == 0)
        #expect(abs(kernel.model.correction(at: raw.t) - (0.01 * 6 + 0.5)) < 1e-8)
        #expect(kernel.model.tick == 10_100 && kernel.model.freq == 0)  // back at the base
        #expect(driver.status().frequency.value == 10_000)
    }

    /// Base and slew together stay within the kernel's ±100,000 ppm: the slew is slower there.
    @Test func slewNearTheFrequencyLimitIsSlower() throws {
        let (raw, kernel, driver) = make()
        try driver.setFrequency(PPM(50_000))
        #expect(abs(try driver.slew(by: Seconds(0.5)).value - 10) < 1e-9)  // 50,000 ppm of room, not 83,333
        #expect(kernel.model.tick == 11_000 && abs(driver.slewRate - 0.05) < 1e-12)
        let end = try #require(driver.nextService())
        #expect(abs((end - driver.now()) - 10 * 1.1) < 1e-8)
        raw.advance(10)
        driver.service()
        #expect(!driver.isSlewing && abs(kernel.model.correction(at: raw.t) - (0.05 * 10 + 0.5)) < 1e-8)
    }

    @Test func smallSlewsLastAtLeastTheMinimumDuration() throws {
        let (raw, kernel, driver) = make()
        #expect(try driver.slew(by: Seconds(2e-6)).value == KernelClockDriver.minSlewDuration)
        #expect(abs(driver.slewRate - 2e-6) < 1e-11)  // 2 ppm for 1 s
        raw.advance(0.5)
        #expect(abs(driver.status().remainingSlew.value - 1e-6) < 1e-11)
        raw.advance(0.5)
        driver.service()
        #expect(!driver.isSlewing)
        #expect(abs(kernel.model.correction(at: raw.t) - 2e-6) < 1e-11)
        // Less than a nanosecond is not slewed at all.
        #expect(try driver.slew(by: Seconds(5e-10)) == .zero)
        #expect(!driver.isSlewing)
    }

    @Test func remainingSlewIsReportedMidSlew() throws {
        let (raw, _, driver) = make(maxSlewRate: PPM(500))
        try driver.slew(by: Seconds(-0.1))
        for elapsed in [10.0, 50, 150] {
            raw.advance(elapsed - (raw.t - UnixTime(seconds: 1_700_000_000, nanoseconds: 0)))
            #expect(abs(driver.status().remainingSlew.value - (-0.1 + 5e-4 * elapsed)) < 1e-9, "\(elapsed)")
        }
    }

    @Test func aNewSlewReplacesTheOldOne() throws {
        let (raw, kernel, driver) = make()
        try driver.slew(by: Seconds(0.5))
        raw.advance(3)  // 0.25 applied
        try driver.slew(by: Seconds(-0.1))
        #expect(abs(driver.status().remainingSlew.value - -0.1) < 1e-12)
        raw.advance(1.2)
        driver.service()
        #expect(!driver.isSlewing)
        #expect(abs(kernel.model.correction(at: raw.t) - 0.15) < 1e-9)
    }

    @Test func aStepDuringASlewLeavesItRunning() throws {
        let (raw, kernel, driver) = make()
        try driver.slew(by: Seconds(0.5))
        let end = kernel.model.monotonic(at: raw.t).adding(seconds: 6 * (1 + 1.0 / 12))
        raw.advance(3)
        try driver.step(by: Seconds(1))
        #expect(abs(driver.status().remainingSlew.value - 0.25) < 1e-9)
        // The end moved with the step on the served scale, not on the monotonic one.
        let served = try #require(driver.nextService())
        #expect(abs((served - driver.now()) - 3 * (1 + 1.0 / 12)) < 1e-8)
        #expect(abs(kernel.model.monotonic(at: raw.t).adding(seconds: 3 * (1 + 1.0 / 12)) - end) < 1e-8)
        raw.advance(3)
        driver.service()
        #expect(abs(kernel.model.correction(at: raw.t) - 1.5) < 1e-8)
        // Cancelling (what `step now` does before stepping the whole offset).
        try driver.slew(by: Seconds(0.3))
        raw.advance(1)
        try driver.slew(by: Seconds(0))
        #expect(!driver.isSlewing && driver.status().remainingSlew.value == 0)
    }

    @Test func serviceTiming() throws {
        let (raw, kernel, driver) = make()
        try driver.slew(by: Seconds(0.5))
        raw.advance(5)
        driver.service()  // early: nothing happens
        #expect(driver.isSlewing && abs(driver.status().remainingSlew.value - 0.5 / 6) < 1e-9)
        // Late by 0.3 s: 0.025 s too much was applied; the driver slews it back.
        raw.advance(1.3)
        driver.service()
        #expect(abs(driver.status().remainingSlew.value - -0.025) < 1e-9)
        let back = try #require(driver.nextService())
        #expect(abs((back - driver.now()) - (1 - 0.025)) < 1e-8)  // 1 s minimum, clock 2.5 % slow
        raw.advance(1)
        driver.service()
        #expect(!driver.isSlewing)
        #expect(abs(kernel.model.correction(at: raw.t) - 0.5) < 1e-9)
    }

    @Test func frequencyChangeDuringASlewKeepsTheRemainder() throws {
        let (raw, kernel, driver) = make()
        try driver.slew(by: Seconds(0.5))
        raw.advance(3)
        try driver.setFrequency(PPM(-20_000))
        #expect(driver.status().frequency.value == -20_000)
        #expect(abs(driver.status().remainingSlew.value - 0.25) < 1e-9)
        let end = try #require(driver.nextService())
        raw.advance(3)
        #expect(abs(driver.now() - end) < 1e-8)
        driver.service()
        #expect(abs(kernel.model.correction(at: raw.t) - (0.5 - 0.02 * 3)) < 1e-8)
    }

    @Test func noRoomToSlewAtTheFrequencyLimit() throws {
        let (raw, _, driver) = make()
        try driver.setFrequency(PPM(100_000))
        try driver.slew(by: Seconds(0.1))
        #expect(driver.slewRate == 0)
        raw.advance(5)
        #expect(driver.status().remainingSlew.value == 0.1)  // nothing applied, and it says so
        // The other way there is room.
        try driver.slew(by: Seconds(-0.1))
        #expect(abs(driver.slewRate - -1.0 / 12) < 1e-9)
    }

    /// On exit no temporary slew frequency may stay in the kernel: the base is written back and
    /// the remainder goes to the kernel's own singleshot slew, which ends by itself.
    @Test func finishHandsTheRemainderToTheKernel() throws {
        let (raw, kernel, driver) = make()
        try driver.setFrequency(PPM(250))
        try driver.slew(by: Seconds(0.5))
        raw.advance(3)
        driver.finish()
        #expect(!driver.isSlewing && driver.nextService() == nil)
        #expect(kernel.model.tick == 10_003 && kernel.model.freq == -50 << 16)  // 250 ppm: 300 − 50
        #expect(abs(kernel.model.singleshotRemaining - 0.25) < 1e-6)
        raw.advance(600)  // 0.25 s at 500 ppm: 500 s
        #expect(abs(kernel.model.correction(at: raw.t) - (0.5 + 250e-6 * 603)) < 2e-6)
        driver.finish()  // nothing to do
        #expect(kernel.model.tick == 10_003)
    }

    @Test func maxSlewRateIsKeptInRange() throws {
        let (_, _, driver) = make()
        driver.setMaxSlewRate(PPM(fraction: 1))
        #expect(driver.maxSlewRate == KernelClockDriver.defaultMaxSlewRate)
        driver.setMaxSlewRate(PPM(500))
        #expect(try driver.slew(by: Seconds(0.1)) == Seconds(200))
        driver.setMaxSlewRate(.zero)
        #expect(driver.maxSlewRate == PPM(fraction: 1e-6))
    }

    /// The engine's timer carries the clock's service: nextWakeup includes the end of a slew,
    /// NTS-KE's server and port records (RFC 8915 §4.1.7-8): the runtime redirects an
    /// association; its next request goes to the new address at once, the configured one is
    /// left; a redirect to where it already polls does nothing.
    @Test func redirectSendsTheNextPollElsewhere() throws {
        let raw = RawClock()
        let kernel = ModelKernel(precision: PollExponent(-20)) { raw.t }
        let engine = Engine(configuration: EngineConfiguration(), clock: KernelClockDriver(kind: .observe, kernel: kernel), seed: 1)
        var configuration = AssociationConfiguration(host: "192.0.2.1")
        configuration.ntsKEPort = 4460
        let id = engine.add(configuration)
        _ = engine.handleTimer()
        let target = SocketAddress(ip: IPAddress("192.0.2.7")!, port: 1123)
        let actions = engine.redirect(id, to: target)
        #expect(actions.contains { if case .send(_, let to) = $0 { to == target } else { false } }, "\(actions)")
        #expect(engine.associations[id]?.address == target)
        #expect(engine.redirect(id, to: target).isEmpty)
        #expect(engine.peerReports().first { $0.id == id }?.ntsKEPort == 4460)
    }

    /// and handleTimer then ends it.
    @Test func engineServicesTheClock() throws {
        let raw = RawClock()
        let kernel = ModelKernel(precision: PollExponent(-20)) { raw.t }
        let driver = KernelClockDriver(kind: .observe, kernel: kernel)
        let engine = Engine(configuration: EngineConfiguration(), clock: driver, seed: 1)
        #expect(engine.nextWakeup() == nil)
        _ = try engine.slew(by: Seconds(0.25))
        let wake = try #require(engine.nextWakeup())
        #expect(wake == driver.nextService())
        raw.advance(3)
        #expect(engine.handleTimer().isEmpty)
        #expect(!driver.isSlewing && engine.nextWakeup() == nil)
        #expect(abs(kernel.model.correction(at: raw.t) - 0.25) < 1e-9)
        var configuration = EngineConfiguration()
        configuration.maxSlewRate = PPM(500)
        engine.configuration = configuration
        #expect(driver.maxSlewRate == PPM(500))
    }
}
