public import NTPWire

/// `mru` and `discard`: how many clients the MRU list keeps, and the rate limit applied to
/// clients whose restrict entry says `limited`. Defaults are NTPsec's (`mru`) and ntpd's
/// (`discard`).
public struct MonitorSettings: Sendable, Equatable, Codable {
    /// `mru maxdepth`: the hard limit on entries. `mru maxmem KB` sets it to what fits in KB
    /// kilobytes (``MRUList/bytesPerEntry`` each, the hash table included); default 1024 KB.
    public var maxDepth = MRUList.depth(forKilobytes: 1024)
    /// `mru mindepth`: below this many entries none is recycled, however old (600).
    public var minDepth = 600
    /// `mru maxage`: above ``minDepth``, an entry older than this is recycled first, seconds (3600).
    public var maxAge = 3600
    /// `mru minage`: when the list is full, an entry younger than this is never recycled, seconds (64).
    public var minAge = 64
    /// `discard average`: the minimum average interval a `limited` client may keep, log2 s (3: 8 s).
    public var average = 3
    /// `discard minimum`: the minimum interval between two packets of a `limited` client,
    /// seconds (2), as ntpd (`average` is log2 s, `minimum` plain seconds).
    public var minimum = 2
    /// `discard monitor`: ntpd 4.2.8's `mon_age`, seconds: when the list is full and its oldest
    /// entry is past ``minAge``, that entry is recycled with probability age / monitor. 0 (the
    /// default, NTPsec's behaviour): always recycled.
    public var monitor = 0
    /// `disable monitor` turns the list off (and with it rate limiting), as ntpd.
    public var enabled = true

    public init() {}

    /// `mru maxmem` in kilobytes, as the current ``maxDepth`` uses it.
    public var maxMemoryKB: Int { (maxDepth * MRUList.bytesPerEntry + 1023) / 1024 }
}

/// One client in the MRU list, as views and `ntpq -c mrulist` show it.
public struct MRUEntry: Sendable, Equatable, Codable {
    /// The client's address and the source port of its latest packet.
    public var source: SocketAddress
    /// The local address its latest packet was sent to, if known.
    public var local: IPAddress?
    public var first: UnixTime
    public var last: UnixTime
    /// Packets seen from the address.
    public var count: UInt64
    /// Packets dropped (or kissed) by the rate limit.
    public var dropped: UInt64
    /// The mode and version of the latest packet.
    public var mode: UInt8
    public var version: UInt8
    /// The restrict flags of the latest packet, `limited`/`kod` only when that packet was rate limited.
    public var flags: RestrictFlags
    /// NTPsec's score: packets per second, decaying over 20 s (about 1.0 at one packet a second).
    public var score: Double

    public init(source: SocketAddress, local: IPAddress? = nil, first: UnixTime, last: UnixTime, count: UInt64,
                dropped: UInt64 = 0, mode: UInt8, version: UInt8, flags: RestrictFlags = [], score: Double = 0) {
        self.source = source; self.local = local; self.first = first; self.last = last; self.count = count
        self.dropped = dropped; self.mode = mode; self.version = version; self.flags = flags; self.score = score
    }

    /// Mean seconds between packets (0 for one packet).
    public var averageInterval: Double {
        count > 1 ? Double(last.nanoseconds - first.nanoseconds) / 1e9 / Double(count - 1) : 0
    }
}

/// The MRU list's counters (`monstats`).
public struct MRUCounters: Sendable, Equatable, Codable {
    /// A packet from an address already in the list.
    public var exists: UInt64 = 0
    /// A new entry from free space.
    public var new: UInt64 = 0
    /// A new entry recycled from one older than `maxage`.
    public var recycledOld: UInt64 = 0
    /// A new entry recycled from the oldest of a full list.
    public var recycledFull: UInt64 = 0
    /// No entry could be had (the list is full and young): the packet was not recorded.
    public var none: UInt64 = 0
    /// The most entries ever in use.
    public var peak: Int = 0
    public init() {}
}

