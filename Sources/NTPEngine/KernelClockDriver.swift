public import NTPWire

/// "The kernel" as the clock driver sees it: an adjtimex-like call and reads of the realtime and
/// monotonic clocks. Implemented by the real Linux kernel (NTPPlatform's `LinuxKernel`) and by
/// ``ModelKernel`` (a ``KernelClockModel`` over a raw clock) for the `observe` and `simulated`
/// clocks, so the same ``KernelClockDriver`` runs over both.
public protocol KernelClock: AnyObject {
    /// CLOCK_REALTIME.
    func realtime() -> UnixTime
    /// CLOCK_MONOTONIC: rate-adjusted like realtime, never stepped.
    func monotonic() -> UnixTime
    /// Maps a raw reading of the underlying clock (a kernel receive timestamp) onto realtime.
    func served(fromRaw raw: UnixTime) -> UnixTime
    /// adjtimex(2)/clock_adjtime(2): applies what `tx.modes` asks and fills `tx` with the state.
    @discardableResult
    func adjtimex(_ tx: inout KernelTimex) throws(ClockError) -> Int32
    /// Whether maxerror, esterror and the status bits are kept by a real kernel (and reported).
    var keepsStatus: Bool { get }
    /// The precision of reading the clock, log2 seconds.
    var precision: PollExponent { get }
    /// Arms a leap second in the kernel (STA_INS/STA_DEL); false when the kernel has none.
    func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool
    /// How much faster realtime runs now than the clock the process's timers wait on (poll's
    /// timeout), as a fraction: 0 for the real kernel (its monotonic clock is adjusted with it),
    /// the model's rate for a model over the unadjusted OS clock.
    func timerRate() -> Double
}

extension KernelClock {
    public var keepsStatus: Bool { false }
    public func timerRate() -> Double { 0 }
    public func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool { false }
}

/// A ``KernelClockModel`` in front of a raw clock (the OS clock read unchanged for `observe`, a
/// simulated oscillator for `simulated`): a kernel that only this process sees.
public final class ModelKernel: KernelClock {
    public private(set) var model: KernelClockModel
    public let precision: PollExponent
    private let readRaw: () -> UnixTime

    public init(precision: PollExponent, readRaw: @escaping () -> UnixTime) {
        self.readRaw = readRaw
        self.precision = precision
        model = KernelClockModel(start: readRaw())
    }

    /// The underlying (uncorrected) reading.
    public func rawNow() -> UnixTime { readRaw() }
    public func realtime() -> UnixTime { model.time(at: readRaw()) }
    public func monotonic() -> UnixTime { model.monotonic(at: readRaw()) }
    public func served(fromRaw raw: UnixTime) -> UnixTime { model.time(at: raw) }
    public func timerRate() -> Double { model.rate(at: readRaw()) }
    @discardableResult
    public func adjtimex(_ tx: inout KernelTimex) throws(ClockError) -> Int32 {
        try model.adjtimex(&tx, at: readRaw())
    }
}

/// The one clock driver (chrony's sys_generic over sys_linux, our own code): every clock kind is
/// this driver over its kernel, so `observe` and `simulated` can do exactly what `system` can.
///
/// - **Frequency** up to ±``hardMaxFrequency`` (100,000 ppm; `maxFrequency` may be set lower):
///   the total frequency is split into a tick length (1 µs of tick = 100 ppm, within ±10 %) and
///   a frequency word for the rest (±50 ppm, well inside the kernel's ±500 ppm).
/// - **Slews** are the driver's own: a temporary extra frequency on top of the base frequency,
///   kept while the offset register (what remains) is not applied. A slew of `x` seconds runs at
///   `x / max(|x| / maxSlewRate, minSlewDuration)`: at the maximum slew rate (chrony's
///   `maxslewrate`, 83,333 ppm by default) for large offsets, and over at least
///   ``minSlewDuration`` (1 s, chrony's shortest slew) for small ones, so that the kernel's
///   frequency granularity (a change takes effect at the next tick) and the latency of the
///   event loop that ends the slew are small against the slew itself. The driver ends the slew
///   when ``nextService()`` comes (the engine's timer calls ``service()``): it accounts what was
///   really applied from the monotonic clock, and a remainder (the loop was late) is slewed again.
/// - **Steps** are `ADJ_SETOFFSET`; a slew in progress continues across a step (the engine
///   counts what remains of it as done, and cancels it explicitly with `slew(by: 0)` where it
///   steps the whole offset, as `step now` does).
/// - `status().frequency` is the base frequency, without the slew's temporary part;
///   `remainingSlew` is the offset register now.
public final class KernelClockDriver: ClockDriver {
    public let kind: ClockKind
    public let kernel: any KernelClock

