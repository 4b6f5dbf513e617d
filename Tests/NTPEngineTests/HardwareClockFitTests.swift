import Testing
@testable import NTPEngine

/// The PHC-to-system conversion (HardwareClockFit, HardwareClockSample.combining, FrameTiming)
/// on synthetic readings in virtual time: a device clock 37 s ahead (TAI) running 25 ppm slow
/// of the system clock, read once a second.
@Suite struct HardwareClockFitTests {
    static let systemStart: Int64 = 1_800_000_000_000_000_000
    static let deviceStart: Int64 = 1_800_000_037_000_000_000
    static let drift = -25e-6

    /// The device's time when the system clock reads `system` (the truth the fit must find).
    static func device(atSystem system: Int64) -> Int64 {
        deviceStart + Int64((Double(system - systemStart) * (1 + drift)).rounded())
    }

    /// The system time when the device reads `device`.
    static func system(atDevice device: Int64) -> Int64 {
        systemStart + Int64((Double(device - deviceStart) / (1 + drift)).rounded())
    }

    /// A deterministic generator (xorshift) for noise in -1..<1.
    struct Draws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        mutating func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state >> 11) / Double(1 << 52) - 1
        }
    }

    static func sample(second: Int, error: Int64 = 0, delay: Int64 = 400) -> HardwareClockSample {
        let system = systemStart + Int64(second) * 1_000_000_000
        return HardwareClockSample(device: device(atSystem: system), system: system + error, delay: delay)
    }

    @Test func offsetAndDriftAreFoundFromCleanSamples() throws {
        var fit = HardwareClockFit()
        #expect(fit.systemTime(forDevice: Self.deviceStart) == nil, "no conversion before two samples")
        for second in 0..<10 { let kept = fit.add(Self.sample(second: second)); #expect(kept) }
        #expect(fit.isReady && fit.samples.count == 10)
        let rate = try #require(fit.rate)
        #expect(abs(rate - 25e-6) < 1e-9, "system - device grows 25 ns a second: \(rate)")
        // A stamp half a second past the newest sample, and one 30 s on (extrapolated).
        for ahead in [9.5, 40.0] {
            let truthSystem = Self.systemStart + Int64(ahead * 1e9)
            let stamp = Self.device(atSystem: truthSystem)
            let converted = try #require(fit.systemTime(forDevice: stamp))
            #expect(abs(converted - truthSystem) <= 2, "\(ahead) s: off by \(converted - truthSystem) ns")
        }
    }

    @Test func noisySamplesAreAveragedAndOutliersRefused() throws {
        var fit = HardwareClockFit()
        var draws = Draws()
        for second in 0..<16 {
            fit.add(Self.sample(second: second, error: Int64(40 * draws.next()), delay: 400 + Int64(50 * draws.next())))
        }
        #expect(fit.samples.count == 16 && fit.refusedCount == 0)
        // A read the bus stalled (delay ten times the others'): refused whatever its offset says.
        let stalled = fit.add(Self.sample(second: 16, error: 0, delay: 4_000))
        #expect(!stalled)
        // A pairing 5 us off the line at a normal delay: refused by its residual.
        let offLine = fit.add(Self.sample(second: 17, error: 5_000))
        #expect(!offLine)
        #expect(fit.refusedCount == 2)
        let good = fit.add(Self.sample(second: 18, error: 10))
        #expect(good)
        #expect(fit.residualRMS < 40)
        let truthSystem = Self.systemStart + 18_500_000_000
        let converted = try #require(fit.systemTime(forDevice: Self.device(atSystem: truthSystem)))
        #expect(abs(converted - truthSystem) < 30, "off by \(converted - truthSystem) ns with 40 ns noise")
        // Had the outlier been kept the line would be off by about 5 us / 16 at the newest point.
        var naive = HardwareClockFit(residualLimit: .infinity)
        for s in fit.samples { naive.add(s) }
        naive.add(Self.sample(second: 19, error: 5_000))
        let skewed = try #require(naive.systemTime(forDevice: Self.device(atSystem: truthSystem)))
        #expect(abs(skewed - truthSystem) > 200, "the check above could fail: \(skewed - truthSystem)")
    }

    @Test func aStepOfTheDeviceClockRestartsTheFit() throws {
        var fit = HardwareClockFit()
        for second in 0..<8 { fit.add(Self.sample(second: second)) }
        // ptp4l steps the PHC by 1 ms: the first samples after it are refused, then the fit restarts.
        for second in 8..<12 { let kept = fit.add(Self.sample(second: second, error: 1_000_000)); #expect(!kept) }
        #expect(fit.samples.count == 4 && fit.refusedInARow.isEmpty)
        let truthSystem = Self.systemStart + 12_000_000_000
        let converted = try #require(fit.systemTime(forDevice: Self.device(atSystem: truthSystem)))
        #expect(abs(converted - (truthSystem + 1_000_000)) <= 2, "follows the stepped clock")
        // A device time that goes backwards is refused.
        let backwards = fit.add(Self.sample(second: 5))
        #expect(!backwards)
    }

    @Test func readingsArePairedAtTheirMiddleAndLongOnesLeftOut() throws {
        let at: Int64 = 1_000_000_000_000
        let readings = [
            HardwareClockReading(systemBefore: at, device: at + 37_000_000_300, systemAfter: at + 600),
            HardwareClockReading(systemBefore: at + 1_000, device: at + 37_000_001_260, systemAfter: at + 1_520),
            // Stretched by an interrupt: its middle is 2 us late, it must not count.
            HardwareClockReading(systemBefore: at + 2_000, device: at + 37_000_002_300, systemAfter: at + 8_000),
        ]
        let sample = try #require(HardwareClockSample.combining(readings))
        #expect(sample.delay == 560)
        #expect(sample.device == at + 37_000_001_260)
        #expect(sample.system - sample.device == -37_000_000_000 + 0, "both kept readings say the device is 37 s ahead")
        // A cross-timestamp (PTP_SYS_OFFSET_PRECISE) is one reading with no delay.
        let precise = try #require(HardwareClockSample.combining([HardwareClockReading(systemBefore: 5, device: 9, systemAfter: 5)]))
        #expect(precise == HardwareClockSample(device: 9, system: 5, delay: 0))
        #expect(HardwareClockSample.combining([]) == nil)
        #expect(HardwareClockSample.combining([HardwareClockReading(systemBefore: 10, device: 9, systemAfter: 5)]) == nil,
                "the system clock stepped back during the read")
    }

    @Test func receiveStampsMoveToTheFramesEndAtTheLinkSpeed() {
        #expect(FrameTiming.frameLength(ntpLength: 48, ipv6: false) == 94)
        #expect(FrameTiming.frameLength(ntpLength: 48, ipv6: true) == 114)
        let gigabit = FrameTiming(linkSpeedMbps: 1000)
        #expect(gigabit.duration(ntpLength: 48, ipv6: false) == 752)
        #expect(gigabit.receiveStamp(1_000, ntpLength: 48, ipv6: true) == 1_912)
        #expect(FrameTiming(linkSpeedMbps: 100).duration(ntpLength: 48, ipv6: false) == 7_520)
        #expect(FrameTiming(linkSpeedMbps: nil).receiveStamp(1_000, ntpLength: 48, ipv6: false) == 1_000)
        let compensated = FrameTiming(linkSpeedMbps: 10_000, receiveCompensation: 30, transmitCompensation: 20)
        #expect(compensated.receiveStamp(1_000, ntpLength: 48, ipv6: false) == 1_000 + 75 - 30)
        #expect(compensated.transmitStamp(1_000) == 1_020)
    }
}
