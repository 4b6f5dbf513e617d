public import NTPEngine
import NTPNTS
public import NTPWire

/// An upstream NTP server of the simulated network: its own clock, the system variables it
/// advertises, and the misbehaviour a lab or a test gives it (a wrong time, kiss-o'-death
/// replies, silence, no synchronisation). Requests are answered by the engine's own
/// ``ServerResponder``; the receive timestamp is the server's clock at the true arrival time, the
/// transmit timestamp its clock at departure (after ``processingDelay``).
///
/// Every property may be changed while the world runs (the lab shell does); the next request
/// sees the change.
public final class SimulatedServer {
    /// The server's oscillator (`trueOffset` is server − true). Never disciplined.
    public let clock: SimulatedClock
    /// Set by ``SimulatedNetwork/addServer(_:address:name:)``.
    public internal(set) var address: SocketAddress?
    /// A label for reports (the DNS name it was added under, if any).
    public var name: String?

    /// 1 for a primary server, 2…15 secondary.
    public var stratum: UInt8
    public var referenceID: ReferenceID
    public var leap: LeapIndicator
    /// Advertised root delay and dispersion (dispersion at the reference time), seconds.
    public var rootDelay: Double
    public var rootDispersion: Double
    public var precision: PollExponent
    /// The advertised reference time is the start of the current interval of this length
    /// (as if the server updated its clock that often).
    public var referenceUpdateInterval: Double = 16
    /// Seconds between a request's arrival and its reply's departure.
    public var processingDelay: Double = 0
    /// The transmit timestamp a basic reply carries is read this much before the reply leaves
    /// at most (a loaded server's time between stamping and the kernel sending): per reply a
    /// lag drawn uniformly in 0…transmitLag delays the departure, and the kernel's transmit
    /// timestamp (what interleaved mode returns) is the departure itself. 0: none.
    public var transmitLag: Double = 0
    /// Answers interleaved requests in interleaved mode (as ntpsh does); false: always basic,
    /// as a server without the MRU list (`disable monitor`) or without interleaved mode.
    public var servesInterleaved = true {
        didSet {
            var m = responder.monitor.settings
            m.enabled = servesInterleaved
            responder.monitor.apply(m)
        }
    }
    private var lagRandom: SimulationRandom
    /// Answers as an unsynchronised server: leap 3, stratum 0 on the wire, refid INIT.
    public var unsynchronized: Bool = false
    /// Extra error on the time it serves (a falseticker).
    public var falseticker: Falseticker = .none
    /// Kiss-o'-death replies.
    public var kiss: KissBehaviour = .none
    /// Silent now, whatever ``silentPeriods`` say (the lab's `server … down`).
    public var isSilent: Bool = false
    /// True-time intervals in which the server does not answer.
    public var silentPeriods: [SilentPeriod] = []

    public private(set) var counters = SimulatedServerCounters()

    /// NTS-KE and NTS-protected NTP, when on (``enableNTS(seed:now:)``).
    public private(set) var nts: SimulatedNTSServer?

    private var responder: ServerResponder
    private var lastRequest: [IPAddress: UnixTime] = [:]
    private var reply = [UInt8](repeating: 0, count: ServerResponder.replyCapacity)

    /// A server on `clock`.
    public init(
        clock: SimulatedClock, stratum: UInt8 = 1, referenceID: ReferenceID = ReferenceID(ascii: "GPS"),
        leap: LeapIndicator = .noWarning, rootDelay: Double = 0, rootDispersion: Double = 0,
        precision: PollExponent = PollExponent(-20)
    ) {
        self.clock = clock
        self.stratum = stratum; self.referenceID = referenceID; self.leap = leap
        self.rootDelay = rootDelay; self.rootDispersion = rootDispersion; self.precision = precision
        responder = ServerResponder(state: .unsynchronized(precision: precision))
        lagRandom = SimulationRandom(seed: 0x7A6C_6167, stream: UInt64(stratum))
    }

    /// Replies sent in interleaved mode (the previous reply's kernel transmit timestamp in).
    public var interleavedReplies: UInt64 { responder.interleavedReplies }