    /// The tick can move ±10 %: the largest frequency the kernel can be given, ppm.
    public static let hardMaxFrequency = PPM(100_000)
    /// chrony's default `maxslewrate`, 83,333 ppm (1/12 s/s), and the most it accepts.
    public static let defaultMaxSlewRate = PPM(fraction: maxSlewFraction)
    /// ``defaultMaxSlewRate`` as s/s.
    static let maxSlewFraction = 1.0 / 12
    /// The shortest slew, seconds (see the type's note).
    public static let minSlewDuration = 1.0
    /// A remainder smaller than this, seconds, is not slewed (chrony's MIN_OFFSET_CORRECTION).
    public static let minOffsetCorrection = 1e-9
    /// While the base frequency leaves no room to slew, the driver looks again this much later.
    static let retryInterval = 16.0

    /// The largest frequency correction accepted, ppm (clamped to it).
    private var frequencyLimit: Double
    /// The fastest a slew moves the clock, s/s.
    private var slewRateLimit: Double
    public var maxFrequency: PPM { PPM(frequencyLimit) }
    public var maxSlewRate: PPM { PPM(fraction: slewRateLimit) }

    /// The frequency correction the engine asked for (clamped), ppm.
    public private(set) var baseFrequency = 0.0
    /// What remains of the slew at ``lastAccrual``, seconds.
    public private(set) var offsetRegister = 0.0
    /// The total frequency the kernel runs at now (tick and word as written), ppm.
    public private(set) var kernelFrequency = 0.0
    /// Monotonic time the register was last brought up to date.
    private var lastAccrual: UnixTime
    /// Monotonic time the slew in progress is due to end (nil: no slew).
    public private(set) var slewEnd: UnixTime?
    /// Monotonic time before which the slew asked for should not end (``slew(by:over:)``);
    /// nil: as fast as ``slewDuration(_:maxSlewRate:)`` allows.
    private var spreadUntil: UnixTime?

    /// - Parameters:
    ///   - maxFrequency: ≤ ``hardMaxFrequency``.
    ///   - maxSlewRate: in (0, ``defaultMaxSlewRate``].
    /// The base frequency starts as what the kernel has (a previous daemon's setting).
    public init(
        kind: ClockKind, kernel: any KernelClock, maxFrequency: PPM = KernelClockDriver.hardMaxFrequency,
        maxSlewRate: PPM = KernelClockDriver.defaultMaxSlewRate
    ) {
        self.kind = kind
        self.kernel = kernel
        frequencyLimit = Self.clampedMaxFrequency(maxFrequency.value)
        slewRateLimit = Self.clampedSlewRate(maxSlewRate.fraction)
        lastAccrual = kernel.monotonic()
        var tx = KernelTimex()
        if (try? kernel.adjtimex(&tx)) != nil {
            kernelFrequency = KernelTimex.frequencyPPM(tick: tx.tick, freq: tx.freq)
            baseFrequency = min(max(kernelFrequency, -frequencyLimit), frequencyLimit)
        }
    }

    static func clampedMaxFrequency(_ ppm: Double) -> Double {
        ppm.isFinite ? min(max(ppm, 0), hardMaxFrequency.value) : hardMaxFrequency.value
    }

