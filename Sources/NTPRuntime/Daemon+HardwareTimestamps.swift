import NTPAdmin
import NTPPlatform

/// `hwtimestamp IFACE|*` (chrony's directive): asks the kernel what each interface offers for
/// timestamping and says so; the sockets keep kernel software stamps (receive and, for
/// interleaved mode, transmit), which is what a software-only device (`lo`, `veth`) can give.
/// Hardware stamps are not implemented (``TimestampingCapabilities``).
extension Daemon {
    func hardwareTimestamping(_ interface: String) -> Result<String, AdminError> {
        var report = ""
        if interface == "*" {
            for name in TimestampingCapabilities.interfaces() {
                do {
                    report += try TimestampingCapabilities.query(name).summary + "\n"
                } catch {
                    report += "\(name): timestamping not reported (\(error.errno.description)): kernel software stamps\n"
                }
            }
        } else {
            do {
                report = try TimestampingCapabilities.query(interface).summary + "\n"
            } catch where error.errno == .operationNotSupportedByDevice {
                return .failure(AdminError("hwtimestamp: no interface '\(interface)'"))
            } catch {
                return .failure(AdminError("hwtimestamp \(interface): \(error)"))
            }
        }
        for line in report.split(separator: "\n") { log.notice("hwtimestamp \(line)") }
        return .success(report)
    }
}
