public import NTPWire

/// The part of Linux's `struct timex` the clock driver uses, with the kernel's `ADJ_*` bit values
/// and units, so the same request goes to the real kernel (`ntp_adjtime`/`clock_adjtime`) and to
/// ``KernelClockModel``. Our own struct: NTPEngine does not import Glibc.
public struct KernelTimex: Sendable, Equatable {
    /// Which fields a call writes (`modes`); an empty set only reads.
    public struct Modes: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `ADJ_FREQUENCY`: set ``KernelTimex/freq``.
        public static let frequency = Modes(rawValue: 0x0002)
        /// `ADJ_STATUS`: set ``KernelTimex/status``.
        public static let status = Modes(rawValue: 0x0010)
        /// `ADJ_SETOFFSET`: add ``KernelTimex/setOffset`` to the clock at once (a step).
        public static let setOffset = Modes(rawValue: 0x0100)
        /// `ADJ_NANO`: the step is given in nanoseconds.
        public static let nano = Modes(rawValue: 0x2000)
        /// `ADJ_TICK`: set ``KernelTimex/tick``.
        public static let tick = Modes(rawValue: 0x4000)
        /// `ADJ_OFFSET_SINGLESHOT`: adjtime(3)'s slew of ``KernelTimex/offset`` µs at 500 ppm.
        public static let offsetSingleshot = Modes(rawValue: 0x8001)
    }

    public var modes: Modes = []
    /// Singleshot offset, µs (in: the slew to start; out: what remained of the previous one).
    public var offset = 0
    /// Frequency, ppm × 65536 (scaled ppm, the kernel's unit).
    public var freq = 0
    /// Maximum and estimated error, µs (out).
    public var maxerror = 0
    public var esterror = 0
    /// STA_* bits.
    public var status: Int32 = 0
    /// Microseconds the clock advances per tick (nominal 10000 at USER_HZ 100).
    public var tick = 0
    /// The step for `ADJ_SETOFFSET`, nanoseconds (sent as `time` with `ADJ_NANO`).
    public var setOffset: Int64 = 0

    public init(modes: Modes = []) { self.modes = modes }

    /// `STA_UNSYNC`: the kernel is told the clock is not synchronised.
    public static let unsynchronized: Int32 = 0x0040
    /// USER_HZ 100: 10000 µs per tick; one µs of tick is 100 ppm.
    public static let nominalTick = 10_000
    /// The tick lengths the kernel accepts: within ±10 % of nominal (else EINVAL).
    public static let tickRange = 9_000...11_000
    /// The frequency word's limit, ±500 ppm (the kernel clamps to it).
    public static let maxFrequencyPPM = 500.0
    /// The rate of an `ADJ_OFFSET_SINGLESHOT` slew, s/s (500 µs per second).
    public static let singleshotRate = 5e-4
    /// `EINVAL`, which the kernel returns for a tick out of range.
    public static let invalidArgument: Int32 = 22

    /// The total frequency, ppm, that a tick and a frequency word give: (tick − nominal)·100 +
    /// freq/65536.
    public static func frequencyPPM(tick: Int, freq: Int) -> Double {
        Double(tick - nominalTick) * 1e6 / Double(nominalTick) + Double(freq) / 65536
    }
}

/// Linux's kernel clock as a pure value type (the model clknetsim implements): it maps a raw
/// oscillator reading onto the kernel's clock and answers adjtimex-like calls with the kernel's
/// limits. The `observe` and `simulated` clocks keep one of these instead of a kernel, so the
/// driver in front of them can do exactly what it can do on a real machine, no more.
///
/// Semantics (clknetsim's `clock.cc`, the kernel's `ntp.c`):
/// - kernel rate per raw second = 1 + (tick − 10000)/10000 + freq/65536e6 + singleshot slew
///   (±500 ppm while a singleshot offset remains);
/// - `ADJ_TICK` outside 9000…11000 µs is refused with EINVAL, and nothing of the call is applied;
/// - `ADJ_FREQUENCY` is clamped to ±500 ppm;
/// - `ADJ_OFFSET_SINGLESHOT` replaces the remaining singleshot offset (returning the old
///   remainder), consumed at 500 µs per second;
/// - `ADJ_SETOFFSET` adds to the clock at once; the monotonic clock does not see it.
/// Every change integrates the clock up to the raw time it happens, so the mapping is exact
/// piecewise. Sign: a positive step or offset moves the clock forward.
public struct KernelClockModel: Sendable, Equatable {
    /// Microseconds per tick.
    public private(set) var tick = KernelTimex.nominalTick
    /// Frequency word, ppm × 65536.
    public private(set) var freq = 0
    /// What remains of the singleshot slew at ``base``, seconds.
    public private(set) var singleshotRemaining = 0.0
    /// STA_* bits as last set.
    public private(set) var status = KernelTimex.unsynchronized
    /// Raw time up to which the clock is integrated.
    public private(set) var base: UnixTime
    /// Kernel time − raw time at ``base``, seconds (steps included).
    public private(set) var correctionAtBase = 0.0
    /// The sum of all steps, seconds: the monotonic clock is the kernel clock without them.
    public private(set) var steps = 0.0

