import CNTPPlatform
import Glibc

/// What an interface's driver offers for timestamping, as `hwtimestamp` (chrony's directive)
/// asks: the kernel's answer to ETHTOOL_GET_TS_INFO. Software-only devices (`lo`, `veth`,
/// most virtual NICs) offer software stamps and no PTP hardware clock; a NIC with hardware
/// stamps names its clock (/dev/ptpN).
///
/// ntpsh uses kernel software stamps on every interface (receive: SO_TIMESTAMPNS; transmit:
/// SO_TIMESTAMPING's software stamp, for interleaved mode). Hardware stamps (SIOCSHWTSTAMP,
/// RAW_HARDWARE, the PHC read against the system clock with PTP_SYS_OFFSET_EXTENDED) are not
/// implemented: no machine this was written on has a NIC with a hardware clock (nor the
/// netdevsim module with its mock one), and untested code would be worse than none. An
/// interface that offers them is reported so, and keeps software stamps.
public struct TimestampingCapabilities: Sendable, Equatable {
    public var interface: String
    public var transmitSoftware: Bool
    public var receiveSoftware: Bool
    public var transmitHardware: Bool
    public var receiveHardware: Bool
    public var rawHardware: Bool
    /// The PTP hardware clock (/dev/ptpN), nil for none.
    public var clockIndex: Int?
    /// Whether the receive filters can stamp every NTP packet (all packets, or NTP's).
    public var filtersNTP: Bool
    /// Whether the transmit side can be turned on (HWTSTAMP_TX_ON).
    public var transmitOn: Bool

    /// Whether the interface offers what chrony's hardware timestamping needs: raw hardware
    /// stamps both ways from a PTP clock, transmit stamping that can be turned on and a
    /// receive filter that stamps NTP packets.
    public var offersHardware: Bool {
        transmitHardware && receiveHardware && rawHardware && clockIndex != nil && transmitOn && filtersNTP
    }

    /// Asks the kernel about `interface`. Throws for a name that is no interface (ENODEV) or a
    /// driver that does not answer.
    public static func query(_ interface: String) throws(SystemCallError) -> TimestampingCapabilities {
        var info = ntpsh_timestamping_info()
        _ = try systemCall("ETHTOOL_GET_TS_INFO") { interface.withCString { ntpsh_timestamping_info($0, &info) } }
        return TimestampingCapabilities(
            interface: interface,
            transmitSoftware: info.so_timestamping & ntpsh_sof_tx_software != 0,
            receiveSoftware: info.so_timestamping & ntpsh_sof_rx_software != 0,
            transmitHardware: info.so_timestamping & ntpsh_sof_tx_hardware != 0,
            receiveHardware: info.so_timestamping & ntpsh_sof_rx_hardware != 0,
            rawHardware: info.so_timestamping & ntpsh_sof_raw_hardware != 0,
            clockIndex: info.phc_index >= 0 ? Int(info.phc_index) : nil,
            filtersNTP: info.rx_filters & (ntpsh_hwtstamp_filter_all | ntpsh_hwtstamp_filter_ntp_all) != 0,
            transmitOn: info.tx_types & ntpsh_hwtstamp_tx_on != 0)
    }

    /// The names of the system's interfaces (if_nameindex), in index order.
    public static func interfaces() -> [String] {
        guard let list = if_nameindex() else { return [] }
        defer { if_freenameindex(list) }
        var names: [String] = []
        var p = list
        while p.pointee.if_index != 0, let name = p.pointee.if_name {
            names.append(String(cString: name))
            p += 1
        }
        return names
    }

    /// One line for the log and the shell: what the interface offers and what ntpsh uses.
    public var summary: String {
        if offersHardware {
            return "\(interface): hardware timestamps offered (PHC /dev/ptp\(clockIndex ?? -1)), not used: "
                + "ntpsh reads kernel software stamps (hardware stamps are not implemented)"
        }
        if transmitHardware || receiveHardware || clockIndex != nil {
            let clock = clockIndex.map { "PHC /dev/ptp\($0)" } ?? "no hardware clock"
            return "\(interface): hardware stamping incomplete (\(clock)): kernel software stamps"
        }
        let software = [transmitSoftware ? "transmit" : nil, receiveSoftware ? "receive" : nil].compactMap { $0 }
        let what = software.isEmpty ? "no timestamping of its own" : "software timestamping only (\(software.joined(separator: ", ")))"
        return "\(interface): \(what), no hardware clock: kernel software stamps"
    }
}
