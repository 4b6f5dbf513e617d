import NTPWire

/// How NTPsec's ntpq reads a mode 6 value (`int(value, 0)`, else `float(value)`, else a
/// string with its quotes removed) and prints it (`repr`), so `rv` looks as it does there.
enum PythonValue: Equatable {
    case int(Int64)
    case float(Double)
    case string(String)

    init(wire: String) {
        if let i = Self.parseInt(wire) { self = .int(i); return }
        if let d = Self.parseFloat(wire) { self = .float(d); return }
        var s = wire
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
        self = .string(s)
    }

    /// Python's `int(s, 0)`: optional sign, then decimal without leading zeros, or 0x/0o/0b.
    static func parseInt(_ s: String) -> Int64? {
        var t = Substring(s.filter { $0 != "_" })
        var negative = false
        if t.hasPrefix("-") { negative = true; t = t.dropFirst() } else if t.hasPrefix("+") { t = t.dropFirst() }
        guard !t.isEmpty else { return nil }
        var radix = 10
        let lower = t.lowercased()
        if lower.hasPrefix("0x") { radix = 16 } else if lower.hasPrefix("0o") { radix = 8 } else if lower.hasPrefix("0b") { radix = 2 }
        if radix != 10 { t = t.dropFirst(2) } else if t.count > 1, t.hasPrefix("0"), t.contains(where: { $0 != "0" }) { return nil }
        guard let v = Int64(t, radix: radix) else { return nil }
        return negative ? -v : v
    }

    /// Python's `float(s)`: decimal and exponent forms, inf and nan; never hex.
    static func parseFloat(_ s: String) -> Double? {
        let t = s.lowercased()
        if t.contains("x") || t.contains("p") { return nil }
        return Double(t)
    }

    /// `repr(value)` after ntpq's quote swap: ints, shortest floats, `"strings"`.
    var repr: String {
        switch self {
        case .int(let i): return String(i)
        case .float(let d): return CFormat.pythonRepr(d)
        case .string(let s): return "\"" + s + "\""
        }
    }

    /// `str(value)`, as `"%13s" % value` prints it.
    var str: String {
        switch self {
        case .int(let i): return String(i)
        case .float(let d): return CFormat.pythonRepr(d)
        case .string(let s): return s
        }
    }

    var json: JSONValue {
        switch self {
        case .int(let i): return .int(i)
        case .float(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }

    var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .string: return nil
        }
    }
}

/// NTPsec's `prettydate`: `e3d1b3a2.12345678 2023-02-03T18:31:48.123Z` (UTC, era nearest `pivot`).
func prettyDate(wire: String, pivot: UnixTime) -> String {
    guard let stamp = NTPTimestamp(hexText: wire, requirePrefix: false) else { return wire }
    let (sec, frac) = (stamp.seconds, stamp.fraction)
    var msec = frac / 4_294_967
    var ntps = sec
    if msec >= 1000 { msec -= 1000; ntps &+= 1 }
    let t = NTPTimestamp(seconds: ntps, fraction: 0).unixTime(near: pivot)
    let c = CivilTime(unixSeconds: t.secondsAndNanoseconds.seconds)
    return CFormat.hex(UInt64(sec), width: 8) + "." + CFormat.hex(UInt64(frac), width: 8) + " "
        + c.iso8601 + "." + pad0(Int(msec), 3) + "Z"
}

func pad0(_ v: Int, _ width: Int) -> String { CivilTime.pad(v, width) }

extension CivilTime {
    /// `%a %b %d %H:%M:%S %Y`, as chronyc prints times.
    var chrony: String {
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[weekday]) \(months[month - 1]) \(pad0(day, 2)) \(timeOfDay) \(year)"
    }
}
