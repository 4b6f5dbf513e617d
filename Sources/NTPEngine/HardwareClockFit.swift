public import NTPWire

/// A NIC's PTP hardware clock (PHC, /dev/ptpN) read against the system clock: what turns a
/// raw hardware timestamp (the NIC's own time) into system time, as chrony's HCL does. Sans-IO:
/// the platform layer reads the device (PTP_SYS_OFFSET_PRECISE, _EXTENDED or plain
/// PTP_SYS_OFFSET) and hands the readings here; everything below is arithmetic, tested in
/// virtual time (HardwareClockFitTests).
///
/// Times are integer nanoseconds since each clock's own epoch (a PHC usually counts TAI, the
/// system clock UTC; the fit absorbs the difference). The fit works on differences from its
/// newest sample, so Double keeps sub-nanosecond precision over the span it holds.

/// One read of the device between two reads of the system clock (PTP_SYS_OFFSET and
/// PTP_SYS_OFFSET_EXTENDED give several); for PTP_SYS_OFFSET_PRECISE's cross-timestamp the
/// two system reads are the same instant.
public struct HardwareClockReading: Sendable, Equatable {
    public var systemBefore: Int64
    public var device: Int64
    public var systemAfter: Int64

    public init(systemBefore: Int64, device: Int64, systemAfter: Int64) {
        self.systemBefore = systemBefore; self.device = device; self.systemAfter = systemAfter
    }

    /// How long the device read took as the system clock saw it: the reading's uncertainty.
    public var delay: Int64 { systemAfter - systemBefore }
}

/// The device's time and the system's at one instant, with the uncertainty of the pairing.
public struct HardwareClockSample: Sendable, Equatable {
    public var device: Int64
    public var system: Int64
    /// Nanoseconds; 0 for a hardware cross-timestamp.
    public var delay: Int64

    public init(device: Int64, system: Int64, delay: Int64) {
        self.device = device; self.system = system; self.delay = delay
    }

    /// One sample from one ioctl's readings: those whose delay is within half again of the
    /// shortest (a read the scheduler or a bus stall stretched is left out), each paired with
    /// the middle of its system reads, averaged. Nil for no readings or a reading whose
    /// system clock ran backwards (stepped during the read).
    public static func combining(_ readings: [HardwareClockReading]) -> HardwareClockSample? {
        guard !readings.isEmpty, readings.allSatisfy({ $0.delay >= 0 }) else { return nil }
        let shortest = readings.map(\.delay).min()!
        let kept = readings.filter { $0.delay <= shortest + shortest / 2 }
        // Offsets relative to the first kept reading, so the sums stay small.
        let base = kept[0]
        var offsetSum: Int64 = 0, delaySum: Int64 = 0
        for r in kept {
            let middle = r.systemBefore + r.delay / 2
            offsetSum += (middle - r.device) - (base.systemBefore + base.delay / 2 - base.device)
            delaySum += r.delay
        }
        let n = Int64(kept.count)
        let offset = base.systemBefore + base.delay / 2 - base.device + offsetSum / n
        let last = kept[kept.count - 1]
        return HardwareClockSample(device: last.device, system: last.device + offset, delay: delaySum / n)
    }
}

/// The fit of system time against device time over the recent samples: an offset and a rate
/// (least squares), with noisy samples left out twice over: a sample whose pairing took much
/// longer than the others' (its delay), and a sample far off the line the others make (its
/// residual, against a robust spread: 1.4826 times the median absolute residual).
public struct HardwareClockFit: Sendable {
    /// How many samples the fit keeps (chrony keeps 16).
    public let capacity: Int
    /// A sample whose delay is more than this many times the kept samples' median is noise.
    public let delayRatio: Double
    /// A sample whose residual is more than this many robust deviations from the line is noise.
    public let residualLimit: Double
    /// Oldest first.
    public private(set) var samples: [HardwareClockSample] = []
    /// Samples refused in a row; after `capacity / 4` (at least 3) the device or system clock
    /// is taken to have stepped and the fit starts again from the refused samples.
    public private(set) var refusedInARow: [HardwareClockSample] = []
    /// Samples refused since the start.
    public private(set) var refusedCount = 0

    /// The line: system - device = intercept + slope * (device - referenceDevice), nanoseconds.
    private var referenceDevice: Int64 = 0
    private var referenceOffset: Int64 = 0
    private var intercept: Double = 0
    private var slope: Double = 0

    public init(capacity: Int = 16, delayRatio: Double = 3, residualLimit: Double = 5) {
        precondition(capacity >= 4, "a fit needs room for at least four samples")
        self.capacity = capacity; self.delayRatio = delayRatio; self.residualLimit = residualLimit
    }

    /// Whether the fit can convert: two samples at least (one gives no rate).
    public var isReady: Bool { samples.count >= 2 }

