@testable import NTPSimulation
import NTPEngine
import NTPWire
import Testing

@Suite struct EventHeapTests {
    @Test func popsInTimeOrderAndFIFOAmongEqualTimes() {
        var heap = EventHeap<Int>()
        var random = SimulationRandom(seed: 3)
        var pushed: [(UnixTime, Int)] = []
        for i in 0..<2000 {
            let t = UnixTime(nanoseconds: Int64(random.next() % 50))
            heap.push(i, at: t)
            pushed.append((t, i))
        }
        var popped: [(UnixTime, Int)] = []
        while let e = heap.pop() { popped.append((e.time, e.payload)) }
        // A stable sort by time is exactly the expected order.
        let expected = pushed.enumerated().sorted { a, b in
            a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset
        }.map(\.element)
        #expect(popped.map(\.1) == expected.map(\.1))
        #expect(heap.isEmpty && heap.nextTime == nil)
    }
}

@Suite struct SimulatedNetworkTests {
    /// The default world's link: the probe's measured offset equals the true offset up to the
    /// link's noise, (d_out − d_in)/2 with d = 1e-4 + 1e-4·Exp(1): mean 0, RMS 1e-4/√2.
    @Test func measuredOffsetsMatchTheTruth() throws {
        let network = SimulatedNetwork(seed: 11)
        let server = SimulatedServer(model: ServerClockModel(offset: 0.25, frequencyPPM: -20, wander: 1e-9), seed: 5)
        let address = network.addServer(server)
        let probe = SNTPProbe(clock: clientClock(), servers: [address], address: clientAddress, interval: 16)
        network.addHost(probe, address: clientAddress)
        network.run(for: 40_000, sampleEvery: 0)
        let errors = probe.measurements.map { $0.offset - $0.trueOffset }
        #expect(probe.measurements.count == probe.requestsSent)
        #expect(errors.count > 2400)
        #expect(abs(mean(errors)) < 5e-6)
        let expectedRMS = 1e-4 / 2.0.squareRoot()
        #expect(abs(rms(errors) - expectedRMS) < 0.05 * expectedRMS, "RMS \(rms(errors))")
        #expect(errors.allSatisfy { abs($0) < 2e-3 })
        // The client is +0.1 s and +100 ppm: what it measures is the opposite, plus the server's.
        let first = try #require(probe.measurements.first)
        #expect(abs(first.offset - (0.25 - 0.1)) < 1e-3)
        let delays = probe.measurements.map(\.delay)
        #expect(delays.allSatisfy { $0 >= 2e-4 - 1e-8 })
        #expect(abs(mean(delays) - 4e-4) < 2e-5)
    }

    /// Extra delay outbound biases the measured offset by +asymmetry/2.
    @Test func asymmetryBiasesTheMeasurement() {
        let network = SimulatedNetwork(seed: 12)
        let address = network.addServer(SimulatedServer())
        network.setLink(LinkModel(baseDelay: 1e-4, jitter: 1e-5, asymmetry: 2e-3), host: clientAddress.ip, peer: address.ip)
        #expect(network.link(host: clientAddress.ip, peer: address.ip).asymmetry == 2e-3)
        let probe = SNTPProbe(clock: clientClock(), servers: [address], address: clientAddress, interval: 16)
        network.addHost(probe, address: clientAddress)
        network.run(for: 5000, sampleEvery: 0)
        let errors = probe.measurements.map { $0.offset - $0.trueOffset }
        #expect(abs(mean(errors) - 1e-3) < 2e-6)
    }

