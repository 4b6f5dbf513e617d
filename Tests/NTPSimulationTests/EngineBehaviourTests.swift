import NTPEngine
import NTPWire
import Testing
@testable import NTPSimulation

/// A client engine on the default world's clock with `servers` (addresses on `network`).
private func client(
    _ network: SimulatedNetwork, servers: [SocketAddress], seed: UInt64 = 1, initialOffset: Double = 0.1,
    configure: (inout EngineConfiguration) -> Void = { _ in }, local: UInt8? = nil, maxPoll: Int8 = 6, iburst: Bool = true
) -> EngineHost {
    let clock = SimulatedClock(trueTime: network.startTime, initialOffset: initialOffset, frequencyError: 100,
                               wanderPerSqrtSecond: 1e-9, seed: seed)
    var config = EngineConfiguration()
    configure(&config)
    var associations = servers.map { s -> AssociationConfiguration in
        var a = AssociationConfiguration(host: s.ip.description)
        a.iburst = iburst
        a.maxPoll = maxPoll
        return a
    }
    if let local {
        var l = AssociationConfiguration(host: "127.127.1.0")
        l.localStratum = local
        associations.append(l)
    }
    let host = EngineHost(clock: clock, address: SocketAddress(ip: .v4(0x0a01_0001), port: 123),
                          configuration: config, associations: associations, seed: seed)
    network.addHost(host, address: host.address)
    return host
}

private func events(_ host: EngineHost) -> [String] { host.events.map(\.description) }

@Suite("engine behaviour in virtual time")
struct EngineBehaviourTests {
    @Test("all upstreams unreachable: LOCAL at stratum 10 takes over, and gives back when they return",
          arguments: [UInt64(1), 2, 3, 4, 5])
    func localClockFallback(seed: UInt64) {
        let network = SimulatedNetwork(seed: seed)
        let servers = (0..<3).map { _ in SimulatedServer(model: .perfect, startTime: network.startTime) }
        let addresses = servers.map { network.addServer($0) }
        let host = client(network, servers: addresses, seed: seed, local: 10)
        network.run(for: 600)
        #expect(host.engine.system.stratum == 2, "synchronised to the stratum-1 servers")
        let start = network.startTime
        for s in servers { s.goSilent(from: start.adding(seconds: 600), until: start.adding(seconds: 2400)) }
        network.run(until: start.adding(seconds: 2000))
        let peer = host.engine.system.systemPeer.flatMap { host.engine.association($0) }
        #expect(peer?.isLocalClock == true, "LOCAL is the system peer while the servers are silent")
        #expect(host.engine.system.stratum == 11)
        #expect(host.engine.serverState.stratum == 11)
        #expect(host.engine.serverState.referenceID == ReferenceID(ipv4: 127, 127, 1, 0))
        network.run(until: start.adding(seconds: 3200))
        let back = host.engine.system.systemPeer.flatMap { host.engine.association($0) }
        #expect(back?.isLocalClock == false, "the servers are taken back")
        #expect(host.engine.system.stratum == 2)
        #expect(abs(host.clock.trueOffset) < 1e-3)
        print("seed \(seed):", events(host).joined(separator: " | "))
    }

    @Test("a 1 s step of the only server is believed after stepout, and the clock is stepped",
          arguments: [UInt64(1), 2, 3, 4, 5])
    func serverStep(seed: UInt64) {
        let network = SimulatedNetwork(seed: seed)
        let server = SimulatedServer(model: .perfect, startTime: network.startTime)
        let address = network.addServer(server)
        let host = client(network, servers: [address], seed: seed)
        let start = network.startTime
        network.run(for: 1000)
        #expect(abs(host.clock.trueOffset) < 1e-3)
        server.falseticker = .step(at: start.adding(seconds: 1000), before: 0, after: 1)
        network.run(until: start.adding(seconds: 1200))
        // Not yet: the offset must persist for stepout (300 s).
        #expect(abs(host.clock.trueOffset) < 1e-3)
        #expect(events(host).contains { $0.contains("beyond the step threshold") })
        network.run(until: start.adding(seconds: 1500))
        #expect(events(host).contains { $0.hasPrefix("clock stepped by 0.99") || $0.hasPrefix("clock stepped by 1.00") })
        // Following the server: local − true ≈ +1 s now.
        #expect(abs(host.clock.trueOffset - 1) < 1e-3)
    }

    @Test("a 1000 s initial offset: refused without -g (panic), stepped with it")
    func panicThreshold() {
        for allow in [false, true] {
            let network = SimulatedNetwork(seed: 7)
            let address = network.addServer(SimulatedServer(model: .perfect, startTime: network.startTime))
            let host = client(network, servers: [address], initialOffset: -1000.5) { $0.allowFirstBigCorrection = allow }
            network.run(for: 120)
            if allow {
                #expect(host.exitStatus == nil)
                #expect(abs(host.clock.trueOffset) < 1e-3, "stepped with -g")
                #expect(events(host).contains { $0.hasPrefix("clock stepped by 1000.") })
            } else {
                #expect(host.exitStatus == 1)
                #expect(host.exitReason?.contains("panic threshold") == true)
                #expect(abs(host.clock.trueOffset + 1000.5) < 1, "the clock was not touched")
            }
        }
    }

