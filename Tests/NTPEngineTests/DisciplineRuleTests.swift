import NTPWire
import Testing
@testable import NTPEngine

/// The engine over the kernel-model driver, with one server answered by hand (true time is
/// the raw clock; the reply leaves at once): one test per rule the clknetsim work added.
private final class Bench {
    final class Raw { var t = UnixTime(seconds: 1_700_000_000, nanoseconds: 0) }
    let raw = Raw()
    let kernel: ModelKernel
    let driver: KernelClockDriver
    let engine: Engine
    let server = SocketAddress(ip: IPAddress("192.0.2.1")!, port: 123)
    let id: AssociationID

    init(clockError: Double = 0) throws {
        let raw = self.raw
        kernel = ModelKernel(precision: PollExponent(-20)) { raw.t }
        driver = KernelClockDriver(kind: .observe, kernel: kernel)
        if clockError != 0 { try driver.step(by: Seconds(clockError)) }
        engine = Engine(configuration: EngineConfiguration(), clock: driver, seed: 7)
        id = engine.add(AssociationConfiguration(host: "192.0.2.1"))
    }

    func advance(_ seconds: Double) { raw.t = raw.t.adding(seconds: seconds) }

    /// Runs the timer to the next request and answers it as a stratum-`stratum` server with
    /// reference ID `refid`; the reply reached us at `local`.
    @discardableResult
    func exchange(stratum: UInt8 = 1, refid: ReferenceID = ReferenceID(ascii: "GPS"),
                  local: IPAddress? = nil) throws -> [EngineAction] {
        var request: [UInt8]?
        for _ in 0..<10 where request == nil {  // a wake-up may be the clock's (a slew ending)
            let due = try #require(engine.nextWakeup())
            advance(max(0, due - driver.now()))
            for action in engine.handleTimer() {
                if case .send(let bytes, _) = action { request = bytes }
            }
        }
        let sent = try NTPHeader(decoding: try #require(request))
        let reply = NTPHeader(mode: .server, stratum: stratum, poll: PollExponent(6), precision: PollExponent(-20),
                              referenceID: refid, referenceTime: NTPTimestamp(raw.t.adding(seconds: -10)),
                              originTime: sent.transmitTime, receiveTime: NTPTimestamp(raw.t),
                              transmitTime: NTPTimestamp(raw.t))
        return engine.handleReply(reply.bytes, from: server, receiveTime: driver.now(), localAddress: local)
    }
}

@Suite struct DisciplineRuleTests {
    /// chrony's initial delay: the first request waits 0.2 s, then up to 0.3 s at random.
    @Test func firstRequestWaitsTheInitialDelay() throws {
        for seed in UInt64(1)...20 {
            let raw = Bench.Raw()
            let kernel = ModelKernel(precision: PollExponent(-20)) { raw.t }
            let engine = Engine(configuration: EngineConfiguration(), clock: KernelClockDriver(kind: .observe, kernel: kernel), seed: seed)
            let now = kernel.realtime()
            let id = engine.add(AssociationConfiguration(host: "192.0.2.1"))
            let wait = try #require(engine.association(id)).nextPoll - now
            #expect(wait >= NTPConstants.initialDelay && wait < NTPConstants.initialDelay + NTPConstants.initialSpread, "seed \(seed)")
        }
    }

