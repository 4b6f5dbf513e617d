public import NTPEngine
public import NTPWire
import CNTPPlatform
import Glibc

/// Where a datagram arrived: the local (header destination) address from IP_PKTINFO or
/// IPV6_PKTINFO, and the interface. A reply sent *from* it leaves from the address the client
/// asked, whatever address the socket is bound to.
public struct PacketDestination: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var interfaceIndex: UInt32

    public init(ip: IPAddress, interfaceIndex: UInt32 = 0) {
        self.ip = ip
        self.interfaceIndex = interfaceIndex
    }

    public var description: String { "\(ip) if \(interfaceIndex)" }
}

/// What arrived with one datagram. A plain value: reading it allocates nothing.
public struct ReceivedDatagram: Hashable, Sendable {
    /// Bytes received (at most the buffer size; see ``truncated``).
    public var length: Int
    public var source: SocketAddress
    /// The kernel's receive timestamp (SO_TIMESTAMPNS, or SO_TIMESTAMPING's software stamp;
    /// CLOCK_REALTIME), nil if none came.
    public var receiveTime: UnixTime?
    /// The local address the datagram was sent to, nil if no pktinfo came.
    public var destination: PacketDestination?
    /// The datagram was longer than the buffer (MSG_TRUNC).
    public var truncated: Bool
    /// The NIC's raw receive stamp (scm_timestamping's ts[2], nanoseconds of its PTP clock at
    /// the frame's start) and the interface that took it; nil unless hardware stamping was
    /// turned on for the socket (``UDPSocket/enableHardwareTimestamps()``) and the NIC stamped it.
    public var hardwareStamp: Int64?
    public var hardwareInterfaceIndex: UInt32?

    public init(
        length: Int, source: SocketAddress, receiveTime: UnixTime? = nil,
        destination: PacketDestination? = nil, truncated: Bool = false,
        hardwareStamp: Int64? = nil, hardwareInterfaceIndex: UInt32? = nil
    ) {
        self.length = length; self.source = source; self.receiveTime = receiveTime
        self.destination = destination; self.truncated = truncated
        self.hardwareStamp = hardwareStamp; self.hardwareInterfaceIndex = hardwareInterfaceIndex
    }
}

/// Control-message space for one received datagram: a timestamp (up to scm_timestamping's
/// three), both pktinfo kinds, slack.
let receiveControlSize = 256
/// Control-message space for one sent datagram: one pktinfo (40 bytes at most) and an
/// SO_TIMESTAMPING request (24).
let sendControlSize = 64

/// What the control messages of one received datagram (or one transmit-stamp entry of the
/// error queue) say. The hardware fields stay nil on every socket unless hardware stamping
/// was turned on for it (``HardwareTimestamping``): a software-only device never fills them.
struct ControlMessages {
    /// The kernel's software stamp: SO_TIMESTAMPNS, or scm_timestamping's ts[0].
    var time: UnixTime?
    /// Where the datagram arrived (IP_PKTINFO/IPV6_PKTINFO, the one matching the source).
    var destination: PacketDestination?
    /// The NIC's raw stamp, scm_timestamping's ts[2], nanoseconds of its PTP clock.
    var hardwareStamp: Int64?
    /// SCM_TIMESTAMPING_PKTINFO (SO_TIMESTAMPING's OPT_PKTINFO, with a hardware stamp): the
    /// interface whose clock took the stamp, and the frame's length at layer 2.
    var hardwareInterfaceIndex: UInt32?
    var hardwareFrameLength: Int?
}

