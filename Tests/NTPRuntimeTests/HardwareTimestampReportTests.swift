@testable import NTPPlatform
@testable import NTPRuntime
import Testing

/// What `hwtimestamp` says for an interface: the enable path runs only behind the capability
/// check, and a refusal is reported with software stamps kept.
@Suite struct HardwareTimestampReportTests {
    static let nic = TimestampingCapabilities(interface: "ntpsh-none0", transmitSoftware: true, receiveSoftware: true,
                                              transmitHardware: true, receiveHardware: true, rawHardware: true,
                                              clockIndex: 0, filtersNTP: true, transmitOn: true, receiveFilters: 1)

    @Test func aRefusedEnableIsReportedAndSoftwareStampsKept() {
        // Described as offering hardware stamps, but no such device: SIOCSHWTSTAMP fails (ENODEV).
        #expect(Daemon.describe(Self.nic) == "ntpsh-none0: hardware timestamps offered (PHC /dev/ptp0); "
            + "ntpsh-none0: hardware timestamping not enabled: no such interface; kernel software stamps kept")
    }

    @Test func aSoftwareOnlyDeviceIsNotTouched() throws {
        let lo = try TimestampingCapabilities.query("lo")
        #expect(Daemon.describe(lo) == lo.summary, "no SIOCSHWTSTAMP attempted where nothing is offered")
        var partial = Self.nic
        partial.rawHardware = false
        #expect(Daemon.describe(partial) == "ntpsh-none0: hardware stamping incomplete (PHC /dev/ptp0): kernel software stamps")
    }
}
