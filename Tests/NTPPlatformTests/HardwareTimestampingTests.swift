import Glibc
@testable import NTPPlatform
import Testing

/// `hwtimestamp`'s question to the kernel (ETHTOOL_GET_TS_INFO), on the one interface every
/// machine has: `lo`, a software-only device (no PTP clock, no hardware stamps).
@Suite struct HardwareTimestampingTests {
    @Test func loopbackOffersSoftwareStampsOnly() throws {
        #expect(TimestampingCapabilities.interfaces().contains("lo"))
        let lo = try TimestampingCapabilities.query("lo")
        #expect(lo.interface == "lo")
        #expect(!lo.offersHardware && lo.clockIndex == nil && !lo.transmitHardware && !lo.receiveHardware)
        #expect(lo.transmitSoftware && lo.receiveSoftware, "the kernel's default answer for a driver without ethtool stamping")
        #expect(lo.summary == "lo: software timestamping only (transmit, receive), no hardware clock: kernel software stamps")
    }

    @Test func anInterfaceThatDoesNotExistIsAnError() {
        for name in ["ntpsh-none0", "a-name-far-too-long-for-ifnamsiz"] {
            #expect(throws: SystemCallError.self, "\(name)") { try TimestampingCapabilities.query(name) }
            do {
                _ = try TimestampingCapabilities.query(name)
            } catch {
                #expect(error.errno == .operationNotSupportedByDevice, "ENODEV for \(name)")
            }
        }
    }

    /// A NIC with a PTP clock (none here: described, as ETHTOOL_GET_TS_INFO would) is reported
    /// as offering hardware stamps, and as not used.
    @Test func aNICWithAHardwareClockIsReportedAsNotUsed() {
        let nic = TimestampingCapabilities(interface: "eth0", transmitSoftware: true, receiveSoftware: true,
                                           transmitHardware: true, receiveHardware: true, rawHardware: true,
                                           clockIndex: 0, filtersNTP: true, transmitOn: true)
        #expect(nic.offersHardware)
        #expect(nic.summary == "eth0: hardware timestamps offered (PHC /dev/ptp0)")
        var partial = nic
        partial.filtersNTP = false
        #expect(!partial.offersHardware)
        #expect(partial.summary == "eth0: hardware stamping incomplete (PHC /dev/ptp0): kernel software stamps")
    }
}
