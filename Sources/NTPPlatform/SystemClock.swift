public import NTPEngine
public import NTPWire
import CNTPPlatform
import Glibc
import SystemPackage

/// Reads of the OS clocks (vDSO, ≈30 ns).
public enum OSClock {
    /// `clock_gettime(CLOCK_REALTIME)`.
    @inline(__always)
    public static func realtime() -> UnixTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UnixTime(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }

    /// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds: for intervals, immune to steps.
    @inline(__always)
    public static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The precision of reading CLOCK_REALTIME as log2 seconds, like ntpd's: the larger of the
    /// clock's resolution (`clock_getres`) and the smallest nonzero step between two reads,
    /// rounded up to a power of two. Measured once per process.
    public static let precision: PollExponent = measurePrecision()

    static func measurePrecision() -> PollExponent {
        var res = timespec()
        var resolution = 1e-9
        if clock_getres(CLOCK_REALTIME, &res) == 0 {
            resolution = max(resolution, Double(res.tv_sec) + Double(res.tv_nsec) * 1e-9)
        }
        var smallest = Int64.max
        var previous = realtime().nanoseconds
        for _ in 0..<2000 {
            let t = realtime().nanoseconds
            let d = t - previous
            if d > 0 && d < smallest { smallest = d }
            previous = t
        }
        let measured = smallest == .max ? resolution : max(resolution, Double(smallest) * 1e-9)
        var exponent = 0
        while exponent > -30 && scalbn(1.0, exponent - 1) >= measured { exponent -= 1 }
        return PollExponent(Int8(exponent))
    }
}

/// The operating system's clock (`--clock system`): reads CLOCK_REALTIME, and steps, slews and
/// re-tunes it through the kernel. Every adjusting call needs CAP_SYS_TIME.
///
/// - step: `clock_adjtime(CLOCK_REALTIME)` with `ADJ_SETOFFSET | ADJ_NANO`.
/// - slew: `ntp_adjtime` with `ADJ_OFFSET_SINGLESHOT` (adjtime(3): the kernel moves the clock at
///   500 ppm until the amount is applied; a new slew replaces the old one).
/// - frequency: `ntp_adjtime` with `ADJ_FREQUENCY` (ppm × 65536), clamped to ±500 ppm.
/// - status: `ntp_adjtime` with modes 0, which only reads.
public final class SystemClock: ClockDriver {
    public let kind = ClockKind.system
    public let maxFrequency = 500.0
    public let maxSlewRate = 5e-4

    /// The last slew this process started: monotonic start and amount, to report what remains
    /// (reading the kernel's adjtime remainder would need a mode bit, and status only reads).
    private var slewStartMonotonic: Int64 = 0
    private var slewAmount = 0.0

    public init() {}

    /// Whether this process may adjust the clock: CAP_SYS_TIME (bit 25) in `CapEff` of
    /// /proc/self/status. What `--clock auto` asks.
    public static func canAdjust() -> Bool {
        guard let text = ProcFile.read("/proc/self/status") else { return false }
        return hasSysTime(statusText: text)
    }

