import Testing
import NTPWire
@testable import NTPEngine

/// A raw hardware stamp and the PHC fit to system time (HardwareStampConverter): what the
/// runtime hands the exchanges as T1/T4 in place of the software stamps. The device clock is
/// HardwareClockFitTests': 37 s ahead, 25 ppm slow, sampled once a second.
@Suite struct HardwareStampConverterTests {
    typealias Truth = HardwareClockFitTests

    static func converter(samples: Int, linkSpeed: Int? = 1000) -> HardwareStampConverter {
        var c = HardwareStampConverter(timing: FrameTiming(linkSpeedMbps: linkSpeed))
        for s in 0..<samples { c.fit.add(Truth.sample(second: s)) }
        return c
    }

    @Test func noStampIsConvertedBeforeTheFitIsReady() {
        var c = Self.converter(samples: 1)
        let raw = Truth.device(atSystem: Truth.systemStart + 500_000_000)
        #expect(c.receiveTime(raw: raw, ntpLength: 48, ipv6: false) == nil)
        #expect(c.transmitTime(raw: raw) == nil)
        #expect(c.notReady == 2 && c.receiveUsed == 0 && c.transmitUsed == 0)
    }

    @Test func aReceiveStampBecomesSystemTimeAtTheFramesEnd() throws {
        var c = Self.converter(samples: 8)
        // A frame whose first bit the NIC stamped at system time T: its last bit arrived the
        // frame's duration later (94 bytes at 1 Gb/s: 752 ns).
        let start = Truth.systemStart + 8_250_000_000
        let raw = Truth.device(atSystem: start)
        let converted = c.receiveTime(raw: raw, ntpLength: 48, ipv6: false)
        let t4 = try #require(converted)
        #expect(abs(t4.nanoseconds - (start + 752)) <= 2, "got \(t4.nanoseconds - start) ns after the frame's start")
        #expect(c.receiveUsed == 1)
        // Beyond the newest sample (extrapolated 30 s): the drift is still followed.
        let later = Truth.systemStart + 38_000_000_000
        let convertedLater = c.receiveTime(raw: Truth.device(atSystem: later), ntpLength: 48, ipv6: false)
        let t4Later = try #require(convertedLater)
        #expect(abs(t4Later.nanoseconds - (later + 752)) <= 2)
    }

    @Test func aTransmitStampIsConvertedWithoutTheFrameCorrection() throws {
        var c = Self.converter(samples: 8)
        let sent = Truth.systemStart + 7_100_000_000
        let converted = c.transmitTime(raw: Truth.device(atSystem: sent))
        let t1 = try #require(converted)
        #expect(abs(t1.nanoseconds - sent) <= 2)
        #expect(c.transmitUsed == 1)
        #expect(c.summary.hasPrefix("hardware stamps used: 0 receive, 1 transmit; 0 before the PHC fit was ready, 0 far from the software stamp; fit 8 samples, 0 refused"))
        #expect(c.summary.hasSuffix("rate 25001 ppb") || c.summary.hasSuffix("rate 25000 ppb"), "\(c.summary)")
    }

    @Test func aStampFarFromTheSoftwareOneIsRefusedAndTheFitRestarts() throws {
        var c = Self.converter(samples: 8)
        let sent = Truth.systemStart + 7_100_000_000
        let raw = Truth.device(atSystem: sent)
        // Within a millisecond of the kernel's stamp (40 us later): the hardware stamp is used.
        let near = c.transmitTime(raw: raw, software: UnixTime(nanoseconds: sent + 40_000))
        #expect(try abs(#require(near).nanoseconds - sent) <= 2)
        // The system clock stepped 100 ms under the fit: refused, and the fit forgets its samples.
        #expect(c.transmitTime(raw: raw, software: UnixTime(nanoseconds: sent + 100_000_000)) == nil)
        #expect(c.disagreed == 1 && c.transmitUsed == 1)
        #expect(!c.fit.isReady && c.fit.samples.isEmpty)
    }

    @Test func anchoredAtTheNewestSampleAStepInRateIsFollowedAtOnce() throws {
        // Eight samples on one line, then the system clock's rate against the device changes by
        // 2 ppm (a discipline's adjustment) and one sample on the new line arrives.
        // Readings noisy by +-1.5 us (so the turned sample is not refused as an outlier).
        var fitted = HardwareStampConverter(timing: FrameTiming(linkSpeedMbps: 1000))
        for s in 0..<8 { fitted.fit.add(Truth.sample(second: s, error: s % 2 == 0 ? 1_500 : -1_500)) }
        let turn = Truth.systemStart + 7_000_000_000
        let shifted = HardwareClockSample(device: Truth.device(atSystem: turn + 1_000_000_000),
                                          system: turn + 1_000_000_000 + 2_000, delay: 400)
        let kept = fitted.fit.add(shifted)
        #expect(kept)
        var anchored = fitted
        anchored.anchoredAtNewest = true
        let raw = Truth.device(atSystem: turn + 1_500_000_000)
        let truth = turn + 1_500_000_000 + 3_000  // 2 us at the new sample, 1 us more half a second on
        let anchoredTime = anchored.transmitTime(raw: raw), fittedTime = fitted.transmitTime(raw: raw)
        let a = try #require(anchoredTime), f = try #require(fittedTime)
        #expect(abs(a.nanoseconds - truth) < abs(f.nanoseconds - truth), "anchored \(a.nanoseconds - truth), fitted \(f.nanoseconds - truth)")
        #expect(abs(a.nanoseconds - truth) <= 1_500)
    }
}
