public import NTPEngine
public import NTPWire

/// Who sent a mode 6 request, and what the answers beyond READSTAT/READVAR are built from:
/// the nonce handshake, the MRU list (`ntpq -c mrulist`), the statistics variables
/// (`sysstats`, `monstats`).
public struct ControlContext {
    public var source: SocketAddress
    /// The restrict flags that apply to the source (`nomrulist` refuses the MRU list).
    public var restrict: RestrictFlags
    /// When the request arrived (served time): nonces carry it and expire 16 s after.
    public var receiveTime: UnixTime
    /// The server's secret for nonces (random at start).
    public var nonceKey: UInt64
    public var statistics: () -> StatisticsSubject
    /// The MRU list, read in place: one entry by address, and a walk oldest first.
    public var mru: MRUSource

    /// The keys: a request signed with the `controlkey` (trusted) is authenticated, and its
    /// answers are signed with it.
    public var keys = KeyStore()
    /// The restrict list (`reslist`), most specific first.
    public var restrictions: () -> [RestrictEntry] = { [] }
    /// The server's sockets (`ifstats`).
    public var interfaces: () -> [Interface] = { [] }
    /// Whether an authenticated `:config` is accepted (it is then handed back as
    /// ``ControlResponder/Answer/configuration`` to run elsewhere); false: refused.
    public var acceptsConfiguration = false

    /// One listening socket as `ifstats` shows it.
    public struct Interface: Sendable {
        public var address: SocketAddress
        public var name: String
        public var received: UInt64
        public var sent: UInt64
        public var uptime: Double
        public init(address: SocketAddress, name: String, received: UInt64, sent: UInt64, uptime: Double) {
            self.address = address; self.name = name; self.received = received; self.sent = sent; self.uptime = uptime
        }
    }

    public init(source: SocketAddress, restrict: RestrictFlags, receiveTime: UnixTime, nonceKey: UInt64,
                statistics: @escaping () -> StatisticsSubject, mru: MRUSource) {
        self.source = source; self.restrict = restrict; self.receiveTime = receiveTime; self.nonceKey = nonceKey
        self.statistics = statistics; self.mru = mru
    }

    /// ntpd's nonce lifetime (NONCE_TIMEOUT), seconds.
    public static let nonceLifetime = 16.0

    /// NTPsec's nonce: the receive time as an NTP timestamp and a keyed hash of it and the
    /// source address and port, `%08x%08x%08x`.
    public func nonce() -> String {
        let t = NTPTimestamp(receiveTime)
        return hex8(t.seconds) + hex8(t.fraction) + hex8(derive(t))
    }

    /// True when `text` is a nonce this server gave this source less than 16 s ago.
    public func validates(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count == 24, let s = UInt32(String(decoding: chars[0..<8], as: UTF8.self), radix: 16),
              let f = UInt32(String(decoding: chars[8..<16], as: UTF8.self), radix: 16),
              let d = UInt32(String(decoding: chars[16..<24], as: UTF8.self), radix: 16) else { return false }
        let t = NTPTimestamp(seconds: s, fraction: f)
        guard d == derive(t) else { return false }
        let age = receiveTime - t.unixTime(near: receiveTime)
        return age > -1 && age < Self.nonceLifetime
    }

    private func derive(_ t: NTPTimestamp) -> UInt32 {
        // SipHash (Swift's Hasher, keyed per process) over the server's secret, the time and
        // the source: unpredictable to anyone who did not receive the nonce.
        var h = Hasher()
        h.combine(nonceKey)
        h.combine(t.rawValue)
        h.combine(source.ip.unmapped)
        h.combine(source.port)
        return UInt32(truncatingIfNeeded: h.finalize())
    }

    private func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}

/// The MRU list as READ_MRU reads it, without copying it: the entry of an address, the number
/// of entries, and a walk from the oldest (or from the entry after an address) towards the
/// newest that stops when `body` returns false and says whether it reached the end.
public struct MRUSource {
    public var entry: (IPAddress) -> MRUEntry?
    public var count: () -> Int
    public var walk: (_ after: IPAddress?, _ skip: Int, _ body: (MRUEntry) -> Bool) -> Bool

    public init(entry: @escaping (IPAddress) -> MRUEntry?, count: @escaping () -> Int,
                walk: @escaping (IPAddress?, Int, (MRUEntry) -> Bool) -> Bool) {
        self.entry = entry; self.count = count; self.walk = walk
    }

