import NTPLab
import NTPEngine
import NTPWire
import NTPShell
import Testing
@testable import NTPSimulation

/// The drift-file lab's world: a clock `frequencyError` ppm fast and three stratum-1 servers
/// (one plain, one 2 ms away, one 4 ms away with 300 µs of jitter), all `iburst`.
private func driftWorld(seed: UInt64, frequencyError: Double = 40, driftFile: Double? = nil) throws -> SimulationAdmin {
    let admin = SimulationAdmin.lab(seed: seed, clockOffset: 0.01, frequencyError: frequencyError)
    var plain = LabServerSettings()
    _ = try admin.addServer("10.0.0.1", plain)
    plain.delay = 0.002
    _ = try admin.addServer("10.0.0.2", plain)
    plain.delay = 0.004
    plain.jitter = 3e-4
    _ = try admin.addServer("10.0.0.3", plain)
    if let driftFile { admin.host.engine.loadDrift(PPM(driftFile)) }
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        var a = AssociationConfiguration(host: address)
        a.iburst = true
        _ = admin.addAssociation(a)
    }
    return admin
}

/// What a run of the drift world shows about frequency learning.
struct FrequencyTrace: CustomStringConvertible {
    /// The largest frequency correction (ppm, magnitude) the clock was ever set to.
    var worstCorrection = 0.0
    /// The largest frequency error (ppm) after the first clock update.
    var worstAfterFirstUpdate = 0.0
    /// Seconds until the frequency error stays below 1 ppm.
    var timeToOnePPM: Double?
    /// RMS true offset over the run, after the first 60 s, seconds.
    var rmsOffset = 0.0

    var description: String {
        "worst correction \(TrialMetrics.format(worstCorrection)) ppm; worst freq error \(TrialMetrics.format(worstAfterFirstUpdate)) ppm; <1 ppm from \(timeToOnePPM.map { TrialMetrics.format($0) } ?? "never") s; RMS offset \(TrialMetrics.format(rmsOffset)) s"
    }

    init(_ admin: SimulationAdmin, seconds: Double) {
        var sum = 0.0, n = 0.0
        var lastBad: Double = 0
        admin.network.run(for: seconds) { network in
            let t = network.elapsed
            let clock = admin.host.clock
            let error = clock.trueFrequencyError
            worstCorrection = max(worstCorrection, abs(clock.status().frequency.value))
            if admin.host.engine.system.updates > 0 {
                worstAfterFirstUpdate = max(worstAfterFirstUpdate, abs(error))
            }
            if abs(error) >= 1 { lastBad = t }
            if t >= 60 { sum += clock.trueOffset * clock.trueOffset; n += 1 }
        }
        timeToOnePPM = lastBad < seconds - 1 ? lastBad : nil
        rmsOffset = n > 0 ? (sum / n).squareRoot() : .nan
    }
}

/// The drift-file lab's world over ten seeds (one simulated hour each). Before the
/// few-samples rule (SourceStatistics.trustedFrequencyError) the first frequency correction
/// reached 200 ppm on this 40 ppm clock (seed 7; -192 ppm in the lab itself), the median time
/// until the frequency error stayed below 1 ppm was 75.5 s and the mean RMS offset 1.3e-4 s;
/// and a drift file of the right frequency was overridden by the first estimates in 7 of 10
/// seeds (by up to 160 ppm).
@Suite("frequency learning in virtual time")
struct FrequencyLearningTests {
    static let seeds: [UInt64] = Array(1...10)

