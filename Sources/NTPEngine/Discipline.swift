import NTPWire

/// The clock discipline. Each source keeps a delay-weighted linear regression of its offsets
/// (``SourceStatistics``); at each update the survivors' predicted offsets at `now` and their
/// frequency estimates are combined by inverse variance, and the clock is corrected by the
/// whole estimate: phase by a slew (or a step beyond the step threshold), frequency by the
/// estimated error when that estimate is better than what is already known of the frequency
/// (its error as ``SourceStatistics/trustedFrequencyError`` judges it, which allows for few
/// samples); what is known of the frequency ages by the oscillator's wander as the system
/// peer's statistics estimate it, so a wandering clock keeps taking new estimates. Stored samples are then re-expressed
/// against the corrected clock, so the regression continues across corrections (chrony's way).
///
/// Why not RFC 5905's PLL/FLL: the loop filter's time constant makes it trade noise for
/// convergence (ntpd takes ~10 minutes and leaves 1e-2 s RMS in ACCURACY.md's default world),
/// while the regression uses every sample at its worth and needs no settling.
///
/// Steps follow ntpd: the first correction steps when beyond the step threshold (or is refused
/// beyond the panic threshold without `-g`); later, an offset beyond the step threshold must
/// persist for `stepout` before it is believed.
struct Discipline: Sendable {
    var configuration: EngineConfiguration

    struct Correction: Sendable, Equatable {
        /// Seconds added to the clock.
        var phase: Double
        /// Fraction added to the clock's rate.
        var frequency: Double
        var stepped: Bool
        var jitter: Double
    }

    enum Outcome: Sendable, Equatable {
        case none
        case panic(Double)
        case corrected(Correction)
    }

    /// Samples the system peer needs before the first correction.
    static let firstUpdateSamples = 2
    /// ntpd's poll-adjust gate and limit.
    static let pollGate = 4.0
    static let pollLimit = 30

    private(set) var updates = 0
    /// How well the clock's frequency correction is known (standard error, as a fraction): a
    /// frequency estimate is applied only when it is better than this. It starts at 500 ppm
    /// (nothing known), 1 ppm once a drift file was read (``frequencyFromDriftFile()``); it
    /// grows with the oscillator's wander.
    private(set) var frequencyUncertainty = Self.unknownFrequency
    private var lastUpdate: UnixTime?

    /// The frequency uncertainty with nothing known (the kernel's tolerance), and with a drift
    /// file (ntpd writes it to a thousandth of a ppm; temperature moves it by about a ppm).
    static let unknownFrequency = 5e-4
    static let driftFileFrequency = 1e-6

    init(configuration: EngineConfiguration) {
        self.configuration = configuration
    }

    /// The clock's frequency was set from a drift file: it is known to ``driftFileFrequency``.
    mutating func frequencyFromDriftFile() {
        frequencyUncertainty = Self.driftFileFrequency
    }

    /// Adds a sample to the association's statistics unless it is a spike (beyond the step
    /// threshold from the prediction, not yet persisting for stepout). Feeds the sample's
    /// innovation to the wander estimate and adjusts the poll.
    mutating func addSample(to a: inout Association, offset: Double, delay: Double, at now: UnixTime)
        -> (added: Bool, spike: Double?)
    {
        let prediction = a.statistics.estimate != nil && a.statistics.points.count >= 2
            ? a.statistics.predict(at: now) : nil
        let stepThreshold = configuration.stepThreshold.value
        if let p = prediction, updates > 0, stepThreshold > 0, !configuration.slewOnly,
           abs(offset - p.offset) > stepThreshold {
            if let since = a.spikeSince {
                guard now - since >= configuration.stepout.value else { return (false, nil) }
                a.spikeSince = nil
                a.statistics.reset()
            } else {
                a.spikeSince = now
                return (false, offset)
            }
        } else {
            a.spikeSince = nil
        }
        a.statistics.noiseFloor = Self.noiseFloor(serverPrecision: a.precision.seconds)
        if let p = prediction {
            let residual = a.statistics.corrected(offset: offset, delay: delay) - p.offset
            a.statistics.observeInnovation(residual: residual, delay: delay, at: now)
            let noise = max(a.statistics.sampleError(delay: delay), p.error, 1e-6)
            adjustPoll(&a, residual: residual, noise: noise)
        }
        a.statistics.add(time: now, offset: offset, delay: delay)
        return (true, nil)
    }

