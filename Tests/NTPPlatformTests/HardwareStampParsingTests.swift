import CNTPPlatform
import Glibc
import NTPEngine
import NTPWire
import SystemPackage
@testable import NTPPlatform
import Testing

/// The receive path's control-message parser (`parseControl`) on control messages built here as
/// the kernel lays them out, and the hardware enable path's refusals on the devices this
/// machine has (no NIC with a PTP clock: see HardwareTimestamping's documentation).
@Suite struct HardwareStampParsingTests {
    struct Message {
        var level: Int32
        var type: Int32
        var write: (UnsafeMutableRawPointer) -> Int
    }

    static func stamping(software: timespec, hardware: timespec) -> Message {
        Message(level: SOL_SOCKET, type: ntpsh_scm_timestamping) {
            writeControl((software, timespec(), hardware), level: SOL_SOCKET, type: ntpsh_scm_timestamping, into: $0)
        }
    }

    /// Parses the messages written one after another, as recvmsg would hand them over.
    static func parse(_ messages: [Message], sourceIsIPv4: Bool = true) -> ControlMessages {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: receiveControlSize, alignment: 8)
        defer { buffer.deallocate() }
        var length = 0
        for m in messages { length += m.write(buffer + length) }
        var msg = msghdr()
        msg.msg_control = buffer
        msg.msg_controllen = length
        return withUnsafeMutablePointer(to: &msg) { parseControl($0, sourceIsIPv4: sourceIsIPv4) }
    }

    @Test func theRawHardwareStampIsTakenFromTheThirdSlot() {
        let c = Self.parse([
            Self.stamping(software: timespec(tv_sec: 1_800_000_000, tv_nsec: 123_456_789),
                          hardware: timespec(tv_sec: 1_800_000_037, tv_nsec: 5)),
            Message(level: SOL_SOCKET, type: ntpsh_scm_timestamping_pktinfo) {
                var info = scm_ts_pktinfo()
                info.if_index = 7
                info.pkt_length = 90
                return writeControl(info, level: SOL_SOCKET, type: ntpsh_scm_timestamping_pktinfo, into: $0)
            },
        ])
        #expect(c.time == UnixTime(seconds: 1_800_000_000, nanoseconds: 123_456_789))
        #expect(c.hardwareStamp == 1_800_000_037_000_000_005)
        #expect(c.hardwareInterfaceIndex == 7 && c.hardwareFrameLength == 90)
    }

    @Test func withoutAHardwareStampTheSoftwareOneStands() {
        let c = Self.parse([
            Self.stamping(software: timespec(tv_sec: 1_800_000_000, tv_nsec: 42), hardware: timespec()),
            Message(level: Int32(IPPROTO_IP), type: IP_PKTINFO) {
                var info = in_pktinfo()
                info.ipi_ifindex = 3
                info.ipi_addr = IPAddress.v4(0x7F00_0001).inAddr
                return writeControl(info, level: Int32(IPPROTO_IP), type: IP_PKTINFO, into: $0)
            },
        ])
        #expect(c.time == UnixTime(seconds: 1_800_000_000, nanoseconds: 42))
        #expect(c.hardwareStamp == nil && c.hardwareInterfaceIndex == nil && c.hardwareFrameLength == nil)
        #expect(c.destination == PacketDestination(ip: .v4(0x7F00_0001), interfaceIndex: 3))
        // A hardware-only stamp (the software one not asked for): the software time stays nil.
        let hardwareOnly = Self.parse([Self.stamping(software: timespec(), hardware: timespec(tv_sec: 9, tv_nsec: 1))])
        #expect(hardwareOnly.time == nil && hardwareOnly.hardwareStamp == 9_000_000_001)
        // A truncated scm_timestamping (shorter than three stamps) is not read past its end.
        let short = Self.parse([Message(level: SOL_SOCKET, type: ntpsh_scm_timestamping) {
            writeControl(timespec(tv_sec: 5, tv_nsec: 0), level: SOL_SOCKET, type: ntpsh_scm_timestamping, into: $0)
        }])
        #expect(short.time == nil && short.hardwareStamp == nil)
    }

    @Test func theDriverOfLoRefusesAndSaysSoftwareStampsAreKept() throws {
        do {
            let granted = try HardwareTimestamping.enable("lo")
            Issue.record("SIOCSHWTSTAMP on lo was accepted (filter \(granted))")
        } catch {
            // Root: the driver has none (EOPNOTSUPP); without CAP_NET_ADMIN: EPERM.
            #expect(error.errno.rawValue == EOPNOTSUPP || error.errno.rawValue == EPERM, "\(error.errno)")
            #expect(error.description.hasPrefix("lo: hardware timestamping not enabled: "))
            #expect(error.description.hasSuffix("; kernel software stamps kept"))
        }
        #expect(throws: HardwareTimestamping.Refusal(interface: "ntpsh-none0", errno: Errno(rawValue: ENODEV))) {
            try HardwareTimestamping.enable("ntpsh-none0")
        }
        #expect(HardwareTimestamping.Refusal(interface: "eth0", errno: Errno(rawValue: ERANGE)).description
            == "eth0: hardware timestamping not enabled: the driver refused that transmit mode or receive filter; kernel software stamps kept")
        #expect(HardwareTimestamping.linkSpeed("lo") == nil, "lo has no link speed")
    }

    /// A veth pair in a network namespace of this test's own (unshare on a thread of its own:
    /// the rest of the process keeps the machine's namespace; the pair goes with the thread).
    @Test func aVethPairRefusesTooAndKeepsSoftwareStamps() throws {
        final class Outcome: @unchecked Sendable {
            var setup: String?
            var refusal: HardwareTimestamping.Refusal?
            var accepted = false
            var offersHardware = true
        }
        let outcome = Outcome()
        let thread = try PlatformThread(name: "veth-ns") {
            guard ntpsh_unshare_network() == 0 else { outcome.setup = "unshare(CLONE_NEWNET): errno \(errno)"; return }
            // posix_spawn from this thread: the child is in this thread's namespace.
            let args = ["ip", "link", "add", "ntpsh-t0", "type", "veth", "peer", "name", "ntpsh-t1"]
            var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
            defer { for a in argv { free(a) } }
            var pid: pid_t = 0
            guard posix_spawnp(&pid, "ip", nil, nil, &argv, environ) == 0 else { outcome.setup = "spawn ip"; return }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            guard status == 0 else { outcome.setup = "ip link add veth: status \(status)"; return }
            outcome.offersHardware = (try? TimestampingCapabilities.query("ntpsh-t0"))?.offersHardware ?? true
            do {
                _ = try HardwareTimestamping.enable("ntpsh-t0", filter: .all)
                outcome.accepted = true
            } catch {
                outcome.refusal = error as? HardwareTimestamping.Refusal
            }
        }
        thread.join()
        try #require(outcome.setup == nil, "\(outcome.setup ?? "")")
        #expect(!outcome.offersHardware, "veth offers no hardware stamps")
        #expect(!outcome.accepted)
        #expect(outcome.refusal?.errno.rawValue == EOPNOTSUPP, "\(String(describing: outcome.refusal))")
        #expect(outcome.refusal?.description
            == "ntpsh-t0: hardware timestamping not enabled: the driver has no hardware timestamping; kernel software stamps kept")
    }

    @Test func aSocketAsksForHardwareStampsAndKeepsItsSoftwareOnes() throws {
        // The kernel accepts the flags on any socket; on lo only software stamps come.
        let socket = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        try socket.enableHardwareTimestamps()
        #expect(socket.hardwareTimestamps && socket.transmitTimestamps)
    }

    @Test func theFilterFollowsWhatTheNICOffers() {
        let both = ntpsh_hwtstamp_filter_all | ntpsh_hwtstamp_filter_ntp_all
        #expect(HardwareTimestamping.ReceiveFilter.any.kernelValue(offered: both) == ntpsh_hwtstamp_filter_ntp_all_value)
        #expect(HardwareTimestamping.ReceiveFilter.any.kernelValue(offered: ntpsh_hwtstamp_filter_all) == ntpsh_hwtstamp_filter_all_value)
        #expect(HardwareTimestamping.ReceiveFilter.any.kernelValue(offered: 0) == ntpsh_hwtstamp_filter_none_value)
        #expect(HardwareTimestamping.ReceiveFilter.ptp.kernelValue(offered: both) == ntpsh_hwtstamp_filter_ptp_v2_event_value)
    }

    @Test func aMissingPTPClockIsAnError() {
        #expect(throws: SystemCallError("open", errno: Errno(rawValue: ENOENT))) { try PTPClock(index: 250) }
    }
}
