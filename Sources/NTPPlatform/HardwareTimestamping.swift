import CNTPPlatform
import Glibc
public import SystemPackage

/// What an interface's driver offers for timestamping, as `hwtimestamp` (chrony's directive)
/// asks: the kernel's answer to ETHTOOL_GET_TS_INFO. Software-only devices (`lo`, `veth`,
/// most virtual NICs) offer software stamps and no PTP hardware clock; a NIC with hardware
/// stamps names its clock (/dev/ptpN).
///
/// ntpsh's NTP exchanges use kernel software stamps on every interface (receive:
/// SO_TIMESTAMPNS; transmit: SO_TIMESTAMPING's software stamp, for interleaved mode). On an
/// interface that offers hardware stamps, `hwtimestamp` turns them on at the NIC
/// (``HardwareTimestamping/enable(_:filter:offered:)``) and reads its PTP clock (``PTPClock``),
/// and says what happened; the runtime then uses them in client exchanges (NTPRuntime's
/// Daemon+HardwareTimestamps.swift, through NTPEngine's `HardwareStampConverter`).
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
    /// The receive filters offered (bit mask of HWTSTAMP_FILTER_* values).
    public var receiveFilters: UInt32 = 0

    /// Whether the interface offers what chrony's hardware timestamping needs: raw hardware
    /// stamps both ways from a PTP clock and a receive filter that stamps NTP packets. Whether
    /// transmit stamping can be turned on (``transmitOn``) is left to SIOCSHWTSTAMP, as chrony
    /// leaves it (a refusal is reported, ERANGE): some drivers (and clknetsim) list tx_types as
    /// a value rather than a bit mask.
    public var offersHardware: Bool {
        transmitHardware && receiveHardware && rawHardware && clockIndex != nil && filtersNTP
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
            transmitOn: info.tx_types & ntpsh_hwtstamp_tx_on != 0,
            receiveFilters: info.rx_filters)
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
            return "\(interface): hardware timestamps offered (PHC /dev/ptp\(clockIndex ?? -1))"
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

/// Turning a NIC's hardware stamps on (chrony's `hwtimestamp` does the same): SIOCSHWTSTAMP
/// sets the interface's transmit stamping on and a receive filter that stamps NTP packets; the
/// sockets then ask for RAW_HARDWARE stamps (``UDPSocket/enableHardwareTimestamps()``), the
/// receive and error-queue control messages carry them in scm_timestamping's ts[2]
/// (`parseControl`, ``UDPSocket/readTransmitStamps(limit:_:)``) and ``PTPClock`` with
/// NTPEngine's `HardwareClockFit` turns them into system time.
///
/// What is tested without a NIC: the refusals (on `lo` and a veth pair SIOCSHWTSTAMP fails with
/// EOPNOTSUPP, an unknown name with ENODEV), the filter choice, the control-message parser on
/// constructed messages, the fit on synthetic readings, /dev/ptpN missing. What needs a NIC
/// with a PTP clock: SIOCSHWTSTAMP accepted, real ts[2] stamps, PTP_SYS_OFFSET_* readings.
public enum HardwareTimestamping {
    /// Which packets the NIC stamps on receive (chrony's `rxfilter`).
    public enum ReceiveFilter: String, Sendable, CaseIterable {
        /// NTP's filter if the NIC has it, else all packets, else none (transmit stamps only).
        case any
        /// HWTSTAMP_FILTER_NTP_ALL.
        case ntp
        /// HWTSTAMP_FILTER_PTP_V2_EVENT: PTP's event packets only. NTP packets are then not
        /// stamped on receive; some NICs offer nothing else and stamp everything under it.
        case ptp
        /// HWTSTAMP_FILTER_ALL.
        case all
        /// HWTSTAMP_FILTER_NONE: transmit stamps only.
        case none

        /// The kernel's filter value for this choice on a NIC offering `offered`
        /// (ETHTOOL_GET_TS_INFO's rx_filters bit mask).
        public func kernelValue(offered: UInt32) -> Int32 {
            switch self {
            case .any:
                if offered & ntpsh_hwtstamp_filter_ntp_all != 0 { return ntpsh_hwtstamp_filter_ntp_all_value }
                if offered & ntpsh_hwtstamp_filter_all != 0 { return ntpsh_hwtstamp_filter_all_value }
                return ntpsh_hwtstamp_filter_none_value
            case .ntp: return ntpsh_hwtstamp_filter_ntp_all_value
            case .ptp: return ntpsh_hwtstamp_filter_ptp_v2_event_value
            case .all: return ntpsh_hwtstamp_filter_all_value
            case .none: return ntpsh_hwtstamp_filter_none_value
            }
        }
    }

