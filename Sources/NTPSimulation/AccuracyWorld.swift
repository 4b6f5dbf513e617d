public import NTPEngine
public import NTPWire

/// What a scenario asks of the client under test, for the caller to map onto the engine's
/// configuration (the `server … iburst minpoll maxpoll` line, `tinker step`, the drift file).
public struct ClientSettings: Sendable, Equatable {
    /// The servers to use, one association each.
    public var servers: [SocketAddress]
    public var iburst: Bool
    public var minpoll: PollExponent
    public var maxpoll: PollExponent
    /// Offsets above this are stepped, seconds (ntpd's `tinker step`; 0.128 s by default).
    public var stepThreshold: Double
    /// The frequency correction a drift file gives at start, ppm, in the sign of
    /// ``ClockDriver/setFrequency(_:)`` and ntpd's drift file: a clock 100 ppm fast is
    /// corrected by −100. Nil: no drift file.
    public var initialFrequencyCorrection: Double?

    public init(
        servers: [SocketAddress], iburst: Bool = false, minpoll: PollExponent = PollExponent(6),
        maxpoll: PollExponent = PollExponent(10), stepThreshold: Double = 0.128,
        initialFrequencyCorrection: Double? = nil
    ) {
        self.servers = servers; self.iburst = iburst; self.minpoll = minpoll; self.maxpoll = maxpoll
        self.stepThreshold = stepThreshold; self.initialFrequencyCorrection = initialFrequencyCorrection
    }
}

/// The rows of ACCURACY.md's table (each variant of a row its own case).
public enum AccuracyScenario: Hashable, Sendable, CustomStringConvertible {
    /// The default world.
    case defaults
    /// minpoll = maxpoll = 6.
    case fixedPoll6
    /// Frequency error `ppm` (±5000, ±50000), initial offset −130 s × ppm · 1e-6.
    case largeFrequencyError(ppm: Double)
    /// Initial offset `seconds` (±100).
    case largeTimeOffset(seconds: Double)
    /// 5 servers, one 1 s off, base delay 1e-3 s.
    case falseticker
    /// 5 servers, one 1 s off and one 2 s off, base delay 1e-3 s.
    case twoFalsetickers
    /// iburst, drift file with the exact frequency, step threshold 0.01 s.
    case iburst
    /// 33 % loss each way, jitter 1e-5 s, maxpoll 8, 20000 s.
    case packetLoss
    /// Not one of ACCURACY.md's rows (not in ``all``): chrony's 007-largewander, the client's
    /// frequency a random walk of 1e-7/√s (a hundred times the default); limits 5e-3 s max,
    /// 1e-3 s RMS, 5e-3 max and 1e-4 RMS frequency error; statistics over the second half.
    case largeWander
    /// Not one of ACCURACY.md's rows: chrony's 011-asymjitter, jitter 5e-4 s split unevenly,
    /// the outbound direction's scale (1 + 2·asymmetry)·5e-4 s and the inbound's
    /// (1 − 2·asymmetry)·5e-4 s (asymmetry 0.47: 9.7e-4 and 3e-5); sync by 2000 s;
    /// statistics over the second half.
    case asymmetricJitter(asymmetry: Double)

    /// Every row and variant of the table, in its order.
    public static let all: [AccuracyScenario] = [
        .defaults, .fixedPoll6,
        .largeFrequencyError(ppm: 5000), .largeFrequencyError(ppm: -5000),
        .largeFrequencyError(ppm: 50000), .largeFrequencyError(ppm: -50000),
        .largeTimeOffset(seconds: 100), .largeTimeOffset(seconds: -100),
        .falseticker, .twoFalsetickers, .iburst, .packetLoss,
    ]

    /// `defaults`, `fixed-poll-6`, `frequency+5000ppm`, `offset-100s`, `falseticker`, …
    public var description: String {
        switch self {
        case .defaults: "defaults"
        case .fixedPoll6: "fixed-poll-6"
        case .largeFrequencyError(let ppm): "frequency\(ppm < 0 ? "-" : "+")\(TrialMetrics.format(abs(ppm)))ppm"
        case .largeTimeOffset(let s): "offset\(s < 0 ? "-" : "+")\(TrialMetrics.format(abs(s)))s"
        case .falseticker: "falseticker"
        case .twoFalsetickers: "two-falsetickers"
        case .iburst: "iburst"
        case .packetLoss: "packet-loss"
        case .largeWander: "large-wander"
        case .asymmetricJitter(let a): "asymmetric-jitter\(a < 0 ? "-" : "+")\(TrialMetrics.format(abs(a)))"
        }
    }

