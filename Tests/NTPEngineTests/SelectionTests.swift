import NTPWire
import Testing
@testable import NTPEngine

private func candidate(_ id: UInt16, _ offset: Double, _ distance: Double = 0.01, jitter: Double = 0.001,
                       stratum: UInt8 = 2, prefer: Bool = false, local: Bool = false) -> Selection.Candidate {
    Selection.Candidate(id: AssociationID(id), offset: offset, rootDistance: distance, jitter: jitter,
                        stratum: stratum, prefer: prefer, isLocalClock: local)
}

@Suite struct SelectionTests {
    @Test func oneFalsetickerOfFive() {
        let all = [candidate(1, 0.001), candidate(2, -0.002), candidate(3, 0.0), candidate(4, 0.0015), candidate(5, 1.0)]
        let r = Selection.run(all, settings: .init(), current: nil)
        #expect(r.status[AssociationID(5)] == .falseticker)
        #expect(r.truechimers == 4)
        #expect(r.systemPeer != nil && r.systemPeer != AssociationID(5))
        #expect(abs(r.offset) < 0.002)
    }

    @Test func twoFalsetickersOfFive() {
        let all = [candidate(1, 0.001), candidate(2, -0.002), candidate(3, 0.0), candidate(4, 1.0), candidate(5, 2.0)]
        let r = Selection.run(all, settings: .init(), current: nil)
        #expect(r.status[AssociationID(4)] == .falseticker)
        #expect(r.status[AssociationID(5)] == .falseticker)
        #expect([1, 2, 3].contains(r.systemPeer?.rawValue ?? 0))
    }

    @Test func noMajorityNoPeer() {
        // Two sources that disagree: neither can be proven.
        let r = Selection.run([candidate(1, 0), candidate(2, 1)], settings: .init(), current: nil)
        #expect(r.systemPeer == nil)
    }

    @Test("the truechimers must be a majority of the voters, sources still gathering samples included")
    func majorityOfVoters() {
        // Five servers answered a burst; only the falseticker has its two samples yet.
        let first = Selection.run([candidate(5, 1.0)], settings: .init(), current: nil, voters: 5)
        #expect(first.systemPeer == nil, "one of five is no majority")
        #expect(first.status[AssociationID(5)] == .reject)
        // Two that agree, of five: still waiting.
        let two = Selection.run([candidate(1, 0.0), candidate(2, 0.001), candidate(5, 1.0)], settings: .init(),
                                current: nil, voters: 5)
        #expect(two.systemPeer == nil)
        // Three of five agree: the falseticker is outvoted.
        let three = Selection.run([candidate(1, 0.0), candidate(2, 0.001), candidate(3, -0.001), candidate(5, 1.0)],
                                  settings: .init(), current: nil, voters: 5)
        #expect([1, 2, 3].contains(three.systemPeer?.rawValue ?? 0))
        #expect(three.status[AssociationID(5)] == .falseticker)
        // Without voters counted, the lone candidate is its own majority (RFC 5905's rule).
        #expect(Selection.run([candidate(5, 1.0)], settings: .init(), current: nil).systemPeer == AssociationID(5))
    }

    @Test func localClockOnlyWhenNothingElse() {
        let local = candidate(9, 0, 0.005, stratum: 10, local: true)
        let withNet = Selection.run([candidate(1, 0.001), local], settings: .init(), current: nil)
        #expect(withNet.systemPeer == AssociationID(1))
        #expect(withNet.status[AssociationID(9)] == .backup)
        let alone = Selection.run([local], settings: .init(), current: nil)
        #expect(alone.systemPeer == AssociationID(9))
        #expect(alone.status[AssociationID(9)] == .systemPeer)
    }

    @Test func preferWins() {
        let all = [candidate(1, 0.001, 0.005), candidate(2, 0.0, 0.02, prefer: true), candidate(3, 0.0005, 0.01)]
        let r = Selection.run(all, settings: .init(), current: nil)
        #expect(r.systemPeer == AssociationID(2))
        #expect(r.status[AssociationID(1)] == .candidate)
    }