    @Test("a 40 ppm clock with iburst: no correction beyond 60 ppm, converged at least as fast as before")
    func noOvershoot() throws {
        var times: [Double] = [], rms = 0.0
        for seed in Self.seeds {
            let trace = FrequencyTrace(try driftWorld(seed: seed), seconds: 3600)
            print("seed \(seed) no drift file:", trace)
            #expect(trace.worstCorrection < 60, "seed \(seed): \(trace)")
            let time = try #require(trace.timeToOnePPM, "seed \(seed) never converged: \(trace)")
            times.append(time)
            rms += trace.rmsOffset / Double(Self.seeds.count)
        }
        times.sort()
        let median = (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        print("median time to 1 ppm \(median) s; mean RMS offset \(TrialMetrics.format(rms)) s")
        // 75.5 s while polls were shortened by up to 1/16 (60-64 s at poll 6); now that they are
        // lengthened by up to 2 % (64-65.3 s, ``NTPConstants/pollRandomness``) the first poll after
        // the burst, where half the seeds reach 1 ppm, comes 1-5 s later: 79 s.
        #expect(median <= 80, "median time to 1 ppm \(median) s")
        #expect(rms < 1.3e-4)
    }

    @Test("an engine given the right drift file holds its frequency within 1 ppm", arguments: seeds)
    func driftFileHolds(seed: UInt64) throws {
        let admin = try driftWorld(seed: seed, driftFile: -40)
        let trace = FrequencyTrace(admin, seconds: 3600)
        print("seed \(seed) drift file:", trace)
        #expect(trace.worstAfterFirstUpdate < 1, "\(trace)")
    }
}

/// The drift-file lab itself (`ntpsh --lab drift-file`), up to its first minute and a half:
/// the first frequency corrections stay near the clock's 40 ppm (it applied -192 ppm before).
@Test("the drift-file lab's first frequency corrections do not overshoot")
func driftFileLabStart() throws {
    let scenario = LabScenarios.driftFile
    let admin = SimulationAdmin.lab(seed: scenario.seed, clockOffset: scenario.clockOffset,
                                    frequencyError: scenario.frequencyError)
    let runner = LabShell.runner(admin: admin, lab: admin)
    for line in scenario.script.split(separator: "\n") where !line.hasPrefix("#") {
        let output = runner.run(String(line))
        #expect(output.error == nil, "\(line): \(output.error ?? "")")
        if line.hasPrefix("wait sync") { break }
    }
    _ = runner.run("lab advance 90s")
    let corrections = admin.sampleHistory().loop.elements.map(\.frequency)
    print("drift-file lab, frequency correction at each update (ppm):", corrections.map { TrialMetrics.format($0) })
    #expect(!corrections.isEmpty)
    #expect(corrections.allSatisfy { abs($0) < 60 }, "\(corrections)")
}

/// `driftfile` through the shell in a lab, after an hour has written the virtual drift file:
/// read at `lab restart` (the start-up path, and again by the `driftfile` line the restart
/// applies), or typed after a restart without it (the runtime path, as ntp.conf's `driftfile`
/// reaches the daemon). Either way the engine holds the frequency within 1 ppm from its first
/// update on; before Engine.loadDrift the runtime path set only the clock and the first
/// estimates overrode it.
@Test("driftfile in a lab, at restart or typed later: the frequency holds within 1 ppm",
      arguments: [(UInt64(1), false), (5, false), (7, false), (1, true), (5, true), (7, true)])
func labDriftFileHolds(seed: UInt64, typedLater: Bool) throws {
    let admin = SimulationAdmin.lab(seed: seed, clockOffset: 0.01, frequencyError: 40)
    let runner = LabShell.runner(admin: admin, lab: admin)
    var lines = ["driftfile /var/lib/ntp/drift", "lab server add 10.0.0.1", "lab server add 10.0.0.2 delay 2ms",
                 "lab server add 10.0.0.3 delay 4ms jitter 300us", "server 10.0.0.1 iburst", "server 10.0.0.2 iburst",
                 "server 10.0.0.3 iburst", "lab advance 70m"]
    lines += typedLater ? ["no driftfile", "lab restart", "driftfile /var/lib/ntp/drift"] : ["lab restart"]
    for line in lines {
        let output = runner.run(line)
        #expect(output.error == nil, "\(line): \(output.error ?? "")")
    }
    let drift = try #require(admin.labFile("/var/lib/ntp/drift").flatMap { Double($0.dropLast()) })
    #expect(abs(drift + 40) < 0.5)
    #expect(abs(admin.host.clock.status().frequency.value - drift) < 0.01)
    let trace = FrequencyTrace(admin, seconds: 3600)
    print("seed \(seed) \(typedLater ? "typed later" : "at restart"), drift file \(drift):", trace)
    #expect(trace.worstAfterFirstUpdate < 1, "\(trace)")
}
