import NTPWire
import Testing
@testable import NTPEngine

@Suite struct MRUListTests {
    let t0 = UnixTime(seconds: 1_800_000_000, nanoseconds: 0)

    @Test func oneEntryPerAddressNewestFirst() {
        var mru = MRUList()
        let a = IPAddress("192.0.2.1")!, b = IPAddress("2001:db8::7")!
        _ = mru.record(a, port: 1000, mode: 3, version: 4, flags: [], at: t0)
        _ = mru.record(b, port: 2000, mode: 3, version: 3, flags: [], at: t0.adding(seconds: 1))
        // A new port from the same address is the same client (ntpd: no escaping the limit).
        _ = mru.record(a, port: 1001, local: .loopbackIPv4, mode: 6, version: 2, flags: [.nomodify], at: t0.adding(seconds: 5))
        // IPv4-mapped IPv6 is the IPv4 address.
        _ = mru.record(IPAddress("::ffff:192.0.2.1")!, port: 1002, mode: 3, version: 4, flags: [], at: t0.adding(seconds: 9))
        let list = mru.entries(oldestFirst: false)
        #expect(list.count == 2)
        #expect(list[0].source == SocketAddress(ip: a, port: 1002))
        #expect(list[0].count == 3)
        #expect(list[0].first == t0)
        #expect(list[0].last == t0.adding(seconds: 9))
        #expect(list[0].mode == 3 && list[0].version == 4)
        #expect(list[0].local == .loopbackIPv4)
        #expect(list[0].averageInterval == 4.5)
        #expect(list[1].source.ip == b)
        #expect(mru.entries(oldestFirst: true).map(\.source.ip) == [b, a])
        #expect(mru.counters.new == 2 && mru.counters.exists == 2)
    }

