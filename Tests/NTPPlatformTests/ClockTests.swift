import Glibc
import NTPEngine
@testable import NTPPlatform
import NTPWire
import Testing

/// Against the real kernel only reads happen here: clock_gettime and ntp_adjtime with modes 0.
/// Nothing in this file steps, slews or re-tunes the machine's clock.
@Suite struct SystemClockTests {
    @Test func nowIsRealtime() {
        let clock = SystemClock()
        let a = OSClock.realtime()
        let b = clock.now()
        let c = OSClock.realtime()
        #expect(a <= b && b <= c)
        #expect(clock.kind == .system)
        #expect(clock.served(fromRaw: a) == a)
        #expect(clock.maxFrequency == PPM(100_000) && clock.maxSlewRate == KernelClockDriver.defaultMaxSlewRate)
    }

    /// Read-only (modes 0): the tick and frequency the driver WOULD write for frequencies across
    /// its range are within what this kernel accepts, and the kernel's present state reads back
    /// as a frequency the driver can represent. Nothing is written.
    @Test func splitIsInTheRealKernelsRange() throws {
        var tx = KernelTimex()
        try LinuxKernel().adjtimex(&tx)
        #expect(tx.modes.isEmpty)
        // This kernel's nominal tick is the driver's (USER_HZ 100) and its state is in range.
        #expect(KernelTimex.tickRange.contains(tx.tick))
        #expect(abs(tx.freq) <= 500 << 16)
        let kernel = try SystemClock.readKernel()
        #expect(kernel.tick == tx.tick && kernel.frequency == Double(tx.freq) / 65536)
        for ppm in [-100_000.0, -99_950.1, -50_000, -5000, -500.5, -100, -0.001, 0, 0.001, 49.99, 50, 50.01, 100,
                    500, 4321.5, 50_000, 99_999.9, 100_000, 250_000] {
            let (tick, freq) = KernelClockDriver.split(ppm: ppm)
            #expect(KernelTimex.tickRange.contains(tick), "tick \(tick) for \(ppm) ppm")
            #expect(abs(freq) <= 50 << 16, "freq \(freq) for \(ppm) ppm")
            let total = KernelTimex.frequencyPPM(tick: tick, freq: freq)
            #expect(abs(total - min(max(ppm, -100_000), 100_000)) < 1e-4)
        }
        // Reading did not change the kernel.
        var after = KernelTimex()
        try LinuxKernel().adjtimex(&after)
        #expect(after.tick == tx.tick && after.freq == tx.freq && after.status == tx.status)
    }

    @Test func statusReadsTheKernel() throws {
        let kernel = try SystemClock.readKernel()
        #expect(kernel.state >= 0)
        #expect(abs(kernel.frequency) <= 512)
        #expect(kernel.maximumError >= 0 && kernel.estimatedError >= 0)
        let s = SystemClock().status()
        #expect(s.kind == .system)
        #expect(s.kernelStatus == kernel.status)
        #expect(s.kernelSynchronized != nil && s.maximumError != nil && s.estimatedError != nil)
        #expect(s.remainingSlew.isFinite)
        #expect(s.precision.log2Seconds <= -10 && s.precision.log2Seconds >= -30)
    }

    @Test func precisionIsPlausible() {
        // ≈30 ns reads: 2^-25 on a quiet machine; anything from 1 ns to 1 ms is accepted.
        #expect(OSClock.precision.log2Seconds >= -30 && OSClock.precision.log2Seconds <= -10)
    }

    @Test func canAdjustReadsCapEff() {
        _ = SystemClock.canAdjust()  // whatever this machine grants; must not crash
        #expect(SystemClock.hasSysTime(statusText: "Name:\tx\nCapEff:\t000001fffeffffff\n"))
        #expect(!SystemClock.hasSysTime(statusText: "CapEff:\t0000000000000000\n"))
        #expect(SystemClock.hasSysTime(statusText: "CapEff:\t0000000002000000\n"))
        #expect(!SystemClock.hasSysTime(statusText: "CapEff:\t0000000001ffffff\n"))
        #expect(!SystemClock.hasSysTime(statusText: "nothing here"))
    }
}

@Suite struct ObserveClockTests {
    /// CLOCK_REALTIME − CLOCK_MONOTONIC: changes when (and only when) someone steps the clock.
    func realtimeMinusMonotonic() -> Double {
        Double(OSClock.realtime().nanoseconds - OSClock.monotonicNanoseconds()) * 1e-9
    }

