import NTPLab
import NTPEngine
import NTPShell
import Testing
@testable import NTPSimulation

/// The falseticker lab's world (`ntpsh --lab falseticker`: four good servers, one a second off),
/// with the lab's seed or another, run to `wait sync`.
private func falsetickerLab(seed: UInt64) -> SimulationAdmin {
    let scenario = LabScenarios.falseticker
    let admin = SimulationAdmin.lab(seed: seed, clockOffset: scenario.clockOffset, frequencyError: scenario.frequencyError)
    let runner = LabShell.runner(admin: admin, lab: admin)
    for line in scenario.script.split(separator: "\n") where !line.hasPrefix("#") {
        _ = runner.run(String(line))
        if line.hasPrefix("wait sync") { break }
    }
    return admin
}

/// System peer changes in a simulated day of the falseticker lab, five seeds (the lab's is 2).
/// Before the clock-hop rule (Selection: a pruned system peer within the hop threshold of the
/// best survivor is kept) these seeds changed system peer 2.1 times an hour (56, 62, 41, 46, 44
/// in 24 h), nearly always because the cluster algorithm pruned it as the outlier of four
/// equally good servers; now 0.75 (21, 14, 20, 17, 18). RMS offset 5.0e-5 s over the five days
/// both times.
@Test("falseticker lab: the system peer changes less than once an hour, the offset no worse")
func clockHopping() {
    let hours = 24.0
    var hops = 0, sum = 0.0, n = 0.0
    for seed: UInt64 in [2, 1, 3, 4, 5] {
        let admin = falsetickerLab(seed: seed)
        let before = admin.host.events.count
        admin.network.run(for: hours * 3600, sampleEvery: 16) { _ in
            sum += admin.host.clock.trueOffset * admin.host.clock.trueOffset
            n += 1
        }
        let changes = admin.host.events.dropFirst(before).filter {
            if case .systemPeer = $0.kind { return true } else { return false }
        }.count
        print("falseticker lab seed \(seed): \(changes) system peer changes in \(Int(hours)) h")
        hops += changes
    }
    let perHour = Double(hops) / (hours * 5), rms = (sum / n).squareRoot()
    print("falseticker lab: \(perHour) system peer changes per hour; RMS offset \(TrialMetrics.format(rms)) s")
    #expect(perHour < 1)
    #expect(rms < 5.5e-5)
}