    /// A server whose clock follows `model` from `startTime` (the network's start, normally),
    /// its wander drawn from `seed`.
    public convenience init(
        model: ServerClockModel = .perfect, startTime: UnixTime = SimulatedNetwork.defaultStartTime,
        seed: UInt64 = 0, stratum: UInt8 = 1, referenceID: ReferenceID = ReferenceID(ascii: "GPS"),
        leap: LeapIndicator = .noWarning, rootDelay: Double = 0, rootDispersion: Double = 0,
        precision: PollExponent = PollExponent(-20)
    ) {
        let clock = SimulatedClock(
            trueTime: startTime, initialOffset: model.offset, frequencyError: model.frequencyPPM,
            wanderPerSqrtSecond: model.wander, seed: seed, precision: precision)
        self.init(
            clock: clock, stratum: stratum, referenceID: referenceID, leap: leap, rootDelay: rootDelay,
            rootDispersion: rootDispersion, precision: precision)
    }

    /// Serves NTS from now on (its master key made at `now`, its randomness from `seed`);
    /// returns why it cannot (OpenSSL could not make the key or certificate), or nil.
    public func enableNTS(seed: UInt64, now: UnixTime) -> String? {
        guard nts == nil, let address else { return nil }
        do throws(NTSKEFailure) { nts = try SimulatedNTSServer(address: address.ip, seed: seed, now: now) } catch {
            return "NTS: \(error)"
        }
        return nil
    }

    /// Not answering at true time `time`.
    public func isSilent(at time: UnixTime) -> Bool {
        isSilent || silentPeriods.contains { $0.contains(time) }
    }

    /// Stops answering from true time `from` until `until` (nil: for good).
    public func goSilent(from: UnixTime, until: UnixTime? = nil) {
        silentPeriods.append(SilentPeriod(from: from, until: until))
    }

    /// The time the server serves at true time `time` (its clock as advanced, plus the
    /// falseticker error); `time` must be the clock's current true time or later, and only
    /// within a fraction of a second of it (the frequency is taken as constant in between).
    public func servedTime(at time: UnixTime) -> UnixTime {
        let ahead = time - clock.trueTime
        let rate = 1 + clock.trueFrequencyError * 1e-6
        return clock.now().adding(seconds: ahead * rate + falseticker.extraOffset(at: time))
    }

    /// Server − true time at true time `time`, seconds (what a perfect client would measure).
    public func trueOffset(at time: UnixTime) -> Double {
        clock.trueOffset + (time - clock.trueTime) * clock.trueFrequencyError * 1e-6
            + falseticker.extraOffset(at: time)
    }

    /// The system variables as the server advertises them now.
    func systemState(at time: UnixTime, served: UnixTime, since start: UnixTime) -> SystemState {
        if unsynchronized {
            return .unsynchronized(precision: precision)
        }
        let age = referenceUpdateInterval > 0
            ? (time - start).truncatingRemainder(dividingBy: referenceUpdateInterval) : 0
        return SystemState(
            leap: leap == .unsynchronized ? .unsynchronized : leap, stratum: stratum, referenceID: referenceID,
            referenceTime: served.adding(seconds: -age), rootDelay: rootDelay, rootDispersion: rootDispersion,
            precision: precision, poll: PollExponent(6))
    }

    /// A request arrived at true time `network.now` (the clock already advanced to it).
    func handle(_ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, network: SimulatedNetwork) {
        let now = network.now
        counters.received += 1
        if isSilent(at: now) {
            counters.ignoredWhileSilent += 1
            return
        }
        let handling = nts?.classify(bytes) ?? .plain
        if case .drop = handling {
            counters.dropped += 1
            return
        }
        let receiveTime = servedTime(at: now)
        responder.state = systemState(at: now, served: receiveTime, since: network.startTime)
        let outcome = bytes.withUnsafeBytes { request in
            reply.withUnsafeMutableBytes { out in
                responder.respond(to: request, from: source.ip, sourcePort: source.port, receiveTime: receiveTime, into: out)
            }
        }
        guard case .reply(let length) = outcome else {
            counters.dropped += 1
            return
        }
        let departure = now.adding(seconds: processingDelay)
        if let code = kissCode(for: source.ip, at: now) {
            // ntpd's kiss: leap alarm, stratum 0, the code as refid, and every timestamp the
            // client's own transmit time, so the reply can never be taken as a time sample.
            reply[0] = LeapIndicator.unsynchronized.rawValue << 6 | (reply[0] & 0x3f)
            reply[1] = 0
            let id = code.referenceID.rawValue
            for i in 0..<4 { reply[12 + i] = UInt8(truncatingIfNeeded: id >> (24 - 8 * UInt32(i))) }
            for field in [16, 32, 40] {
                for i in 0..<8 { reply[field + i] = reply[24 + i] }
            }
            counters.kissesSent += 1
        } else {
            let lag = transmitLag > 0 ? lagRandom.nextUniform() * transmitLag : 0
            // NTS replies are basic, as the daemon serves them (its NTS path stamps the
            // transmit itself, never asks the kernel): the origin is the request's own
            // transmit, whatever interleaved origin the responder chose, and no kernel stamp
            // is kept for a later interleaved reply.
            let basicOnly = handling.isNTS
            if basicOnly { for i in 0 ..< 8 { reply[24 + i] = bytes[40 + i] } }
            if !responder.interleaved || basicOnly {
                let transmit = servedTime(at: departure)
                reply.withUnsafeMutableBytes { ServerResponder.stampTransmit(transmit, into: $0) }
            }
            counters.replied += 1
            let sent = departure.adding(seconds: lag)
            // The kernel's stamp of the reply: its true departure on the server's clock, and
            // never the very time the user-space stamp read (a kernel stamps after it was handed
            // the reply): without a lag they would be equal, and the interleaved reply that
            // carries this stamp would look to the client like a duplicate of the basic one.
            if let stamp = responder.transmitStamp, !basicOnly {
                responder.transmitted(stamp, at: servedTime(at: sent.adding(seconds: lag > 0 ? 0 : 1e-9)))
            }
            network.transmit(sealed(length, handling), from: destination, to: source, departure: sent)
            return
        }
        network.transmit(sealed(length, handling), from: destination, to: source, departure: departure)
    }