    @Test func keepsCurrentPeerWhileItSurvives() {
        let all = [candidate(1, 0.001, 0.005), candidate(2, 0.0, 0.02), candidate(3, 0.0005, 0.01)]
        let r = Selection.run(all, settings: .init(), current: AssociationID(3))
        #expect(r.systemPeer == AssociationID(3))
    }

    @Test func excessBeyondMaxclock() {
        var s = Selection.Settings()
        s.maxClock = 2
        let all = [candidate(1, 0, 0.01), candidate(2, 0, 0.02), candidate(3, 0, 0.03)]
        let r = Selection.run(all, settings: s, current: nil)
        #expect(r.status[AssociationID(3)] == .excess)
    }

    @Test func clusterDropsOutlier() {
        // Intervals all overlap, but one is far from the others relative to the jitter.
        let all = [candidate(1, 0.0, 0.1, jitter: 2e-4), candidate(2, 0.0001, 0.1, jitter: 2e-4),
                   candidate(3, -0.0001, 0.1, jitter: 2e-4), candidate(4, 0.00005, 0.1, jitter: 2e-4),
                   candidate(5, 0.05, 0.1, jitter: 2e-4)]
        let r = Selection.run(all, settings: .init(), current: nil)
        #expect(r.status[AssociationID(5)] == .outlier)
        #expect(r.survivors.count == 4)
    }
}

@Suite struct ClockFilterTests {
    @Test func choosesLeastDelay() {
        var f = ClockFilter()
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        f.add(.init(offset: 0.010, delay: 0.050, dispersion: 0.001, time: t0))
        f.add(.init(offset: 0.001, delay: 0.010, dispersion: 0.001, time: t0.adding(seconds: 64)))
        f.add(.init(offset: 0.020, delay: 0.090, dispersion: 0.001, time: t0.adding(seconds: 128)))
        #expect(f.offset == 0.001)
        #expect(f.delay == 0.010)
        #expect(f.jitter > 0)
        #expect(f.samples.count == 3)
        #expect(f.stages(at: t0.adding(seconds: 128)).count == 8)
    }

    @Test func keepsEightStages() {
        var f = ClockFilter()
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        for i in 0..<20 { f.add(.init(offset: Double(i) * 1e-3, delay: 0.01, dispersion: 0, time: t0.adding(seconds: Double(i)))) }
        #expect(f.samples.count == 8)
    }
}

@Suite struct SourceStatisticsTests {
    @Test func recoversLineExactly() {
        var s = SourceStatistics()
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        for i in 0..<10 {
            let t = Double(i) * 64
            s.add(time: t0.adding(seconds: t), offset: 0.01 - 100e-6 * t, delay: 0.001)
        }
        let e = try! #require(s.estimate)
        #expect(abs(e.frequency - -100e-6) < 1e-12)
        #expect(abs(e.offset - (0.01 - 100e-6 * 576)) < 1e-9)
    }

    @Test func lowDelaySamplesDominate() {
        var s = SourceStatistics()
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        // True offset 0; the low-delay samples are exact, the queued ones biased.
        for i in 0..<16 {
            let low = i % 4 == 0
            s.add(time: t0.adding(seconds: Double(i) * 64), offset: low ? 0 : 0.004, delay: low ? 0.001 : 0.011)
        }
        let e = try! #require(s.estimate)
        #expect(abs(e.offset) < 2e-4)
    }

    @Test func correctionKeepsModelConsistent() {
        var s = SourceStatistics()
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        for i in 0..<5 { s.add(time: t0.adding(seconds: Double(i) * 64), offset: 0.05 + 1e-5 * Double(i) * 64, delay: 0.001) }
        let now = t0.adding(seconds: 256)
        let p = try! #require(s.predict(at: now))
        s.applyCorrection(phase: p.offset, frequency: 1e-5, at: now)
        let after = try! #require(s.predict(at: now))
        #expect(abs(after.offset) < 1e-12)
        #expect(abs(s.estimate!.frequency) < 1e-12)
    }

