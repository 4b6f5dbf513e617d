public import NTPWire

/// Identifies an association for the life of the engine (ntpq's `assid`).
public struct AssociationID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (a: AssociationID, b: AssociationID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// How an association was configured (the `server`, `pool` and `peer` directives).
public struct AssociationConfiguration: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, Equatable {
        /// `server`: a unicast client association.
        case server
        /// `pool`: a name that brings in several servers (this entry spawns them).
        case pool
        /// The undisciplined local clock, `server 127.127.1.0`.
        case localClock
        /// `peer`: a symmetric active association (mode 1); the other side answers in mode 2.
        case peer
    }

    public var kind: Kind
    /// The address or name as the admin wrote it.
    public var host: String
    public var port: UInt16 = 123
    public var iburst = false
    public var burst = false
    public var prefer = false
    public var noselect = false
    public var minPoll: Int8 = NTPConstants.defaultMinPoll
    public var maxPoll: Int8 = NTPConstants.defaultMaxPoll
    public var version: UInt8 = 4
    /// The local clock's stratum (`fudge 127.127.1.0 stratum N`); ntpd's default is 5.
    public var localStratum: UInt8 = 5
    /// `key N`: requests carry a MAC under key N and replies must carry a valid one under it.
    public var key: UInt32?
    /// `xleave`: interleaved mode (RFC 9769, as chrony's and ntpd's): once a basic exchange has
    /// seeded it, requests ask the server for the kernel transmit timestamp of its previous
    /// reply, and the sample is taken from that exchange; basic while the server answers basic.
    public var xleave = false
    /// `nts` (`ntsport N`): requests and replies are protected with NTS (RFC 8915), keys and
    /// cookies from NTS-KE at this TCP port of the host. The runtime wraps and checks the
    /// packets around the engine; the engine only carries the setting.
    public var ntsKEPort: UInt16?

    public init(kind: Kind = .server, host: String) {
        self.kind = kind
        self.host = host
    }

    private enum CodingKeys: String, CodingKey {
        case kind, host, port, iburst, burst, prefer, noselect, minPoll, maxPoll, version, localStratum, key, xleave, ntsKEPort
    }

    // `xleave` came later (the control protocol is append-only): absent reads as false.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        host = try c.decode(String.self, forKey: .host)
        port = try c.decode(UInt16.self, forKey: .port)
        iburst = try c.decode(Bool.self, forKey: .iburst)
        burst = try c.decode(Bool.self, forKey: .burst)
        prefer = try c.decode(Bool.self, forKey: .prefer)
        noselect = try c.decode(Bool.self, forKey: .noselect)
        minPoll = try c.decode(Int8.self, forKey: .minPoll)
        maxPoll = try c.decode(Int8.self, forKey: .maxPoll)
        version = try c.decode(UInt8.self, forKey: .version)
        localStratum = try c.decode(UInt8.self, forKey: .localStratum)
        key = try c.decodeIfPresent(UInt32.self, forKey: .key)
        xleave = try c.decodeIfPresent(Bool.self, forKey: .xleave) ?? false
        ntsKEPort = try c.decodeIfPresent(UInt16.self, forKey: .ntsKEPort)
    }

    /// `server 127.127.1.0` is the local clock driver, whatever kind was asked.
    public static func isLocalClockAddress(_ host: String) -> Bool {
        host.hasPrefix("127.127.1.")
    }
}

/// Where an association is in its life.
public enum AssociationState: String, Sendable, Codable, Equatable {
    /// Waiting for its name to resolve.
    case resolving
    /// Name did not resolve; retried with backoff.
    case unresolved
    /// Polling.
    case active
    /// Stopped by a DENY or RSTR kiss.
    case denied
}

/// The selection status of an association, which `peers` shows as its tally code.
public enum SelectStatus: Character, Sendable, Equatable, CaseIterable {
    /// Rejected: unreachable, unsynchronised, too far, or not selectable.
    case reject = " "
    /// Falseticker: its interval misses the intersection.
    case falseticker = "x"
    /// Excess: beyond `tos maxclock`.
    case excess = "."
    /// Outlier: discarded by the cluster algorithm.
    case outlier = "-"
    /// Candidate: survives and is combined.
    case candidate = "+"
    /// Backup: survives, not combined.
    case backup = "#"
    /// The system peer.
    case systemPeer = "*"
    /// The PPS peer.
    case ppsPeer = "o"

    public var tally: Character { rawValue }
}

