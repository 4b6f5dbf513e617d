public import NTPAdmin
public import NTPEngine
public import NTPWire
import NTPControl

/// `mrulist`: the clients seen, as NTPsec's ntpq prints them (MRUSummary), newest first unless
/// sorted; filtered and sorted with ntpq's options.
public enum MRUListView {
    public struct Options: Sendable, Equatable {
        /// ntpq's sort keys: `lstint` (default: newest first), `avgint`, `addr`, `count`, `score`,
        /// `drop`; a leading `-` reverses.
        public var sort: String?
        public var limit: Int?
        public var minCount = 0
        public var localAddress: IPAddress?
        /// Only entries with all of these flags (`limited`, `kod`).
        public var requireAny: RestrictFlags = []
        public init() {}
    }

    public static let sortKeys = ["lstint", "avgint", "addr", "count", "score", "drop"]

    public static let header = " lstint avgint rstr r m v  count    score   drop rport remote address"

    /// The entries to show: filtered, sorted, limited. `entries` oldest first.
    public static func select(_ entries: [MRUEntry], options: Options) -> Result<[MRUEntry], AdminError> {
        var list = entries.filter { e in
            e.count >= UInt64(max(0, options.minCount))
                && (options.localAddress == nil || e.local == options.localAddress?.unmapped)
                && (options.requireAny.isEmpty || !e.flags.intersection(options.requireAny).isEmpty)
        }
        list.reverse()  // newest first
        if let key = options.sort {
            let descending = key.hasPrefix("-")
            let name = descending ? String(key.dropFirst()) : key
            guard sortKeys.contains(name) else {
                return .failure(AdminError("mrulist: unknown sort key '\(key)'; use \(sortKeys.joined(separator: ", ")) (a leading - reverses)"))
            }
            func less(_ a: MRUEntry, _ b: MRUEntry) -> Bool {
                switch name {
                case "lstint": return a.last > b.last
                case "avgint": return a.averageInterval < b.averageInterval
                case "addr": return a.source.ip < b.source.ip
                case "count": return a.count < b.count
                case "score": return a.score < b.score
                default: return a.dropped < b.dropped
                }
            }
            list = list.enumerated().sorted { x, y in
                if less(x.element, y.element) { return !descending }
                if less(y.element, x.element) { return descending }
                return x.offset < y.offset
            }.map(\.element)
        }
        if let limit = options.limit { list = Array(list.prefix(limit)) }
        return .success(list)
    }

    /// ntpq's table: header, rule, one line per entry.
    public static func text(_ entries: [MRUEntry], now: UnixTime) -> String {
        var out = header + "\n" + String(repeating: "=", count: header.count) + "\n"
        for e in entries { out += line(e, now: now) + "\n" }
        return out
    }

    /// One line of MRUSummary.summary (numeric addresses, wide remote column).
    static func line(_ e: MRUEntry, now: UnixTime) -> String {
        let last = Double(e.last.nanoseconds) / 1e9
        let first = Double(e.first.nanoseconds) / 1e9
        let nowSeconds = Double(now.nanoseconds) / 1e9
        let lstint = Int((nowSeconds - last + 0.5).rounded(.down))
        var s = CFormat.pad(String(lstint), 7)
        let favg = e.count <= 1 ? 0 : (last - first) / Double(e.count - 1)
        if favg > 5 || e.count == 1 {
            s += " " + CFormat.pad(String(Int((favg + 0.5).rounded(.down))), 6)
        } else if favg >= 1 {
            s += " " + CFormat.pad(CFormat.fixed(favg, 2), 6)
        } else {
            s += " " + CFormat.pad(CFormat.fixed(favg, 3), 6)
        }
        let rs = e.flags.ntpdValue
        let code = e.flags.contains(.kod) ? "K" : e.flags.contains(.limited) ? "L" : "."
        let rsHex = String(rs, radix: 16)
        s += " " + CFormat.pad(rsHex, 4) + " " + code + " \(e.mode) \(e.version) " + CFormat.pad(String(e.count), 6)
        s += " " + CFormat.pad(CFormat.fixed(e.score, 3), 8) + " " + CFormat.pad(CFormat.pad(String(e.dropped), 4), 6)
        s += " " + CFormat.pad(String(e.source.port), 5) + " " + e.source.ip.description
        return s
    }

    public static func json(_ entries: [MRUEntry], now: UnixTime) -> JSONValue {
        .array(entries.map { e in
            .object([
                ("address", .string(e.source.ip.description)), ("port", .uint(UInt64(e.source.port))),
                ("local", JSONValue.optional(e.local?.description)),
                ("first", .string(formatUTC(e.first))), ("last", .string(formatUTC(e.last))),
                ("lstint_s", .double(Double(now.nanoseconds - e.last.nanoseconds) / 1e9)),
                ("avgint_s", .double(e.averageInterval)),
                ("count", .uint(e.count)), ("dropped", .uint(e.dropped)), ("mode", .uint(UInt64(e.mode))),
                ("version", .uint(UInt64(e.version))), ("score", .double(e.score)),
                ("flags", .array(e.flags.text.split(separator: " ").map { .string(String($0)) })),
            ])
        })
    }
}