    /// A list given oldest first (tests).
    public init(_ entries: [MRUEntry]) {
        entry = { a in entries.first { $0.source.ip == a.unmapped } }
        count = { entries.count }
        walk = { after, skip, body in
            var start = 0
            if let after, let i = entries.firstIndex(where: { $0.source.ip == after.unmapped }) { start = i + 1 }
            for e in entries.dropFirst(start + skip) where !body(e) { return false }
            return true
        }
    }
}

/// The clock variables READCLOCK answers for the local clock driver (`ntpq -c cv`).
enum ClockVariableTable {
    typealias Variable = ModeSixVariable<PeerVariableSubject>
    static let variables: [Variable] = [
        Variable("name", .text) { Wire.quoted($0.report.remoteText) },
        Variable("timecode", .text) { _ in Wire.quoted("") },
        Variable("poll", .none) { String($0.report.counters.sent) },
        Variable("noreply", .none) { _ in "0" },
        Variable("badformat", .none) { _ in "0" },
        Variable("baddata", .none) { _ in "0" },
        Variable("fudgetime1", .milliseconds) { _ in "0.000" },
        Variable("fudgetime2", .milliseconds) { _ in "0.000" },
        Variable("stratum", .none) { String($0.report.stratum) },
        Variable("refid", .text) { _ in "LOCL" },
        Variable("flags", .bits) { _ in "0" },
        Variable("device", .text) { _ in Wire.quoted("Undisciplined local clock") },
    ]
    static func values(_ s: PeerVariableSubject, names: [String]?) -> (values: [(String, String)], unknown: [String]) {
        select(variables, s, names)
    }
}

extension ControlResponder {
    /// NTPsec's limits on one READ_MRU answer (MRU_ROW_LIMIT, MRU_FRAGS_LIMIT).
    static let mruRowLimit = 256
    static let mruFragmentLimit = 128
    /// READ_MRU examines at most this many entries per request (ntpd walks the whole list):
    /// filters that match little must not make each request a walk of the list on the loop
    /// thread. See ``readMRU(_:_:)``.
    static let mruExamineLimit = 4096