/// Counters ntpq's `rv ASSOCID` and `peers` need about packets from one source.
public struct AssociationCounters: Sendable, Codable, Equatable {
    public var sent: UInt64 = 0
    public var received: UInt64 = 0
    public var duplicate: UInt64 = 0
    public var bogusOrigin: UInt64 = 0
    public var unsynchronised: UInt64 = 0
    public var badHeader: UInt64 = 0
    public var kisses: UInt64 = 0
    /// Replies rejected by authentication (no MAC, wrong key, bad MAC, crypto-NAK).
    public var badAuthentication: UInt64 = 0
    /// Polls not sent because the configured key cannot sign (unknown, untrusted).
    public var unsigned: UInt64 = 0
    /// Replies dropped by the restrict list (`ignore`; `notrust` without a valid MAC).
    public var restricted: UInt64 = 0
    /// Replies in interleaved mode (`xleave`).
    public var interleaved: UInt64 = 0
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case sent, received, duplicate, bogusOrigin, unsynchronised, badHeader, kisses, badAuthentication, unsigned, restricted
        case interleaved
    }

    // `restricted` and `interleaved` came later (the control protocol is append-only): absent reads as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sent = try c.decode(UInt64.self, forKey: .sent)
        received = try c.decode(UInt64.self, forKey: .received)
        duplicate = try c.decode(UInt64.self, forKey: .duplicate)
        bogusOrigin = try c.decode(UInt64.self, forKey: .bogusOrigin)
        unsynchronised = try c.decode(UInt64.self, forKey: .unsynchronised)
        badHeader = try c.decode(UInt64.self, forKey: .badHeader)
        kisses = try c.decode(UInt64.self, forKey: .kisses)
        badAuthentication = try c.decode(UInt64.self, forKey: .badAuthentication)
        unsigned = try c.decode(UInt64.self, forKey: .unsigned)
        restricted = try c.decodeIfPresent(UInt64.self, forKey: .restricted) ?? 0
        interleaved = try c.decodeIfPresent(UInt64.self, forKey: .interleaved) ?? 0
    }
}

/// One association: a source polled by this engine (chrony's `ntp_core`). It builds requests,
/// applies RFC 5905's packet tests to replies, keeps the reach register, the poll interval,
/// the clock filter and the source statistics. It does no I/O.
public struct Association: Sendable {
    public let id: AssociationID
    public var configuration: AssociationConfiguration
    /// The resolved address (nil while resolving, and for the local clock).
    public var address: SocketAddress?
    /// For servers a pool spawned: the pool's association.
    public var spawnedBy: AssociationID?
    public var state: AssociationState

    // Values from the last reply (RFC 5905 peer variables).
    public var leap: LeapIndicator = .unsynchronized
    public var stratum: UInt8 = 16
    public var precision = PollExponent(-20)
    public var rootDelay = 0.0
    public var rootDispersion = 0.0
    public var referenceID = ReferenceID(ascii: "INIT")
    /// The last reply's reference ID was the address it reached us at: the source is
    /// synchronised to us (ntpd's loop test), and following it would be a timing loop.
    public var loop = false
    public var referenceTime = NTPTimestamp.zero
    public var peerPoll = PollExponent(0)
    /// Local time the last valid reply arrived.
    public var lastUpdate: UnixTime?

    /// Reach register: bit 0 the last poll.
    public var reach: UInt8 = 0
    /// Polls since the last valid reply.
    public var unreach = 0
    public var poll: Int8
    /// ntpd's poll-adjust counter.
    var pollCounter = 0
    /// Packets of the current burst still to send.
    var burstRemaining = 0
    /// When the next request is due (local time).
    public var nextPoll: UnixTime
    /// Transmit timestamp of the outstanding request (RFC 5905 `org` check), and its local time.
    var outstandingTransmit: NTPTimestamp?
    var outstandingLocal: UnixTime?
    /// Transmit timestamp of the last reply seen (duplicate check).
    var lastReplyTransmit: NTPTimestamp?
    /// Interleaved mode: the last valid exchange, which the next interleaved reply completes.
    var previousExchange: Exchange?
    /// The receive field of the outstanding request when it was sent interleaved: an
    /// interleaved reply carries it as its origin (RFC 9769's test for the interleaved mode).
    var outstandingReceiveField: NTPTimestamp?
    /// Requests sent since the last valid reply: after a few, interleaved requests would ask
    /// for a stale stamp, so they go basic until one is answered (as chrony).
    var unansweredRequests = 0
    /// `xleave`: the mode of the last valid reply (nil before one, or without `xleave`).
    public var interleaved: Bool?

    public var filter = ClockFilter()
    public var statistics = SourceStatistics()
    public var select: SelectStatus = .reject
    public var counters = AssociationCounters()
    /// Last kiss code received.
    public var lastKiss: KissCode?
    /// Why the last reply (or the last poll) failed authentication; nil once one passes.
    public var authenticationFailure: AuthenticationFailure?
    /// The last reply was authenticated with the configured key.
    public var authenticated = false
    /// When an offset beyond the step threshold was first seen, while it persists.
    var spikeSince: UnixTime?

    init(id: AssociationID, configuration: AssociationConfiguration, now: UnixTime) {
        self.id = id
        self.configuration = configuration
        self.state = configuration.kind == .localClock ? .active : .resolving
        self.poll = configuration.minPoll
        self.nextPoll = now
        if configuration.kind == .localClock {
            stratum = configuration.localStratum
            referenceID = ReferenceID(ascii: "LOCL")
            leap = .noWarning
            precision = PollExponent(-20)
        }
    }

