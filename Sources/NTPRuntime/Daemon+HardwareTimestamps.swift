import NTPAdmin
import NTPEngine
import NTPPlatform

/// `hwtimestamp IFACE|*` (chrony's directive): asks the kernel what each interface offers for
/// timestamping and says so; the sockets keep kernel software stamps (receive and, for
/// interleaved mode, transmit), which is what a software-only device (`lo`, `veth`) can give.
/// Only on an interface that offers hardware stamps (``TimestampingCapabilities/offersHardware``)
/// are they turned on at the NIC and its PTP clock read against the system clock; a refusal
/// is reported with software stamps kept. The NTP exchanges do not use hardware stamps yet.
extension Daemon {
    func hardwareTimestamping(_ interface: String) -> Result<String, AdminError> {
        var report = ""
        if interface == "*" {
            for name in TimestampingCapabilities.interfaces() {
                do {
                    report += Self.describe(try TimestampingCapabilities.query(name)) + "\n"
                } catch {
                    report += "\(name): timestamping not reported (\(error.errno.description)): kernel software stamps\n"
                }
            }
        } else {
            do {
                report = Self.describe(try TimestampingCapabilities.query(interface)) + "\n"
            } catch where error.errno == .operationNotSupportedByDevice {
                return .failure(AdminError("hwtimestamp: no interface '\(interface)'"))
            } catch {
                return .failure(AdminError("hwtimestamp \(interface): \(error)"))
            }
        }
        for line in report.split(separator: "\n") { log.notice("hwtimestamp \(line)") }
        return .success(report)
    }

    /// The capability line; for a NIC offering hardware stamps, also what turning them on and
    /// reading its PTP clock gave.
    static func describe(_ capabilities: TimestampingCapabilities) -> String {
        guard capabilities.offersHardware, let index = capabilities.clockIndex else { return capabilities.summary }
        let name = capabilities.interface
        var line = capabilities.summary
        do {
            let filter = try HardwareTimestamping.enable(name, filter: .any, offered: capabilities.receiveFilters)
            line += "; enabled at the NIC (receive filter \(filter))"
        } catch {
            return "\(line); \(error.description)"
        }
        do {
            let clock = try PTPClock(index: index)
            let readings = try clock.read().map {
                HardwareClockReading(systemBefore: $0.systemBefore, device: $0.device, systemAfter: $0.systemAfter)
            }
            if let sample = HardwareClockSample.combining(readings) {
                line += "; PHC read by PTP_SYS_OFFSET_\((clock.method?.rawValue ?? "").uppercased()) (delay \(sample.delay) ns)"
            }
        } catch {
            line += "; PHC /dev/ptp\(index) not read (\(error))"
        }
        let speed = HardwareTimestamping.linkSpeed(name).map { "\($0) Mb/s" } ?? "link speed unknown"
        return line + "; \(speed); NTP exchanges still use kernel software stamps (hardware stamps not yet fed to the engine)"
    }
}
