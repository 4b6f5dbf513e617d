import NTPEngine
import Foundation
import NTPWire
import Testing
@testable import NTPSimulation

/// ACCURACY.md's scenarios with the real engine, five seeds each; every seed must pass
/// chrony's limits. Each trial prints its sync time, RMS and max offset, RMS frequency error.
@Suite("ACCURACY.md scenarios with the engine")
struct AccuracyScenarioTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5]

    @Test(arguments: AccuracyScenario.all)
    func scenario(_ scenario: AccuracyScenario) {
        let results = AccuracyWorld.trials(scenario, seeds: Self.seeds) { EngineHost(world: $0) }
        for r in results {
            let summary = r.summary, passes = r.passes
            print(summary)
            #expect(passes, "\(summary)")
        }
    }
}

@Test("debug trace", .disabled(if: ProcessInfo.processInfo.environment["NTPSH_TRACE"] == nil))
func debugTrace() {
    let name = ProcessInfo.processInfo.environment["NTPSH_TRACE"] ?? "defaults"
    let seed = UInt64(ProcessInfo.processInfo.environment["NTPSH_SEED"] ?? "1") ?? 1
    let world = AccuracyWorld(AccuracyScenario(name: name)!, seed: seed)
    let host = EngineHost(world: world)
    let r = world.run(host: host)
    for e in host.events.prefix(40) { print(e.time, e) }
    for sample in r.samples where Int(sample.time) % 32 == 0 && sample.time > 2000 && sample.time < 3500 {
        print("t", sample.time, "offset", sample.offset, "freq", sample.frequencyError)
    }
    for p in host.engine.peerReports() { print(p.remoteText, p.select, p.reach, p.offset, p.delay, p.poll, p.counters) }
    print(r.summary)
}