    @Test func lossIsIndependentPerDirection() {
        let network = SimulatedNetwork(seed: 13, defaultLink: LinkModel(baseDelay: 1e-4, jitter: 1e-5, loss: 0.33))
        let address = network.addServer(SimulatedServer())
        let probe = SNTPProbe(clock: clientClock(), servers: [address], address: clientAddress, interval: 1)
        network.addHost(probe, address: clientAddress)
        network.run(for: 20_000, sampleEvery: 0)
        let requests = Double(probe.requestsSent)
        let s = network.statistics
        #expect(abs(Double(s.lost) / Double(s.sent) - 0.33) < 0.01)
        // A reply needs both directions: 0.67² ≈ 0.449 of the requests.
        #expect(abs(Double(probe.measurements.count) / requests - 0.67 * 0.67) < 0.015)
        #expect(s.sent == s.lost + s.delivered + s.undeliverable)
        #expect(abs(Double(network.servers[0].counters.received) / requests - 0.67) < 0.015)
    }

    @Test func sameSeedSameHistory() {
        func history(seed: UInt64) -> ([Double], [ClockSample]) {
            let network = SimulatedNetwork(seed: seed, defaultLink: LinkModel(loss: 0.1))
            let addresses = (0..<3).map { i in
                network.addServer(SimulatedServer(model: ServerClockModel(frequencyPPM: Double(i), wander: 1e-9), seed: UInt64(i)))
            }
            let clock = clientClock(seed: seed)
            let probe = SNTPProbe(clock: clock, servers: addresses, address: clientAddress, interval: 32)
            network.addHost(probe, address: clientAddress)
            var samples: [ClockSample] = []
            network.run(for: 3000) { n in samples.append(ClockSample(clock: clock, start: n.startTime)) }
            return (probe.measurements.map(\.offset), samples)
        }
        let a = history(seed: 77)
        let b = history(seed: 77)
        let c = history(seed: 78)
        #expect(a.0 == b.0 && a.1 == b.1)
        #expect(a.0.count > 200 && a.1.count == 3000)
        #expect(a.0 != c.0 && a.1 != c.1)
    }

    /// Running in pieces gives the same history as running at once.
    @Test func runInPiecesIsTheSame() {
        func history(pieces: Int) -> [Double] {
            let network = SimulatedNetwork(seed: 5)
            let address = network.addServer(SimulatedServer())
            let probe = SNTPProbe(clock: clientClock(), servers: [address], address: clientAddress, interval: 10)
            network.addHost(probe, address: clientAddress)
            var times: [Double] = []
            for i in 1...pieces {
                let until = network.startTime.adding(seconds: 1000 * Double(i) / Double(pieces))
                network.run(until: until, sampleEvery: 2.5) { times.append($0.elapsed) }
            }
            return probe.measurements.map(\.offset) + times
        }
        #expect(history(pieces: 1) == history(pieces: 7))
    }

    @Test func samplesOnTheGrid() {
        let network = SimulatedNetwork(seed: 1)
        var times: [Double] = []
        network.run(for: 10) { times.append($0.elapsed) }
        #expect(times == (1...10).map(Double.init))
        network.run(for: 2.5, sampleEvery: 0.5) { times.append($0.elapsed) }
        #expect(times.suffix(5) == [10.5, 11, 11.5, 12, 12.5])
        #expect(network.elapsed == 12.5)
    }

    /// Wakeups come at (never before) the local time asked, for clocks 10 % fast and slow, and
    /// while a slew changes the rate behind the network's back.
    @Test(arguments: [100_000.0, -100_000.0, 0.0])
    func wakeupsInLocalTime(ppm: Double) throws {
        let network = SimulatedNetwork(seed: 2)
        let clock = SimulatedClock(
            trueTime: network.startTime, initialOffset: -3, frequencyError: ppm, wanderPerSqrtSecond: 1e-6, seed: 9)
        let probe = SNTPProbe(clock: clock, servers: [], address: clientAddress, interval: 7.3)
        network.addHost(probe, address: clientAddress)
        network.run(for: 500, sampleEvery: 0)
        // 83333 ppm for 0.6 s, then 500 ppm for 100 s: the clock runs faster than its
        // frequency says, and the slew ends at a wakeup the probe asks for the driver.
        try clock.slew(by: Seconds(0.05))
        network.hostsChanged()
        network.run(for: 500, sampleEvery: 0)
        clock.setMaxSlewRate(PPM(500))
        try clock.slew(by: Seconds(-0.05))
        network.hostsChanged()
        network.run(for: 500, sampleEvery: 0)
        let lateness = (probe.wakeups + probe.clockServices).map { $0.got - $0.asked }
        #expect(probe.wakeups.count > 150)
        #expect(probe.clockServices.count == 2)
        #expect(lateness.allSatisfy { $0 >= 0 && $0 < 2e-9 }, "\(lateness.max() ?? 0)")
        #expect(network.statistics.wakeups == probe.wakeups.count + probe.clockServices.count)
    }