    @Test("-q sets the clock once and exits")
    func setOnce() {
        let network = SimulatedNetwork(seed: 8)
        let address = network.addServer(SimulatedServer(model: .perfect, startTime: network.startTime))
        let host = client(network, servers: [address], initialOffset: 2) { $0.setOnceAndExit = true }
        network.run(for: 60)
        #expect(host.exitStatus == 0)
        // Set once (then left free-running at its 100 ppm error): well under the 2 s it was off.
        #expect(abs(host.clock.trueOffset) < 0.01)
    }

    @Test("-x slews a 2 s offset instead of stepping")
    func slewOnly() {
        let network = SimulatedNetwork(seed: 9)
        let address = network.addServer(SimulatedServer(model: .perfect, startTime: network.startTime))
        let host = client(network, servers: [address], initialOffset: 2) { $0.slewOnly = true }
        network.run(for: 120)
        #expect(!events(host).contains { $0.hasPrefix("clock stepped") })
        #expect(abs(host.clock.trueOffset) < 1e-3)
    }

    @Test("a leap second announced by the server is inserted at the end of the UTC day")
    func leapInsertion() {
        // Start two hours before a UTC midnight.
        let midnight = UnixTime(seconds: 1_767_225_600 + 86_400, nanoseconds: 0)
        let network = SimulatedNetwork(seed: 11, startTime: midnight.adding(seconds: -7200))
        let server = SimulatedServer(model: .perfect, startTime: network.startTime)
        server.leap = .insertSecond
        let address = network.addServer(server)
        let host = client(network, servers: [address])
        // The server's own clock repeats a second at midnight, as a POSIX clock does.
        network.schedule(at: midnight) { _ in
            try? server.clock.step(by: Seconds(-1))
            server.leap = .noWarning
        }
        network.run(until: midnight.adding(seconds: -60))
        #expect(host.engine.system.leap == .insertSecond)
        #expect(host.engine.serverState.leap == .insertSecond, "clients are told too")
        network.run(until: midnight.adding(seconds: 600))
        #expect(events(host).contains("leap second inserted"))
        #expect(!events(host).contains { $0.hasPrefix("clock stepped") }, "no step needed afterwards")
        // Relative to the server's (POSIX) time the client is still in step.
        #expect(abs(host.clock.trueOffset - -1) < 1e-3)
    }

    /// How fast it runs is a benchmark's business (BENCHMARKS.md, "a simulated day"): the wall
    /// time is printed, not asserted (under ASan on a loaded machine it took 10.08 s once).
    @Test("a simulated day with ten servers: within 1 ms after the first 10 minutes")
    func dayWithTenServers() {
        let clock = ContinuousClock()
        let network = SimulatedNetwork(seed: 12)
        let addresses = (0..<10).map { _ in network.addServer(SimulatedServer(model: .perfect, startTime: network.startTime)) }
        let host = client(network, servers: addresses, maxPoll: 10)
        var worst = 0.0
        let elapsed = clock.measure {
            network.run(for: 86_400, sampleEvery: 1) { _ in
                if network.elapsed > 600 { worst = max(worst, abs(host.clock.trueOffset)) }
            }
        }
        print("simulated day, ten servers: \(elapsed) wall; max |offset| after 600 s \(worst)")
        #expect(network.elapsed >= 86_400)
        #expect(worst < 1e-3)
    }

    @Test("a server that answers RATE makes the client back off; DENY stops the association")
    func kissCodes() {
        let network = SimulatedNetwork(seed: 13)
        let rate = SimulatedServer(model: .perfect, startTime: network.startTime)
        rate.kiss = .always(.RATE)
        let deny = SimulatedServer(model: .perfect, startTime: network.startTime)
        deny.kiss = .always(.DENY)
        let host = client(network, servers: [network.addServer(rate), network.addServer(deny)], maxPoll: 10, iburst: false)
        network.run(for: 1200)
        let reports = host.engine.peerReports()
        #expect(reports[0].poll > 6, "RATE backs the poll off")
        #expect(reports[1].state == .denied)
        #expect(reports[1].referenceText == ".DENY.")
        #expect(deny.counters.received <= 2)
    }
}

@Suite("orphan mode, step now, pools")
struct EngineModesTests {
    @Test("tos orphan 5: with nothing reachable the server claims stratum 5 after orphanwait; it follows upstream again when it returns")
    func orphan() {
        let network = SimulatedNetwork(seed: 21)
        let server = SimulatedServer(model: .perfect, startTime: network.startTime)
        let start = network.startTime
        server.goSilent(from: start, until: start.adding(seconds: 900))
        let host = client(network, servers: [network.addServer(server)]) { $0.orphanStratum = 5 }
        network.run(until: start.adding(seconds: 200))
        #expect(!host.engine.serverState.isSynchronized, "not before orphanwait (300 s)")
        network.run(until: start.adding(seconds: 400))
        #expect(host.engine.serverState.stratum == 5)
        #expect(host.engine.serverState.referenceID == ReferenceID(ipv4: 127, 0, 0, 1))
        #expect(events(host).contains { $0.hasPrefix("orphan mode") })
        network.run(until: start.adding(seconds: 1500))
        #expect(host.engine.serverState.stratum == 2, "back to the upstream")
    }