    static func clampedSlewRate(_ rate: Double) -> Double {
        rate.isFinite ? min(max(rate, 1e-6), maxSlewFraction) : maxSlewFraction
    }

    // MARK: The split

    /// The tick and frequency word that give `ppm` (within ±``hardMaxFrequency``): whole
    /// 100 ppm steps in the tick, the remainder (|r| ≤ 50 ppm) in the word.
    public static func split(ppm: Double) -> (tick: Int, freq: Int) {
        let total = min(max(ppm, -hardMaxFrequency.value), hardMaxFrequency.value)
        let perTick = 1e6 / Double(KernelTimex.nominalTick)
        let ticks = Int((total / perTick).rounded())
        let rest = total - Double(ticks) * perTick
        return (KernelTimex.nominalTick + ticks, Int((rest * 65536).rounded()))
    }

    /// Writes `ppm` to the kernel as tick + word; returns what the kernel runs at.
    @discardableResult
    private func writeFrequency(_ ppm: Double) throws(ClockError) -> Double {
        let (tick, freq) = Self.split(ppm: ppm)
        var tx = KernelTimex(modes: [.tick, .frequency])
        tx.tick = tick
        tx.freq = freq
        try kernel.adjtimex(&tx)
        kernelFrequency = KernelTimex.frequencyPPM(tick: tx.tick, freq: tx.freq)
        return kernelFrequency
    }

    // MARK: Slewing

    /// Brings the register up to `now` (monotonic): the slew applied since the last accrual is
    /// the kernel's rate beyond the base frequency, over the raw seconds elapsed.
    private func accrue(now: UnixTime) {
        let elapsed = now - lastAccrual
        lastAccrual = now
        guard elapsed > 0, slewEnd != nil else { return }
        let rawElapsed = elapsed / (1 + kernelFrequency * 1e-6)
        offsetRegister -= (kernelFrequency - baseFrequency) * 1e-6 * rawElapsed
    }

    /// Re-plans from the register: the slew frequency and the time it ends (or none).
    private func updateSlew(now: UnixTime) throws(ClockError) {
        if offsetRegister.magnitude < Self.minOffsetCorrection {
            offsetRegister = 0
            slewEnd = nil
            try writeFrequency(baseFrequency)
            return
        }
        let duration = max(Self.slewDuration(offsetRegister, slewRate: slewRateLimit),
                           spreadUntil.map { $0 - now } ?? 0)
        let wanted = baseFrequency + offsetRegister / duration * 1e6
        let actual = try writeFrequency(wanted)
        let slewRate = (actual - baseFrequency) * 1e-6
        if offsetRegister * slewRate <= 0 {
            // The base is at the kernel's limit: no room to slew towards the offset now.
            slewEnd = now.adding(seconds: Self.retryInterval)
        } else {
            slewEnd = now.adding(seconds: offsetRegister / slewRate * (1 + actual * 1e-6))
        }
    }

    public func now() -> UnixTime { kernel.realtime() }

    public func served(fromRaw raw: UnixTime) -> UnixTime { kernel.served(fromRaw: raw) }

    public func step(by offset: Seconds) throws(ClockError) {
        let offset = offset.value
        guard offset.isFinite, offset.magnitude < 1e9 else {
            throw .outOfRange("step: \(offset) s is out of range")
        }
        var tx = KernelTimex(modes: [.setOffset, .nano])
        tx.setOffset = Int64((offset * 1e9).rounded())
        try kernel.adjtimex(&tx)
    }

    @discardableResult
    public func slew(by offset: Seconds) throws(ClockError) -> Seconds {
        try slew(by: offset, over: .zero)
    }

    @discardableResult
    public func slew(by offset: Seconds, over duration: Seconds) throws(ClockError) -> Seconds {
        Seconds(try slew(offset.value, over: duration.value))
    }