    /// The estimator's worlds beyond ACCURACY.md's rows (chrony's 007 and 011, both signs of
    /// the asymmetry).
    public static let estimatorWorlds: [AccuracyScenario] = [
        .largeWander, .asymmetricJitter(asymmetry: 0.47), .asymmetricJitter(asymmetry: -0.47),
    ]

    /// The scenario named `name` (its ``description``), nil if none.
    public init?(name: String) {
        guard let s = (Self.all + Self.estimatorWorlds).first(where: { $0.description == name.lowercased() }) else { return nil }
        self = s
    }

    /// chronyd 4.3's median result in this world (ACCURACY.md), for printing beside ours.
    public var chronyAnchor: String {
        switch self {
        case .defaults: "132 s; 7.1e-5 s; 1.5e-4 s"
        case .fixedPoll6: "132 s; 2.4e-5 s"
        case .largeFrequencyError: "128–145 s; 7.5e-5 s"
        case .largeTimeOffset: "1330 s (slews); 7.5e-5 s"
        case .falseticker: "133 s; 8.6e-5 s"
        case .twoFalsetickers: "133 s; 8.7e-5 s"
        case .iburst: "5 s; 7.2e-5 s"
        case .packetLoss: "423 s; 4.7e-5 s"
        case .largeWander: "132 s; 1.4e-4 s (clknetsim 007, second half)"
        case .asymmetricJitter: "198 s; 7.3e-5 s (clknetsim 011, second half)"
        }
    }
}

/// One of ACCURACY.md's worlds, ready to run: the network with its servers and links, the
/// client's clock, the client settings the scenario implies, the run length, the statistics
/// window and the pass limits. Everything random derives from `seed`.
///
/// The default world: one perfect stratum-1 server; client clock +0.1 s, +100 ppm, wander
/// 1e-9/√s; each packet each way 1e-4 s + 1e-4 s · Exp(1); minpoll 6, maxpoll 10; 10000 s;
/// statistics from 210 s.
///
/// Rows whose sync time can pass 210 s (large time offset, packet loss) start their statistics
/// window at their own sync limit instead, so that the window measures the synchronised state
/// as the anchors do; those limits are this file's choice, with margin over chronyd's medians.
public struct AccuracyWorld {
    public let scenario: AccuracyScenario
    public let seed: UInt64
    public let network: SimulatedNetwork
    /// The clock the host under test must use (a host's `clock` must be this object).
    public let clientClock: SimulatedClock
    /// Where the host under test is to be added.
    public let clientAddress: SocketAddress
    public let settings: ClientSettings
    /// Run length, seconds of true time.
    public let duration: Double
    /// Statistics from this many seconds on.
    public let statisticsFrom: Double
    public let limits: AccuracyLimits

    /// ACCURACY.md's client clock: +0.1 s, +100 ppm, wander 1e-9/√s.
    public static let defaultInitialOffset = 0.1
    public static let defaultFrequencyError = 100.0
    public static let defaultWander = 1e-9

