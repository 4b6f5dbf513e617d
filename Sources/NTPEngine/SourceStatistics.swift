public import NTPWire

/// The discipline's model of one source: a weighted linear regression of measured offset
/// against local time over the recent samples (chrony's `sourcestats` idea), where each sample
/// is weighted by what its round-trip delay says about its error.
///
/// Why delay weighting: a sample's offset error is half the difference of the two one-way
/// delays. When the delay is the path's minimum the error is near zero; in general it lies
/// within ±(delay − minimum delay)/2. So a sample's variance is modelled as
/// `floor² + (delay − minDelay)²/12` (uniform error over that interval). Good samples count
/// for much more than queued ones, which is how the estimate approaches the delay-weighted
/// bound of ACCURACY.md instead of the delay-blind one.
///
/// The window shrinks when the residuals stop looking random (a runs test): the frequency has
/// changed and old samples would bias the fit.
///
/// Offsets follow the project's convention (reference − local). After the clock is corrected,
/// ``applyCorrection(phase:frequency:at:)`` moves every stored sample onto the new clock so the
/// fit stays valid.
public struct SourceStatistics: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var time: UnixTime
        public var offset: Double
        public var delay: Double
    }

    /// The fit, valid at ``time``.
    public struct Estimate: Sendable, Codable, Equatable {
        /// Reference − local at `time`, seconds.
        public var offset: Double
        /// d(offset)/dt: the local clock's frequency error, as a fraction (negative: local fast).
        public var frequency: Double
        /// Standard error of `offset` and `frequency`.
        public var offsetError: Double
        public var frequencyError: Double
        public var time: UnixTime
        /// Samples in the window used.
        public var samples: Int
        /// RMS of the weighted residuals' scale (an estimate of the measurement noise), seconds.
        public var residualSigma: Double
    }

    /// The frequency's error as the discipline trusts it: the fit's error widened by
    /// Student's t for its few degrees of freedom (95 % level, over the normal's; at least one
    /// assumed), and never below what the samples' spacing allows when each sample may be off
    /// by anything within its round trip: σ = minDelay/√12 per sample (uniform over
    /// ±minDelay/2), and the regression slope's σ·√(12/(n(n²−1)))/spacing. Infinite below two
    /// samples.
    ///
    /// Why: a few samples say little about their own noise. The delay model cannot see an
    /// error that leaves the delay unchanged (one packet late going out, the other coming
    /// back), and with two samples there is no residual to show it: two iburst samples 2 s
    /// apart claimed a frequency to 0.7 ppm that was 130 ppm wrong (the drift-file lab,
    /// seed 5), and the discipline applied it. The delay bound makes such an estimate worth
    /// ±80 ppm, while two samples a poll of 64 s apart keep a few ppm (a 5000 ppm clock is
    /// still corrected at the first update). chrony likewise widens its skew by t.
    public private(set) var trustedFrequencyError: Double = .infinity

    /// Student's t at 97.5 % for 1…30 degrees of freedom, over the normal's 1.96: how much
    /// wider a 95 % interval is when the scale comes from so few residuals.
    static func studentWidening(degreesOfFreedom dof: Int) -> Double {
        let t: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                           2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                           2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        guard dof >= 1 else { return .infinity }
        return (dof <= t.count ? t[dof - 1] : 1.96 + 2.4 / Double(dof)) / 1.96
    }

    /// ``trustedFrequencyError`` of a fit over `window`.
    private static func trustedFrequencyError(_ e: Estimate, window: ArraySlice<Point>, minDelay: Double) -> Double {
        let n = Double(e.samples)
        guard let first = window.first, let last = window.last, n >= 2, last.time - first.time > 0 else {
            return .infinity
        }
        let widened = e.frequencyError * studentWidening(degreesOfFreedom: max(1, e.samples - 2))
        let spacing = (last.time - first.time) / (n - 1)
        let delayBound = minDelay / 12.0.squareRoot() * (12 / (n * (n * n - 1))).squareRoot() / spacing
        return max(widened, delayBound)
    }

    public static let maxPoints = 64
    /// Frequency wander assumed for the local oscillator, as a random walk: the frequency's
    /// standard deviation grows by this much per √second. Old samples lose weight by the phase
    /// error the walk accumulates over their age (≈ wander·age^1.5/√3), so a few excellent but
    /// old samples cannot pin the line while the frequency moves on.
    public static var wander: Double { 1e-9 }

    /// Oldest first.
    public private(set) var points: [Point] = []
    public private(set) var estimate: Estimate?
    /// The least delay seen over the kept samples.
    public private(set) var minDelay: Double = .infinity
    /// How far above the path's true minimum ``minDelay`` probably is: the mean excess delay
    /// over the number of samples (the expected minimum of n draws of a one-sided spread).
    public private(set) var minDelayBias: Double = 0
    /// Floor of a sample's standard error (clock precision and timestamping noise), seconds.
    public var noiseFloor: Double

    public init(noiseFloor: Double = 1e-6) { self.noiseFloor = noiseFloor }

    public mutating func reset() {
        points.removeAll()
        estimate = nil
        trustedFrequencyError = .infinity
        minDelay = .infinity
        minDelayBias = 0
    }

    /// The offset the model predicts at `time`, and its standard error.
    public func predict(at time: UnixTime) -> (offset: Double, error: Double)? {
        guard let e = estimate else { return nil }
        let dt = time - e.time
        let err = (e.offsetError * e.offsetError + dt * dt * e.frequencyError * e.frequencyError).squareRoot()
        return (e.offset + e.frequency * dt, err)
    }

    /// A sample's standard error from its delay.
    public func sampleError(delay: Double) -> Double {
        Self.variance(delay: delay, minDelay: minDelay, bias: minDelayBias, floor: noiseFloor).squareRoot()
    }

    /// A sample's offset variance: its error is uniform over ±(excess delay)/2, the excess
    /// measured from the estimated path minimum (``minDelay`` less its probable bias).
    static func variance(delay: Double, minDelay: Double, bias: Double, floor: Double) -> Double {
        let excess = max(0, delay - minDelay) + bias
        return floor * floor + excess * excess / 12
    }

    public mutating func add(time: UnixTime, offset: Double, delay: Double) {
        points.append(Point(time: time, offset: offset, delay: max(0, delay)))
        if points.count > Self.maxPoints { points.removeFirst(points.count - Self.maxPoints) }
        minDelay = points.map(\.delay).min() ?? .infinity
        let meanExcess = points.reduce(0.0) { $0 + ($1.delay - minDelay) } / Double(points.count)
        minDelayBias = meanExcess / Double(points.count)
        refit()
    }

    /// The clock was moved by `phase` seconds and its frequency by `frequency` (fraction) at
    /// `now`: every sample taken earlier is re-expressed against the corrected clock.
    public mutating func applyCorrection(phase: Double, frequency: Double, at now: UnixTime) {
        guard !points.isEmpty else { return }
        for i in points.indices {
            points[i].offset -= phase + frequency * (points[i].time - now)
        }
        if var e = estimate {
            e.offset -= phase + frequency * (e.time - now)
            e.frequency -= frequency
            estimate = e
        }
    }

    private mutating func refit() {
        guard !points.isEmpty else { estimate = nil; trustedFrequencyError = .infinity; return }
        var start = 0
        while true {
            let fit = Self.fit(points[start...], minDelay: minDelay, bias: minDelayBias, floor: noiseFloor)
            // Runs test on the residual signs: too few runs means a systematic trend the line
            // does not follow (the frequency moved); drop the older half and try again.
            let n = points.count - start
            if n >= 8, Self.tooFewRuns(fit.residualSigns) {
                start += n / 2
                continue
            }
            estimate = fit.estimate
            trustedFrequencyError = Self.trustedFrequencyError(fit.estimate, window: points[start...], minDelay: minDelay)
            if start > 0 { points.removeFirst(start) }
            return
        }
    }

    private struct Fit {
        var estimate: Estimate
        var residualSigns: [Bool]
    }

    private static func fit(_ window: ArraySlice<Point>, minDelay: Double, bias: Double, floor: Double) -> Fit {
        let ref = window.last!.time
        var s = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        var weights: [Double] = []
        weights.reserveCapacity(window.count)
        for p in window {
            let age = ref - p.time
            let drift = wander * age * (age / 3).squareRoot()
            let w = 1 / (variance(delay: p.delay, minDelay: minDelay, bias: bias, floor: floor) + drift * drift)
            weights.append(w)
            let x = p.time - ref
            s += w; sx += w * x; sy += w * p.offset; sxx += w * x * x; sxy += w * x * p.offset
        }
        let n = window.count
        let det = s * sxx - sx * sx
        var a = sy / s, b = 0.0
        var varA = 1 / s, varB = Double.infinity
        if n >= 2, det > 0, det.isFinite {
            b = (s * sxy - sx * sy) / det
            a = (sy - b * sx) / s
            varA = sxx / det
            varB = s / det
        }
        // Scale the variances by the reduced chi-square when the scatter exceeds the model.
        var chi2 = 0.0
        var signs: [Bool] = []
        signs.reserveCapacity(n)
        for (i, p) in window.enumerated() {
            let r = p.offset - (a + b * (p.time - ref))
            chi2 += weights[i] * r * r
            signs.append(r >= 0)
        }
        let dof = Double(max(1, n - 2))
        let scale = n > 2 ? max(1, chi2 / dof) : 1
        let sigma = (chi2 / dof / (s / Double(n))).squareRoot()
        let e = Estimate(
            offset: a, frequency: b,
            offsetError: (varA * scale).squareRoot(), frequencyError: (varB * scale).squareRoot(),
            time: ref, samples: n, residualSigma: sigma.isFinite ? sigma : 0)
        return Fit(estimate: e, residualSigns: signs)
    }

    /// Wald–Wolfowitz runs test at about the 1 % level.
    static func tooFewRuns(_ signs: [Bool]) -> Bool {
        let n1 = Double(signs.filter { $0 }.count)
        let n2 = Double(signs.count) - n1
        guard n1 > 0, n2 > 0 else { return signs.count >= 8 }
        var runs = 1.0
        for i in 1..<signs.count where signs[i] != signs[i - 1] { runs += 1 }
        let n = n1 + n2
        let mean = 1 + 2 * n1 * n2 / n
        let variance = 2 * n1 * n2 * (2 * n1 * n2 - n) / (n * n * (n - 1))
        guard variance > 0 else { return false }
        return (mean - runs) / variance.squareRoot() > 2.33
    }
}
