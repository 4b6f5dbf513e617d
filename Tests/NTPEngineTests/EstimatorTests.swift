import Foundation
import NTPWire
import Testing
@testable import NTPEngine

/// The estimator's asymmetry and wander terms (SourceStatistics), on synthetic samples.
@Suite struct EstimatorTests {
    /// A small deterministic generator (xorshift) for uniform draws in 0..<1.
    struct Draws {
        var state: UInt64
        mutating func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state >> 11) / Double(1 << 53)
        }
        mutating func exponential() -> Double { -log1p(-next()) }
    }

    /// Samples whose error follows their excess delay (the outbound direction carries most of
    /// the jitter): the asymmetry is found with its sign, and the offset at the path minimum is
    /// recovered far better than the delay-weighted mean alone allows.
    @Test(arguments: [0.4, -0.4])
    func asymmetryIsFoundAndCorrected(c: Double) {
        var s = SourceStatistics(noiseFloor: 1e-7)
        var d = Draws(state: 0x9E37_79B9_7F4A_7C15)
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        for i in 0..<40 {
            let excess = 1e-3 * d.exponential()
            let offset = 0.002 + c * excess + 1e-6 * (d.next() - 0.5)
            s.add(time: t0.adding(seconds: Double(i) * 64), offset: offset, delay: 2e-4 + excess)
        }
        #expect(abs(s.asymmetry - c) < 0.05, "asymmetry \(s.asymmetry)")
        let e = try! #require(s.estimate)
        #expect(abs(e.offset - 0.002) < 2e-5, "offset \(e.offset)")
        #expect(abs(s.corrected(offset: 0.002 + c * 1e-3, delay: 2e-4 + 1e-3) - 0.002) < 1e-4)
    }

    /// A symmetric path (the split of each excess uniform) shows no asymmetry.
    @Test func symmetricPathHasNone() {
        var s = SourceStatistics(noiseFloor: 1e-7)
        var d = Draws(state: 12345)
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        for i in 0..<64 {
            let excess = 1e-3 * d.exponential()
            let offset = (d.next() - 0.5) * excess
            s.add(time: t0.adding(seconds: Double(i) * 64), offset: offset, delay: 2e-4 + excess)
        }
        #expect(s.asymmetry == 0)
    }

    /// Innovations that grow as τ³ beyond their noise raise the wander estimate far above the
    /// prior; innovations within their noise leave the fit's weights at the prior.
    @Test func wanderFollowsTheInnovations() {
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        func run(walk: Double) -> SourceStatistics {
            var s = SourceStatistics(noiseFloor: 1e-6)
            var d = Draws(state: 777)
            var frequency = 0.0, phase = 0.0
            for i in 0..<200 {
                let t = t0.adding(seconds: Double(i) * 64)
                for _ in 0..<64 {
                    frequency += walk * (d.next() - 0.5) * 12.0.squareRoot()
                    phase += frequency
                }
                let offset = phase + 1e-6 * (d.next() - 0.5)
                if let p = s.predict(at: t) {
                    s.observeInnovation(residual: s.corrected(offset: offset, delay: 1e-4) - p.offset, delay: 1e-4, at: t)
                }
                s.add(time: t, offset: offset, delay: 1e-4)
            }
            return s
        }
        let wandering = run(walk: 1e-7), steady = run(walk: 0)
        #expect(wandering.wander > 2e-8, "wander \(wandering.wander)")
        // Weighed by the estimate's lower bound (one standard error down): proven, below the estimate.
        #expect(wandering.weightWander > wandering.wander / 2 && wandering.weightWander <= wandering.wander,
                "weight \(wandering.weightWander), wander \(wandering.wander)")
        #expect(steady.weightWander <= SourceStatistics.priorWander)
    }

    /// A steady clock behind heavy jitter (clknetsim's 006: 0.1 s exponential each way, so a
    /// sample's error is uniform over ±excess/2), polled at 64 s to 1024 s: the innovations of
    /// the least-delayed samples are judged with the two-way floor bias and the prediction's
    /// honest (sandwich) variance, so the fit's weights never believe a wander (with the
    /// order-statistics bias alone, the raw estimate reached 1e-5 per √s and the weights
    /// followed it).
    @Test func heavyJitterIsNotWander() {
        var s = SourceStatistics(noiseFloor: 1e-6)
        var d = Draws(state: 2006)
        var t = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        var cleared = 0, innovations = 0
        for i in 0..<400 {
            let oneWay = 0.1 * d.exponential(), back = 0.1 * d.exponential()
            let offset = (oneWay - back) / 2
            let delay = 2e-4 + oneWay + back
            let step = 64 * Double(1 << min(4, i / 16))
            if let p = s.predict(at: t), s.points.count >= 2 {
                // The discipline's spike rule: beyond the step threshold (0.128 s) from the
                // prediction, a sample is not used.
                if abs(offset - p.offset) > 0.128 { t = t.adding(seconds: step); continue }
                s.observeInnovation(residual: s.corrected(offset: offset, delay: delay) - p.offset, delay: delay, at: t)
                innovations += 1
                if s.weightWander > SourceStatistics.priorWander { cleared += 1 }
            }
            s.add(time: t, offset: offset, delay: delay)
            t = t.adding(seconds: step)
        }
        #expect(innovations > 300)
        #expect(cleared == 0, "the weights believed a wander after \(cleared) of \(innovations) samples")
    }
}