    private func slew(_ offset: Double, over duration: Double) throws(ClockError) -> Double {
        guard offset.isFinite, offset.magnitude < 1e6 else {
            throw .outOfRange("slew: \(offset) s is out of range")
        }
        guard duration.isFinite, duration >= 0 else {
            throw .outOfRange("slew: a duration of \(duration) s is out of range")
        }
        let now = kernel.monotonic()
        accrue(now: now)
        let previous = (offsetRegister, slewEnd, spreadUntil)
        offsetRegister = offset
        spreadUntil = duration > 0 ? now.adding(seconds: duration) : nil
        if slewEnd == nil { slewEnd = now }  // the register is live from here on
        do {
            try updateSlew(now: now)
        } catch {
            (offsetRegister, slewEnd, spreadUntil) = previous
            throw error
        }
        guard slewEnd != nil else { return 0 }
        // What the kernel was really given (slower near the frequency limit).
        let rate = slewRate
        return rate * offset > 0 ? (offset / rate).magnitude : Self.slewDuration(offset, slewRate: slewRateLimit)
    }

    /// How long a slew of `offset` takes with room to run at `maxSlewRate`: at that rate, and
    /// never under ``minSlewDuration``.
    public static func slewDuration(_ offset: Seconds, maxSlewRate: PPM) -> Seconds {
        Seconds(slewDuration(offset.value, slewRate: maxSlewRate.fraction))
    }

    /// ``slewDuration(_:maxSlewRate:)`` in seconds, at `slewRate` s/s.
    static func slewDuration(_ offset: Double, slewRate: Double) -> Double {
        max(offset.magnitude / slewRate, minSlewDuration)
    }

    public func setFrequency(_ frequency: PPM) throws(ClockError) {
        let ppm = frequency.value
        guard ppm.isFinite else { throw .outOfRange("frequency: \(ppm) ppm is not finite") }
        let now = kernel.monotonic()
        accrue(now: now)
        let previous = baseFrequency
        baseFrequency = min(max(ppm, -frequencyLimit), frequencyLimit)
        do {
            if slewEnd == nil {
                try writeFrequency(baseFrequency)
            } else {
                try updateSlew(now: now)
            }
        } catch {
            baseFrequency = previous  // the kernel refused: nothing changed
            throw error
        }
    }

    /// Lowers (or restores) the largest frequency correction (≤ ``hardMaxFrequency``).
    public func setMaxFrequency(_ limit: PPM) {
        frequencyLimit = Self.clampedMaxFrequency(limit.value)
        if baseFrequency.magnitude > frequencyLimit { try? setFrequency(PPM(baseFrequency)) }
    }

    /// Sets the fastest slew (at most 83,333 ppm); a slew in progress goes on at the new rate.
    public func setMaxSlewRate(_ rate: PPM) {
        slewRateLimit = Self.clampedSlewRate(rate.fraction)
        guard slewEnd != nil else { return }
        let now = kernel.monotonic()
        accrue(now: now)
        try? updateSlew(now: now)
    }

    /// Whether a slew is moving the clock.
    public var isSlewing: Bool { slewEnd != nil }

    /// The slew's share of the kernel's rate now, s/s (0 when not slewing).
    public var slewRate: Double { slewEnd == nil ? 0 : (kernelFrequency - baseFrequency) * 1e-6 }

    /// The remaining slew now.
    public func remainingSlew() -> Seconds { Seconds(remainingSlewSeconds()) }

    private func remainingSlewSeconds() -> Double {
        guard slewEnd != nil else { return 0 }
        let elapsed = max(0, kernel.monotonic() - lastAccrual)
        return offsetRegister - slewRate * elapsed / (1 + kernelFrequency * 1e-6)
    }

    /// When the slew in progress ends, on the served (realtime) scale.
    public func nextService() -> UnixTime? {
        guard let end = slewEnd else { return nil }
        return kernel.realtime().adding(seconds: end - kernel.monotonic())
    }