    /// The reply's bytes: as the responder made them, or sealed (or NAKed) for an NTS request.
    private func sealed(_ length: Int, _ handling: SimulatedNTSServer.Handling) -> [UInt8] {
        guard let nts, length == NTPHeader.size else { return Array(reply[0..<length]) }
        return nts.seal(Array(reply[0..<length]), for: handling)
    }

    private func kissCode(for client: IPAddress, at now: UnixTime) -> KissCode? {
        switch kiss {
        case .none:
            return nil
        case .always(let code):
            return code
        case .rateLimit(let minimumInterval):
            let previous = lastRequest.updateValue(now, forKey: client)
            guard let previous, now - previous < minimumInterval else { return nil }
            return .RATE
        }
    }
}

/// A server's oscillator: its error at the start, its frequency error and wander.
public struct ServerClockModel: Sendable, Equatable {
    /// Server − true at the start, seconds.
    public var offset: Double
    /// Frequency error, ppm (positive: runs fast).
    public var frequencyPPM: Double
    /// Frequency random walk per √s, as a fraction (as ``SimulatedClock``).
    public var wander: Double

    public init(offset: Double = 0, frequencyPPM: Double = 0, wander: Double = 0) {
        self.offset = offset; self.frequencyPPM = frequencyPPM; self.wander = wander
    }

    /// True time exactly.
    public static let perfect = ServerClockModel()
}

/// The extra error a falseticker puts on the time it serves (on top of its clock model).
public enum Falseticker: Sendable, Equatable {
    case none
    /// Always `offset` seconds off.
    case constant(offset: Double)
    /// `before` seconds off until true time `at`, `after` seconds from then on.
    case step(at: UnixTime, before: Double, after: Double)

    /// The extra offset at true time `time`, seconds.
    public func extraOffset(at time: UnixTime) -> Double {
        switch self {
        case .none: 0
        case .constant(let offset): offset
        case .step(let at, let before, let after): time < at ? before : after
        }
    }
}

/// How a server answers with kiss-o'-death packets.
public enum KissBehaviour: Sendable, Equatable {
    /// Never.
    case none
    /// Every request gets this kiss (RATE, DENY, RSTR, …).
    case always(KissCode)
    /// RATE to a request that comes less than `minimumInterval` seconds (true time) after the
    /// same client address's previous one, a normal reply otherwise.
    case rateLimit(minimumInterval: Double)
}

/// A true-time interval in which a server is silent.
public struct SilentPeriod: Sendable, Equatable {
    public var from: UnixTime
    /// Nil: for good.
    public var until: UnixTime?

    public init(from: UnixTime, until: UnixTime? = nil) {
        self.from = from; self.until = until
    }

    public func contains(_ time: UnixTime) -> Bool {
        time >= from && (until.map { time < $0 } ?? true)
    }
}

/// What a simulated server did with the requests it got.
public struct SimulatedServerCounters: Sendable, Equatable {
    /// Every datagram delivered to it.
    public var received = 0
    /// Normal replies sent.
    public var replied = 0
    /// Kiss-o'-death replies sent.
    public var kissesSent = 0
    /// Requests not answered because the server was silent.
    public var ignoredWhileSilent = 0
    /// Datagrams the responder dropped (not a request, malformed).
    public var dropped = 0

    public init() {}
}