    /// `name=value` pairs of a request, in order (values unquoted as given).
    static func requestedPairs(_ data: [UInt8]) -> [(String, String)] {
        let text = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
        return text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func trimmed(_ s: Substring) -> String { String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }
            let name = trimmed(parts[0])
            guard !name.isEmpty else { return nil }
            return (name, parts.count > 1 ? trimmed(parts[1]) : "")
        }
    }

    /// READVAR of association 0 naming statistics variables (`ss_*`, `mru_*`) and perhaps
    /// system variables.
    static func readStatistics(_ m: ControlMessage, names: [String], context: ControlContext, snapshot: () -> Snapshot) -> [[UInt8]] {
        let s = snapshot()
        let stats = context.statistics()
        var values: [(String, String)] = []
        for name in names {
            if let v = SystemVariableTable.values(s.system, names: [name]).values.first { values.append(v); continue }
            let (found, unknown) = StatisticsVariableTable.values(stats, names: [name])
            guard unknown.isEmpty else { return errorReply(m, ControlMessage.ErrorCode.unknownVariable) }
            values += found
        }
        var reply = ControlMessage(
            leap: SystemVariableTable.leap(s.system.report).rawValue, version: m.version, isResponse: true,
            opcode: m.opcode, sequence: m.sequence)
        reply.status = SystemStatusWord(s.system.report, events: EventTally.system(s.events)).rawValue
        return fragments(reply, text(values), text: true)
    }

    /// READ_MRU (NTPsec's mrulist protocol): a valid nonce first, else no answer; then the
    /// entries after the newest of the client's `addr.N`/`last.N` that is unchanged here
    /// (oldest first), as many as `frags`/`limit` allow, each as addr/last/first/ct/mv/rs/sc/dr;
    /// a fresh nonce; `now=` and `last.newest=` when the list is complete.
    static func readMRU(_ m: ControlMessage, _ context: ControlContext) -> Answer {
        if context.restrict.contains(.nomrulist) {
            return Answer(replies: errorReply(m, ControlMessage.ErrorCode.permission))
        }
        var request = MRURequest(requestedPairs(m.data))
        guard let nonce = request.nonce, context.validates(nonce) else { return Answer() }
        // Negative counts are refused before any arithmetic uses them (frags × fragment size).
        if request.frags < 0 || request.limit < 0 || request.recent < 0
            || (request.frags == 0 && !(request.limit > 0 && request.limit <= mruRowLimit)) || request.frags > mruFragmentLimit {
            return Answer(replies: errorReply(m, ControlMessage.ErrorCode.badValue), proven: true)
        }
        if request.frags != 0 && request.limit == 0 {
            request.limit = Int.max
        } else if request.limit != 0 && request.frags == 0 {
            request.frags = mruFragmentLimit
        }
        let limit = request.limit

        let now = context.receiveTime
        var values: [(String, String)] = []
        var reply = ControlMessage(version: m.version, isResponse: true, opcode: m.opcode, sequence: m.sequence)
        reply.leap = 0
        let freshNonce = ("nonce", context.nonce())

        if limit == 1 {
            // The entries of the given addresses.
            let given = request.addresses.compactMap { $0 }.compactMap { context.mru.entry($0.ip) }
            values = given.enumerated().flatMap { n, e in entryValues(e, n) }
            values += [freshNonce, ("now", Wire.timestamp(NTPTimestamp(now)))]
            return Answer(replies: fragments(reply, text(values), text: true), proven: true)
        }

        // The starting point: the first given entry still unchanged here.
        let priors = request.priors
        var after: IPAddress?
        var skip = 0
        if !priors.isEmpty {
            let unchanged = priors.lazy.compactMap { address, last in
                context.mru.entry(address.ip).flatMap { NTPTimestamp($0.last).rawValue == last ? $0 : nil }
            }
            guard let older = unchanged.first else {
                return Answer(replies: errorReply(m, ControlMessage.ErrorCode.unknownVariable), proven: true)
            }
            values += [("last.older", Wire.timestamp(NTPTimestamp(older.last))), ("addr.older", older.source.description)]
            after = older.source.ip
        } else if request.recent > 0 {
            skip = max(0, context.mru.count() - request.recent)
        }
        values.insert(freshNonce, at: 0)
        let budget = request.frags * maxDataPerFragment - 80  // room for now= and last.newest=
        var size = textSize(values), count = 0, examined = 0
        var lastSent: MRUEntry?
        let complete = context.mru.walk(after, skip) { e in
            guard count < limit else { return false }
            examined += 1
            let wanted = request.wants(e, age: Int(Double(now.nanoseconds) / 1e9 - Double(e.last.nanoseconds) / 1e9))
            if !wanted && examined > mruExamineLimit {
                // Examined enough: a partial page (no now=) that ends with this entry, filters or
                // not, so ntpq's next request (addr.N/last.N of the newest it got) goes on after it.
                let items = entryValues(e, count)
                if size + textSize(items) <= budget { values += items }
                return false
            }
            if wanted {
                let items = entryValues(e, count)
                let itemSize = textSize(items)
                if size + itemSize > budget { return false }
                values += items
                size += itemSize
                count += 1
                lastSent = e
            }
            return true
        }
        if complete {
            values.append(("now", Wire.timestamp(NTPTimestamp(now))))
            if let lastSent { values.append(("last.newest", Wire.timestamp(NTPTimestamp(lastSent.last)))) }
        }
        return Answer(replies: fragments(reply, text(values), text: true), proven: true)
    }

    static let maxDataPerFragment = ControlMessage.maxDataPerFragment

    /// The bytes `values` take in a reply's text (`name=value, `).
    static func textSize(_ values: [(String, String)]) -> Int { values.reduce(0) { $0 + $1.0.count + $1.1.count + 3 } }

    /// A READ_MRU request's variables (ntpd's names) and the filters they make.
    struct MRURequest {
        var nonce: String?
        var frags = 0, limit = 0, minCount = 0, minDrop = 0, recent = 0
        var minScore = 0.0
        var resAll: UInt16 = 0, resAny: UInt16 = 0
        var maxLastInterval = 0, minLastInterval = 0
        var localAddress: IPAddress?
        var lasts = [UInt64?](repeating: nil, count: 16)
        var addresses = [SocketAddress?](repeating: nil, count: 16)

        /// The variables of `pairs`. A malformed value ends the parse, and without the nonce
        /// there is no answer (ntpd).
        init(_ pairs: [(String, String)]) {
            for (name, value) in pairs where !set(name, value) {
                nonce = nil
                break
            }
        }

        /// Sets the variable `name`; false when `value` is malformed.
        private mutating func set(_ name: String, _ value: String) -> Bool {
            func hexValue(_ v: String) -> UInt16? { v.hasPrefix("0x") ? UInt16(v.dropFirst(2), radix: 16) : nil }
            var ok = true
            switch name {
            case "nonce": nonce = value
            case "frags": if let v = Int(value) { frags = v } else { ok = false }
            case "limit": if let v = Int(value) { limit = v } else { ok = false }
            case "mincount": if let v = Int(value) { minCount = max(0, v) } else { ok = false }
            case "mindrop": if let v = Int(value) { minDrop = v } else { ok = false }
            case "minscore": if let v = Double(value) { minScore = max(0, v) } else { ok = false }
            case "resall": if let v = hexValue(value) { resAll = v } else { ok = false }
            case "resany": if let v = hexValue(value) { resAny = v } else { ok = false }
            case "maxlstint": if let v = Int(value) { maxLastInterval = v } else { ok = false }
            case "minlstint": if let v = Int(value) { minLastInterval = v } else { ok = false }
            case "recent": if let v = Int(value) { recent = v } else { ok = false }
            case "laddr":
                if let a = IPAddress(value) ?? SocketAddress(parsing: value)?.ip { localAddress = a.unmapped } else { ok = false }
            default:
                if name.hasPrefix("last."), let i = Int(name.dropFirst(5)), (0..<16).contains(i) {
                    if let t = ControlResponder.parseTimestamp(value) { lasts[i] = t } else { ok = false }
                } else if name.hasPrefix("addr."), let i = Int(name.dropFirst(5)), (0..<16).contains(i) {
                    if let a = SocketAddress(parsing: value) { addresses[i] = a } else { ok = false }
                }
            }
            return ok
        }

        /// The given `addr.N`/`last.N` pairs from 0 on, while both are given.
        var priors: [(SocketAddress, UInt64)] {
            var pairs: [(SocketAddress, UInt64)] = []
            for (address, last) in zip(addresses, lasts) {
                guard let address, let last else { break }
                pairs.append((address, last))
            }
            return pairs
        }

        /// Whether entry `e`, last seen `age` seconds ago, passes the request's filters.
        func wants(_ e: MRUEntry, age: Int) -> Bool {
            e.count >= UInt64(minCount) && e.dropped >= UInt64(max(0, minDrop)) && e.score >= minScore
                && (resAll == 0 || e.flags.ntpdValue & resAll == resAll)
                && (resAny == 0 || e.flags.ntpdValue & resAny != 0)
                && (maxLastInterval == 0 || age <= maxLastInterval)
                && (minLastInterval == 0 || age >= minLastInterval)
                && (localAddress == nil || e.local == localAddress)
        }
    }

    /// One MRU entry as `addr.N`, `last.N`, `first.N`, `ct.N`, `mv.N`, `rs.N`, `sc.N`, `dr.N`.
    static func entryValues(_ e: MRUEntry, _ n: Int) -> [(String, String)] {
        [
            ("addr.\(n)", e.source.description),
            ("last.\(n)", Wire.timestamp(NTPTimestamp(e.last))),
            ("first.\(n)", Wire.timestamp(NTPTimestamp(e.first))),
            ("ct.\(n)", String(e.count)),
            ("mv.\(n)", String(e.version << 3 | e.mode)),
            ("rs.\(n)", "0x" + String(e.flags.ntpdValue, radix: 16)),
            ("sc.\(n)", formatFixed(e.score, 3)),
            ("dr.\(n)", String(e.dropped)),
        ]
    }

    /// `0x%08x.%08x` as ntpq sends it back.
    static func parseTimestamp(_ text: String) -> UInt64? { NTPTimestamp(hexText: text)?.rawValue }
}