/// Reads the timestamp and pktinfo control messages of a received `msghdr`.
@inline(__always)
func parseControl(_ msg: UnsafeMutablePointer<msghdr>, sourceIsIPv4: Bool) -> ControlMessages {
    var out = ControlMessages()
    var v4: PacketDestination?
    var v6: PacketDestination?
    var cmsg = ntpsh_cmsg_firsthdr(msg)
    while let c = cmsg {
        let data = UnsafeRawPointer(ntpsh_cmsg_data(c)!)
        let level = c.pointee.cmsg_level
        let type = c.pointee.cmsg_type
        if level == SOL_SOCKET && type == SCM_TIMESTAMPNS {
            let ts = data.loadUnaligned(as: timespec.self)
            out.time = UnixTime(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
        } else if level == SOL_SOCKET && type == ntpsh_scm_timestamping
                    && c.pointee.cmsg_len >= ntpsh_cmsg_len(3 * MemoryLayout<timespec>.stride) {
            // struct scm_timestamping: ts[0] software, ts[1] legacy (unused), ts[2] raw hardware;
            // a zero stamp is one the kernel did not take.
            let ts = data.loadUnaligned(as: timespec.self)
            if ts.tv_sec != 0 || ts.tv_nsec != 0 {
                out.time = UnixTime(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
            }
            let raw = data.loadUnaligned(fromByteOffset: 2 * MemoryLayout<timespec>.stride, as: timespec.self)
            if raw.tv_sec != 0 || raw.tv_nsec != 0 {
                out.hardwareStamp = Int64(raw.tv_sec) * 1_000_000_000 + Int64(raw.tv_nsec)
            }
        } else if level == SOL_SOCKET && type == ntpsh_scm_timestamping_pktinfo {
            let info = data.loadUnaligned(as: scm_ts_pktinfo.self)
            out.hardwareInterfaceIndex = info.if_index
            out.hardwareFrameLength = Int(info.pkt_length)
        } else if level == Int32(IPPROTO_IP) && type == IP_PKTINFO {
            let info = data.loadUnaligned(as: in_pktinfo.self)
            v4 = PacketDestination(ip: IPAddress(info.ipi_addr), interfaceIndex: UInt32(bitPattern: info.ipi_ifindex))
        } else if level == Int32(IPPROTO_IPV6) && type == ntpsh_ipv6_pktinfo {
            let info = data.loadUnaligned(as: ntpsh_in6_pktinfo.self)
            let ip = IPAddress(info.ipi6_addr)
            let scoped: IPAddress = ip.isLinkLocalIPv6
                ? { if case .v6(let h, let l, _) = ip { return .v6(high: h, low: l, scope: info.ipi6_ifindex) }; return ip }()
                : ip
            v6 = PacketDestination(ip: scoped, interfaceIndex: info.ipi6_ifindex)
        }
        cmsg = ntpsh_cmsg_nxthdr(msg, c)
    }
    // A dual-stack socket reports both kinds for IPv4 clients; use the one matching the source.
    out.destination = sourceIsIPv4 ? (v4 ?? v6) : (v6 ?? v4)
    return out
}

/// Writes an IP_PKTINFO or IPV6_PKTINFO control message asking to send from `source` into
/// `control` and returns its length (0 when `source` is unspecified).
@inline(__always)
func writeSourceControl(_ source: PacketDestination, into control: UnsafeMutableRawPointer) -> Int {
    guard !source.ip.isUnspecified else { return 0 }
    switch source.ip {
    case .v4:
        var info = in_pktinfo()
        info.ipi_spec_dst = source.ip.inAddr
        return writeControl(info, level: Int32(IPPROTO_IP), type: IP_PKTINFO, into: control)
    case .v6:
        var info = ntpsh_in6_pktinfo()
        info.ipi6_addr = source.ip.in6Addr
        // The interface matters only where the address alone is ambiguous.
        info.ipi6_ifindex = source.ip.isLinkLocalIPv6 ? source.interfaceIndex : 0
        return writeControl(info, level: Int32(IPPROTO_IPV6), type: ntpsh_ipv6_pktinfo, into: control)
    }
}

/// Writes the control message asking for a software transmit timestamp of one datagram
/// (SO_TIMESTAMPING with TX_SOFTWARE) into `control`; returns its length.
@inline(__always)
func writeTransmitTimestampControl(into control: UnsafeMutableRawPointer) -> Int {
    writeControl(UInt32(ntpsh_timestamping_tx_software), level: SOL_SOCKET, type: ntpsh_so_timestamping, into: control)
}

/// Writes one control message carrying `value` at `control`; returns the space it takes.
@inline(__always)
func writeControl<T>(_ value: T, level: Int32, type: Int32, into control: UnsafeMutableRawPointer) -> Int {
    let size = MemoryLayout<T>.size
    let space = ntpsh_cmsg_space(size)
    control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
    let cmsg = control.assumingMemoryBound(to: cmsghdr.self)
    cmsg.pointee.cmsg_len = ntpsh_cmsg_len(size)
    cmsg.pointee.cmsg_level = level
    cmsg.pointee.cmsg_type = type
    UnsafeMutableRawPointer(ntpsh_cmsg_data(cmsg)!).storeBytes(of: value, as: T.self)
    return space
}