    static func hasSysTime(statusText text: String) -> Bool {
        for line in text.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingWhitespace()
            guard let mask = UInt64(hex, radix: 16) else { return false }
            return mask & (1 << 25) != 0
        }
        return false
    }

    public func now() -> UnixTime { OSClock.realtime() }

    public func served(fromRaw raw: UnixTime) -> UnixTime { raw }

    public func step(by offset: Double) throws(ClockError) {
        guard offset.isFinite, offset.magnitude < 1e9 else {
            throw .outOfRange("step: \(offset) s is out of range")
        }
        let nanos = Int64((offset * 1e9).rounded())
        var (sec, nsec) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
        if nsec < 0 { sec -= 1; nsec += 1_000_000_000 }  // the kernel wants 0 ≤ tv_usec < 1e9
        var tx = timex()
        tx.modes = UInt32(ADJ_SETOFFSET | ADJ_NANO)
        tx.time.tv_sec = Int(sec)
        tx.time.tv_usec = Int(nsec)
        try adjust("clock_adjtime(CLOCK_REALTIME, ADJ_SETOFFSET)") { ntpsh_clock_adjtime(CLOCK_REALTIME, &tx) }
    }

    @discardableResult
    public func slew(by offset: Double) throws(ClockError) -> Double {
        // The singleshot offset is in microseconds and a long; keep well inside.
        guard offset.isFinite, offset.magnitude < 1e6 else {
            throw .outOfRange("slew: \(offset) s is out of range")
        }
        var tx = timex()
        tx.modes = UInt32(ADJ_OFFSET_SINGLESHOT)
        tx.offset = Int((offset * 1e6).rounded())
        try adjust("ntp_adjtime(ADJ_OFFSET_SINGLESHOT)") { ntpsh_ntp_adjtime(&tx) }
        slewStartMonotonic = OSClock.monotonicNanoseconds()
        slewAmount = offset
        return offset.magnitude / maxSlewRate
    }

    public func setFrequency(ppm: Double) throws(ClockError) {
        guard ppm.isFinite else { throw .outOfRange("frequency: \(ppm) ppm is not finite") }
        let clamped = min(max(ppm, -maxFrequency), maxFrequency)
        var tx = timex()
        tx.modes = UInt32(ADJ_FREQUENCY)
        tx.freq = Int((clamped * 65536).rounded())
        try adjust("ntp_adjtime(ADJ_FREQUENCY)") { ntpsh_ntp_adjtime(&tx) }
    }

    /// The kernel inserts or deletes the second itself at midnight UTC (STA_INS / STA_DEL),
    /// as ntpd and chronyd have it do; the other status bits are kept.
    public func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool {
        var tx = timex()
        _ = ntpsh_ntp_adjtime(&tx)  // modes 0: read the status
        var status = tx.status & ~(STA_INS | STA_DEL)
        if leap == .insertSecond { status |= STA_INS }
        if leap == .deleteSecond { status |= STA_DEL }
        tx = timex()
        tx.modes = UInt32(ADJ_STATUS)
        tx.status = status
        try adjust("ntp_adjtime(ADJ_STATUS)") { ntpsh_ntp_adjtime(&tx) }
        return true
    }

    public func status() -> ClockStatus {
        var remaining = 0.0
        if slewAmount != 0 {
            let elapsed = Double(OSClock.monotonicNanoseconds() - slewStartMonotonic) * 1e-9
            let left = max(0, slewAmount.magnitude - elapsed * maxSlewRate)
            remaining = slewAmount < 0 ? -left : left
        }
        guard let k = try? Self.readKernel() else {
            return ClockStatus(kind: kind, frequency: 0, remainingSlew: remaining, precision: OSClock.precision)
        }
        // With the kernel PLL in use, its pending phase offset is also still to be applied
        // (kernel sign: positive moves the clock forward, like ours).
        if k.status & STA_PLL != 0 { remaining += k.pllOffset }
        return ClockStatus(
            kind: kind, frequency: k.frequency, remainingSlew: remaining,
            maximumError: k.maximumError, estimatedError: k.estimatedError,
            kernelSynchronized: k.status & STA_UNSYNC == 0,
            kernelStatus: k.status, precision: OSClock.precision)
    }

    /// What `ntp_adjtime` with modes 0 reports. Reading needs no privilege and changes nothing.
    public struct KernelState: Sendable, Equatable {
        /// The return value: TIME_OK, TIME_INS, TIME_DEL, TIME_OOP, TIME_WAIT or TIME_ERROR.
        public var state: Int32
        /// STA_* bits.
        public var status: Int32
        /// Frequency correction, ppm.
        public var frequency: Double
        /// Maximum and estimated error, seconds.
        public var maximumError: Double
        public var estimatedError: Double
        /// The kernel PLL's remaining phase offset, seconds.
        public var pllOffset: Double
        /// The PLL time constant and the tick length (µs).
        public var timeConstant: Int
        public var tick: Int
        /// TAI − UTC, seconds, as the kernel was told.
        public var tai: Int32
    }

    /// `ntp_adjtime` with modes = 0: reads the kernel clock state and changes nothing.
    public static func readKernel() throws(ClockError) -> KernelState {
        var tx = timex()
        tx.modes = 0
        let state: Int32
        do {
            state = try systemCall("ntp_adjtime") { ntpsh_ntp_adjtime(&tx) }
        } catch {
            throw ClockError(error)
        }
        let nano = tx.status & STA_NANO != 0
        return KernelState(
            state: state, status: tx.status, frequency: Double(tx.freq) / 65536,
            maximumError: Double(tx.maxerror) * 1e-6, estimatedError: Double(tx.esterror) * 1e-6,
            pllOffset: Double(tx.offset) * (nano ? 1e-9 : 1e-6), timeConstant: tx.constant,
            tick: tx.tick, tai: tx.tai)
    }

    private func adjust(_ call: StaticString, _ body: () -> Int32) throws(ClockError) {
        do {
            _ = try systemCall(call, body)
        } catch {
            throw ClockError(error)
        }
    }
}

extension ClockError {
    /// A ``SystemCallError`` as the engine's clock error.
    public init(_ error: SystemCallError) {
        self = .systemCall(error.call, errno: error.errno.rawValue, message: error.errno.description)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\r" { s = s.dropLast() }
        return s
    }
}
