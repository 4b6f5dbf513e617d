import Testing
@testable import NTPWire

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct TimestampTests {
    /// 2036-02-07T06:28:16Z, the first instant of NTP era 1.
    static let rollover = UnixTime(seconds: (1 << 32) - 2_208_988_800, nanoseconds: 0)
    static let ns = 1_000_000_000 as Int64

    @Test func rolloverInstant() {
        #expect(Self.rollover.nanoseconds == 2_085_978_496 * Self.ns)
        #expect(NTPTimestamp.era(of: Self.rollover) == 1)
        #expect(NTPTimestamp.era(of: UnixTime(nanoseconds: Self.rollover.nanoseconds - 1)) == 0)
        #expect(NTPTimestamp(Self.rollover).rawValue == 0)
        let justBefore = NTPTimestamp(UnixTime(nanoseconds: Self.rollover.nanoseconds - 1))
        #expect(justBefore.seconds == .max)
        #expect(NTPTimestamp.era(of: UnixTime(nanoseconds: 0)) == 0)
        #expect(NTPTimestamp.era(of: UnixTime(seconds: -2_208_988_800, nanoseconds: 0)) == 0)  // 1900-01-01
        #expect(NTPTimestamp.era(of: UnixTime(seconds: -2_208_988_801, nanoseconds: 0)) == -1)
    }

    @Test func unixEpochAndNTPEpoch() {
        #expect(NTPTimestamp(UnixTime(nanoseconds: 0)) == NTPTimestamp(seconds: 2_208_988_800, fraction: 0))
        #expect(NTPTimestamp(UnixTime(seconds: -2_208_988_800, nanoseconds: 0)).rawValue == 0)
        #expect(NTPTimestamp(UnixTime(seconds: 0, nanoseconds: 500_000_000)).fraction == 0x8000_0000)
        #expect(NTPTimestamp.zero.unixTime(era: 0) == UnixTime(seconds: -2_208_988_800, nanoseconds: 0))
        #expect(NTPTimestamp.zero.unixTime(era: 1) == Self.rollover)
    }

    @Test func nearPivotAcrossTheRollover() {
        let before = UnixTime(nanoseconds: Self.rollover.nanoseconds - 3 * Self.ns - 250_000_000)
        let after = UnixTime(nanoseconds: Self.rollover.nanoseconds + 5 * Self.ns + 125_000_000)
        let tBefore = NTPTimestamp(before), tAfter = NTPTimestamp(after)
        #expect(tBefore.seconds == UInt32.max - 3)
        #expect(tAfter.seconds == 5)
        // A pivot in era 0 puts a small wire value into era 1, and the reverse.
        #expect(tAfter.unixTime(near: before) == after)
        #expect(tBefore.unixTime(near: after) == before)
        #expect(tAfter.unixTime(near: after) == after)
        #expect(tBefore.unixTime(near: before) == before)
        // Pivots decades away on either side still work within 68 years.
        let y2000 = UnixTime(seconds: 946_684_800, nanoseconds: 0)
        let y2100 = UnixTime(seconds: 4_102_444_800, nanoseconds: 0)
        #expect(tAfter.unixTime(near: y2000) == after)
        #expect(tBefore.unixTime(near: y2100) == before)
        #expect(tAfter.unixTime(era: 1) == after)
        #expect(tAfter.unixTime(era: 0) == UnixTime(nanoseconds: after.nanoseconds - (1 << 32) * Self.ns))
    }

    @Test func subtractionAcrossEras() {
        let before = NTPTimestamp(UnixTime(nanoseconds: Self.rollover.nanoseconds - 1_500_000_000))
        let after = NTPTimestamp(UnixTime(nanoseconds: Self.rollover.nanoseconds + 2_250_000_000))
        #expect((after - before).seconds == 3.75)
        #expect((before - after).seconds == -3.75)
        #expect((after - before).nanoseconds == 3_750_000_000)
        #expect(before + (after - before) == after)
        #expect(after + -(after - before) == before)
    }

    @Test func eraMinusOneBefore1900() {
        let t = UnixTime(seconds: -2_208_988_800 - 86_400 * 365, nanoseconds: 123_456_789)  // 1899
        #expect(NTPTimestamp.era(of: t) == -1)
        let ts = NTPTimestamp(t)
        #expect(ts.unixTime(era: -1) == t)
        #expect(ts.unixTime(near: UnixTime(seconds: -2_208_988_800, nanoseconds: 0)) == t)
        #expect(ts.unixTime(near: UnixTime(seconds: -2_208_988_800 - 86_400 * 20_000, nanoseconds: 0)) == t)
    }

    @Test func exactNanosecondRoundTripForRandomInstants() {
        var rng = SeededRNG(state: 5905)
        // Unix time covers 1678…2262: eras −1, 0 and 1.
        let lo = Int64.min / 2, hi = Int64.max / 2 + Int64.max / 4
        for _ in 0..<100_000 {
            let t = UnixTime(nanoseconds: Int64.random(in: lo...hi, using: &rng))
            let ts = NTPTimestamp(t)
            #expect(ts.unixTime(era: NTPTimestamp.era(of: t)) == t)
            // Any pivot within ±60 years finds the same era.
            let pivot = t.adding(seconds: Double(Int64.random(in: -1_900_000_000...1_900_000_000, using: &rng)))
            if ts.unixTime(near: pivot) != t {
                Issue.record("\(t) near \(pivot)")
                break
            }
        }
    }

    @Test func everyNanosecondOfASecondRoundTrips() {
        // Fractions are 2^-32 s (0.23 ns), so all 1e9 values would fit; check a dense sample.
        var rng = SeededRNG(state: 7822)
        for n in stride(from: Int64(0), to: 1_000_000_000, by: 9_973) + [999_999_999, 1, 0] {
            let base = Int64.random(in: -3_000_000_000...3_000_000_000, using: &rng)
            let t = UnixTime(seconds: base, nanoseconds: n)
            #expect(NTPTimestamp(t).unixTime(near: t) == t)
        }
    }

    @Test func durationAndShortConversions() {
        #expect(NTPDuration(nanoseconds: 1_500_000_000).rawValue == 3 << 31)
        #expect(NTPDuration(nanoseconds: -1_500_000_000).rawValue == -(3 << 31))
        #expect(NTPDuration(nanoseconds: -1).nanoseconds == -1)
        #expect(NTPDuration(nanoseconds: 123_456_789).nanoseconds == 123_456_789)
        #expect(NTPDuration(seconds: .nan) == .zero)
        #expect(NTPDuration(seconds: .infinity).rawValue == .max)
        #expect(NTPShort(seconds: 1.5).rawValue == 0x0001_8000)
        #expect(NTPShort(seconds: 1.5).wholeSeconds == 1 && NTPShort(seconds: 1.5).fraction == 0x8000)
        #expect(NTPShort(seconds: -3) == .zero)
        #expect(NTPShort(seconds: .nan) == .zero)
        #expect(NTPShort(seconds: 1e9).rawValue == .max)
        #expect(NTPShort(rawValue: 1).nanoseconds == 15_259)  // 2^-16 s = 15258.79 ns
        #expect(NTPShort(seconds: 2, fraction: 0x4000).seconds == 2.25)
        #expect(UnixTime(nanoseconds: 5).adding(seconds: .nan) == UnixTime(nanoseconds: 5))
    }

    @Test func descriptions() {
        #expect(UnixTime(nanoseconds: -500_000_000).description == "-1.500000000")
        #expect(NTPTimestamp(rawValue: 0xABC).description == "0000000000000abc")
    }
}