    /// The floor of a sample's error: the server's clock resolution (its precision, a reading
    /// uniform over one unit: σ = precision/√12), and never below 10 ns (timestamping noise
    /// that no precision field admits). The fit widens its errors by the residuals' scatter
    /// when the floor is too low, so a low floor costs nothing but lets the least-delayed
    /// samples count for what they are worth on a quiet path.
    static func noiseFloor(serverPrecision: Double) -> Double {
        max(1e-8, serverPrecision / 12.0.squareRoot())
    }

    /// The phase error a frequency random walk of `wander` (per √s) builds over `interval`
    /// seconds: w·τ^1.5/√3.
    static func walk(wander: Double, over interval: Double) -> Double {
        wander * interval * (interval / 3).squareRoot()
    }

    /// The poll policy. ntpd's counter (its poll-adjust gate uses jitter only): a residual
    /// within ``pollGate`` times the noise counts up by the poll exponent, one beyond counts
    /// down twice as fast, and the counter at ±``pollLimit`` moves the poll by one. Then the
    /// oscillator's wander (``SourceStatistics/wander``, as estimated) bounds it: the poll
    /// rises only while the walk over the doubled interval stays within a typical sample's
    /// noise (``SourceStatistics/typicalSampleError``; a longer interval would let the clock
    /// wander further between samples than a sample can see), and falls at once when the walk
    /// over the present interval exceeds twice that noise (the gap keeps it from flapping). And
    /// the poll rises only once the statistics hold a full window (``SourceStatistics/maxPoints``):
    /// until then every sample still lowers the fit's error, so a longer interval only costs
    /// (under clknetsim's 0.1 s jitter, with the innovations' honest noise model, 006's steady
    /// state 1.3e-2 → 4.7e-3 s). chrony reaches the same end by other means (its poll follows the
    /// number of samples its runs test keeps).
    private func adjustPoll(_ a: inout Association, residual: Double, noise: Double) {
        let typical = a.statistics.typicalSampleError
        let wander = a.statistics.wander
        if a.poll > a.configuration.minPoll, Self.walk(wander: wander, over: a.pollInterval) > 2 * typical {
            a.pollCounter = 0
            a.poll -= 1
            return
        }
        if abs(residual) < Self.pollGate * noise {
            a.pollCounter += Int(a.poll)
            if a.pollCounter > Self.pollLimit {
                a.pollCounter = 0
                if a.poll < a.configuration.maxPoll, a.statistics.points.count >= SourceStatistics.maxPoints,
                   Self.walk(wander: wander, over: 2 * a.pollInterval) <= typical {
                    a.poll += 1
                }
            }
        } else {
            a.pollCounter -= 2 * Int(a.poll)
            if a.pollCounter < -Self.pollLimit {
                a.pollCounter = 0
                if a.poll > a.configuration.minPoll { a.poll -= 1 }
            }
        }
    }

    /// chrony's correction time ratio (`corrtimeratio`, 3 by default).
    static let correctionTimeRatio = 3.0
    /// The longest spread, as a fraction of the update interval.
    static let maxSpreadFraction = 1.0 / 12

    /// How long to spread the slew of `offset` (estimated to ±`error`, the survivors'
    /// combined standard error) made `interval` seconds after the last update: chrony's rule,
    /// ratio·½·error·interval/|offset|, so an offset well beyond its error (real) is slewed
    /// fast and one within it (mostly noise) gently; and at most ``maxSpreadFraction`` of the
    /// interval. Why: a slew's speed is a frequency error every application sees (the driver's
    /// 1 s minimum made a 0.5 ms correction at poll 1024 s a 500 ppm excursion, beyond chrony's
    /// limit in 011-asymjitter under clknetsim); but the regression already averages the
    /// noise, so spreading further only delays real corrections (with the cap at a third of
    /// the interval, chrony's own, 101's steady state rose from 2.5–2.8e-7 to 2.5–3.0e-7 s;
    /// the twelfth was chosen on seeds 1–20 of 101 and 011). 0 (the driver's fastest) at the
    /// first update.
    static func slewSpread(offset: Double, error: Double, interval: Double) -> Double {
        guard offset != 0, error.isFinite, interval > 0 else { return 0 }
        return min(correctionTimeRatio * 0.5 * error * interval / offset.magnitude, interval * maxSpreadFraction)
    }

