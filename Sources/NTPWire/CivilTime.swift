// UTC calendar dates: the one civil-from-days conversion of the program (event and MRU times,
// statistics file names, ntpq's and chronyc's dates).

/// A UTC date and time of day in the proleptic Gregorian calendar (no leap seconds: Unix time).
public struct CivilTime: Hashable, Sendable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int
    /// 0 for Sunday … 6 for Saturday.
    public var weekday: Int

    /// The date and time of `unixSeconds` s after 1970-01-01T00:00:00Z (also before it).
    public init(unixSeconds: Int64) {
        let (days, secondOfDay) = UnixTime.daysAndSecondOfDay(unixSeconds)
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4)
        (year, month, day) = Self.civil(fromDays: days)
    }

    /// The date and time of the whole second `time` is in.
    public init(_ time: UnixTime) { self.init(unixSeconds: time.secondsAndNanoseconds.seconds) }

    /// Year, month (1…12) and day (1…31) of the day `days` after 1970-01-01 (Howard Hinnant's
    /// civil-from-days: 400-year eras of 146 097 days, years starting on March 1).
    public static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 is March
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }

    /// `2026-11-21`.
    public var date: String { "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))" }

    /// `12:00:05`.
    public var timeOfDay: String { "\(Self.pad(hour, 2)):\(Self.pad(minute, 2)):\(Self.pad(second, 2))" }

    /// `2026-11-21 12:00:05`.
    public var description: String { date + " " + timeOfDay }

    /// `2026-11-21T12:00:05` (add the fraction and `Z` as needed).
    public var iso8601: String { date + "T" + timeOfDay }

    /// `v` in decimal, zero-padded on the left to `width` digits.
    public static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

extension UnixTime {
    /// Whole days since 1970-01-01 (floor, also before it) and the seconds past that midnight
    /// (0 ..< 86 400) of `unixSeconds`.
    public static func daysAndSecondOfDay(_ unixSeconds: Int64) -> (days: Int64, secondOfDay: Int64) {
        var days = unixSeconds / 86_400
        var rest = unixSeconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        return (days, rest)
    }
}
