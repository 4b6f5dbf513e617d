public import NTPEngine
public import NTPWire

/// A client of the server under test: from its own address it sends a mode-3 request to
/// ``server`` every ``interval`` seconds (true time, its clock is perfect) and counts what comes
/// back. The requests reach the engine host's real ``ServerResponder`` and restrict list, so a
/// lab shows what a `restrict` line does to whom.
///
/// A request counts as unanswered once the next one leaves without its reply having come.
public final class SimulatedClient: SimulatedHost {
    public let clock: SimulatedClock
    /// Where requests go (the engine host's address, port 123).
    public let server: SocketAddress
    /// Seconds between requests.
    public var interval: Double {
        didSet { nextSend = min(nextSend, clock.now().adding(seconds: interval)) }
    }
    public private(set) var counters = SimulatedClientCounters()
    /// The last answer's offset (server − true time, seconds) and delay.
    public private(set) var lastOffset: Double?
    public private(set) var lastDelay: Double?

    private var nextSend: UnixTime
    private var outstanding: NTPTimestamp?
    private var outstandingLocal: UnixTime?
    private var random: SimulationRandom

    /// A client starting at true time `start`, its first request within one interval (the
    /// phase drawn from `seed`, so clients added together do not send in step).
    public init(server: SocketAddress, interval: Double, start: UnixTime, seed: UInt64) {
        self.server = server
        self.interval = max(1e-3, interval)
        clock = SimulatedClock(trueTime: start, initialOffset: 0, frequencyError: 0)
        random = SimulationRandom(seed: seed)
        nextSend = start.adding(seconds: min(self.interval, 2) * random.nextUniform())
    }

    public func nextWakeup() -> UnixTime? { nextSend }

    public func wake(network: SimulatedNetwork) {
        let now = clock.now()
        guard now >= nextSend else { return }
        if outstanding != nil { counters.unanswered += 1 }
        let transmit = NTPTimestamp(now)
        let request = NTPHeader(leap: .unsynchronized, version: 4, mode: .client, stratum: 0, poll: PollExponent(6),
                                precision: PollExponent(-20), transmitTime: transmit)
        outstanding = transmit
        outstandingLocal = now
        counters.sent += 1
        guard let source = network.address(of: self) else { return }
        network.send(request.bytes, from: SocketAddress(ip: source.ip, port: 123), to: server)
        nextSend = nextSend.adding(seconds: interval)
        if nextSend <= now { nextSend = now.adding(seconds: interval) }
    }

    public func receive(
        _ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, receiveTime: UnixTime,
        network: SimulatedNetwork
    ) {
        guard let header = try? NTPHeader(decoding: bytes), header.mode == .server,
              let sent = outstanding, header.originTime == sent, let t1 = outstandingLocal else { return }
        outstanding = nil
        outstandingLocal = nil
        if let kiss = header.kissCode {
            // RATE, DENY, RSTR refuse; INIT and the like say "not synchronised yet".
            if kiss.isActionable { counters.kissed += 1 } else { counters.unsynchronised += 1 }
            return
        }
        counters.answered += 1
        let a = (header.receiveTime - NTPTimestamp(t1)).seconds
        let b = (header.transmitTime - NTPTimestamp(receiveTime)).seconds
        lastOffset = (a + b) / 2
        lastDelay = a - b
    }
}

/// What a simulated client got.
public struct SimulatedClientCounters: Sendable, Equatable {
    public var sent = 0
    /// Time replies.
    public var answered = 0
    /// Kiss-o'-death replies that refuse (RATE, DENY, RSTR).
    public var kissed = 0
    /// Requests whose reply never came (dropped by the server, or lost).
    public var unanswered = 0
    /// Answers from a server not synchronised yet (stratum 0, INIT): no time in them.
    public var unsynchronised = 0

    public init() {}
}
