public import NTPWire

/// One per-second observation of a client clock against the truth.
public struct ClockSample: Sendable, Equatable {
    /// Seconds of true time since the world's start.
    public var time: Double
    /// The served clock's error, local − true, seconds (``SimulatedClock/trueOffset``).
    public var offset: Double
    /// The served clock's frequency error as a **fraction** (ppm · 1e-6), the unit of
    /// ACCURACY.md's limits: 5e-4 is 500 ppm.
    public var frequencyError: Double

    public init(time: Double, offset: Double, frequencyError: Double) {
        self.time = time; self.offset = offset; self.frequencyError = frequencyError
    }

    /// `clock` now, `start` being the world's start.
    public init(clock: SimulatedClock, start: UnixTime) {
        self.init(time: clock.trueTime - start, offset: clock.trueOffset, frequencyError: clock.trueFrequencyError * 1e-6)
    }
}

/// ACCURACY.md's pass limits (defaults: the default world's).
public struct AccuracyLimits: Sendable, Equatable {
    /// Sync no earlier than this, seconds; nil: any time is early enough (ACCURACY.md: "a
    /// client that syncs faster passes too").
    public var minSyncTime: Double?
    /// Sync no later than this, seconds.
    public var maxSyncTime: Double
    /// Max |offset| in the statistics window, seconds.
    public var maxOffset: Double
    /// Max |frequency error| in the window, a fraction.
    public var maxFrequencyError: Double
    /// RMS offset in the window, seconds.
    public var rmsOffset: Double
    /// RMS frequency error in the window, a fraction.
    public var rmsFrequencyError: Double

    public init(
        minSyncTime: Double? = nil, maxSyncTime: Double = 210, maxOffset: Double = 1e-3,
        maxFrequencyError: Double = 5e-4, rmsOffset: Double = 3e-4, rmsFrequencyError: Double = 1e-5
    ) {
        self.minSyncTime = minSyncTime; self.maxSyncTime = maxSyncTime; self.maxOffset = maxOffset
        self.maxFrequencyError = maxFrequencyError; self.rmsOffset = rmsOffset
        self.rmsFrequencyError = rmsFrequencyError
    }

    /// Sync by 210 s, max |offset| 1e-3 s, max |freq| 5e-4, RMS offset 3e-4 s, RMS freq 1e-5.
    public static let accuracyDefault = AccuracyLimits()
}

/// ACCURACY.md's metrics of one run, from per-second ``ClockSample``s.
///
/// - **sync time**: the time of the first sample from which on every sample has
///   |offset| ≤ ``syncOffsetLimit`` (1e-3 s) and |frequency error| ≤ ``syncFrequencyLimit``
///   (5e-4); nil if the last sample is outside them (never synchronised).
/// - **RMS and max |offset|, RMS and max |frequency error|** over the samples at or after
///   ``statisticsFrom`` (210 s by default).
public struct TrialMetrics: Sendable, Equatable {
    public static let syncOffsetLimit = 1e-3
    public static let syncFrequencyLimit = 5e-4

    public var syncTime: Double?
    public var rmsOffset: Double
    public var maxOffset: Double
    public var rmsFrequencyError: Double
    public var maxFrequencyError: Double
    /// Start of the statistics window, seconds.
    public var statisticsFrom: Double
    /// Samples in the window.
    public var windowSamples: Int
    /// Time of the last sample, seconds.
    public var duration: Double

    public init(samples: [ClockSample], statisticsFrom: Double = 210) {
        self.statisticsFrom = statisticsFrom
        duration = samples.last?.time ?? 0
        var sync: Double? = nil
        for s in samples.reversed() {
            guard abs(s.offset) <= Self.syncOffsetLimit && abs(s.frequencyError) <= Self.syncFrequencyLimit else { break }
            sync = s.time
        }
        syncTime = sync
        var sumOffset = 0.0, sumFrequency = 0.0, maxO = 0.0, maxF = 0.0
        var n = 0
        for s in samples where s.time >= statisticsFrom {
            n += 1
            sumOffset += s.offset * s.offset
            sumFrequency += s.frequencyError * s.frequencyError
            maxO = max(maxO, abs(s.offset))
            maxF = max(maxF, abs(s.frequencyError))
        }
        windowSamples = n
        rmsOffset = n > 0 ? (sumOffset / Double(n)).squareRoot() : .nan
        rmsFrequencyError = n > 0 ? (sumFrequency / Double(n)).squareRoot() : .nan
        maxOffset = n > 0 ? maxO : .nan
        maxFrequencyError = n > 0 ? maxF : .nan
    }

    /// Each limit missed, as a short phrase; empty when the run passes.
    public func failures(_ limits: AccuracyLimits = .accuracyDefault) -> [String] {
        var out: [String] = []
        if let sync = syncTime {
            if sync > limits.maxSyncTime { out.append("sync \(Self.format(sync)) s > \(Self.format(limits.maxSyncTime)) s") }
            if let min = limits.minSyncTime, sync < min { out.append("sync \(Self.format(sync)) s < \(Self.format(min)) s") }
        } else {
            out.append("never synchronised")
        }
        if windowSamples == 0 { out.append("no samples after \(Self.format(statisticsFrom)) s") }
        func check(_ name: String, _ value: Double, _ limit: Double) {
            if !(value <= limit) { out.append("\(name) \(Self.format(value)) > \(Self.format(limit))") }
        }
        if windowSamples > 0 {
            check("max offset", maxOffset, limits.maxOffset)
            check("RMS offset", rmsOffset, limits.rmsOffset)
            check("max freq", maxFrequencyError, limits.maxFrequencyError)
            check("RMS freq", rmsFrequencyError, limits.rmsFrequencyError)
        }
        return out
    }

    /// True when every limit is met.
    public func passes(_ limits: AccuracyLimits = .accuracyDefault) -> Bool { failures(limits).isEmpty }

    /// `sync 132 s; RMS offset 7.1e-05 s; max offset 1.5e-04 s; RMS freq 2.3e-07; max freq 9.8e-07`
    public var summary: String {
        let sync = syncTime.map { "\(Self.format($0)) s" } ?? "never"
        return "sync \(sync); RMS offset \(Self.format(rmsOffset)) s; max offset \(Self.format(maxOffset)) s; "
            + "RMS freq \(Self.format(rmsFrequencyError)); max freq \(Self.format(maxFrequencyError))"
    }

    /// The summary and PASS, or FAIL with the limits missed.
    public func summary(_ limits: AccuracyLimits) -> String {
        let f = failures(limits)
        return summary + (f.isEmpty ? " — PASS" : " — FAIL (\(f.joined(separator: ", ")))")
    }

    /// Whole numbers as they are (`132`), others in two-significant-digit scientific notation
    /// (`7.1e-05`), without Foundation.
    public static func format(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        if x == x.rounded(), abs(x) < 1e9 { return String(Int64(x)) }
        let sign = x < 0 ? "-" : ""
        var m = abs(x)
        var e = 0
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        var tenths = Int((m * 10).rounded())
        if tenths >= 100 { tenths /= 10; e += 1 }
        let exponent = abs(e) < 10 ? "0\(abs(e))" : "\(abs(e))"
        return "\(sign)\(tenths / 10).\(tenths % 10)e\(e < 0 ? "-" : "+")\(exponent)"
    }
}
