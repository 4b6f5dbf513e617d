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
        #expect(clock.maxFrequency == 500 && clock.maxSlewRate == 5e-4)
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
        try clock.step(by: 1000)
        try clock.slew(by: -0.5)
        try clock.setFrequency(ppm: 250)
        let after = realtimeMinusMonotonic()
        let kernelAfter = try SystemClock.readKernel()
        // A step of the OS clock would show as a 1000 s jump; allow for NTP slewing of this host.
        #expect(abs(after - before) < 0.01)
        #expect(kernelAfter.frequency == kernelBefore.frequency)
        #expect(kernelAfter.status == kernelBefore.status)
        // The served time carries the correction.
        #expect(abs((clock.now() - OSClock.realtime()) - 1000) < 0.01)
    }

    @Test func correctionOnInjectedRawClock() throws {
        final class Fake { var t = UnixTime(seconds: 1_000_000, nanoseconds: 0) }
        let fake = Fake()
        let clock = ObserveClock(maxSlewRate: SoftwareClock.kernelMaxSlewRate, readRaw: { fake.t })
        #expect(clock.kind == .observe && clock.maxFrequency == 500)
        try clock.step(by: 0.5)
        #expect(clock.now() == fake.t.adding(seconds: 0.5))
        #expect(try clock.slew(by: 0.01) == 20)
        fake.t = fake.t.adding(seconds: 10)
        #expect(abs(clock.status().remainingSlew - 0.005) < 1e-12)
        try clock.setFrequency(ppm: 1000)
        #expect(clock.status().frequency == 500)
        fake.t = fake.t.adding(seconds: 100)
        #expect(abs((clock.now() - fake.t) - (0.5 + 0.01 + 500e-6 * 100)) < 1e-9)
        #expect(clock.served(fromRaw: fake.t) == clock.now())
        let s = clock.status()
        #expect(s.kernelSynchronized == nil && s.kernelStatus == nil && s.remainingSlew == 0)
    }
}