    @Test func neverChangesTheOSClock() throws {
        let kernelBefore = try SystemClock.readKernel()
        let before = realtimeMinusMonotonic()
        let clock = ObserveClock()
        try clock.step(by: Seconds(1000))
        try clock.slew(by: Seconds(-0.5))
        try clock.setFrequency(PPM(250))
        let after = realtimeMinusMonotonic()
        let kernelAfter = try SystemClock.readKernel()
        // A step of the OS clock would show as a 1000 s jump; allow for NTP slewing of this host.
        #expect(abs(after - before) < 0.01)
        #expect(kernelAfter.frequency == kernelBefore.frequency)
        #expect(kernelAfter.status == kernelBefore.status)
        // The served time carries the correction.
        #expect(abs((clock.now() - OSClock.realtime()) - 1000) < 0.01)
    }

    /// The observe clock is the system driver over a model kernel: the same limits, and for any
    /// request the model ends up holding exactly the tick and word the system driver would write.
    @Test func noMoreCapableThanTheSystemDriver() throws {
        let system = SystemClock()  // constructing it only reads the kernel
        let observe = ObserveClock()
        #expect(observe.maxFrequency == system.maxFrequency && observe.maxSlewRate == system.maxSlewRate)
        for ppm in [-1e6, -100_000, -7_654.321, 0, 0.5, 499, 501, 83_333, 100_000, 123_456] {
            try observe.setFrequency(PPM(ppm))
            let wouldWrite = KernelClockDriver.split(ppm: min(max(ppm, -system.maxFrequency.value), system.maxFrequency.value))
            #expect(observe.kernel.model.tick == wouldWrite.tick && observe.kernel.model.freq == wouldWrite.freq, "\(ppm)")
        }
    }

    @Test func correctionOnInjectedRawClock() throws {
        final class Fake { var t = UnixTime(seconds: 1_000_000, nanoseconds: 0) }
        let fake = Fake()
        let clock = ObserveClock(maxSlewRate: PPM(500), readRaw: { fake.t })
        #expect(clock.kind == ClockKind.observe)
        #expect(clock.maxFrequency == PPM(100_000))
        try clock.step(by: Seconds(0.5))
        #expect(clock.now() == fake.t.adding(seconds: 0.5))
        let duration = try clock.slew(by: Seconds(0.01))
        #expect(duration == Seconds(20))
        fake.t = fake.t.adding(seconds: 10)
        #expect(abs(clock.status().remainingSlew.value - 0.005) < 1e-9)
        // The slew ends when the engine's timer services the clock at nextService().
        let end = try #require(clock.nextService())
        #expect(abs((end - clock.now()) - 10 * (1 + 5e-4)) < 1e-6)  // the kernel runs 500 ppm fast meanwhile
        fake.t = fake.t.adding(seconds: 10)
        clock.service()
        #expect(clock.nextService() == nil && clock.status().remainingSlew.value == 0)
        try clock.setFrequency(PPM(150_000))
        #expect(clock.status().frequency.value == 100_000)
        try clock.setFrequency(PPM(1000))
        #expect(clock.status().frequency.value == 1000)
        fake.t = fake.t.adding(seconds: 100)
        let expected = 0.5 + 0.01 + 1000e-6 * 100
        #expect(abs((clock.now() - fake.t) - expected) < 1e-6)
        #expect(clock.served(fromRaw: fake.t) == clock.now())
        let s = clock.status()
        #expect(s.kernelSynchronized == nil && s.kernelStatus == nil && s.remainingSlew == .zero)
    }

    /// The daemon's poll waits on the OS's monotonic clock, which the observe clock's slews and
    /// frequency do not move: timerRate says how much faster served time runs, so the loop wakes
    /// when the slew ends (it woke 0.5 s late after a 0.5 s slew before). The system clock's
    /// timers run on the adjusted clock itself.
    @Test func timerRateIsTheModelsRate() throws {
        final class Fake { var t = UnixTime(seconds: 1_000_000, nanoseconds: 0) }
        let fake = Fake()
        let clock = ObserveClock(readRaw: { fake.t })
        #expect(clock.timerRate() == .zero)
        try clock.setFrequency(PPM(200))
        try clock.slew(by: Seconds(0.5))
        #expect(abs(clock.timerRate().fraction - (200e-6 + 1.0 / 12)) < 1e-9)
        let end = try #require(clock.nextService())
        let wait = (end - clock.now()) / (1 + clock.timerRate().fraction)
        fake.t = fake.t.adding(seconds: wait)
        #expect(abs(clock.now() - end) < 1e-8)
        clock.service()
        #expect(clock.nextService() == nil && abs(clock.timerRate().fraction - 200e-6) < 1e-9)
        #expect(SystemClock().timerRate() == .zero)
    }
}
