import NTPEngine
import NTPSimulation
import NTPWire
import Testing

@Suite struct TrialMetricsTests {
    func samples(_ f: (Double) -> (Double, Double), count: Int = 1000) -> [ClockSample] {
        (1...count).map { i in
            let t = Double(i)
            let (o, fr) = f(t)
            return ClockSample(time: t, offset: o, frequencyError: fr)
        }
    }

    @Test func syncTimeIsWhereTheLimitsHoldForGood() {
        let m = TrialMetrics(samples: samples { t in
            (t < 100 ? 0.1 : (t == 150 ? 2e-3 : 1e-4), t < 120 ? 1e-3 : 1e-6)
        })
        #expect(m.syncTime == 151)
        #expect(abs(m.rmsOffset - 1e-4) < 1e-12 && m.maxOffset == 1e-4)
        #expect(m.windowSamples == 791)
        #expect(m.passes())
        #expect(TrialMetrics(samples: samples { _ in (0, 0) }).syncTime == 1)
        #expect(TrialMetrics(samples: samples { t in (t == 1000 ? 1 : 0, 0) }).syncTime == nil)
        #expect(TrialMetrics(samples: []).syncTime == nil)
    }

    @Test func frequencyLimitIsAFraction() {
        // 600 ppm is 6e-4 > 5e-4: never synchronised.
        let m = TrialMetrics(samples: samples { _ in (0, 600e-6) })
        #expect(m.syncTime == nil)
        #expect(m.failures().contains("never synchronised"))
        #expect(m.failures().contains { $0.hasPrefix("max freq") })
    }

    @Test func eachLimitIsChecked() {
        let noisy = TrialMetrics(samples: samples { t in (Int(t) % 2 == 0 ? 5e-4 : -5e-4, 2e-5) })
        #expect(noisy.syncTime == 1)
        #expect(noisy.failures() == ["RMS offset 5.0e-04 > 3.0e-04", "RMS freq 2.0e-05 > 1.0e-05"])
        let late = TrialMetrics(samples: samples { t in (t < 300 ? 1 : 0, 0) })
        #expect(late.failures() == ["sync 300 s > 210 s", "max offset 1 > 1.0e-03", "RMS offset 3.4e-01 > 3.0e-04"])
        #expect(late.passes(AccuracyLimits(maxSyncTime: 400, maxOffset: 2, rmsOffset: 1)))
        #expect(!late.passes(AccuracyLimits(minSyncTime: 400, maxSyncTime: 500, maxOffset: 2, rmsOffset: 1)))
    }

    @Test func formatting() {
        #expect(TrialMetrics.format(132) == "132")
        #expect(TrialMetrics.format(7.1e-5) == "7.1e-05")
        #expect(TrialMetrics.format(9.96e-4) == "1.0e-03")
        #expect(TrialMetrics.format(-2.5e-12) == "-2.5e-12")
        #expect(TrialMetrics.format(0.15) == "1.5e-01")
        #expect(TrialMetrics.format(.nan) == "nan")
        let line = TrialMetrics(samples: samples { _ in (1e-4, 1e-7) }).summary(.accuracyDefault)
        #expect(line == "sync 1 s; RMS offset 1.0e-04 s; max offset 1.0e-04 s; RMS freq 1.0e-07; max freq 1.0e-07 — PASS")
    }
}
