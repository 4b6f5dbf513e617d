public import NTPEngine
import NTPWire

/// `tracking`: chronyc's `tracking` layout (chrony 4.x client.c) from the system report.
///
/// Mapping: System time is the part of the last correction still being slewed (chrony's
/// "current correction", positive: the clock is slow); Last offset the last offset corrected;
/// RMS offset the clock jitter; Frequency the correction in effect, worded as chrony does the
/// uncorrected clock's error (a positive correction: the clock is slow); Residual freq and Skew
/// the system peer's regression (frequency estimate and its standard error); Update interval
/// the system peer's poll interval.
public enum TrackingView {
    public static func text(_ r: SystemReport) -> String {
        let v = r.variables
        // Unsynchronised, chronyc shows reference 00000000 () at stratum 0.
        let synced = v.isSynchronized
        let name = synced ? (r.systemPeer.map { PeersView.remoteName($0, numeric: false) } ?? "") : ""
        let refid = synced ? CFormat.hex(UInt64(v.referenceID.rawValue), width: 8).uppercased() : "00000000"
        let refTime = v.referenceTime.map { CivilTime(unixSeconds: $0.secondsAndNanoseconds.seconds) } ?? CivilTime(unixSeconds: 0)
        let correction = r.clock.remainingSlew.value
        let chronyFreq = -v.frequency + 0  // + 0: no negative zero
        let residual = -(r.systemPeer?.estimate?.frequency ?? 0) * 1e6 + 0
        let skew = (r.systemPeer?.estimate?.frequencyError ?? 0) * 1e6
        let interval = r.systemPeer.map { PollExponent($0.poll).seconds } ?? 0
        let leap: String
        switch v.isSynchronized ? v.leap : .unsynchronized {
        case .noWarning: leap = "Normal"
        case .insertSecond: leap = "Insert second"
        case .deleteSecond: leap = "Delete second"
        case .unsynchronized: leap = "Not synchronised"
        }
        return """
        Reference ID    : \(refid) (\(name))
        Stratum         : \(synced ? v.stratum : 0)
        Ref time (UTC)  : \(refTime.chrony)
        System time     : \(CFormat.fixed(abs(correction), 9)) seconds \(correction > 0 ? "slow" : "fast") of NTP time
        Last offset     : \(signed(v.offset, 9)) seconds
        RMS offset      : \(CFormat.fixed(v.clockJitter, 9)) seconds
        Frequency       : \(CFormat.fixed(abs(chronyFreq), 3)) ppm \(chronyFreq > 0 ? "fast" : "slow")
        Residual freq   : \(signed(residual, 3)) ppm
        Skew            : \(CFormat.fixed(skew, 3)) ppm
        Root delay      : \(CFormat.fixed(v.rootDelay, 9)) seconds
        Root dispersion : \(CFormat.fixed(r.rootDispersionNow.value, 9)) seconds
        Update interval : \(CFormat.fixed(interval, 1)) seconds
        Leap status     : \(leap)

        """
    }

    /// `%+.Nf`.
    static func signed(_ x: Double, _ digits: Int) -> String {
        let s = CFormat.fixed(x, digits)
        return s.hasPrefix("-") ? s : "+" + s
    }

    public static func json(_ r: SystemReport) -> JSONValue {
        let v = r.variables
        return .object([
            ("reference_id", .string(CFormat.hex(UInt64(v.referenceID.rawValue), width: 8).uppercased())),
            ("reference_name", .optional(r.systemPeer.map { PeersView.remoteName($0, numeric: false) })),
            ("stratum", .int(Int64(v.stratum))),
            ("ref_time", .optional(v.referenceTime.map { CivilTime(unixSeconds: $0.secondsAndNanoseconds.seconds).iso8601 + "Z" })),
            ("system_time_s", .double(r.clock.remainingSlew.value)),
            ("last_offset_s", .double(v.offset)),
            ("rms_offset_s", .double(v.clockJitter)),
            ("frequency_ppm", .double(v.frequency)),
            ("residual_frequency_ppm", .double(-(r.systemPeer?.estimate?.frequency ?? 0) * 1e6)),
            ("skew_ppm", .double((r.systemPeer?.estimate?.frequencyError ?? 0) * 1e6)),
            ("root_delay_s", .double(v.rootDelay)),
            ("root_dispersion_s", .double(r.rootDispersionNow.value)),
            ("update_interval_s", .double(r.systemPeer.map { PollExponent($0.poll).seconds } ?? 0)),
            ("leap_status", .string(v.isSynchronized ? ["normal", "insert", "delete", "unsynchronised"][Int(v.leap.rawValue)] : "unsynchronised")),
        ])
    }
}