/// ntpd's MRU ("monitor") list: every address seen, most recent first, with counts, first and
/// last times, mode and version, the restrict flags of its latest packet and the rate-limit
/// state. One entry per address (the port is the latest), as ntpd keeps it, so a client that
/// changes ports cannot escape the rate limit.
///
/// O(1) per packet and no heap allocation on the packet path: the entries live in one array
/// whose capacity is reserved for ``MonitorSettings/maxDepth`` when the settings are applied;
/// a chained hash table of slot indices (a power of two, at least the depth) finds an address;
/// the recency order is a doubly linked list of indices. Full, the oldest entry is recycled
/// under ntpd's rules (mindepth, maxage, minage, and 4.2.8's probabilistic preemption).
public struct MRUList: Sendable {
    /// One slot, laid out to pack into 88 bytes.
    struct Slot: Sendable {
        var address: IPAddress
        var versionMode: UInt8
        var port: UInt16
        var flags: UInt16
        /// Index into ``locals`` + 1; 0: unknown.
        var local: UInt16
        var count: UInt32
        var first: Int64
        var last: Int64
        var dropped: UInt32
        var score: Float
        /// ntpd's leaky-bucket counter, seconds.
        var leak: Int32
        var newer: UInt32
        var older: UInt32
        var chain: UInt32
        /// Interleaved mode (RFC 9769): the receive timestamp our reply to the client's last
        /// interleaved-looking request carried, and the kernel transmit timestamp of that reply
        /// (NTP timestamps, raw; 0: none yet).
        var interleavedReceive: UInt64 = 0
        var interleavedTransmit: UInt64 = 0
    }

    static let none = UInt32.max

    /// Bytes one entry costs: its slot and, at worst, two hash buckets.
    public static let bytesPerEntry = MemoryLayout<Slot>.stride + 2 * MemoryLayout<UInt32>.stride

    /// The depth that fits in `kilobytes` (`mru maxmem`).
    public static func depth(forKilobytes kilobytes: Int) -> Int { max(1, kilobytes * 1024 / bytesPerEntry) }

    public private(set) var settings: MonitorSettings
    public private(set) var counters = MRUCounters()
    /// Appended up to the depth within the capacity reserved for it, then recycled.
    private var slots: [Slot] = []
    /// Heads of the hash chains (slot indices).
    private var buckets: [UInt32] = []
    private var hashMask: UInt64 = 0
    private let seed: UInt64
    private var random: UInt64
    /// The most recently seen slot, and the least.
    private var newest = MRUList.none
    private var oldest = MRUList.none
    /// Entries in use.
    public private(set) var count = 0
    /// Hash buckets in use (ntpd's `mru_hashslots`).
    public private(set) var bucketsInUse = 0
    /// The local addresses packets arrived on (few; an entry keeps an index).
    private var locals: [IPAddress] = []
    /// The slot of the packet ``record(_:port:local:mode:version:flags:at:)`` recorded last
    /// (``none``: it was not recorded).
    private var lastRecorded = MRUList.none

    /// `seed` keys the address hash and the recycling dice (sans-IO: randomness comes in).
    public init(settings: MonitorSettings = MonitorSettings(), seed: UInt64 = 0x9E37_79B9_7F4A_7C15) {
        self.settings = settings
        self.seed = seed | 1
        random = seed ^ 0xD1B5_4A32_D192_ED03
        if random == 0 { random = 1 }
    }

    /// Reserves the list's memory now (the daemon does at start, so no packet ever allocates);
    /// otherwise the first packet recorded does.
    public mutating func reserve() {
        if buckets.isEmpty { allocate() }
    }

    /// Memory held now: the slots' reserved capacity and the hash table, bytes.
    public var memoryBytes: Int {
        slots.capacity * MemoryLayout<Slot>.stride + buckets.capacity * MemoryLayout<UInt32>.stride
            + locals.capacity * MemoryLayout<IPAddress>.stride
    }