    /// A step the discipline makes keeps the samples (re-expressed by the step, their times
    /// moved with it): the source keeps its statistics and stays the system peer (ntpd's
    /// emptied filters lost both until two new samples came).
    @Test func aStepKeepsTheSamples() throws {
        let bench = try Bench(clockError: -1)
        try bench.exchange()
        let before = try #require(bench.engine.association(bench.id)).statistics.points.map(\.time)
        try bench.exchange()
        #expect(bench.engine.takeEvents().contains { if case .step = $0.kind { true } else { false } })
        let a = try #require(bench.engine.association(bench.id))
        #expect(a.statistics.points.count == 2)
        // Re-expressed against the stepped clock: the offsets are now about zero.
        for p in a.statistics.points { #expect(abs(p.offset) < 1e-6) }
        // The first sample's time moved by the step (+1 s).
        #expect(abs((a.statistics.points[0].time - before[0]) - 1) < 1e-6)
        #expect(bench.engine.system.systemPeer == bench.id)
        #expect(abs(bench.driver.now() - bench.raw.t) < 1e-6)
        // The next sample is selected and corrects as usual.
        try bench.exchange()
        #expect(bench.engine.system.systemPeer == bench.id)
        #expect(try #require(bench.engine.association(bench.id)).statistics.points.count == 3)
    }

    /// ntpd's loop test: a source (above stratum 1) whose reference ID is the address its reply
    /// reached us at is synchronised to us; it is reachable but not selectable.
    @Test func aSourceSynchronisedToUsIsNotSelectable() throws {
        let local = IPAddress("192.0.2.77")!
        let bench = try Bench()
        try bench.exchange(stratum: 3, refid: ReferenceID(address: local), local: local)
        try bench.exchange(stratum: 3, refid: ReferenceID(address: local), local: local)
        var a = try #require(bench.engine.association(bench.id))
        #expect(a.loop && a.reach != 0)
        #expect(a.unfit(at: bench.driver.now()) == .loop)
        #expect(bench.engine.system.systemPeer == nil)
        // Its reference ID moves elsewhere: it is a source again.
        try bench.exchange(stratum: 3, refid: ReferenceID(address: IPAddress("192.0.2.9")!), local: local)
        a = try #require(bench.engine.association(bench.id))
        #expect(!a.loop && a.unfit(at: bench.driver.now()) == nil)
        #expect(bench.engine.system.systemPeer == bench.id)
        // A stratum-1 server's reference ID is a name, never an address: not a loop.
        let other = try Bench()
        try other.exchange(stratum: 1, refid: ReferenceID(address: local), local: local)
        #expect(try #require(other.engine.association(other.id)).loop == false)
        // An orphan parent's reference ID is 127.0.0.1 (ntpd's orphan mode): a client on
        // loopback is not in a loop with it (ntpd exempts the loopback refid too).
        let orphan = try Bench()
        let loopback = IPAddress("127.0.0.1")!
        try orphan.exchange(stratum: 5, refid: ReferenceID(address: loopback), local: loopback)
        #expect(try #require(orphan.engine.association(orphan.id)).loop == false)
    }

    /// chrony's correction-time rule: ratio·½·error·interval/|offset|, capped at a twelfth of
    /// the interval; nothing to spread at the first update.
    @Test func slewSpread() {
        #expect(Discipline.slewSpread(offset: 1e-3, error: 1e-6, interval: 64) == 3 * 0.5 * 1e-6 * 64 / 1e-3)
        #expect(Discipline.slewSpread(offset: 1e-6, error: 1e-6, interval: 64) == 64.0 / 12)
        #expect(Discipline.slewSpread(offset: -1e-6, error: 1e-6, interval: 1024) == 1024.0 / 12)
        #expect(Discipline.slewSpread(offset: 1e-3, error: 1e-6, interval: 0) == 0)
        #expect(Discipline.slewSpread(offset: 0, error: 1e-6, interval: 64) == 0)
        #expect(Discipline.slewSpread(offset: 1e-3, error: .infinity, interval: 64) == 0)
    }
}

@Suite struct KernelClockDriverSpreadTests {
    /// A slew spread over `duration` runs at offset/duration and ends then; the maximum slew
    /// rate still bounds it; a bad duration is refused and changes nothing.
    @Test func aSlewSpreadOverADurationEndsThen() throws {
        let raw = Bench.Raw()
        let kernel = ModelKernel(precision: PollExponent(-20)) { raw.t }
        let driver = KernelClockDriver(kind: .observe, kernel: kernel)
        #expect(abs(try driver.slew(by: Seconds(1e-4), over: Seconds(20)).value - 20) < 1e-9)
        #expect(abs(driver.slewRate - 5e-6) < 1e-12)  // 5 ppm, not 100 ppm over the 1 s minimum
        raw.t = raw.t.adding(seconds: 10)
        #expect(abs(driver.status().remainingSlew.value - 5e-5) < 1e-11)
        driver.service()  // early: nothing changes
        #expect(driver.isSlewing)
        raw.t = raw.t.adding(seconds: 10)
        driver.service()
        #expect(!driver.isSlewing && abs(kernel.model.correction(at: raw.t) - 1e-4) < 1e-11)
        // Shorter than the maximum rate allows: the rate wins.
        #expect(abs(try driver.slew(by: Seconds(1), over: Seconds(2)).value - 12) < 1e-9)
        // A later slew without a duration is as fast as the rate allows again.
        #expect(abs(try driver.slew(by: Seconds(1e-5)).value - KernelClockDriver.minSlewDuration) < 1e-3)
        #expect(throws: ClockError.self) { try driver.slew(by: Seconds(1e-3), over: Seconds(-1)) }
        #expect(throws: ClockError.self) { try driver.slew(by: Seconds(1e-3), over: Seconds(.nan)) }
        #expect(abs(driver.status().remainingSlew.value - 1e-5) < 1e-12)
    }
}
