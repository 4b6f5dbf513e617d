import Glibc
import Testing
import NTPWire

/// `CivilTime` against glibc's `gmtime_r` across the years `UnixTime` covers.
@Suite struct CivilTimeTests {
    @Test func knownDates() {
        #expect(CivilTime(unixSeconds: 0).description == "1970-01-01 00:00:00")
        #expect(CivilTime(unixSeconds: -1).description == "1969-12-31 23:59:59")
        #expect(CivilTime(unixSeconds: 951_782_400).date == "2000-02-29")
        #expect(CivilTime(unixSeconds: 1_795_000_000).iso8601 == "2026-11-18T11:06:40")
        #expect(CivilTime(UnixTime(nanoseconds: -500_000_000)).description == "1969-12-31 23:59:59")
        #expect(CivilTime(unixSeconds: 0).weekday == 4)
        #expect(UnixTime.daysAndSecondOfDay(-86_401) == (-2, 86_399))
    }

    @Test func agreesWithGmtime() {
        var state: UInt64 = 0x2545_f491_4f6c_dd1d
        var samples: [Int64] = [0, -1, 86_399, 86_400, -86_400, -86_401, 4_107_542_400, -9_200_000_000, 9_200_000_000]
        for _ in 0..<5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            samples.append(Int64(bitPattern: state) % 9_200_000_000)
        }
        for s in samples {
            var t = time_t(s)
            var tm = Glibc.tm()
            #expect(gmtime_r(&t, &tm) != nil)
            let c = CivilTime(unixSeconds: s)
            #expect(c.year == Int(tm.tm_year) + 1900 && c.month == Int(tm.tm_mon) + 1 && c.day == Int(tm.tm_mday), "\(s)")
            #expect(c.hour == Int(tm.tm_hour) && c.minute == Int(tm.tm_min) && c.second == Int(tm.tm_sec), "\(s)")
            #expect(c.weekday == Int(tm.tm_wday), "\(s)")
        }
    }
}
