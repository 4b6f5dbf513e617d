public import NTPAdmin
public import NTPEngine
import NTPWire

/// Turns the engine's sample history into lines of ntpd's statistics files, remembering what it
/// has written. The formats are NTPsec's (ntp_util.c), which ntpviz reads:
///
///     loopstats: MJD seconds offset(s) frequency(ppm) jitter(s) wander(ppm) time-constant
///     peerstats: MJD seconds address status(hex) offset(s) delay(s) dispersion(s) jitter(s)
///
/// where MJD is the modified Julian day and seconds are past UTC midnight, to the millisecond,
/// both from the engine's clock (a lab's clock in a lab).
public struct StatisticsWriter: Sendable {
    public private(set) var settings = StatisticsSettings()
    private var loopWritten = 0
    private var peersWritten = 0
    /// The file the last failure was about (a failure is said once per file, not per line).
    private var failedPath: String?

    public init() {}

    /// `statsdir`/`statistics`/`filegen` took effect: statistics switched on now start from
    /// now (what `history` holds is passed over).
    public mutating func configure(_ settings: StatisticsSettings, history: SampleHistory) {
        if !self.settings.isActive { skip(history) }
        self.settings = settings
        failedPath = nil
    }

    /// Appends the lines recorded since the last call with `append` (nil: written, else the
    /// error). Returns a message for a file that failed, once per file.
    public mutating func write(from history: SampleHistory, append: (_ path: String, _ text: String) -> String?) -> String? {
        guard settings.isActive else { return nil }
        var message: String?
        for (path, text) in take(from: history) {
            guard let error = append(path, text), failedPath != path else { continue }
            failedPath = path
            message = "cannot write statistics file \(path): \(error)"
        }
        return message
    }

    /// Lines to append, by file, for the samples recorded since the last call; the samples of
    /// kinds not enabled are passed over. A history that restarted (a new engine) is read from
    /// its beginning.
    public mutating func take(from history: SampleHistory) -> [(path: String, text: String)] {
        guard history.loop.total != loopWritten || history.peers.total != peersWritten else { return [] }
        if history.loop.total < loopWritten { loopWritten = 0 }
        if history.peers.total < peersWritten { peersWritten = 0 }
        let loops = history.loop.since(loopWritten)
        let peers = history.peers.since(peersWritten)
        loopWritten = history.loop.total
        peersWritten = history.peers.total
        var out: [(path: String, text: String)] = []
        func add(_ path: String, _ line: String) {
            if let last = out.indices.last, out[last].path == path { out[last].text += line } else { out.append((path, line)) }
        }
        if settings.files[.loopstats]?.enabled == true {
            for s in loops { add(settings.path(.loopstats, at: s.time), Self.loopLine(s)) }
        }
        if settings.files[.peerstats]?.enabled == true {
            for s in peers { add(settings.path(.peerstats, at: s.time), Self.peerLine(s)) }
        }
        return out
    }

    /// Marks everything recorded so far as written (statistics switched on now start from now).
    public mutating func skip(_ history: SampleHistory) {
        loopWritten = history.loop.total
        peersWritten = history.peers.total
    }

    /// `60676 3723.042`: modified Julian day and seconds past UTC midnight.
    static func mjdTime(_ t: UnixTime) -> String {
        let (seconds, nanoseconds) = t.secondsAndNanoseconds
        let (days, rem) = UnixTime.daysAndSecondOfDay(seconds)
        let ms = Int64(nanoseconds) / 1_000_000
        return "\(days + 40_587) \(rem).\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)"
    }

    static func loopLine(_ s: LoopSample) -> String {
        "\(mjdTime(s.time)) \(formatFixed(s.offset, 9)) \(formatFixed(s.frequency, 6)) \(formatFixed(s.jitter, 9)) "
            + "\(formatFixed(s.wander, 6)) \(s.timeConstant)\n"
    }

    static func peerLine(_ s: PeerSample) -> String {
        var flags: UInt16 = 0
        if s.configured { flags |= 0x80 }
        if s.reachable { flags |= 0x10 }
        let status = (flags | UInt16(PeerStatusWord.selectCode(s.select))) << 8
        return "\(mjdTime(s.time)) \(s.address) \(String(status, radix: 16)) \(formatFixed(s.offset, 9)) "
            + "\(formatFixed(s.delay, 9)) \(formatFixed(s.dispersion, 9)) \(formatFixed(s.jitter, 9))\n"
    }
}