    /// The clock was stepped by `offset` seconds: the times this association keeps on the local
    /// scale move with it (the next poll, the outstanding request, the last reply), so a step
    /// forward makes nothing due at once and a step back delays nothing.
    mutating func rebase(by offset: Double) {
        nextPoll = nextPoll.adding(seconds: offset)
        outstandingLocal = outstandingLocal?.adding(seconds: offset)
        previousExchange?.stepped += offset
        lastUpdate = lastUpdate?.adding(seconds: offset)
        spikeSince = spikeSince?.adding(seconds: offset)
        statistics.rebase(by: offset)
        filter.rebase(by: offset)
    }

    /// One client/server exchange as interleaved mode keeps it for the next: our transmit
    /// (the kernel's stamp when it came) and receive times, the server's receive timestamp,
    /// and what the local clock was corrected by since (the slew pending then, and every
    /// correction issued after, as ``ClockFilter/applyCorrection(phase:frequency:at:)`` counts them).
    struct Exchange: Sendable {
        var localTransmit: UnixTime
        var remoteReceive: NTPTimestamp
        var localReceive: UnixTime
        /// A basic sample was already taken from it (the first interleaved reply after basic
        /// ones completes an exchange already counted).
        var sampled: Bool
        var pendingSlew: Double
        var correction = 0.0
        /// Steps since (the local times stay on the scale they were read on).
        var stepped = 0.0
    }

    public var isLocalClock: Bool { configuration.kind == .localClock }
    public var isPool: Bool { configuration.kind == .pool }

    /// Seconds between polls.
    public var pollInterval: Double { PollExponent(poll).seconds }

    /// RFC 5905 §11.2.1 root distance at `now`: half the total delay plus all dispersion and
    /// the jitter. Never below MINDISP.
    ///
    /// Two departures from RFC 5905, both because the discipline models frequency: the jitter
    /// is the scatter of the samples about the regression line (a clock with a large frequency
    /// error is not "jittery"), and the dispersion is that of the chosen sample, not the sum
    /// over eight stages that makes RFC 5905 wait for four samples; instead a source needs two
    /// samples (``SourceStatistics``) to be selectable.
    public func rootDistance(at now: UnixTime) -> Double {
        if isLocalClock { return NTPConstants.minDispersion }
        let elapsed = lastUpdate.map { max(0, now - $0) } ?? 0
        return max(NTPConstants.minDispersion, (rootDelay + filter.delay) / 2)
            + rootDispersion + sampleDispersion + NTPConstants.phi * elapsed + jitter
    }

    /// The dispersion of the newest sample (what this engine counts instead of the eight-stage sum).
    public var sampleDispersion: Double {
        filter.samples.first.map { $0.dispersion } ?? NTPConstants.maxDispersion
    }

    /// Scatter of the samples about the discipline's regression (the filter's jitter until
    /// there is a fit), seconds.
    public var jitter: Double {
        if let e = statistics.estimate, e.samples >= 3 { return max(e.residualSigma, 1e-9) }
        return filter.jitter
    }

    /// Why a source cannot be selected (RFC 5905 §11.2's "fit" test).
    public enum Unfit: String, Sendable, Equatable {
        case notActive = "not active"
        case noselect
        case unreachable
        case unsynchronised
        /// Reachable and sane, still gathering its first samples: it cannot be selected yet but
        /// it has a vote in the majority (``Selection/run(_:settings:current:clockHop:voters:)``).
        case tooFewSamples = "too few samples"
        case distance = "root distance too large"
        /// Its reference ID is our address: it is synchronised to us.
        case loop = "synchronised to us"
    }

    /// Why it cannot be selected now, or nil (RFC 5905 §11.2 "fit" test). A source needs two
    /// samples, except the system peer: one whose statistics restarted (an offset beyond the
    /// step threshold that persisted for stepout) stays selectable on one, so the clock is
    /// corrected to it (stepped, as ntpd does then) instead of the peer being dropped.
    public func unfit(at now: UnixTime, isSystemPeer: Bool = false) -> Unfit? {
        if isLocalClock { return nil }
        if state != .active { return .notActive }
        if configuration.noselect { return .noselect }
        if reach == 0 { return .unreachable }
        if leap == .unsynchronized || stratum >= NTPConstants.maxStratum { return .unsynchronised }
        if loop { return .loop }
        if statistics.points.count < (isSystemPeer ? 1 : 2) { return .tooFewSamples }
        if rootDistance(at: now) > NTPConstants.maxDistance + NTPConstants.phi * pollInterval {
            return .distance
        }
        return nil
    }

    /// ``unfit(at:isSystemPeer:)`` as text, or nil.
    public func unfitReason(at now: UnixTime) -> String? { unfit(at: now)?.rawValue }
}
