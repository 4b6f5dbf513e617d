import NTPAdmin
import NTPEngine
import NTPPlatform
import NTPWire
import Glibc

/// `hwtimestamp IFACE|*` (chrony's directive): asks the kernel what each interface offers for
/// timestamping and says so. A software-only device (`lo`, `veth`) keeps kernel software stamps
/// (receive and, for interleaved mode, transmit). On an interface that offers hardware stamps
/// (``TimestampingCapabilities/offersHardware``) they are turned on at the NIC and its PTP clock
/// opened: the loop then samples that clock against the system clock once a second into a fit
/// (as chrony's HCL), client sockets ask for the NIC's stamps, and a client exchange takes the
/// hardware receive stamp (T4, moved to the frame's end) and transmit stamp (T1) converted to
/// system time whenever the fit can convert and the result lies within a millisecond of the
/// kernel's software stamp (else the fit restarts); otherwise the software stamps. A step of the
/// system clock restarts the fit too. A refusal
/// is reported with software stamps kept. Not yet: the server's T2/T3 (its sockets keep
/// software stamps), and the transmit stamp with two hardware clocks (the error queue does not
/// say which interface sent).
extension Daemon {
    func hardwareTimestamping(_ interface: String) -> Result<String, AdminError> {
        var report = ""
        if interface == "*" {
            for name in TimestampingCapabilities.interfaces() {
                do {
                    report += describeAndEnable(try TimestampingCapabilities.query(name)) + "\n"
                } catch {
                    report += "\(name): timestamping not reported (\(error.errno.description)): kernel software stamps\n"
                }
            }
        } else {
            do {
                report = describeAndEnable(try TimestampingCapabilities.query(interface)) + "\n"
            } catch where error.errno == .operationNotSupportedByDevice {
                return .failure(AdminError("hwtimestamp: no interface '\(interface)'"))
            } catch {
                return .failure(AdminError("hwtimestamp \(interface): \(error)"))
            }
        }
        for line in report.split(separator: "\n") { log.notice("hwtimestamp \(line)") }
        return .success(report)
    }

    /// The report for one interface; a NIC whose hardware stamps came on and whose PTP clock
    /// was read joins ``hardwareClocks`` (once: asked again, it reports what was used).
    private func describeAndEnable(_ capabilities: TimestampingCapabilities) -> String {
        if let known = hardwareClocks.first(where: { $0.interface == capabilities.interface }) {
            return "\(capabilities.summary); in use: \(known.converter.summary)"
        }
        let (line, clock) = Self.enable(capabilities)
        if let clock { hardwareClocks.append(clock) }
        return line
    }

    /// The capability line; for a NIC offering hardware stamps, also what turning them on and
    /// reading its PTP clock gave.
    static func describe(_ capabilities: TimestampingCapabilities) -> String { enable(capabilities).line }

    /// Turns a NIC's hardware stamps on and opens its PTP clock: the report, and the clock when
    /// both worked (nil for a software-only device or a refusal).
    static func enable(_ capabilities: TimestampingCapabilities) -> (line: String, clock: HardwareClock?) {
        guard capabilities.offersHardware, let index = capabilities.clockIndex else { return (capabilities.summary, nil) }
        let name = capabilities.interface
        var line = capabilities.summary
        do {
            let filter = try HardwareTimestamping.enable(name, filter: .any, offered: capabilities.receiveFilters)
            line += "; enabled at the NIC (receive filter \(filter))"
        } catch {
            return ("\(line); \(error.description)", nil)
        }
        let speed = HardwareTimestamping.linkSpeed(name)
        let speedText = speed.map { "\($0) Mb/s" } ?? "link speed unknown"
        do {
            let device = try PTPClock(index: index)
            let clock = HardwareClock(interface: name, device: device, timing: FrameTiming(linkSpeedMbps: speed))
            guard let sample = clock.sample() else {
                return (line + "; PHC /dev/ptp\(index) gave no usable reading; \(speedText); kernel software stamps kept", nil)
            }
            line += "; PHC read by PTP_SYS_OFFSET_\((device.method?.rawValue ?? "").uppercased()) (delay \(sample.delay) ns)"
            return (line + "; \(speedText); client exchanges use hardware stamps once the PHC fit is ready", clock)
        } catch {
            return (line + "; PHC /dev/ptp\(index) not read (\(error)); \(speedText); kernel software stamps kept", nil)
        }
    }