extension ControlResponder {
    /// The key id of a request signed with the control key (a trusted key; the MAC covers the
    /// header and the data padded to 8 bytes, as ntpq signs), nil otherwise.
    static func authenticatedKey(_ bytes: [UInt8], _ m: ControlMessage, keys: KeyStore) -> UInt32? {
        let end = (ControlMessage.headerSize + m.data.count + 7) & ~7
        guard let control = keys.controlKey, bytes.count >= end + 4 + 16 else { return nil }
        let id = UInt32(bytes[end]) << 24 | UInt32(bytes[end + 1]) << 16 | UInt32(bytes[end + 2]) << 8 | UInt32(bytes[end + 3])
        guard id == control else { return nil }
        let failure = bytes.withUnsafeBytes { b in
            keys.verify(keyID: id, message: UnsafeRawBufferPointer(rebasing: b[0..<end]),
                        mac: UnsafeRawBufferPointer(rebasing: b[(end + 4)...]))
        }
        return failure == nil ? id : nil
    }

    /// Each reply padded to 8 bytes, then the key id and its MAC.
    static func sign(_ replies: [[UInt8]], keyID: UInt32, keys: KeyStore) -> [[UInt8]] {
        replies.map { r in
            var padded = r
            while padded.count % 8 != 0 { padded.append(0) }
            return keys.sign(padded, keyID: keyID) ?? r
        }
    }

