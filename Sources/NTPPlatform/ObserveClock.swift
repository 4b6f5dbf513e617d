public import NTPEngine
public import NTPWire

/// `--clock observe`: reads CLOCK_REALTIME and never changes it. The clock driver runs over a
/// ``KernelClockModel`` of its own in front of the raw reading, so steps, slews and frequency
/// have exactly the limits and mechanics they have with `--clock system` (±100,000 ppm through
/// tick + frequency, slews up to 83,333 ppm ended by the engine's timer), while the OS clock
/// stays untouched. Needs no privilege.
public final class ObserveClock: KernelDrivenClock {
    public let driver: KernelClockDriver
    /// The model kernel the driver adjusts.
    public let kernel: ModelKernel

    /// - Parameter readRaw: the underlying clock; CLOCK_REALTIME unless a test injects one.
    public init(
        maxFrequency: PPM = KernelClockDriver.hardMaxFrequency,
        maxSlewRate: PPM = KernelClockDriver.defaultMaxSlewRate,
        readRaw: @escaping () -> UnixTime = { OSClock.realtime() }
    ) {
        kernel = ModelKernel(precision: OSClock.precision, readRaw: readRaw)
        driver = KernelClockDriver(kind: .observe, kernel: kernel, maxFrequency: maxFrequency, maxSlewRate: maxSlewRate)
    }

    /// The underlying (uncorrected) reading.
    public func rawNow() -> UnixTime { kernel.rawNow() }
}