    /// A host stepped back asks again for a local time already asked; the early event is
    /// rescheduled, not delivered.
    @Test func wakeupsSurviveSteps() throws {
        let network = SimulatedNetwork(seed: 2)
        let clock = clientClock(wander: 0)
        let probe = SNTPProbe(clock: clock, servers: [], address: clientAddress, interval: 10)
        network.addHost(probe, address: clientAddress)
        network.schedule(after: 35) { _ in try? clock.step(by: Seconds(-5)) }
        network.schedule(after: 75) { _ in try? clock.step(by: Seconds(3)) }
        network.run(for: 200, sampleEvery: 0)
        #expect(probe.wakeups.allSatisfy { $0.got >= $0.asked })
        #expect(probe.wakeups.count == 19 || probe.wakeups.count == 20)
    }

    @Test func hostThatAsksForNowDoesNotSpin() {
        final class Eager: SimulatedHost {
            let clock = clientClock()
            var calls = 0
            func nextWakeup() -> UnixTime? { calls < 5000 ? clock.now() : nil }
            func wake(network: SimulatedNetwork) { calls += 1 }
            func receive(_ bytes: [UInt8], from: SocketAddress, to: SocketAddress, receiveTime: UnixTime, network: SimulatedNetwork) {}
        }
        let network = SimulatedNetwork(seed: 1)
        let host = Eager()
        network.addHost(host, address: clientAddress)
        network.run(for: 1, sampleEvery: 0)
        // One microsecond apart at least: 5000 calls take 5 ms of true time.
        #expect(host.calls == 5000)
    }

    @Test func namesResolveLikeAPool() {
        let network = SimulatedNetwork(seed: 1)
        let a = network.addServer(SimulatedServer(), name: "pool.example")
        let b = network.addServer(SimulatedServer(), name: "POOL.example")
        let c = network.addServer(SimulatedServer(), address: SocketAddress("192.0.2.7", port: 123), name: "one.example")
        #expect(network.resolve("pool.example") == [a.ip, b.ip])
        #expect(network.resolve("one.example") == [c.ip])
        #expect(network.resolve("192.0.2.99") == [IPAddress("192.0.2.99")!])
        #expect(network.resolve("nothing.example").isEmpty)
        #expect(a.description == "10.0.0.1:123" && b.description == "10.0.0.2:123")
        network.removeServer(network.servers[0])
        #expect(network.resolve("pool.example") == [b.ip])
        #expect(network.server(at: a) == nil && network.server(at: b) === network.servers[0])
    }

    @Test func datagramsToNobodyAreCounted() {
        let network = SimulatedNetwork(seed: 1)
        let address = network.addServer(SimulatedServer())
        let probe = SNTPProbe(
            clock: clientClock(), servers: [SocketAddress(ip: address.ip, port: 124), SocketAddress("10.9.9.9", port: 123)!],
            address: clientAddress, interval: 10)
        network.addHost(probe, address: clientAddress)
        network.run(for: 100, sampleEvery: 0)
        #expect(network.statistics.undeliverable == probe.requestsSent)
        #expect(probe.measurements.isEmpty)
    }
}
