public import NTPWire

/// Which clock the engine disciplines (`--clock`).
public enum ClockKind: String, Sendable, Codable, CaseIterable {
    /// `system` where the process may adjust the clock, else `observe`.
    case auto
    /// The operating system's clock: steps, slews and frequency go to the kernel.
    case system
    /// Reads the OS clock, never changes it; the correction is kept in the engine.
    case observe
    /// A virtual oscillator in virtual time (labs, tests).
    case simulated
}

/// The clock as the engine sees it (chrony's `local`): it reads time, and it is moved.
///
/// Sign convention, stated once for the whole project: an **offset is reference time minus
/// local time**. A positive offset means the local clock is behind; stepping or slewing by a
/// positive offset moves the clock forward. Frequencies are in parts per million; a positive
/// frequency correction makes the clock run faster.
///
/// Implementations are used from one thread (the engine's event loop) and are not `Sendable`.
public protocol ClockDriver: AnyObject {
    var kind: ClockKind { get }

    /// The time the engine serves and measures with, as late as the caller can ask.
    func now() -> UnixTime

    /// Maps a raw reading of the underlying clock (for example a kernel receive timestamp taken
    /// on CLOCK_REALTIME) onto the served time scale. The identity for `system`.
    func served(fromRaw raw: UnixTime) -> UnixTime

    /// Jumps the clock by `offset` at once.
    func step(by offset: Seconds) throws(ClockError)

    /// Starts moving the clock by `offset` gradually, at most `maxSlewRate`; replaces any slew
    /// in progress (its unapplied remainder is dropped; a step leaves it running). Returns how
    /// long the correction will take.
    @discardableResult
    func slew(by offset: Seconds) throws(ClockError) -> Seconds

    /// ``slew(by:)`` spread over at least `duration` (longer when `maxSlewRate` cannot finish it
    /// by then): the discipline slews an offset within its noise gently. Returns how long the
    /// correction will take.
    @discardableResult
    func slew(by offset: Seconds, over duration: Seconds) throws(ClockError) -> Seconds

    /// Sets the frequency correction (positive runs faster), clamped to `maxFrequency`.
    func setFrequency(_ frequency: PPM) throws(ClockError)

    /// The largest frequency correction this clock accepts (500 ppm for the kernel's word).
    var maxFrequency: PPM { get }

    /// The fastest rate a slew moves the clock (83,333 ppm by default; `.fraction` is s/s).
    var maxSlewRate: PPM { get }

    /// A snapshot for views and for the discipline.
    func status() -> ClockStatus

    /// Arms (or, with `.noWarning`, disarms) a leap second at the end of the current UTC day.
    /// Returns true when the clock applies it itself (the kernel's STA_INS/STA_DEL); false when
    /// the engine must step the clock at midnight.
    func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool

    /// Sets the fastest rate a slew moves the clock (`tinker maxslewrate`, a lab's
    /// `slew-rate`); the driver keeps it within what it can do.
    func setMaxSlewRate(_ rate: PPM)

    /// When the clock next needs ``service()`` (a slew to end), on the served time scale; nil
    /// when it needs none. The engine's timer includes it.
    func nextService() -> UnixTime?

    /// Does what is due at ``nextService()``; a call before then does nothing.
    func service()

    /// The process is about to stop servicing the clock (exit): nothing may be left that only
    /// the process would end (a slew's temporary frequency).
    func finish()

    /// How much faster the served clock runs now than the clock the process's timers wait on: a
    /// loop waiting until served time `t` sleeps `(t − now) / (1 + timerRate.fraction)`. 0
    /// where the timers run on the adjusted clock itself (the kernel's).
    func timerRate() -> PPM
}

extension ClockDriver {
    /// Clocks without leap machinery: the engine steps them at midnight.
    public func armLeap(_ leap: LeapIndicator) throws(ClockError) -> Bool { false }
    public func setMaxSlewRate(_ rate: PPM) {}
    public func nextService() -> UnixTime? { nil }
    public func service() {}
    public func finish() {}
    public func timerRate() -> PPM { .zero }
}

/// What a clock reports about itself.
public struct ClockStatus: Sendable, Codable, Equatable {
    public var kind: ClockKind
    /// Frequency correction in effect.
    public var frequency: PPM
    /// Part of the last slew still to be applied.
    public var remainingSlew: Seconds
    /// Kernel's estimated maximum error and estimated error (nil when not kept).
    public var maximumError: Seconds?
    public var estimatedError: Seconds?
    /// The kernel says it is synchronised (STA_UNSYNC clear); nil when the kind keeps no such bit.
    public var kernelSynchronized: Bool?
    /// Raw kernel status bits (STA_*), where there is a kernel.
    public var kernelStatus: Int32?
    /// Clock precision as log2 seconds.
    public var precision: PollExponent

    public init(
        kind: ClockKind, frequency: PPM, remainingSlew: Seconds, maximumError: Seconds? = nil,
        estimatedError: Seconds? = nil, kernelSynchronized: Bool? = nil, kernelStatus: Int32? = nil,
        precision: PollExponent
    ) {
        self.kind = kind; self.frequency = frequency; self.remainingSlew = remainingSlew
        self.maximumError = maximumError; self.estimatedError = estimatedError
        self.kernelSynchronized = kernelSynchronized; self.kernelStatus = kernelStatus
        self.precision = precision
    }
}

/// Why a clock refused or failed an operation.
public enum ClockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The OS call failed: which call, and errno's name and text.
    case systemCall(String, errno: Int32, message: String)
    /// The request is outside what this clock can do.
    case outOfRange(String)

    public var description: String {
        switch self {
        case .systemCall(let call, _, let message): return "\(call): \(message)"
        case .outOfRange(let why): return why
        }
    }
}
