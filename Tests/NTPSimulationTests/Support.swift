import NTPEngine
import NTPSimulation
import NTPWire

/// One exchange as the probe saw it.
struct ProbeMeasurement: Equatable {
    /// Local time the request left (T1).
    var sent: UnixTime
    /// ((T2 − T1) + (T3 − T4)) / 2: server − local, as the engine's sign convention has it.
    var offset: Double
    /// (T4 − T1) − (T3 − T2).
    var delay: Double
    /// Server − local in truth at reception (server's true offset minus the client clock's).
    var trueOffset: Double
    var stratum: UInt8
    var leap: LeapIndicator
    var kiss: KissCode?
    var server: SocketAddress
}

/// A trivial SNTP client for the tests: every `interval` local seconds it sends one mode-3
/// request to each of its servers, and records each reply's offset next to the truth.
final class SNTPProbe: SimulatedHost {
    let clock: SimulatedClock
    let servers: [SocketAddress]
    let address: SocketAddress
    let interval: Double
    var next: UnixTime
    /// The local send time of the outstanding request per server (matched on the origin timestamp).
    var outstanding: [SocketAddress: UnixTime] = [:]
    var measurements: [ProbeMeasurement] = []
    var requestsSent = 0
    var wakeups: [(asked: UnixTime, got: UnixTime)] = []
    /// Wakes that only serviced the clock (the end of a slew), as the engine's timer does.
    var clockServices: [(asked: UnixTime, got: UnixTime)] = []
    /// Stop polling after this local time.
    var stopAfter: UnixTime?

    init(clock: SimulatedClock, servers: [SocketAddress], address: SocketAddress, interval: Double = 64, firstAfter: Double = 1) {
        self.clock = clock
        self.servers = servers
        self.address = address
        self.interval = interval
        next = clock.now().adding(seconds: firstAfter)
    }

    func nextWakeup() -> UnixTime? {
        let poll = stopAfter.map { next > $0 } == true ? nil : next
        return [poll, clock.nextService()].compactMap { $0 }.min()
    }

    func wake(network: SimulatedNetwork) {
        if let due = clock.nextService(), due <= clock.now() {
            clockServices.append((due, clock.now()))
            clock.service()
        }
        if let stop = stopAfter, next > stop { return }
        guard clock.now() >= next else { return }
        wakeups.append((next, clock.now()))
        for server in servers {
            let t1 = clock.now()
            let request = NTPHeader(mode: .client, poll: PollExponent(6), transmitTime: NTPTimestamp(t1))
            outstanding[server] = t1
            requestsSent += 1
            network.send(request.bytes, from: address, to: server)
        }
        next = next.adding(seconds: interval)
    }

    func receive(_ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, receiveTime: UnixTime, network: SimulatedNetwork) {
        guard let header = try? NTPHeader(decoding: bytes), header.mode == .server,
              let t1 = outstanding[source], header.originTime == NTPTimestamp(t1)
        else { return }
        outstanding[source] = nil
        let t2 = header.receiveTime.unixTime(near: receiveTime)
        let t3 = header.transmitTime.unixTime(near: receiveTime)
        let t4 = receiveTime
        let serverTrue = network.server(at: source).map { $0.trueOffset(at: network.now) } ?? 0
        measurements.append(ProbeMeasurement(
            sent: t1, offset: ((t2 - t1) + (t3 - t4)) / 2, delay: (t4 - t1) - (t3 - t2),
            trueOffset: serverTrue - clock.trueOffset, stratum: header.stratum, leap: header.leap,
            kiss: header.kissCode, server: source))
    }
}

/// A host that cheats: at every wake it reads the truth and corrects its clock exactly (step
/// to true time, frequency to cancel the oscillator's). Checks the world and the metrics.
final class OracleHost: SimulatedHost {
    let clock: SimulatedClock
    var next: UnixTime
    let interval: Double

    init(clock: SimulatedClock, interval: Double = 16) {
        self.clock = clock
        self.interval = interval
        next = clock.now().adding(seconds: interval)
    }

    func nextWakeup() -> UnixTime? { next }

    func wake(network: SimulatedNetwork) {
        try? clock.step(by: Seconds(-clock.trueOffset))
        let osc = clock.oscillatorFrequency * 1e-6
        try? clock.setFrequency(PPM((1 / (1 + osc) - 1) * 1e6))
        next = clock.now().adding(seconds: interval)
    }

    func receive(_ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, receiveTime: UnixTime, network: SimulatedNetwork) {}
}

let clientAddress = SocketAddress(ip: .v4(0x0a01_0001), port: 123)

func clientClock(offset: Double = 0.1, ppm: Double = 100, wander: Double = 1e-9, seed: UInt64 = 1) -> SimulatedClock {
    SimulatedClock(
        trueTime: SimulatedNetwork.defaultStartTime, initialOffset: offset, frequencyError: ppm,
        wanderPerSqrtSecond: wander, seed: seed)
}

func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(xs.count, 1)) }
func rms(_ xs: [Double]) -> Double { (xs.reduce(0) { $0 + $1 * $1 } / Double(max(xs.count, 1))).squareRoot() }