    /// The system clock's rate against the device's, minus one (positive: the system clock runs
    /// fast of the device), dimensionless; nil until ready.
    public var rate: Double? { isReady ? slope : nil }

    /// The root-mean-square residual of the kept samples, nanoseconds: how well the line fits.
    public var residualRMS: Double {
        guard isReady else { return 0 }
        let squares = samples.map { s -> Double in let r = residual(s); return r * r }
        return (squares.reduce(0, +) / Double(samples.count)).squareRoot()
    }

    /// Adds a sample; returns whether it was kept (false: refused as noise).
    @discardableResult
    public mutating func add(_ sample: HardwareClockSample) -> Bool {
        if let last = samples.last, sample.device <= last.device {
            refuse(sample)
            return false
        }
        if samples.count >= 4 {
            let delays = samples.map(\.delay).sorted()
            let median = delays[delays.count / 2]
            if Double(sample.delay) > delayRatio * Double(max(median, 1)) && sample.delay > median + 50 {
                refuse(sample)
                return false
            }
            if abs(residual(sample)) > residualLimit * max(robustDeviation(), 1) + 1 {
                refuse(sample)
                return false
            }
        }
        refusedInARow.removeAll()
        samples.append(sample)
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
        refit()
        // A kept sample can still show an older one to be the outlier: drop those, once.
        if samples.count >= 5 {
            let limit = residualLimit * max(robustDeviation(), 1) + 1
            let kept = samples.filter { abs(residual($0)) <= limit }
            if kept.count != samples.count {
                refusedCount += samples.count - kept.count
                samples = kept
                refit()
            }
        }
        return samples.last == sample
    }

    /// Forgets every sample (the device was reset or stepped on purpose).
    public mutating func reset() {
        samples.removeAll(); refusedInARow.removeAll(); intercept = 0; slope = 0
    }

    /// System time for a device time (a raw hardware timestamp), nanoseconds; nil until ready.
    /// `anchoredAtNewest`: the line through the newest sample itself (its reading's noise
    /// taken, the fitted rate kept) rather than the least-squares line: for a system clock
    /// being disciplined, whose rate against the device changes at every adjustment, the
    /// newest sample describes now better than the fitted line, which lags by half its span.
    public func systemTime(forDevice device: Int64, anchoredAtNewest: Bool = false) -> Int64? {
        guard isReady else { return nil }
        let dx = Double(device - referenceDevice)
        return device + referenceOffset + Int64(((anchoredAtNewest ? 0 : intercept) + slope * dx).rounded())
    }

    private mutating func refuse(_ sample: HardwareClockSample) {
        refusedCount += 1
        refusedInARow.append(sample)
        if refusedInARow.count >= max(3, capacity / 4) {
            // The clocks stepped apart: what was kept describes the past. Start again.
            let restart = refusedInARow.sorted { $0.device < $1.device }
            samples.removeAll()
            refusedInARow.removeAll()
            for s in restart where samples.last.map({ s.device > $0.device }) ?? true { samples.append(s) }
            refit()
        }
    }

    private func residual(_ s: HardwareClockSample) -> Double {
        let y = Double((s.system - s.device) - referenceOffset)
        return y - (intercept + slope * Double(s.device - referenceDevice))
    }

    private func robustDeviation() -> Double {
        let absolute = samples.map { abs(residual($0)) }.sorted()
        guard !absolute.isEmpty else { return 0 }
        return 1.4826 * absolute[absolute.count / 2]
    }

    private mutating func refit() {
        guard let newest = samples.last else { return }
        referenceDevice = newest.device
        referenceOffset = newest.system - newest.device
        let xs = samples.map { Double($0.device - referenceDevice) }
        let ys = samples.map { Double(($0.system - $0.device) - referenceOffset) }
        let n = Double(samples.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0
        for (x, y) in zip(xs, ys) { sxx += (x - mx) * (x - mx); sxy += (x - mx) * (y - my) }
        slope = sxx > 0 ? sxy / sxx : 0
        intercept = my - slope * mx
    }
}

/// Where on the wire a NIC stamps a frame, and the correction to the end of it, as chrony's
/// `hwtimestamp ... rxcomp/txcomp` and its link-speed correction: a receive stamp is taken at
/// the frame's start (after the preamble), a software stamp after the whole frame has arrived,
/// so the receive stamp moves to the frame's end by its length at the link speed; then the
/// configured compensations (rxcomp subtracted from receive stamps, txcomp added to transmit
/// stamps; both 0 by default, as chrony's).
public struct FrameTiming: Sendable, Equatable {
    /// The link's speed, megabits a second; nil when the driver does not say (no correction).
    public var linkSpeedMbps: Int?
    /// Nanoseconds subtracted from receive stamps (chrony's `rxcomp`).
    public var receiveCompensation: Int64
    /// Nanoseconds added to transmit stamps (chrony's `txcomp`).
    public var transmitCompensation: Int64