    @Test func recyclesUnderNtpdsRules() {
        var s = MonitorSettings()
        s.maxDepth = 4; s.minDepth = 2; s.maxAge = 100; s.minAge = 10; s.monitor = 0
        var mru = MRUList(settings: s)
        for i in 0..<4 { _ = mru.record(.v4(UInt32(i + 1)), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: Double(i))) }
        #expect(mru.count == 4)
        // Full and the oldest is younger than minage: the newcomer is not recorded.
        _ = mru.record(.v4(100), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: 5))
        #expect(mru.count == 4 && mru.entry(for: .v4(100)) == nil && mru.counters.none == 1)
        // Past minage: the oldest is recycled.
        _ = mru.record(.v4(101), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: 20))
        #expect(mru.entry(for: .v4(1)) == nil && mru.entry(for: .v4(101)) != nil && mru.counters.recycledFull == 1)
        // Older than maxage: recycled even when there is room.
        var m2 = MRUList(settings: s)
        for i in 0..<2 { _ = m2.record(.v4(UInt32(i + 1)), port: 1, mode: 3, version: 4, flags: [], at: t0) }
        _ = m2.record(.v4(9), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: 500))
        #expect(m2.count == 2 && m2.counters.recycledOld == 1)
    }

    @Test func rateLimitAsNtpd() {
        var s = MonitorSettings()
        s.average = 3; s.minimum = 2
        var mru = MRUList(settings: s)
        let c = IPAddress("198.51.100.9")!
        let flags: RestrictFlags = [.limited, .kod]
        // The first packet is never limited.
        #expect(mru.record(c, port: 1, mode: 3, version: 4, flags: flags, at: t0) == [])
        // One packet a second: under the 2 s minimum right away → limited with a kiss.
        let second = mru.record(c, port: 1, mode: 3, version: 4, flags: flags, at: t0.adding(seconds: 0.3))
        #expect(second == [.limited, .kod])
        // Still over: limited, but the kiss is itself limited.
        let third = mru.record(c, port: 1, mode: 3, version: 4, flags: flags, at: t0.adding(seconds: 0.6))
        #expect(third == [.limited])
        #expect(mru.entry(for: c)?.dropped == 2)
        // A client at 16 s (above the 8 s average) is never limited.
        let d = IPAddress("198.51.100.10")!
        for i in 0..<100 {
            #expect(mru.record(d, port: 1, mode: 3, version: 4, flags: flags, at: t0.adding(seconds: Double(16 * i))) == [])
        }
        // A client at 4 s is limited after its bucket fills, and kissed at most once per drain.
        let e = IPAddress("198.51.100.11")!
        var limited = 0, kisses = 0
        for i in 0..<200 {
            let f = mru.record(e, port: 1, mode: 3, version: 4, flags: flags, at: t0.adding(seconds: Double(4 * i)))
            if f.contains(.limited) { limited += 1 }
            if f.contains(.kod) { kisses += 1 }
        }
        #expect(limited > 50 && limited < 200)
        #expect(kisses > 0 && kisses < limited / 2)
        // Without `limited`, nothing is limited.
        let g = IPAddress("198.51.100.12")!
        for i in 0..<20 { #expect(mru.record(g, port: 1, mode: 3, version: 4, flags: [.nomodify], at: t0.adding(seconds: Double(i) * 0.01)) == [.nomodify]) }
    }

    /// One million distinct sources through the default list: it stays within `mru maxmem`
    /// (1024 KB) and keeps the newest.
    @Test func oneMillionSourcesStayWithinTheBound() {
        var mru = MRUList()
        let bound = mru.memoryBound
        let clock = ContinuousClock()
        var worst = 0
        let elapsed = clock.measure {
            for i in 0..<1_000_000 {
                let a: IPAddress = i % 4 == 0
                    ? .v6(high: 0x2001_0db8_0000_0000 | UInt64(i), low: UInt64(i) &* 0x9E37_79B9, scope: 0)
                    : .v4(0x0a00_0000 | UInt32(i))
                // 100 packets a second: the oldest entry is past minage once the list is full.
                _ = mru.record(a, port: UInt16(truncatingIfNeeded: i), mode: 3, version: 4, flags: [],
                               at: t0.adding(seconds: Double(i) / 100))
                if i % 65_536 == 0 { worst = max(worst, mru.memoryBytes) }
            }
        }
        worst = max(worst, mru.memoryBytes)
        print("MRU: 1,000,000 sources in \(elapsed); \(mru.count) entries of \(mru.settings.maxDepth); "
              + "\(worst) bytes held (bound \(bound) = \(mru.settings.maxMemoryKB) KB); "
              + "\(MRUList.bytesPerEntry) bytes an entry; new \(mru.counters.new), recycled old "
              + "\(mru.counters.recycledOld), full \(mru.counters.recycledFull), none \(mru.counters.none)")
        #expect(worst <= bound)
        #expect(mru.count == mru.settings.maxDepth)
        #expect(mru.count >= 10_000)
        #expect(mru.entry(for: .v4(0x0a00_0000 | 999_999)) != nil)
        #expect(mru.entry(for: .v4(0x0a00_0000 | 1)) == nil)
        #expect(mru.counters.recycledFull == 1_000_000 - UInt64(mru.settings.maxDepth))
        let list = mru.entries(oldestFirst: true)
        #expect(list.count == mru.count)
        #expect(zip(list, list.dropFirst()).allSatisfy { $0.last <= $1.last })
    }

    @Test func smallerMaxdepthKeepsTheNewest() {
        var mru = MRUList()
        for i in 0..<100 { _ = mru.record(.v4(UInt32(i)), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: Double(i))) }
        var s = mru.settings
        s.maxDepth = 10
        mru.apply(s)
        #expect(mru.count == 10)
        #expect(mru.entries(oldestFirst: false).map(\.source.ip) == (90..<100).reversed().map { IPAddress.v4(UInt32($0)) })
        #expect(mru.memoryBytes <= mru.memoryBound)
    }

    @Test func walkReadsInPlaceFromAnEntry() {
        var mru = MRUList()
        for i in 1...10 { _ = mru.record(.v4(UInt32(i)), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: Double(i))) }
        var seen: [IPAddress] = []
        #expect(mru.walk(after: .v4(4)) { seen.append($0.source.ip); return true })
        #expect(seen == (5...10).map { IPAddress.v4(UInt32($0)) })
        seen = []
        #expect(!mru.walk(after: nil, skip: 2) { seen.append($0.source.ip); return seen.count < 3 })
        #expect(seen == [.v4(3), .v4(4), .v4(5)])
    }

    /// The control socket's page and READ_MRU's recent= read only the newest entries.
    @Test func newestEntriesAndRecentSkip() {
        var mru = MRUList()
        for i in 1...10 { _ = mru.record(.v4(UInt32(i)), port: 1, mode: 3, version: 4, flags: [], at: t0.adding(seconds: Double(i))) }
        #expect(mru.entries(newest: 3).map(\.source.ip) == [.v4(8), .v4(9), .v4(10)])
        #expect(mru.entries(oldestFirst: false, newest: 2).map(\.source.ip) == [.v4(10), .v4(9)])
        #expect(mru.entries(newest: 50).count == 10)
        #expect(mru.entries(newest: 0).isEmpty)
        for skip in [0, 4, 5, 6, 8, 9, 10, 11] {
            var seen: [IPAddress] = []
            #expect(mru.walk(after: nil, skip: skip) { seen.append($0.source.ip); return true })
            #expect(seen == (min(skip, 10) + 1 ..< 11).map { IPAddress.v4(UInt32($0)) }, "skip \(skip)")
        }
    }

    @Test func aClockSteppedBackIsNotAnInterval() {
        var mru = MRUList()
        let c = IPAddress("192.0.2.9")!
        _ = mru.record(c, port: 1, mode: 3, version: 4, flags: [.limited], at: t0)
        _ = mru.record(c, port: 1, mode: 3, version: 4, flags: [.limited], at: t0.adding(seconds: -1e9))
        let e = mru.entry(for: c)!
        #expect(e.score.isFinite && e.score < 1)
        #expect(e.count == 2)
    }

    @Test func decayMatchesExp() {
        for x in stride(from: Float(-30), through: 0, by: 0.37) {
            let expected = Float(ExpReference.exp(Double(x)))
            #expect(abs(decay(x) - expected) <= expected * 1e-4 + 1e-12)
        }
    }
}

/// e^x by its series in Double, for checking ``decay``.
enum ExpReference {
    static func exp(_ x: Double) -> Double {
        // e^x = (e^(x/64))^64
        let y = x / 64
        var term = 1.0, sum = 1.0
        for n in 1..<20 { term *= y / Double(n); sum += term }
        var r = sum
        for _ in 0..<6 { r *= r }
        return r
    }
}