    /// Samples each hardware clock that is due (loop thread); returns the seconds until the
    /// next is (infinity with none).
    func sampleHardwareClocks() -> Double {
        guard !hardwareClocks.isEmpty else { return .infinity }
        let now = OSClock.monotonicNanoseconds()
        var next = Int64.max
        for clock in hardwareClocks {
            if now >= clock.nextSample {
                clock.nextSample = now + HardwareClock.interval
                if clock.sample() == nil {
                    if clock.readFailures == 1 {
                        log.warning("hwtimestamp \(clock.interface): PHC /dev/ptp\(clock.device.index) not read: \(clock.lastError)")
                    }
                } else if clock.samplesTaken % 64 == 0 {
                    log.notice("hwtimestamp \(clock.interface): \(clock.converter.summary)")
                }
            }
            next = min(next, clock.nextSample)
        }
        return max(0, Double(next - now) / 1e9)
    }

    /// Asks for the NIC's stamps on a new client socket (when some NIC has them on).
    func enableHardwareStamps(_ socket: UDPSocket) {
        do { try socket.enableHardwareTimestamps() } catch {
            log.warning("hwtimestamp: socket \(socket.localAddress) keeps software stamps: \(error)")
        }
    }

    /// A reply's hardware receive stamp as system time (raw, before the served-clock shift),
    /// nil when it has none or its NIC's fit cannot convert yet.
    func hardwareReceiveTime(_ datagram: ReceivedDatagram) -> UnixTime? {
        guard let raw = datagram.hardwareStamp, let clock = hardwareClock(datagram.hardwareInterfaceIndex) else { return nil }
        return clock.converter.receiveTime(raw: raw, ntpLength: datagram.length, ipv6: !datagram.source.ip.isIPv4,
                                           software: datagram.receiveTime)
    }

    /// A request's hardware transmit stamp as system time: only with one hardware clock (the
    /// error queue does not say which interface sent).
    func hardwareTransmitTime(_ raw: Int64?, software: UnixTime?) -> UnixTime? {
        guard let raw, hardwareClocks.count == 1 else { return nil }
        return hardwareClocks[0].converter.transmitTime(raw: raw, software: software)
    }

    /// The clock of the interface that stamped a datagram; the only one when there is one.
    private func hardwareClock(_ interfaceIndex: UInt32?) -> HardwareClock? {
        if let i = interfaceIndex, let clock = hardwareClocks.first(where: { $0.interfaceIndex == i }) { return clock }
        return hardwareClocks.count == 1 ? hardwareClocks[0] : nil
    }
}

/// One NIC with hardware stamps on: its PTP clock and the conversion of its stamps (loop thread).
final class HardwareClock {
    /// How often the PTP clock is read against the system clock, nanoseconds (chrony's
    /// hwtimestamp `minpoll 0`).
    static let interval: Int64 = 1_000_000_000
    let interface: String
    let interfaceIndex: UInt32
    let device: PTPClock
    var converter: HardwareStampConverter
    var nextSample: Int64 = 0
    private(set) var samplesTaken = 0
    private(set) var readFailures = 0
    private(set) var lastError = ""

    init(interface: String, device: PTPClock, timing: FrameTiming) {
        self.interface = interface
        self.interfaceIndex = interface.withCString { if_nametoindex($0) }
        self.device = device
        self.converter = HardwareStampConverter(fit: HardwareClockFit(capacity: 4), timing: timing, anchoredAtNewest: true)
    }

    /// Reads the clock once and adds the sample to the fit; nil when the read failed or gave
    /// nothing usable.
    @discardableResult
    func sample() -> HardwareClockSample? {
        do {
            let readings = try device.read().map {
                HardwareClockReading(systemBefore: $0.systemBefore, device: $0.device, systemAfter: $0.systemAfter)
            }
            guard let sample = HardwareClockSample.combining(readings) else { return nil }
            samplesTaken += 1
            converter.fit.add(sample)
            return sample
        } catch {
            readFailures += 1
            lastError = error.description
            return nil
        }
    }
}