    /// Builds `scenario`'s world for `seed`.
    public init(_ scenario: AccuracyScenario, seed: UInt64) {
        self.scenario = scenario
        self.seed = seed
        var offset = Self.defaultInitialOffset
        var frequency = Self.defaultFrequencyError
        var link = LinkModel.accuracyDefault
        var serverOffsets: [Double] = [0]
        var iburst = false
        var minpoll = PollExponent(6), maxpoll = PollExponent(10)
        var step = 0.128
        var drift: Double? = nil
        var duration = 10_000.0
        var limits = AccuracyLimits.accuracyDefault
        var statisticsFrom = 210.0
        var wander = Self.defaultWander

        switch scenario {
        case .defaults:
            break
        case .fixedPoll6:
            maxpoll = PollExponent(6)
        case .largeFrequencyError(let ppm):
            frequency = ppm
            offset = -130 * ppm * 1e-6
        case .largeTimeOffset(let seconds):
            offset = seconds
            limits.maxSyncTime = 1500
            statisticsFrom = 1500
        case .falseticker:
            serverOffsets = [1, 0, 0, 0, 0]
            link = LinkModel(baseDelay: 1e-3, jitter: 1e-4)
        case .twoFalsetickers:
            serverOffsets = [1, 2, 0, 0, 0]
            link = LinkModel(baseDelay: 1e-3, jitter: 1e-4)
        case .iburst:
            iburst = true
            drift = -frequency
            step = 0.01
            limits.maxSyncTime = 30
        case .packetLoss:
            link = LinkModel(baseDelay: 1e-4, jitter: 1e-5, loss: 0.33)
            maxpoll = PollExponent(8)
            duration = 20_000
            limits.maxSyncTime = 1000
            statisticsFrom = 1000
        case .largeWander:
            wander = 1e-7
            limits = AccuracyLimits(maxOffset: 5e-3, maxFrequencyError: 5e-3, rmsOffset: 1e-3, rmsFrequencyError: 1e-4)
            statisticsFrom = duration / 2
        case .asymmetricJitter(let asymmetry):
            let jitter = 5e-4
            link = LinkModel(outbound: LinkDirection(baseDelay: 1e-4, jitter: (1 + 2 * asymmetry) * jitter),
                             inbound: LinkDirection(baseDelay: 1e-4, jitter: (1 - 2 * asymmetry) * jitter))
            limits.maxSyncTime = 2000
            statisticsFrom = duration / 2
        }

        let network = SimulatedNetwork(seed: seed, defaultLink: link)
        var servers: [SocketAddress] = []
        for extra in serverOffsets {
            let server = SimulatedServer(model: .perfect, startTime: network.startTime)
            if extra != 0 { server.falseticker = .constant(offset: extra) }
            servers.append(network.addServer(server))
        }
        var seeds = SimulationRandom(seed: seed, stream: 0xC10C)
        clientClock = SimulatedClock(
            trueTime: network.startTime, initialOffset: offset, frequencyError: frequency,
            wanderPerSqrtSecond: wander, seed: seeds.next())
        self.network = network
        clientAddress = SocketAddress(ip: .v4(0x0a01_0001), port: SimulatedNetwork.ntpPort)
        settings = ClientSettings(
            servers: servers, iburst: iburst, minpoll: minpoll, maxpoll: maxpoll, stepThreshold: step,
            initialFrequencyCorrection: drift)
        self.duration = duration
        self.statisticsFrom = statisticsFrom
        self.limits = limits
    }

    /// Runs `scenario` once per seed, each in a fresh world with the host `makeHost` builds for
    /// it (an engine adapter on the world's ``clientClock``, configured from its ``settings``).
    public static func trials(
        _ scenario: AccuracyScenario, seeds: some Sequence<UInt64>,
        host makeHost: (AccuracyWorld) -> any SimulatedHost
    ) -> [TrialResult] {
        seeds.map { seed in
            let world = AccuracyWorld(scenario, seed: seed)
            return world.run(host: makeHost(world))
        }
    }

    /// Adds `host` (whose clock must be ``clientClock``) at ``clientAddress``, runs the world
    /// for ``duration`` sampling the client clock every second, and measures the run. A world
    /// runs once: build a new one for the next trial.
    public func run(host: any SimulatedHost) -> TrialResult {
        precondition(host.clock === clientClock, "AccuracyWorld: the host must use the world's clientClock")
        network.addHost(host, address: clientAddress)
        var samples: [ClockSample] = []
        samples.reserveCapacity(Int(duration) + 1)
        let start = network.startTime
        network.run(until: start.adding(seconds: duration), sampleEvery: 1) { _ in
            samples.append(ClockSample(clock: clientClock, start: start))
        }
        return TrialResult(
            scenario: scenario, seed: seed, samples: samples,
            metrics: TrialMetrics(samples: samples, statisticsFrom: statisticsFrom), limits: limits)
    }
}

/// A finished run of an ``AccuracyWorld``.
public struct TrialResult: Sendable {
    public var scenario: AccuracyScenario
    public var seed: UInt64
    public var samples: [ClockSample]
    public var metrics: TrialMetrics
    public var limits: AccuracyLimits

    public var passes: Bool { metrics.passes(limits) }

    /// `defaults seed 1: sync 132 s; RMS offset … — PASS (chronyd: 132 s; 7.1e-5 s; 1.5e-4 s)`
    public var summary: String {
        "\(scenario) seed \(seed): \(metrics.summary(limits)) (chronyd: \(scenario.chronyAnchor))"
    }
}