    @Test func runsTestDropsOldSamplesAfterFrequencyChange() {
        var s = SourceStatistics()
        let t0 = UnixTime(seconds: 1_000_000, nanoseconds: 0)
        var offset = 0.0
        for i in 0..<40 {
            let slope = i < 24 ? 0.0 : 5e-6
            offset += slope * 64
            s.add(time: t0.adding(seconds: Double(i) * 64), offset: offset + (i % 2 == 0 ? 1e-6 : -1e-6), delay: 0.001)
        }
        #expect(s.points.count < 40)
        #expect(abs(s.estimate!.frequency - 5e-6) < 1e-6)
    }

    /// Four sources within 0.3 ms, tiny peer jitter: the cluster prunes one to reach minclock 3.
    @Test func prunedSystemPeerIsKeptWithinTheHopThresholdThenLetGo() {
        let all = [candidate(1, 0.0, 0.1, jitter: 1e-6), candidate(2, 0.00001, 0.1, jitter: 1e-6),
                   candidate(3, -0.00001, 0.1, jitter: 1e-6), candidate(4, 0.0003, 0.1, jitter: 1e-6)]
        let fresh = Selection.run(all, settings: .init(), current: nil)
        #expect(fresh.status[AssociationID(4)] == .outlier)
        #expect(fresh.clockHop == 0)
        // 4 is the system peer: kept (0.3 ms from the best, under 1 ms), a survivor again.
        var r = Selection.run(all, settings: .init(), current: AssociationID(4))
        #expect(r.systemPeer == AssociationID(4))
        #expect(r.status[AssociationID(4)] == .systemPeer)
        #expect(r.survivors.contains(AssociationID(4)))
        #expect(r.clockHop == Selection.clockHopDistance)
        // The threshold halves at each run that keeps it: 0.5 ms keeps it, 0.25 ms lets go.
        r = Selection.run(all, settings: .init(), current: AssociationID(4), clockHop: r.clockHop)
        #expect(r.systemPeer == AssociationID(4))
        #expect(r.clockHop == Selection.clockHopDistance / 2)
        r = Selection.run(all, settings: .init(), current: AssociationID(4), clockHop: r.clockHop)
        #expect(r.systemPeer != AssociationID(4))
        #expect(r.status[AssociationID(4)] == .outlier)
        #expect(r.clockHop == 0)
    }

    @Test func falsetickerSystemPeerIsNotKept() {
        let all = [candidate(1, 0.0, 0.01), candidate(2, 0.0002, 0.01), candidate(3, -0.0001, 0.01),
                   candidate(4, 0.5, 0.01)]
        let r = Selection.run(all, settings: .init(), current: AssociationID(4), clockHop: 0)
        #expect(r.status[AssociationID(4)] == .falseticker)
        #expect(r.systemPeer != AssociationID(4))
    }
}

/// The client's transmit timestamps: the bits below the precision are random (anti-spoofing).
@Suite struct TransmitTimestampTests {
    @Test("bits below the precision come from the randomness; the rest is the time")
    func randomLowBits() {
        let t = NTPTimestamp(rawValue: 0x1234_5678_9abc_def0)
        let a = Engine.randomisedBelowPrecision(t, precision: PollExponent(-20), random: 0)
        let b = Engine.randomisedBelowPrecision(t, precision: PollExponent(-20), random: .max)
        #expect(a.rawValue == 0x1234_5678_9abc_d000)
        #expect(b.rawValue == 0x1234_5678_9abc_dfff)
        #expect(Engine.randomisedBelowPrecision(t, precision: PollExponent(-32), random: .max) == t)
        #expect(Engine.randomisedBelowPrecision(t, precision: PollExponent(0), random: 0).rawValue == 0x1234_5678_0000_0000)
    }
}