    /// The memory the settings allow, bytes: ``MonitorSettings/maxDepth`` × ``bytesPerEntry``, and
    /// a fixed 2 KB (the table of local addresses, the smallest hash table, allocation rounding).
    public var memoryBound: Int { settings.maxDepth * Self.bytesPerEntry + 2048 }

    /// Applies new settings. A smaller depth drops the oldest entries; the list is rebuilt
    /// (off the packet path: configuration time).
    public mutating func apply(_ new: MonitorSettings) {
        guard new != settings else { return }
        let keep = entries(oldestFirst: false).prefix(new.enabled ? new.maxDepth : 0)
        let raw = keepRaw(Array(keep))
        let wasReserved = !buckets.isEmpty
        settings = new
        slots = []; buckets = []; locals = []
        newest = Self.none; oldest = Self.none; count = 0; bucketsInUse = 0
        if wasReserved || !raw.isEmpty { allocate() }
        for r in raw.reversed() { insertRaw(r) }
    }

    private func keepRaw(_ keep: [MRUEntry]) -> [Slot] {
        keep.compactMap { e in find(e.source.ip).map { slots[Int($0)] } }
    }

    private mutating func insertRaw(_ s: Slot) {
        guard let i = takeSlot(at: s.last, address: s.address) else { return }
        var copy = s
        copy.local = 0
        link(i, copy)
    }

