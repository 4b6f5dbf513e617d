public import NTPWire

/// RFC 5905 §10's clock filter for one association: the last eight samples, of which the one
/// with the least delay is chosen. Its offset, delay, dispersion and jitter are what `peers`
/// shows and what the selection algorithm weighs. (The discipline uses every sample, weighted
/// by its delay; see ``SourceStatistics``.)
public struct ClockFilter: Sendable, Equatable {
    public struct Sample: Sendable, Codable, Equatable {
        /// Reference minus local, seconds.
        public var offset: Double
        /// Round-trip delay, seconds.
        public var delay: Double
        /// Dispersion when taken, seconds (grows at PHI afterwards).
        public var dispersion: Double
        /// Local time the sample was taken.
        public var time: UnixTime

        public init(offset: Double, delay: Double, dispersion: Double, time: UnixTime) {
            self.offset = offset; self.delay = delay; self.dispersion = dispersion; self.time = time
        }
    }

    /// Newest first; at most eight.
    public private(set) var samples: [Sample] = []
    /// Result of the last update.
    public private(set) var offset: Double = 0
    public private(set) var delay: Double = 0
    public private(set) var dispersion: Double = NTPConstants.maxDispersion
    public private(set) var jitter: Double = 0
    /// The time of the sample the current values come from.
    public private(set) var selectedTime: UnixTime?

    public init() {}

    /// The eight stages as ntpq's `filtdelay`/`filtoffset`/`filtdisp` show them (newest first,
    /// never-filled stages as delay 0, offset 0, dispersion 16).
    public func stages(at now: UnixTime) -> [Sample] {
        var out = samples.map { s in
            var aged = s
            aged.dispersion = min(s.dispersion + NTPConstants.phi * max(0, now - s.time), NTPConstants.maxDispersion)
            return aged
        }
        while out.count < NTPConstants.filterStages {
            out.append(Sample(offset: 0, delay: 0, dispersion: NTPConstants.maxDispersion, time: now))
        }
        return out
    }

    /// Adds a sample; returns true when the chosen sample is new (RFC 5905: the peer
    /// variables update only with a sample newer than the last one used).
    @discardableResult
    public mutating func add(_ sample: Sample) -> Bool {
        samples.insert(sample, at: 0)
        if samples.count > NTPConstants.filterStages { samples.removeLast() }
        return update(at: sample.time)
    }

    /// Every stored sample's offset shifted by the same clock correction (see
    /// ``SourceStatistics/applyCorrection(offset:frequency:at:)``): `offset − (phase + freq·(t − at))`.
    public mutating func applyCorrection(phase: Double, frequency: Double, at now: UnixTime) {
        for i in samples.indices {
            samples[i].offset -= phase + frequency * (samples[i].time - now)
        }
        if let t = selectedTime { offset -= phase + frequency * (t - now) }
    }

    public mutating func reset() { self = ClockFilter() }

    /// The clock was stepped by `offset` seconds: the samples' local times move with it.
    public mutating func rebase(by offset: Double) {
        for i in samples.indices { samples[i].time = samples[i].time.adding(seconds: offset) }
        selectedTime = selectedTime?.adding(seconds: offset)
    }

    private mutating func update(at now: UnixTime) -> Bool {
        guard !samples.isEmpty else { return false }
        // Sort by distance: delay/2 plus the dispersion grown since each was taken.
        let aged = samples.map { s -> (Sample, Double) in
            let disp = min(s.dispersion + NTPConstants.phi * max(0, now - s.time), NTPConstants.maxDispersion)
            return (Sample(offset: s.offset, delay: s.delay, dispersion: disp, time: s.time), s.delay / 2 + disp)
        }
        let sorted = aged.sorted { $0.1 < $1.1 }.map(\.0)
        // Dispersion: sum of stage dispersions weighted 1/2, 1/4, … (never-filled stages count 16).
        var disp = 0.0
        for i in 0..<NTPConstants.filterStages {
            let e = i < sorted.count ? sorted[i].dispersion : NTPConstants.maxDispersion
            disp += e / Double(2 << i)
        }
        let best = sorted[0]
        var sum = 0.0
        for s in sorted.dropFirst() { sum += (s.offset - best.offset) * (s.offset - best.offset) }
        let n = sorted.count
        let newJitter = n > 1 ? (sum / Double(n - 1)).squareRoot() : 0
        let isNew = selectedTime.map { best.time > $0 } ?? true
        dispersion = disp
        jitter = max(newJitter, 1e-9)
        if isNew {
            offset = best.offset
            delay = best.delay
            selectedTime = best.time
        }
        return isNew
    }
}