    @Test("step now: a fresh burst, then a step to the consensus")
    func stepNow() {
        let network = SimulatedNetwork(seed: 22)
        let servers = (0..<3).map { _ in network.addServer(SimulatedServer(model: .perfect, startTime: network.startTime)) }
        let host = client(network, servers: servers, initialOffset: 2, configure: { $0.stepThreshold = .zero }, iburst: false)
        network.run(for: 1)
        host.startStepNow(network: network)
        network.run(for: 15)
        guard case .success(let offset)? = host.engine.stepNowOutcome else {
            Issue.record("no step: \(String(describing: host.engine.stepNowOutcome))")
            return
        }
        #expect(abs(offset.value + 2) < 1e-3)
        // Stepped to within the samples' noise; the 100 ppm error is not corrected yet.
        #expect(abs(host.clock.trueOffset) < 2e-3)
    }

    @Test("step now refuses when the servers disagree")
    func stepNowRefuses() {
        let network = SimulatedNetwork(seed: 23)
        let good = SimulatedServer(model: .perfect, startTime: network.startTime)
        let bad = SimulatedServer(model: .perfect, startTime: network.startTime)
        bad.falseticker = .constant(offset: 5)
        let host = client(network, servers: [network.addServer(good), network.addServer(bad)], initialOffset: 2,
                          configure: { $0.stepThreshold = .zero }, iburst: false)
        network.run(for: 1)
        host.startStepNow(network: network)
        network.run(for: 15)
        guard case .failure(let refusal)? = host.engine.stepNowOutcome else {
            Issue.record("expected a refusal: \(String(describing: host.engine.stepNowOutcome))")
            return
        }
        #expect(refusal.reason.contains("disagree"))
        #expect(abs(host.clock.trueOffset - 2) < 0.01, "the clock was not stepped")
    }

    @Test("pool: brings in every address of its name and replaces a server that stays unreachable")
    func pool() {
        let network = SimulatedNetwork(seed: 24)
        let start = network.startTime
        let servers = (0..<3).map { _ in SimulatedServer(model: .perfect, startTime: start) }
        let addresses = servers.map { network.addServer($0) }
        network.register(name: "pool.example", addresses: addresses.map(\.ip))
        let clock = SimulatedClock(trueTime: start, initialOffset: 0.05, frequencyError: 10, seed: 1)
        var p = AssociationConfiguration(kind: .pool, host: "pool.example")
        p.iburst = true
        p.maxPoll = 6
        let host = EngineHost(clock: clock, address: SocketAddress(ip: .v4(0x0a01_0001), port: 123),
                              configuration: EngineConfiguration(), associations: [p], seed: 1)
        network.addHost(host, address: host.address)
        network.run(for: 300)
        let spawned = host.engine.peerReports().filter { !$0.configured }
        #expect(spawned.count == 3)
        #expect(host.engine.peerReports().first { $0.configured }?.referenceText == ".POOL.")
        // One server goes for good; the name now points at a new one.
        servers[0].goSilent(from: network.now)
        let fresh = network.addServer(SimulatedServer(model: .perfect, startTime: start))
        network.unregister(name: "pool.example")
        network.register(name: "pool.example", addresses: [addresses[1].ip, addresses[2].ip, fresh.ip])
        network.run(for: 1200)
        let now = Set(host.engine.peerReports().filter { !$0.configured }.compactMap { $0.address?.ip })
        #expect(!now.contains(addresses[0].ip), "the dead server was dropped")
        #expect(now.contains(fresh.ip), "and replaced from the pool's name")
        #expect(abs(host.clock.trueOffset) < 1e-3)
    }

    @Test("pool stops at tos maxclock associations, however many addresses its name has")
    func poolCap() {
        let network = SimulatedNetwork(seed: 25)
        let start = network.startTime
        let addresses = (0..<40).map { _ in network.addServer(SimulatedServer(model: .perfect, startTime: start)) }
        network.register(name: "pool.example", addresses: addresses.map(\.ip))
        let clock = SimulatedClock(trueTime: start, initialOffset: 0.05, frequencyError: 10, seed: 1)
        var p = AssociationConfiguration(kind: .pool, host: "pool.example")
        p.iburst = true
        var local = AssociationConfiguration(kind: .localClock, host: "127.127.1.0")
        local.localStratum = 10
        var configuration = EngineConfiguration()
        configuration.selection.maxClock = 6
        let host = EngineHost(clock: clock, address: SocketAddress(ip: .v4(0x0a01_0001), port: 123),
                              configuration: configuration, associations: [p, local], seed: 1)
        network.addHost(host, address: host.address)
        network.run(for: 300)
        let spawned = host.engine.peerReports().filter { !$0.configured }
        #expect(spawned.count == 5, "maxclock 6 less the local clock; got \(spawned.count)")
        #expect(host.engine.system.isSynchronized)
    }
}