    private mutating func allocate() {
        let depth = max(1, settings.maxDepth)
        var bucketCount = 16
        while bucketCount < depth { bucketCount <<= 1 }
        slots = []
        slots.reserveCapacity(depth)
        buckets = [UInt32](repeating: Self.none, count: bucketCount)
        hashMask = UInt64(bucketCount - 1)
        newest = Self.none; oldest = Self.none
        count = 0; bucketsInUse = 0
        locals = []
        locals.reserveCapacity(64)
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private func bucket(_ a: IPAddress) -> Int {
        var h: UInt64
        switch a {
        // Every bit of the address passes through the secret seed and a full 64-bit mix (the
        // splitmix64 finaliser), so a client that picks its addresses (its own IPv6 /64) cannot
        // choose them to share one bucket without knowing the seed.
        case .v4(let v): h = Self.mix(UInt64(v) ^ seed)
        case .v6(let hi, let lo, let scope): h = Self.mix(Self.mix(hi ^ seed) ^ lo ^ (UInt64(scope) &* seed))
        }
        return Int(h & hashMask)
    }

    private func find(_ a: IPAddress) -> UInt32? {
        guard !buckets.isEmpty else { return nil }
        var i = buckets[bucket(a)]
        while i != Self.none {
            if slots[Int(i)].address == a { return i }
            i = slots[Int(i)].chain
        }
        return nil
    }

    /// Records a packet from `source` (sent to `local`) with this `mode` and `version`,
    /// received at `time`, and applies the rate limit: the result is `flags` with `limited` and
    /// `kod` cleared unless this packet is over the limit (`limited`: drop it; `limited` and
    /// `kod`: answer with a RATE kiss). KoDs are themselves limited: while a client stays over
    /// the limit, `kod` is cleared until its counter drains below the limit again.
    @inline(__always)
    public mutating func record(
        _ source: IPAddress, port: UInt16, local: IPAddress? = nil, mode: UInt8, version: UInt8,
        flags: RestrictFlags, at time: UnixTime
    ) -> RestrictFlags {
        let doused = flags.subtracting([.limited, .kod])
        lastRecorded = Self.none
        guard settings.enabled else { return doused }
        if buckets.isEmpty { allocate() }
        let address = source.unmapped
        let now = time.nanoseconds
        let versionMode = version << 3 | mode
        if let i = find(address) {
            counters.exists &+= 1
            var s = slots[Int(i)]
            // A clock stepped back makes the interval 0, not negative.
            let delta = max(0, now &- s.last)
            // ntpd's interval: whole seconds, rounded.
            let interval = Int32(clamping: (delta + 500_000_000) / 1_000_000_000)
            s.last = now
            s.port = port
            s.count &+= 1
            s.versionMode = versionMode
            if let local { s.local = localIndex(local) }
            let since = Float(Double(delta) / 1e9)
            s.score = s.score * decay(-since / Self.scoreDecay) + 1 / Self.scoreDecay
            var result = flags
            // ntpd 4.2.8's leaky bucket: the counter drains one a second; each packet adds the
            // average headway (2 s grace); over the limit, or closer than the minimum interval,
            // the packet is limited and the counter is set past the limit, so the next KoD
            // waits until it has drained again.
            s.leak = max(0, s.leak &- interval)
            let head = Int32(1) << Int32(min(max(settings.average, 0), 16))
            let leak = s.leak &+ head
            let limit = 8 &* head
            let minimum = Int32(min(max(settings.minimum, 0), 65_536))
            if interval &+ 1 >= minimum && leak < limit {
                s.leak = leak &- 2
                result = doused
            } else if s.leak < limit {
                s.leak = limit &+ head
            } else {
                result.remove(.kod)
            }
            if result.contains(.limited) { s.dropped &+= 1 }
            s.flags = result.rawValue
            slots[Int(i)] = s
            moveToFront(i)
            lastRecorded = i
            return result
        }
        guard let i = takeSlot(at: now, address: address) else { return doused }
        lastRecorded = i
        link(i, Slot(
            address: address, versionMode: versionMode, port: port, flags: doused.rawValue,
            local: local.map { localIndex($0) } ?? 0, count: 1, first: now, last: now, dropped: 0,
            score: 1 / Self.scoreDecay, leak: 0, newer: Self.none, older: Self.none, chain: Self.none))
        return doused
    }

    static let scoreDecay: Float = 20

    // MARK: Interleaved mode

    /// For the client whose request was just recorded, an interleaved-looking request (RFC
    /// 9769: its origin is one of our receive timestamps): when `origin` is the receive
    /// timestamp we last gave this client, returns the kernel transmit timestamp of that reply
    /// (0 when it has not come); otherwise 0. Either way `receive` (this reply's) becomes the
    /// one to match next, with no transmit timestamp until ``transmitted(_:)`` brings it.
    /// Nil when the request was not recorded (the list is off or full): no interleaved mode.
    @inline(__always)
    public mutating func interleave(origin: UInt64, receive: UInt64) -> (previousTransmit: UInt64, slot: TransmitSlot)? {
        let i = lastRecorded
        guard i != Self.none else { return nil }
        let previous = slots[Int(i)].interleavedReceive == origin ? slots[Int(i)].interleavedTransmit : 0
        slots[Int(i)].interleavedReceive = receive
        slots[Int(i)].interleavedTransmit = 0
        return (previous, TransmitSlot(index: i, receive: receive))
    }

    /// Where a reply's kernel transmit timestamp goes: the client's slot and the receive
    /// timestamp the reply carried (which tells a slot since given to another client, or a
    /// later reply, from the one stamped).
    public struct TransmitSlot: Sendable, Equatable {
        var index: UInt32
        var receive: UInt64
    }

    /// The kernel transmit timestamp (NTP, raw) of the reply ``interleave(origin:receive:)``
    /// handed out `slot` for. Ignored when the slot has moved on.
    public mutating func transmitted(_ slot: TransmitSlot, at transmit: UInt64) {
        guard Int(slot.index) < slots.count, slots[Int(slot.index)].interleavedReceive == slot.receive else { return }
        slots[Int(slot.index)].interleavedTransmit = transmit
    }

    private mutating func localIndex(_ a: IPAddress) -> UInt16 {
        let a = a.unmapped
        if let i = locals.firstIndex(of: a) { return UInt16(i + 1) }
        guard locals.count < 64 else { return 0 }
        locals.append(a)
        return UInt16(locals.count)
    }

    /// A slot for a new address, under ntpd's rules; nil when none may be had.
    private mutating func takeSlot(at now: Int64, address: IPAddress) -> UInt32? {
        let depth = max(1, settings.maxDepth)
        if count < min(settings.minDepth, depth) || (oldest == Self.none) {
            return fresh()
        }
        let age = (now - slots[Int(oldest)].last + 500_000_000) / 1_000_000_000
        if age > Int64(settings.maxAge) {
            counters.recycledOld &+= 1
            return reclaimOldest()
        }
        if count < depth { return fresh() }
        if age < Int64(settings.minAge) {
            counters.none &+= 1
            return nil
        }
        // ntpd 4.2.8: preempt the oldest with probability age / monitor.
        if settings.monitor > 0 && age < Int64(settings.monitor) {
            let dice = nextRandom() % UInt64(settings.monitor)
            if dice >= UInt64(age) {
                counters.none &+= 1
                return nil
            }
        }
        counters.recycledFull &+= 1
        return reclaimOldest()
    }

    private mutating func fresh() -> UInt32? {
        guard slots.count < max(1, settings.maxDepth) else { return reclaimOldest() }
        counters.new &+= 1
        // Within the reserved capacity: no reallocation.
        slots.append(Slot(address: .anyIPv4, versionMode: 0, port: 0, flags: 0, local: 0, count: 0, first: 0, last: 0,
                          dropped: 0, score: 0, leak: 0, newer: Self.none, older: Self.none, chain: Self.none))
        return UInt32(slots.count - 1)
    }

    private mutating func nextRandom() -> UInt64 {
        random ^= random << 13; random ^= random >> 7; random ^= random << 17
        return random
    }

    /// Unlinks the oldest entry from the list and the hash table and returns its slot.
    private mutating func reclaimOldest() -> UInt32? {
        let i = oldest
        guard i != Self.none else { return nil }
        unlinkRecency(i)
        unlinkHash(i)
        count -= 1
        return i
    }

    private mutating func link(_ i: UInt32, _ slot: Slot) {
        var s = slot
        let b = bucket(s.address)
        s.chain = buckets[b]
        if buckets[b] == Self.none { bucketsInUse += 1 }
        buckets[b] = i
        s.older = newest
        s.newer = Self.none
        slots[Int(i)] = s
        if newest != Self.none { slots[Int(newest)].newer = i }
        newest = i
        if oldest == Self.none { oldest = i }
        count += 1
        counters.peak = max(counters.peak, count)
    }

    private mutating func unlinkRecency(_ i: UInt32) {
        let s = slots[Int(i)]
        if s.newer != Self.none { slots[Int(s.newer)].older = s.older } else { newest = s.older }
        if s.older != Self.none { slots[Int(s.older)].newer = s.newer } else { oldest = s.newer }
    }

    private mutating func unlinkHash(_ i: UInt32) {
        let b = bucket(slots[Int(i)].address)
        if buckets[b] == i {
            buckets[b] = slots[Int(i)].chain
            if buckets[b] == Self.none { bucketsInUse -= 1 }
            return
        }
        var j = buckets[b]
        while j != Self.none {
            let next = slots[Int(j)].chain
            if next == i { slots[Int(j)].chain = slots[Int(i)].chain; return }
            j = next
        }
    }

    private mutating func moveToFront(_ i: UInt32) {
        guard newest != i else { return }
        unlinkRecency(i)
        slots[Int(i)].older = newest
        slots[Int(i)].newer = Self.none
        slots[Int(newest)].newer = i
        newest = i
    }

    // MARK: Reading

    private func entry(_ s: Slot) -> MRUEntry {
        MRUEntry(
            source: SocketAddress(ip: s.address, port: s.port),
            local: s.local == 0 ? nil : locals[Int(s.local) - 1],
            first: UnixTime(nanoseconds: s.first), last: UnixTime(nanoseconds: s.last),
            count: UInt64(s.count), dropped: UInt64(s.dropped), mode: s.versionMode & 7, version: s.versionMode >> 3,
            flags: RestrictFlags(rawValue: s.flags), score: Double(s.score))
    }

    /// The newest `limit` entries (all by default), oldest first (as ntpd sends them) or newest
    /// first. Walks only those: a bounded copy for callers that show a page of the list.
    public func entries(oldestFirst: Bool = true, newest limit: Int = .max) -> [MRUEntry] {
        var out: [MRUEntry] = []
        out.reserveCapacity(min(count, max(0, limit)))
        var i = newest
        while i != Self.none && out.count < limit {
            let s = slots[Int(i)]
            out.append(entry(s))
            i = s.older
        }
        if oldestFirst { out.reverse() }
        return out
    }

    /// Calls `body` with the entries newer than `address` (from the oldest when nil, or when
    /// `address` is not listed), oldest first, after skipping `skip` of them, until it returns
    /// false. True when the walk reached the newest entry. Reads in place (mode 6 READ_MRU).
    public func walk(after address: IPAddress?, skip: Int = 0, _ body: (MRUEntry) -> Bool) -> Bool {
        var i = oldest
        var skipped = 0
        if let address, let at = find(address.unmapped) {
            i = slots[Int(at)].newer
        } else if skip >= count {
            return true
        } else if skip > count / 2 {
            // The newest few (READ_MRU's recent=): step back from the newest, not over the rest.
            i = newest
            for _ in 0..<(count - skip - 1) { i = slots[Int(i)].older }
            skipped = skip
        }
        while i != Self.none {
            let s = slots[Int(i)]
            if skipped < skip { skipped += 1 } else if !body(entry(s)) { return false }
            i = s.newer
        }
        return true
    }

    /// The entry for `address`, if listed.
    public func entry(for address: IPAddress) -> MRUEntry? {
        find(address.unmapped).map { entry(slots[Int($0)]) }
    }

    /// Seconds since the oldest entry was last seen, at `time` (0 when empty).
    public func oldestAge(at time: UnixTime) -> Int64 {
        guard oldest != Self.none else { return 0 }
        return (time.nanoseconds - slots[Int(oldest)].last + 500_000_000) / 1_000_000_000
    }

    /// Drops every entry (the counters stay).
    public mutating func removeAll() { if !buckets.isEmpty { allocate() } }
}

/// A snapshot of the MRU list for `monstats`.
public struct MonitorReport: Sendable, Equatable, Codable {
    public var settings: MonitorSettings
    public var counters: MRUCounters
    public var entries: Int
    public var bucketsInUse: Int
    public var memoryBytes: Int
    public var oldestAge: Int64
    public init(settings: MonitorSettings, counters: MRUCounters, entries: Int, bucketsInUse: Int, memoryBytes: Int, oldestAge: Int64) {
        self.settings = settings; self.counters = counters; self.entries = entries; self.bucketsInUse = bucketsInUse
        self.memoryBytes = memoryBytes; self.oldestAge = oldestAge
    }
}

extension MRUList {
    public func report(at time: UnixTime) -> MonitorReport {
        MonitorReport(settings: settings, counters: counters, entries: count, bucketsInUse: bucketsInUse,
                      memoryBytes: memoryBytes, oldestAge: oldestAge(at: time))
    }
}

/// e^x for x ≤ 0 without the C library (the engine imports none); enough for a score that
/// decays over 20 s.
@inline(__always)
func decay(_ x: Float) -> Float {
    // e^x for x ≤ 0: split into 2^k · e^r with |r| ≤ ln2/2, then a degree-5 polynomial.
    if x < -80 { return 0 }
    let k = (x / 0.693_147_18).rounded()
    let r = x - k * 0.693_147_18
    let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))))
    return p * Float(sign: .plus, exponent: Int(k), significand: 1)
}