    /// READ_ORDLIST (authenticated, as NTPsec): `ifstats` and `reslist` (`addr_restrictions`).
    /// A list longer than ntpq collects (``maxTextFragments``) is cut at a whole entry, and
    /// `truncated=` says how many entries were left out (ntpq's list views skip it, `:rv`-style
    /// raw output shows it).
    static func readOrderedList(_ m: ControlMessage, _ context: ControlContext) -> [[UInt8]] {
        var reply = ControlMessage(version: m.version, isResponse: true, opcode: m.opcode, sequence: m.sequence,
                                   associationID: m.associationID)
        reply.leap = 0
        let which = String(decoding: m.data.prefix { $0 != 0 }, as: UTF8.self)
        var values: [(String, String)] = []
        if which.isEmpty || which == "ifstats" {
            for (i, e) in context.interfaces().enumerated() {
                values += [("addr.\(i)", e.address.description), ("name.\(i)", Wire.quoted(e.name)), ("en.\(i)", "1"),
                           ("flags.\(i)", "0x0"), ("rx.\(i)", String(e.received)), ("tx.\(i)", String(e.sent)),
                           ("txerr.\(i)", "0"), ("pc.\(i)", "0"), ("up.\(i)", String(Int64(e.uptime)))]
            }
        } else if which == "addr_restrictions" {
            // IPv4 then IPv6, as ntpd lists them.
            let entries = context.restrictions()
            for (i, e) in (entries.filter(\.network.isIPv4) + entries.filter(\.network.isIPv6)).enumerated() {
                let mask = IPAddress.mask(prefixLength: e.prefixLength, ipv4: e.network.isIPv4)
                let flags = e.flags.subtracting(.ntpport).text
                let match = e.flags.contains(.ntpport) ? "ntpport " : ""
                values += [("addr.\(i)", e.network.description), ("mask.\(i)", mask.description),
                           ("hits.\(i)", String(e.hits)), ("flags.\(i)", match + (flags.isEmpty ? "none" : flags))]
            }
        } else {
            return errorReply(m, ControlMessage.ErrorCode.unknownVariable)
        }
        return fragments(reply, cappedList(values), text: true)
    }

    /// `values` (entries `name.N=`) as text, cut at the last whole entry that fits in
    /// ``maxTextData`` with `truncated=N` (entries left out) after it.
    static func cappedList(_ values: [(String, String)]) -> [UInt8] {
        let full = text(values)
        guard full.count + 2 > maxTextData else { return full }
        func entry(_ name: String) -> Int { Int(name.split(separator: ".").last ?? "") ?? 0 }
        let entries = (values.last.map { entry($0.0) } ?? 0) + 1
        // Binary search for the most entries whose text (and the note) fits.
        var low = 0, high = entries
        while low < high {
            let mid = (low + high + 1) / 2
            let kept = values.filter { entry($0.0) < mid } + [("truncated", String(entries - mid))]
            if text(kept).count + 2 <= maxTextData { low = mid } else { high = mid - 1 }
        }
        return text(values.filter { entry($0.0) < low } + [("truncated", String(entries - low))])
    }
}

extension IPAddress {
    /// The network mask of a prefix length (`255.255.255.0`, `ffff:ffff::`).
    static func mask(prefixLength: Int, ipv4: Bool) -> IPAddress {
        let bits = ipv4 ? 32 : 128
        let n = max(0, min(prefixLength, bits))
        var bytes = [UInt8](repeating: 0, count: bits / 8)
        for i in 0..<n { bytes[i / 8] |= UInt8(0x80) >> UInt8(i % 8) }
        return IPAddress(bytes: bytes)!
    }
}
