public import NTPEngine
public import NTPWire

/// `--clock simulated`: a virtual oscillator in virtual true time, disciplined by the same
/// ``KernelClockDriver`` as `--clock system`, over a ``KernelClockModel`` on the oscillator
/// (clknetsim's idea): tick, frequency word and slews behave as on a Linux machine, and the
/// driver's slews end when the engine's timer services it.
///
/// The oscillator's reading is `raw = true + phase`, where the phase error grows at the
/// oscillator's frequency error (ppm). The frequency itself random-walks: at each whole
/// simulated second since the start, `frequency += wander · N(0,1)` (wander as a fraction, so
/// ACCURACY.md's default world is `1e-9`, i.e. 0.001 ppm per √s). The trajectory depends only on
/// the seed and the times advanced to, not on how the advance is split.
///
/// ``now()`` is the model kernel's time for the raw reading. ``trueOffset`` is **local − true**,
/// the opposite sign of the engine's offsets (reference − local): a clock 0.1 s ahead has
/// trueOffset +0.1 and the engine measures −0.1.
public final class SimulatedClock: KernelDrivenClock {

    /// The true time the oscillator has been advanced to.
    public private(set) var trueTime: UnixTime
    /// The oscillator's phase error, raw − true, seconds.
    public private(set) var oscillatorOffset: Double
    /// The oscillator's frequency error, ppm (positive: runs fast).
    public private(set) var oscillatorFrequency: Double
    /// Frequency random walk per √second, as a fraction.
    public let wanderPerSqrtSecond: Double
    /// The model kernel on the oscillator, and the driver the engine adjusts through it.
    public private(set) lazy var kernel = ModelKernel(precision: precision) { [unowned self] in self.rawNow }
    public private(set) lazy var driver = KernelClockDriver(
        kind: .simulated, kernel: kernel, maxFrequency: initialLimits.frequency, maxSlewRate: initialLimits.slewRate)
    private let initialLimits: (frequency: PPM, slewRate: PPM)
    /// Reported precision (log2 s).
    public let precision: PollExponent

    private var random: SimulationRandom
    private let start: UnixTime
    /// Whole seconds since `start` at which the frequency last changed.
    private var wanderSecond: Int64 = 0

    /// - Parameters:
    ///   - trueTime: the true time at the start.
    ///   - initialOffset: the oscillator's error at the start, local − true, seconds.
    ///   - frequencyError: the oscillator's frequency error, ppm (positive: runs fast).
    ///   - wanderPerSqrtSecond: each simulated second the frequency moves by this times N(0,1),
    ///     as a fraction (1e-9 = 0.001 ppm).
    ///   - seed: the random walk's seed.
    ///   - maxFrequency, maxSlewRate: the driver's limits (at most what it has on a real machine).
    public init(
        trueTime: UnixTime, initialOffset: Double, frequencyError: Double,
        wanderPerSqrtSecond: Double = 0, seed: UInt64 = 0,
        maxFrequency: PPM = KernelClockDriver.hardMaxFrequency,
        maxSlewRate: PPM = KernelClockDriver.defaultMaxSlewRate,
        precision: PollExponent = PollExponent(-20)
    ) {
        self.trueTime = trueTime
        start = trueTime
        oscillatorOffset = initialOffset
        oscillatorFrequency = frequencyError
        self.wanderPerSqrtSecond = wanderPerSqrtSecond
        random = SimulationRandom(seed: seed)
        self.precision = precision
        initialLimits = (maxFrequency, maxSlewRate)
        _ = driver  // the model starts at the oscillator's reading now
    }

    /// Moves true time forward to `time` (never back), integrating the frequency error and
    /// its random walk.
    public func advance(to time: UnixTime) {
        precondition(time >= trueTime, "SimulatedClock: true time cannot go back")
        if wanderPerSqrtSecond == 0 {
            oscillatorOffset += oscillatorFrequency * 1e-6 * (time - trueTime)
            trueTime = time
            return
        }
        // The frequency changes at whole seconds after `start`; integrate piecewise.
        while true {
            let nextChange = start.adding(seconds: Double(wanderSecond + 1))
            if nextChange > time { break }
            oscillatorOffset += oscillatorFrequency * 1e-6 * (nextChange - trueTime)
            trueTime = nextChange
            wanderSecond += 1
            oscillatorFrequency += wanderPerSqrtSecond * 1e6 * random.nextGaussian()
        }
        oscillatorOffset += oscillatorFrequency * 1e-6 * (time - trueTime)
        trueTime = time
    }

    /// Moves the oscillator by `seconds` behind the engine's back (a lab's "the clock jumps").
    public func disturb(by seconds: Double) {
        oscillatorOffset += seconds
    }

    /// Advances true time by `seconds`.
    public func advance(by seconds: Double) {
        advance(to: trueTime.adding(seconds: seconds))
    }

    /// The oscillator's reading now, before correction.
    public var rawNow: UnixTime { trueTime.adding(seconds: oscillatorOffset) }

    /// Local − true, seconds (served time's error; see the type's note on sign).
    public var trueOffset: Double { oscillatorOffset + kernel.model.correction(at: rawNow) }

    /// The served clock's frequency error, ppm: the oscillator's combined with the driver's base
    /// frequency (a slew in progress not included). ACCURACY.md states its limits as fractions:
    /// 5e-4 there is 500 ppm here.
    public var trueFrequencyError: Double {
        // raw runs at (1 + f_osc); corrected adds f_corr per raw second.
        let osc = oscillatorFrequency * 1e-6
        return ((1 + osc) * (1 + driver.baseFrequency * 1e-6) - 1) * 1e6
    }

    /// The served clock's rate now relative to true time, beyond 1 (s/s): the oscillator's and
    /// the kernel's (tick, frequency word, the slew in progress).
    public var rate: Double {
        (1 + oscillatorFrequency * 1e-6) * (1 + kernel.model.rate(at: rawNow)) - 1
    }
}