    /// Ends (or re-plans) the slew when it is due; early calls do nothing.
    public func service() {
        guard let end = slewEnd else { return }
        let now = kernel.monotonic()
        guard now.adding(seconds: Self.serviceTolerance) >= end else { return }
        accrue(now: now)
        try? updateSlew(now: now)
    }

    /// Before the process stops servicing the clock: a slew's temporary frequency must not stay
    /// in the kernel (the clock would run up to 83,333 ppm fast for ever). The base frequency
    /// is written back and what remains of the slew is handed to the kernel's own singleshot
    /// slew (`ADJ_OFFSET_SINGLESHOT`, 500 ppm), which ends by itself.
    public func finish() {
        guard slewEnd != nil else { return }
        let now = kernel.monotonic()
        accrue(now: now)
        let remaining = offsetRegister
        offsetRegister = 0
        slewEnd = nil
        _ = try? writeFrequency(baseFrequency)
        guard remaining.magnitude >= 1e-6, remaining.magnitude < 1000 else { return }
        var tx = KernelTimex(modes: .offsetSingleshot)
        tx.offset = Int((remaining * 1e6).rounded())
        _ = try? kernel.adjtimex(&tx)
    }

    public func timerRate() -> PPM { PPM(fraction: kernel.timerRate()) }

    /// A service this close before the end counts as on time (the scales round to 1 ns).
    static let serviceTolerance = 2e-9

    public func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool {
        try kernel.armLeap(leap)
    }

    public func status() -> ClockStatus {
        let remaining = remainingSlew()
        guard kernel.keepsStatus else {
            return ClockStatus(kind: kind, frequency: PPM(baseFrequency), remainingSlew: remaining,
                               precision: kernel.precision)
        }
        var tx = KernelTimex()
        guard (try? kernel.adjtimex(&tx)) != nil else {
            return ClockStatus(kind: kind, frequency: PPM(baseFrequency), remainingSlew: remaining,
                               precision: kernel.precision)
        }
        return ClockStatus(
            kind: kind, frequency: PPM(baseFrequency), remainingSlew: remaining,
            maximumError: Seconds(Double(tx.maxerror) * 1e-6), estimatedError: Seconds(Double(tx.esterror) * 1e-6),
            kernelSynchronized: tx.status & KernelTimex.unsynchronized == 0,
            kernelStatus: tx.status, precision: kernel.precision)
    }
}

/// A clock kind that is ``KernelClockDriver`` over its own kernel, with what is particular to
/// it (the simulated oscillator, the raw OS clock) beside: every clock operation is the driver's.
public protocol KernelDrivenClock: ClockDriver {
    var driver: KernelClockDriver { get }
}

extension KernelDrivenClock {
    public var kind: ClockKind { driver.kind }
    public var maxFrequency: PPM { driver.maxFrequency }
    public var maxSlewRate: PPM { driver.maxSlewRate }
    public func now() -> UnixTime { driver.now() }
    public func served(fromRaw raw: UnixTime) -> UnixTime { driver.served(fromRaw: raw) }
    public func step(by offset: Seconds) throws(ClockError) { try driver.step(by: offset) }
    @discardableResult
    public func slew(by offset: Seconds) throws(ClockError) -> Seconds { try driver.slew(by: offset) }
    @discardableResult
    public func slew(by offset: Seconds, over duration: Seconds) throws(ClockError) -> Seconds {
        try driver.slew(by: offset, over: duration)
    }
    public func setFrequency(_ frequency: PPM) throws(ClockError) { try driver.setFrequency(frequency) }
    public func setMaxSlewRate(_ rate: PPM) { driver.setMaxSlewRate(rate) }
    public func status() -> ClockStatus { driver.status() }
    public func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool { try driver.armLeap(leap) }
    public func nextService() -> UnixTime? { driver.nextService() }
    public func service() { driver.service() }
    public func finish() { driver.finish() }
    public func timerRate() -> PPM { driver.timerRate() }
}