    public init(linkSpeedMbps: Int?, receiveCompensation: Int64 = 0, transmitCompensation: Int64 = 0) {
        self.linkSpeedMbps = linkSpeedMbps
        self.receiveCompensation = receiveCompensation
        self.transmitCompensation = transmitCompensation
    }

    /// Ethernet header (14 bytes) + IP header (20 or 40) + UDP header (8) before NTP's data,
    /// and the frame check sequence (4) after it.
    public static func frameLength(ntpLength: Int, ipv6: Bool) -> Int {
        14 + (ipv6 ? 40 : 20) + 8 + ntpLength + 4
    }

    /// How long the frame takes on the wire, nanoseconds (0 for an unknown speed).
    public func duration(ntpLength: Int, ipv6: Bool) -> Int64 {
        guard let speed = linkSpeedMbps, speed > 0 else { return 0 }
        return Int64(Self.frameLength(ntpLength: ntpLength, ipv6: ipv6)) * 8 * 1000 / Int64(speed)
    }

    /// A receive stamp (system time of the frame's start) moved to the frame's end, compensated.
    public func receiveStamp(_ stamp: Int64, ntpLength: Int, ipv6: Bool) -> Int64 {
        stamp + duration(ntpLength: ntpLength, ipv6: ipv6) - receiveCompensation
    }

    /// A transmit stamp (system time of the frame's start), compensated.
    public func transmitStamp(_ stamp: Int64) -> Int64 {
        stamp + transmitCompensation
    }
}

/// One NIC's raw hardware stamps turned into system time: its PTP clock's fit against the
/// system clock and where on the frame it stamps. What the runtime gives the exchanges in place
/// of the kernel's software stamps (the client's T1/T4) when the fit can convert; nil
/// otherwise, and the caller keeps the software stamp. Counts which was used.
public struct HardwareStampConverter: Sendable {
    public var fit: HardwareClockFit
    public var timing: FrameTiming
    /// Hardware stamps converted and used, receive and transmit.
    public private(set) var receiveUsed = 0
    public private(set) var transmitUsed = 0
    /// Stamps that came while the fit could not convert (software stamps used instead).
    public private(set) var notReady = 0
    /// Converted stamps more than ``agreement`` away from the kernel's software stamp of the
    /// same datagram: the fit no longer describes the clocks (the system clock stepped or was
    /// slewed hard under it); the software stamp is used and the fit starts again.
    public private(set) var disagreed = 0
    /// Nanoseconds a converted stamp may lie from the software one: the software stamp is taken
    /// in the kernel microseconds from the wire, never a millisecond.
    public var agreement: Int64 = 1_000_000
    /// Convert through the newest sample (``HardwareClockFit/systemTime(forDevice:anchoredAtNewest:)``):
    /// the runtime's choice, its system clock being disciplined under the fit.
    public var anchoredAtNewest: Bool

    public init(fit: HardwareClockFit = HardwareClockFit(), timing: FrameTiming, anchoredAtNewest: Bool = false) {
        self.fit = fit; self.timing = timing; self.anchoredAtNewest = anchoredAtNewest
    }

    /// A datagram's receive stamp (`raw`: nanoseconds of the device's clock at the frame's
    /// start; `ntpLength`: the UDP payload's length) as system time at the frame's end; nil
    /// when the fit cannot convert or the result disagrees with `software`.
    public mutating func receiveTime(raw: Int64, ntpLength: Int, ipv6: Bool, software: UnixTime? = nil) -> UnixTime? {
        guard let time = convert(timing.receiveStamp(raw, ntpLength: ntpLength, ipv6: ipv6), software: software) else { return nil }
        receiveUsed += 1
        return time
    }

    /// A datagram's transmit stamp (device nanoseconds, from the error queue) as system time.
    public mutating func transmitTime(raw: Int64, software: UnixTime? = nil) -> UnixTime? {
        guard let time = convert(timing.transmitStamp(raw), software: software) else { return nil }
        transmitUsed += 1
        return time
    }

    private mutating func convert(_ device: Int64, software: UnixTime?) -> UnixTime? {
        guard let system = fit.systemTime(forDevice: device, anchoredAtNewest: anchoredAtNewest) else {
            notReady += 1
            return nil
        }
        if let software, abs(system - software.nanoseconds) > agreement {
            disagreed += 1
            fit.reset()
            return nil
        }
        return UnixTime(nanoseconds: system)
    }

    /// What was used, for `hwtimestamp`'s report and the log.
    public var summary: String {
        let rate = fit.rate.map { "rate \(Int(($0 * 1e9).rounded())) ppb" } ?? "no rate yet"
        return "hardware stamps used: \(receiveUsed) receive, \(transmitUsed) transmit; \(notReady) before the PHC fit was ready, \(disagreed) far from the software stamp; "
            + "fit \(fit.samples.count) samples, \(fit.refusedCount) refused, rms \(Int(fit.residualRMS.rounded())) ns, \(rate)"
    }
}