    /// Combines the survivors and corrects the clock.
    mutating func update(survivors: [Association], systemPeer: Association, clock: any ClockDriver, at now: UnixTime)
        -> Outcome
    {
        guard systemPeer.statistics.points.count >= (updates == 0 ? Self.firstUpdateSamples : 1) else { return .none }
        var wOffset = 0.0, sumOffset = 0.0, wNoise = 0.0
        var wFreq = 0.0, sumFreq = 0.0
        for s in survivors {
            guard let e = s.statistics.estimate, let p = s.statistics.predict(at: now) else { continue }
            let bound = s.rootDelay / 2 + s.rootDispersion
            let w = 1 / (p.error * p.error + bound * bound / 3 + 1e-18)
            wOffset += w
            sumOffset += w * p.offset
            wNoise += 1 / (p.error * p.error + 1e-18)
            let fError = s.statistics.trustedFrequencyError
            if fError.isFinite, fError > 0 {
                let wf = 1 / (fError * fError)
                wFreq += wf
                sumFreq += wf * e.frequency
            }
        }
        guard wOffset > 0 else { return .none }
        let offset = sumOffset / wOffset
        let interval = lastUpdate.map { max(0, now - $0) } ?? 0
        let spread = Self.slewSpread(offset: offset, error: (1 / wNoise).squareRoot(), interval: interval)
        if let last = lastUpdate {
            let dt = max(0, now - last)
            let wander = systemPeer.statistics.wander
            frequencyUncertainty = (frequencyUncertainty * frequencyUncertainty + wander * wander * dt).squareRoot()
        }
        lastUpdate = now
        var frequency = 0.0
        if wFreq > 0 {
            let f = sumFreq / wFreq
            let fError = (1 / wFreq).squareRoot()
            // An estimate better than what the clock already has is applied, combined with
            // what is known by inverse variance (the known correction is "0 ± uncertainty"),
            // unless the two disagree by more than 3σ: then what was "known" was wrong (a
            // 50000 ppm clock against the 500 ppm assumed) and the estimate is taken as it is.
            // While nothing is known, only a clearly significant estimate (5σ) is used: the
            // first moves the frequency by all of it, and one of 88 ± 40 ppm beats 500 ppm
            // but would overshoot a 40 ppm clock.
            let known = frequencyUncertainty < Self.unknownFrequency
            if fError < frequencyUncertainty, known || abs(f) > 5 * fError {
                let u2 = frequencyUncertainty * frequencyUncertainty, e2 = fError * fError
                if f * f > 9 * (u2 + e2) {
                    frequency = f
                    frequencyUncertainty = max(fError, 1e-9)
                } else {
                    frequency = f * u2 / (u2 + e2)
                    frequencyUncertainty = max((u2 * e2 / (u2 + e2)).squareRoot(), 1e-9)
                }
            }
        }

        let panicThreshold = configuration.panicThreshold.value, stepThreshold = configuration.stepThreshold.value
        if panicThreshold > 0, abs(offset) > panicThreshold,
           !(updates == 0 && configuration.allowFirstBigCorrection) {
            return .panic(offset)
        }
        // Frequency first: the step or slew then starts on the corrected rate.
        let before = clock.status().frequency
        if frequency != 0 {
            try? clock.setFrequency(before + PPM(fraction: frequency))
        }
        let applied = (clock.status().frequency - before).fraction
        let step = stepThreshold > 0 && abs(offset) > stepThreshold
            && !configuration.slewOnly
        do {
            if step {
                try clock.step(by: Seconds(offset))
            } else {
                try clock.slew(by: Seconds(offset) + clock.status().remainingSlew, over: Seconds(spread))
            }
        } catch {
            return .none
        }
        updates += 1
        return .corrected(Correction(phase: offset, frequency: applied, stepped: step, jitter: 0))
    }
}
