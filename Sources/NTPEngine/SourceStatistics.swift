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
/// Asymmetric jitter (chrony's `asymmetry` estimation, our own model): when one direction's
/// queues are busier than the other's, a sample's error is not centred on zero but follows its
/// excess delay, error ≈ c·excess with c ∈ [−½, ½] (½: all the excess went one way). The fit
/// then has a third term, offset = a + b·t + c·excess; c is used once it is significant (3σ)
/// over enough samples, and the offsets are corrected by it. With c known, the error left in a
/// sample lies in an interval of the same width around c·excess, and its variance is at most
/// (¼ − c²)·excess² (the largest variance of a distribution on ±excess/2 with that mean); a
/// third of it is used, which is the uniform split's excess²/12 at c = 0.
///
/// The oscillator's wander (a random walk of its frequency, σ growing as w·√t) is estimated
/// from the innovations, the differences between each new sample and the model's prediction
/// of it (``observeInnovation(residual:delay:at:)``): the part of their variance that the
/// measurement noise and the fit's error do not explain grows as w²·τ³/3 over an interval τ.
/// w weights old samples down (a sample of age τ is off by the walk's w·τ^1.5/√3) and the
/// discipline uses it for its frequency uncertainty and its poll policy.
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
    /// Frequency wander assumed for an oscillator before anything is measured (a good crystal
    /// at a steady temperature), as a random walk: the frequency's standard deviation grows by
    /// this much per √second.
    public static let priorWander = 1e-9
    /// The wander estimate never goes below this (an oven-controlled oscillator's order; also
    /// keeps samples days old from counting as if taken now).
    public static let minimumWander = 1e-12

    /// The estimated wander of the clock against this source (the local oscillator's and the
    /// source's together), per √second. Old samples lose weight by the phase error the walk
    /// accumulates over their age (≈ wander·age^1.5/√3), so a few excellent but old samples
    /// cannot pin the line while the frequency moves on.
    public var wander: Double { max(Self.minimumWander, wanderSquared.squareRoot()) }
    /// The wander's running weighted least-squares estimate: w² = Σ(z·k/V) / Σ(k²/V) over the
    /// innovations, z = r² − (noise + prediction variance), k = τ³/3, V = 2(noise + w²k)²
    /// (the variance of a squared normal), each sum forgetting by ``wanderMemory``; it starts
    /// from ``priorWander`` worth one innovation at the default poll.
    private var wanderSums = InnovationSums()
    private var priorSums = InnovationSums()
    /// The wander the fit's weights use (see ``observeInnovation(residual:delay:at:)``).
    public private(set) var weightWander = Self.priorWander
    /// The innovations' variance beyond the model that does not grow with the interval, as a
    /// fraction of the modelled noise (noise the delay model misses, not wander).
    private var excessNoise = 0.0

    /// The weighted sums of the innovation regression z = α·n + w²·k (n: the modelled noise
    /// variance, k = τ³/3, z: the squared innovation less n), forgetting at each innovation.
    struct InnovationSums: Sendable, Equatable {
        var nn = 0.0, nk = 0.0, kk = 0.0, nz = 0.0, kz = 0.0

        func adding(_ o: InnovationSums) -> InnovationSums {
            InnovationSums(nn: nn + o.nn, nk: nk + o.nk, kk: kk + o.kk, nz: nz + o.nz, kz: kz + o.kz)
        }

        mutating func scale(by f: Double) {
            nn *= f; nk *= f; kk *= f; nz *= f; kz *= f
        }

        /// α (at least 0), w² and w²'s variance: a variance that is there at every interval
        /// is noise the model misses; only what grows as τ³ is wander.
        func solve() -> (excessNoise: Double, wanderSquared: Double, variance: Double) {
            let det = nn * kk - nk * nk
            if det > 0, det.isFinite {
                let alpha = (kk * nz - nk * kz) / det
                if alpha >= 0 { return (alpha, (nn * kz - nk * nz) / det, nn / det) }
            }
            return kk > 0 ? (0, kz / kk, 1 / kk) : (0, 0, .infinity)
        }
    }
    private var wanderSquared = Self.priorWander * Self.priorWander
    /// Innovations the wander estimate remembers (an exponential window).
    static let wanderMemory = 16.0
    /// Samples a fit needs before its predictions are used to estimate the wander, and before
    /// an asymmetry is looked for.
    static let wanderMinimumSamples = 4
    static let asymmetryMinimumSamples = 8
    /// How much more the samples scatter about the last fit than their modelled errors say
    /// (its reduced chi-square, at least 1).
    private var noiseScale = 1.0
    /// The asymmetry applied to the samples (c above; 0 until significant).
    public private(set) var asymmetry: Double = 0

    /// Oldest first.
    public private(set) var points: [Point] = []
    public private(set) var estimate: Estimate?
    /// The least delay seen over the kept samples.
    public private(set) var minDelay: Double = .infinity
    /// How far above the path's true minimum ``minDelay`` probably is: the mean excess delay
    /// over the number of samples (the expected minimum of n draws of a one-sided spread).
    public private(set) var minDelayBias: Double = 0
    /// The bias as the wander estimate takes it: where both directions queue, the delay's
    /// density rises from the floor linearly (the sum of two one-sided spreads), and the least
    /// of n delays sits about θ·√(π/(2n)) above it (θ: each direction's mean excess), not θ/n.
    /// The larger of the two, so the least-delayed samples' innovations are not read as wander.
    private var innovationBias: Double = 0
    /// Floor of a sample's standard error (clock precision and timestamping noise), seconds.
    public var noiseFloor: Double

    public init(noiseFloor: Double = 1e-6) { self.noiseFloor = noiseFloor }

    public mutating func reset() {
        points.removeAll()
        asymmetry = 0
        estimate = nil
        trustedFrequencyError = .infinity
        minDelay = .infinity
        minDelayBias = 0
        innovationBias = 0
    }

    /// The offset the model predicts at `time`, and its standard error.
    public func predict(at time: UnixTime) -> (offset: Double, error: Double)? {
        guard let e = estimate else { return nil }
        let dt = time - e.time
        let err = (e.offsetError * e.offsetError + dt * dt * e.frequencyError * e.frequencyError).squareRoot()
        return (e.offset + e.frequency * dt, err)
    }

    /// A sample's standard error from its delay (after the asymmetry correction).
    public func sampleError(delay: Double) -> Double {
        Self.variance(excess: excess(delay: delay), asymmetry: asymmetry, floor: noiseFloor).squareRoot()
    }

    /// A typical sample's standard error over the kept samples: the RMS of their modelled
    /// errors (not the fit's weighted scale, which the best samples dominate), widened by the
    /// noise the innovations show beyond the model, seconds.
    public var typicalSampleError: Double {
        guard !points.isEmpty else { return noiseFloor }
        let sum = points.reduce(0.0) { $0 + Self.variance(excess: excess(delay: $1.delay), asymmetry: asymmetry, floor: noiseFloor) }
        return (sum * (1 + excessNoise) / Double(points.count)).squareRoot()
    }

    /// A measured offset with the asymmetry's share of its excess delay taken out: what the
    /// model compares with its prediction.
    public func corrected(offset: Double, delay: Double) -> Double {
        offset - asymmetry * excess(delay: delay)
    }

    /// The delay above the estimated path minimum (``minDelay`` less its probable bias).
    func excess(delay: Double) -> Double {
        Self.excess(delay: delay, minDelay: minDelay, bias: minDelayBias)
    }

    static func excess(delay: Double, minDelay: Double, bias: Double) -> Double {
        max(0, delay - minDelay) + bias
    }

    /// A sample's offset variance: its error lies within ±excess/2 about asymmetry·excess, with
    /// a third of the largest variance such a distribution can have (excess²/12 when
    /// symmetric). The other direction's share is never assumed to vanish (|c| ≤ 0.45 here).
    static func variance(excess: Double, asymmetry: Double, floor: Double) -> Double {
        let c = min(abs(asymmetry), 0.45)
        return floor * floor + (0.25 - c * c) * excess * excess / 3
    }

    /// The model's prediction for a sample just measured (`residual`: its corrected offset
    /// minus the prediction made before it was added, at `time`) feeds the wander estimate.
    /// Predictions from fits of fewer than ``wanderMinimumSamples`` are ignored (their error
    /// is not known well enough); each squared innovation's share is capped at nine times what
    /// the present model expects, so one blunder moves the estimate by a bounded step.
    public mutating func observeInnovation(residual: Double, delay: Double, at time: UnixTime) {
        guard let e = estimate, e.samples >= Self.wanderMinimumSamples else { return }
        let tau = time - e.time
        guard tau > 0 else { return }
        let noise = Self.variance(excess: max(0, delay - minDelay) + innovationBias, asymmetry: asymmetry,
                                  floor: noiseFloor).squareRoot()
        // The prediction's error with the frequency's error as far as it can be trusted.
        let slope = trustedFrequencyError.isFinite ? max(trustedFrequencyError, e.frequencyError) : e.frequencyError
        let honest = predictionSums.aa + 2 * tau * predictionSums.ab + tau * tau * predictionSums.bb
        let predicted = max(e.offsetError * e.offsetError + tau * tau * slope * slope, honest)
        // Scatter the fit already saw beyond the delay model is noise, not wander.
        let known = noise * noise * noiseScale + predicted
        let k = tau * tau * tau / 3
        let expected = (1 + excessNoise) * known + wanderSquared * k
        let z = min(residual * residual, 9 * expected) - known
        let v = 2 * expected * expected
        let keep = 1 - 1 / Self.wanderMemory
        if priorSums.kk == 0 {
            // The priors, as one innovation of the default poll (64 s) at this path's noise
            // would weigh them: the prior wander, and no noise beyond the model. They are not
            // forgotten: where the innovations cannot see the wander (a noisy path), the prior
            // stands; where they can, they outweigh it.
            let k0 = 64.0 * 64 * 64 / 3
            let v0 = 2 * pow2(known + wanderSquared * k0)
            priorSums.kk = k0 * k0 / v0
            priorSums.kz = wanderSquared * k0 * k0 / v0
            priorSums.nn = known * known / v0
        }
        wanderSums.scale(by: keep)
        wanderSums.nn += known * known / v
        wanderSums.nk += known * k / v
        wanderSums.kk += k * k / v
        wanderSums.nz += known * z / v
        wanderSums.kz += k * z / v
        let solved = wanderSums.adding(priorSums).solve()
        excessNoise = solved.excessNoise
        wanderSquared = max(Self.minimumWander * Self.minimumWander, solved.wanderSquared)
        // The fit discounts old samples by the prior until the innovations show more (the
        // estimate one standard error down still above the prior): where they cannot resolve the wander (a
        // fixed short poll, a noisy path), a chance excess would weigh good samples down to
        // nothing. A wander they do show is taken at that lower bound, not at its estimate:
        // the estimate is noisy (its standard error is often as large as the part above the
        // prior), and weighing good samples down by a wander that is not there costs more
        // than keeping a few too many (under clknetsim, with the estimate: 001 4.8e-5 s, 007
        // 9.6e-5 s steady state; with the bound: 3.7e-5 and 9.2e-5).
        let lower = solved.wanderSquared - solved.variance.squareRoot()
        weightWander = lower > Self.priorWander * Self.priorWander ? lower.squareRoot() : min(wander, Self.priorWander)
    }

    private func pow2(_ x: Double) -> Double { x * x }

    public mutating func add(time: UnixTime, offset: Double, delay: Double) {
        points.append(Point(time: time, offset: offset, delay: max(0, delay)))
        if points.count > Self.maxPoints { points.removeFirst(points.count - Self.maxPoints) }
        minDelay = points.map(\.delay).min() ?? .infinity
        let meanExcess = points.reduce(0.0) { $0 + ($1.delay - minDelay) } / Double(points.count)
        minDelayBias = meanExcess / Double(points.count)
        innovationBias = max(minDelayBias, meanExcess / 2 * (Double.pi / (2 * Double(points.count))).squareRoot())
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

    /// The clock was stepped by `offset` seconds (after ``applyCorrection(phase:frequency:at:)``
    /// moved the offsets): the samples' local times move with it, so the fit's time axis stays
    /// the oscillator's and a step of 100 s does not read as 100 s more of drift.
    public mutating func rebase(by offset: Double) {
        for i in points.indices { points[i].time = points[i].time.adding(seconds: offset) }
        if var e = estimate {
            e.time = e.time.adding(seconds: offset)
            estimate = e
        }
    }

    private mutating func refit() {
        guard !points.isEmpty else { estimate = nil; trustedFrequencyError = .infinity; return }
        var start = 0
        while true {
            let window = points[start...]
            asymmetry = Self.significantAsymmetry(
                window, minDelay: minDelay, bias: minDelayBias, floor: noiseFloor, wander: wander, prior: asymmetry)
            let fit = Self.fit(window, minDelay: minDelay, bias: minDelayBias, floor: noiseFloor,
                               wander: weightWander, asymmetry: asymmetry, honestBias: innovationBias)
            // Runs test on the residual signs: too few runs means a systematic trend the line
            // does not follow (the frequency moved); drop the older half and try again.
            let n = points.count - start
            if n >= 8, Self.tooFewRuns(fit.residualSigns) {
                start += n / 2
                continue
            }
            estimate = fit.estimate
            noiseScale = fit.scale
            predictionSums = fit.prediction
            trustedFrequencyError = Self.trustedFrequencyError(fit.estimate, window: points[start...], minDelay: minDelay)
            if start > 0 { points.removeFirst(start) }
            return
        }
    }

    /// The prediction's variance under the innovations' noise model (see
    /// ``Fit/prediction``): Var(a + bτ) = (aa + 2τ·ab + τ²·bb).
    private var predictionSums = PredictionSums()
    struct PredictionSums: Sendable, Equatable {
        var aa = 0.0, ab = 0.0, bb = 0.0
    }

    private struct Fit {
        /// The fit's prediction a + bτ is Σ cᵢ(τ)·yᵢ; its variance when each sample's error is
        /// what the innovations' noise model says (not what the weights assumed): the sums
        /// Σcᵢ(0)², Σcᵢ(0)·∂cᵢ/∂τ and Σ(∂cᵢ/∂τ)² over those variances (a sandwich estimate).
        var prediction: PredictionSums
        var estimate: Estimate
        var residualSigns: [Bool]
        /// The reduced chi-square (at least 1): how much more the samples scatter than modelled.
        var scale: Double
    }

    /// A sample's weight in a fit referred to `ref`: its noise (``variance(excess:asymmetry:floor:)``)
    /// plus the walk's phase error over its age.
    private static func weight(_ p: Point, ref: UnixTime, excess: Double, floor: Double, wander: Double,
                               asymmetry: Double) -> Double {
        let age = ref - p.time
        let drift = wander * age * (age / 3).squareRoot()
        return 1 / (variance(excess: excess, asymmetry: asymmetry, floor: floor) + drift * drift)
    }

    /// The asymmetry over `window`, from the differences between consecutive samples:
    /// Δoffset = b·Δt + c·Δexcess, weighted by each pair's noise (both samples' variances under
    /// `prior`, the asymmetry believed so far, and the walk's w²Δt³/3 over the pair). Working on
    /// differences keeps the oscillator's wander out: over one interval it is a small, known
    /// noise, while over a window it is a curve a line cannot follow, and the few
    /// least-delayed samples that pin a fit of levels would read that curve as an asymmetry.
    /// c is clamped to ±½ and used when it is 3σ from zero (σ widened by the scatter). An
    /// asymmetry belongs to the path, not to the window: `prior` stays while the window is too
    /// short to say (under ``asymmetryMinimumSamples``) or while the fit does not contradict it
    /// (within 3σ); else 0.
    static func significantAsymmetry(_ window: ArraySlice<Point>, minDelay: Double, bias: Double, floor: Double,
                                     wander: Double, prior: Double) -> Double {
        guard window.count >= asymmetryMinimumSamples else { return prior }
        var rows: [(w: Double, dt: Double, de: Double, dy: Double)] = []
        rows.reserveCapacity(window.count - 1)
        var previous: (time: UnixTime, excess: Double, offset: Double, variance: Double)?
        for p in window {
            let e = excess(delay: p.delay, minDelay: minDelay, bias: bias)
            let v = variance(excess: e, asymmetry: prior, floor: floor)
            if let q = previous {
                let dt = p.time - q.time
                let walk = wander * dt * (dt / 3).squareRoot()
                rows.append((1 / (v + q.variance + walk * walk), dt, e - q.excess, p.offset - q.offset))
            }
            previous = (p.time, e, p.offset, v)
        }
        var stt = 0.0, ste = 0.0, see = 0.0, sty = 0.0, sey = 0.0
        for r in rows {
            stt += r.w * r.dt * r.dt; ste += r.w * r.dt * r.de; see += r.w * r.de * r.de
            sty += r.w * r.dt * r.dy; sey += r.w * r.de * r.dy
        }
        let det = stt * see - ste * ste
        guard det.isFinite, det > 0 else { return prior }
        let b = (see * sty - ste * sey) / det
        let c = (stt * sey - ste * sty) / det
        var chi2 = 0.0
        for r in rows {
            let d = r.dy - b * r.dt - c * r.de
            chi2 += r.w * d * d
        }
        let scale = max(1, chi2 / Double(rows.count - 2))
        let sigma = (stt / det * scale).squareRoot()
        guard sigma.isFinite else { return prior }
        if abs(c) > 3 * sigma { return min(0.5, max(-0.5, c)) }
        return abs(c - prior) <= 3 * sigma ? prior : 0
    }

    private static func fit(_ window: ArraySlice<Point>, minDelay: Double, bias: Double, floor: Double,
                            wander: Double, asymmetry: Double, honestBias: Double) -> Fit {
        let ref = window.last!.time
        var s = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        var weights: [Double] = []
        var offsets: [Double] = []
        weights.reserveCapacity(window.count)
        offsets.reserveCapacity(window.count)
        for p in window {
            let e = excess(delay: p.delay, minDelay: minDelay, bias: bias)
            let w = weight(p, ref: ref, excess: e, floor: floor, wander: wander, asymmetry: asymmetry)
            let y = p.offset - asymmetry * e
            weights.append(w)
            offsets.append(y)
            let x = p.time - ref
            s += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y
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
            let r = offsets[i] - (a + b * (p.time - ref))
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
        var aa = 0.0, ab = 0.0, bb = 0.0
        if n >= 2, det > 0, det.isFinite {
            for (i, p) in window.enumerated() {
                let x = p.time - ref
                let excess = max(0, p.delay - minDelay) + honestBias
                let age = -x
                let drift = wander * age * (age / 3).squareRoot()
                let v = variance(excess: excess, asymmetry: asymmetry, floor: floor) + drift * drift
                let ca = weights[i] * (sxx - sx * x) / det, cb = weights[i] * (s * x - sx) / det
                aa += ca * ca * v; ab += ca * cb * v; bb += cb * cb * v
            }
        } else {
            aa = varA
        }
        return Fit(prediction: PredictionSums(aa: aa, ab: ab, bb: bb), estimate: e, residualSigns: signs, scale: scale)
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