    /// A kernel clock at nominal tick, zero frequency, reading the raw time at `start`.
    public init(start: UnixTime) { base = start }

    /// The rate from tick and frequency word, as a fraction (s/s).
    public var tickAndFrequencyRate: Double { KernelTimex.frequencyPPM(tick: tick, freq: freq) * 1e-6 }

    /// The singleshot slew applied between ``base`` and `raw` (signed; linear before `base`).
    private func singleshotApplied(at raw: UnixTime) -> Double {
        guard singleshotRemaining != 0 else { return 0 }
        let dt = raw - base
        let moved = dt * KernelTimex.singleshotRate
        let sign = singleshotRemaining < 0 ? -1.0 : 1.0
        return dt <= 0 ? sign * moved : sign * min(singleshotRemaining.magnitude, moved)
    }

    /// Kernel time − raw time at `raw`, seconds.
    public func correction(at raw: UnixTime) -> Double {
        correctionAtBase + tickAndFrequencyRate * (raw - base) + singleshotApplied(at: raw)
    }

    /// CLOCK_REALTIME for the raw reading `raw`.
    public func time(at raw: UnixTime) -> UnixTime { raw.adding(seconds: correction(at: raw)) }

    /// CLOCK_MONOTONIC's scale for `raw`: the kernel clock without its steps (rate-adjusted).
    public func monotonic(at raw: UnixTime) -> UnixTime { raw.adding(seconds: correction(at: raw) - steps) }

    /// Whether a singleshot slew is still moving the clock at `raw`.
    public func isSingleshotSlewing(at raw: UnixTime) -> Bool {
        singleshotRemaining != 0 && singleshotApplied(at: raw) != singleshotRemaining
    }

    /// The kernel clock's rate relative to raw at `raw`, beyond 1 (s/s).
    public func rate(at raw: UnixTime) -> Double {
        tickAndFrequencyRate
            + (isSingleshotSlewing(at: raw) ? (singleshotRemaining < 0 ? -1 : 1) * KernelTimex.singleshotRate : 0)
    }

    /// Integrates the clock up to `raw` (never back).
    private mutating func advance(to raw: UnixTime) {
        guard raw > base else { return }
        let applied = singleshotApplied(at: raw)
        correctionAtBase = correction(at: raw)
        singleshotRemaining = applied == singleshotRemaining ? 0 : singleshotRemaining - applied
        base = raw
    }

    /// adjtimex(2) at raw time `raw`: validates, applies what `tx.modes` asks, then fills `tx`
    /// with the resulting state (offset: the singleshot remainder, µs). Returns TIME_OK (0).
    @discardableResult
    public mutating func adjtimex(_ tx: inout KernelTimex, at raw: UnixTime) throws(ClockError) -> Int32 {
        if tx.modes.contains(.tick), !KernelTimex.tickRange.contains(tx.tick) {
            throw .systemCall("adjtimex(ADJ_TICK)", errno: KernelTimex.invalidArgument, message: "Invalid argument")
        }
        advance(to: raw)
        var previousSingleshot = singleshotRemaining
        if tx.modes.contains(.setOffset) {
            let seconds = Double(tx.setOffset) * 1e-9
            correctionAtBase += seconds
            steps += seconds
        }
        if tx.modes.contains(.status) { status = tx.status }
        if tx.modes.contains(.frequency) {
            let limit = Int(KernelTimex.maxFrequencyPPM) << 16
            freq = Swift.min(Swift.max(tx.freq, -limit), limit)
        }
        if tx.modes.contains(.tick) { tick = tx.tick }
        if tx.modes.isSuperset(of: .offsetSingleshot) {
            singleshotRemaining = Double(tx.offset) * 1e-6
        } else {
            previousSingleshot = singleshotRemaining
        }
        tx.offset = Int((previousSingleshot * 1e6).rounded())
        tx.freq = freq
        tx.tick = tick
        tx.status = status
        tx.maxerror = 16_000_000
        tx.esterror = 16_000_000
        return 0
    }
}
