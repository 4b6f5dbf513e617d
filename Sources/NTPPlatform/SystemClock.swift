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

/// The Linux kernel as ``KernelClockDriver`` sees it: `ntp_adjtime` for tick, frequency and
/// status, `clock_adjtime(CLOCK_REALTIME)` for `ADJ_SETOFFSET` steps, `clock_gettime` to read.
/// Every writing call needs CAP_SYS_TIME; modes 0 only reads.
public final class LinuxKernel: KernelClock {
    public init() {}

    public func realtime() -> UnixTime { OSClock.realtime() }
    public func monotonic() -> UnixTime { UnixTime(nanoseconds: OSClock.monotonicNanoseconds()) }
    public func served(fromRaw raw: UnixTime) -> UnixTime { raw }
    public var keepsStatus: Bool { true }
    public var precision: PollExponent { OSClock.precision }

    @discardableResult
    public func adjtimex(_ k: inout KernelTimex) throws(ClockError) -> Int32 {
        var tx = timex()
        tx.modes = k.modes.rawValue
        tx.offset = k.offset
        tx.freq = k.freq
        tx.status = k.status
        tx.tick = k.tick
        let state: Int32
        if k.modes.contains(.setOffset) {
            // The kernel wants 0 ≤ tv_usec (nanoseconds with ADJ_NANO) < 1e9.
            var (sec, nsec) = k.setOffset.quotientAndRemainder(dividingBy: 1_000_000_000)
            if nsec < 0 { sec -= 1; nsec += 1_000_000_000 }
            tx.modes |= UInt32(ADJ_NANO)
            tx.time.tv_sec = Int(sec)
            tx.time.tv_usec = Int(nsec)
            state = try call("clock_adjtime(CLOCK_REALTIME, ADJ_SETOFFSET)") { ntpsh_clock_adjtime(CLOCK_REALTIME, &tx) }
        } else {
            state = try call(k.modes.isEmpty ? "ntp_adjtime" : "ntp_adjtime(ADJ_TICK/ADJ_FREQUENCY)") { ntpsh_ntp_adjtime(&tx) }
        }
        k.offset = tx.offset
        k.freq = tx.freq
        k.maxerror = tx.maxerror
        k.esterror = tx.esterror
        k.status = tx.status
        k.tick = tx.tick
        return state
    }

    /// The kernel inserts or deletes the second itself at midnight UTC (STA_INS / STA_DEL),
    /// as ntpd and chronyd have it do; the other status bits are kept.
    public func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool {
        var tx = KernelTimex()
        try adjtimex(&tx)  // modes 0: read the status
        var status = tx.status & ~(STA_INS | STA_DEL)
        if leap == .insertSecond { status |= STA_INS }
        if leap == .deleteSecond { status |= STA_DEL }
        tx = KernelTimex(modes: .status)
        tx.status = status
        try adjtimex(&tx)
        return true
    }

    private func call(_ name: StaticString, _ body: () -> Int32) throws(ClockError) -> Int32 {
        do {
            return try systemCall(name, body)
        } catch {
            throw ClockError(error)
        }
    }
}

/// The operating system's clock (`--clock system`): ``KernelClockDriver`` over ``LinuxKernel``.
/// Frequency up to ±100,000 ppm through `ADJ_TICK` + `ADJ_FREQUENCY`, slews as a temporary
/// frequency at up to 83,333 ppm (the engine's timer ends them), steps with `ADJ_SETOFFSET`.
public final class SystemClock: KernelDrivenClock {
    public let driver: KernelClockDriver

    public init(maxSlewRate: PPM = KernelClockDriver.defaultMaxSlewRate) {
        driver = KernelClockDriver(kind: .system, kernel: LinuxKernel(), maxSlewRate: maxSlewRate)
    }

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