    /// Why the kernel or the driver would not turn hardware stamps on; the message says so
    /// and that software stamps stay.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var interface: String
        public var errno: Errno

        public var description: String {
            let why: String
            switch errno.rawValue {
            case EPERM: why = "not permitted (SIOCSHWTSTAMP needs CAP_NET_ADMIN)"
            case EOPNOTSUPP: why = "the driver has no hardware timestamping"
            case ERANGE: why = "the driver refused that transmit mode or receive filter"
            case ENODEV: why = "no such interface"
            default: why = errno.description
            }
            return "\(interface): hardware timestamping not enabled: \(why); kernel software stamps kept"
        }
    }

    /// Turns the interface's hardware stamping on (transmit on, the receive filter `filter`
    /// picks from what the NIC offers). Returns the receive filter the driver set (it may
    /// stamp more than asked). The NIC's setting is system-wide: other programs (ptp4l) see it.
    public static func enable(_ interface: String, filter: ReceiveFilter = .any, offered: UInt32 = 0)
        throws(Refusal) -> Int32 {
        var granted: Int32 = 0
        let r = interface.withCString { ntpsh_hwtstamp_set($0, ntpsh_hwtstamp_tx_on_value, filter.kernelValue(offered: offered), &granted) }
        if r != 0 {
            let code = Glibc.errno
            throw Refusal(interface: interface, errno: Errno(rawValue: code == ENOTTY ? EOPNOTSUPP : code))
        }
        return granted
    }

    /// The interface's link speed in Mb/s (ETHTOOL_GLINKSETTINGS, else ETHTOOL_GSET); nil when
    /// the driver does not know it (lo, veth before it is up): no frame-length correction then.
    public static func linkSpeed(_ interface: String) -> Int? {
        let speed = interface.withCString { ntpsh_link_speed($0) }
        return speed > 0 ? Int(speed) : nil
    }
}

/// A PTP hardware clock (/dev/ptpN) read against CLOCK_REALTIME: PTP_SYS_OFFSET_PRECISE (a
/// hardware cross-timestamp) where the driver has it, else PTP_SYS_OFFSET_EXTENDED (the
/// device read between two system reads, by the driver), else PTP_SYS_OFFSET; the first that
/// works is kept. Its readings go to NTPEngine's `HardwareClockSample.combining` and
/// `HardwareClockFit`.
public final class PTPClock {
    public enum Method: String, Sendable { case precise, extended, basic }

    public let index: Int
    private let fd: Int32
    /// The method that last worked (nil before the first read).
    public private(set) var method: Method?

    /// Opens /dev/ptp`index` read-only. Throws (ENOENT: no such clock).
    public init(index: Int) throws(SystemCallError) {
        self.index = index
        let path = "/dev/ptp\(index)"
        fd = try systemCall("open") { path.withCString { open($0, O_RDONLY | O_CLOEXEC) } }
    }

    deinit { close(fd) }

    /// Reads the clock `count` times (1...25; one for a cross-timestamp): device and system
    /// times in nanoseconds, as (system before, device, system after).
    public func read(count: Int = 10) throws(SystemCallError)
        -> [(systemBefore: Int64, device: Int64, systemAfter: Int64)] {
        precondition((1...25).contains(count), "PTP_SYS_OFFSET takes 1 to 25 readings")
        let order: [(Method, Int32)] = [(.precise, Int32(ntpsh_phc_precise)), (.extended, Int32(ntpsh_phc_extended)),
                                        (.basic, Int32(ntpsh_phc_basic))]
        var readings = [ntpsh_phc_reading](repeating: ntpsh_phc_reading(), count: 25)
        var lastError = SystemCallError("ioctl(PTP_SYS_OFFSET)", errno: Errno(rawValue: EOPNOTSUPP))
        for (method, code) in order where self.method == nil || self.method == method {
            let n = ntpsh_phc_read(fd, code, Int32(count), &readings)
            if n > 0 {
                self.method = method
                return readings.prefix(Int(n)).map { ($0.system_before, $0.device, $0.system_after) }
            }
            let code = Glibc.errno
            lastError = SystemCallError("ioctl(PTP_SYS_OFFSET_\(method.rawValue.uppercased()))", errno: Errno(rawValue: code))
            // Only "this driver lacks that method" moves on to the next one.
            guard code == EOPNOTSUPP || code == ENOTTY || code == EINVAL, self.method == nil else { throw lastError }
        }
        throw lastError
    }
}
