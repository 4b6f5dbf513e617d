public import NTPEngine
public import NTPWire

/// `--clock observe`: reads CLOCK_REALTIME and never changes it. Steps, slews and frequency go
/// to a ``SoftwareClock`` whose correction is added to every reading, so the engine serves and
/// measures with corrected time while the OS clock stays untouched. Needs no privilege.
public final class ObserveClock: ClockDriver {
    public let kind = ClockKind.observe
    /// The correction in effect; its limits are the kernel's by default (±500 ppm, 500 ppm slew).
    public private(set) var software: SoftwareClock
    private let readRaw: () -> UnixTime

    /// - Parameter readRaw: the underlying clock; CLOCK_REALTIME unless a test injects one.
    public init(
        maxFrequency: Double = SoftwareClock.kernelMaxFrequency,
        maxSlewRate: Double = SoftwareClock.softwareSlewRate,
        readRaw: @escaping () -> UnixTime = { OSClock.realtime() }
    ) {
        self.readRaw = readRaw
        software = SoftwareClock(start: readRaw(), maxFrequency: maxFrequency, maxSlewRate: maxSlewRate)
    }

    public var maxFrequency: Double { software.maxFrequency }
    public var maxSlewRate: Double { software.maxSlewRate }

    /// The underlying (uncorrected) reading.
    public func rawNow() -> UnixTime { readRaw() }

    public func now() -> UnixTime { software.corrected(readRaw()) }

    public func served(fromRaw raw: UnixTime) -> UnixTime { software.corrected(raw) }

    public func step(by offset: Double) throws(ClockError) {
        try software.step(by: offset, at: readRaw())
    }

    @discardableResult
    public func slew(by offset: Double) throws(ClockError) -> Double {
        try software.slew(by: offset, at: readRaw())
    }

    public func setFrequency(ppm: Double) throws(ClockError) {
        try software.setFrequency(ppm: ppm, at: readRaw())
    }

    public func status() -> ClockStatus {
        let raw = readRaw()
        return ClockStatus(
            kind: kind, frequency: software.frequency, remainingSlew: software.remainingSlew(at: raw),
            precision: OSClock.precision)
    }
}
