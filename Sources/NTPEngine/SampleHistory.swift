public import NTPWire

/// The engine's recent past, bounded: one ``LoopSample`` per clock update and one
/// ``PeerSample`` per accepted reply. `plot` draws from it and the statistics files
/// (loopstats, peerstats) are written from it. Recorded on the engine's client side only; the
/// server path never touches it.
public struct SampleHistory: Sendable, Codable {
    public private(set) var loop = SampleRing<LoopSample>(capacity: 8192)
    public private(set) var peers = SampleRing<PeerSample>(capacity: 16384)

    public init() {}

    /// The most recent `loop` and `peers` samples only (a copy small enough to send).
    public func suffix(loop loopCount: Int, peers peerCount: Int) -> SampleHistory {
        var h = SampleHistory()
        h.loop = loop.suffix(loopCount)
        h.peers = peers.suffix(peerCount)
        return h
    }

    mutating func record(_ sample: LoopSample) { loop.append(sample) }
    mutating func record(_ sample: PeerSample) { peers.append(sample) }

    /// Appends another history's samples after these (a restarted engine's after the old one's).
    public mutating func append(_ other: SampleHistory) {
        for s in other.loop.elements { loop.append(s) }
        for s in other.peers.elements { peers.append(s) }
    }
}

/// A ring of the last `capacity` elements, counting every element ever appended so a reader
/// can ask for what came after what it saw (``since(_:)``).
public struct SampleRing<Element: Sendable & Codable>: Sendable, Codable {
    public let capacity: Int
    private var storage: [Element] = []
    private var head = 0
    /// Elements appended since the start (the oldest kept is number `total - count`).
    public private(set) var total = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { storage.count }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[head] = element
            head = (head + 1) % capacity
        }
        total += 1
    }

    /// The kept elements, oldest first.
    public var elements: [Element] { Array(storage[head...] + storage[..<head]) }

    /// A ring of the same capacity holding only the last `n` elements (totals kept).
    func suffix(_ n: Int) -> SampleRing {
        var r = SampleRing(capacity: capacity)
        r.storage = Array(elements.suffix(max(0, n)))
        r.total = total
        return r
    }

    enum CodingKeys: String, CodingKey { case capacity, elements, total }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        capacity = max(1, try c.decode(Int.self, forKey: .capacity))
        storage = Array(try c.decode([Element].self, forKey: .elements).suffix(capacity))
        total = max(storage.count, try c.decode(Int.self, forKey: .total))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(elements, forKey: .elements)
        try c.encode(total, forKey: .total)
    }

    /// The elements appended after the first `seen` ones (those still kept), oldest first.
    public func since(_ seen: Int) -> [Element] {
        let missing = total - max(seen, total - storage.count)
        guard missing > 0 else { return [] }
        // The newest element is just before `head` (or last, while the ring is filling).
        let end = storage.count < capacity ? storage.count : head + capacity
        return ((end - missing)..<end).map { storage[$0 % capacity] }
    }
}

/// The clock discipline after one update (ntpd's loopstats line).
public struct LoopSample: Sendable, Equatable, Codable {
    /// Local (corrected) clock time of the update.
    public var time: UnixTime
    /// The offset corrected, seconds (reference − local).
    public var offset: Double
    /// The clock's frequency correction, ppm.
    public var frequency: Double
    /// RMS jitter of the clock offset, seconds.
    public var jitter: Double
    /// Frequency wander, ppm.
    public var wander: Double
    /// Time constant (log2 s).
    public var timeConstant: Int8

    public init(time: UnixTime, offset: Double, frequency: Double, jitter: Double, wander: Double, timeConstant: Int8) {
        self.time = time; self.offset = offset; self.frequency = frequency; self.jitter = jitter
        self.wander = wander; self.timeConstant = timeConstant
    }
}

/// One association after an accepted reply (ntpd's peerstats line): the clock filter's result.
public struct PeerSample: Sendable, Equatable, Codable {
    public var time: UnixTime
    public var id: AssociationID
    public var address: IPAddress
    /// Configured (not spawned by a pool), reachable, and its selection status now.
    public var configured: Bool
    public var reachable: Bool
    public var select: SelectStatus
    /// Seconds.
    public var offset: Double
    public var delay: Double
    public var dispersion: Double
    public var jitter: Double

    public init(time: UnixTime, id: AssociationID, address: IPAddress, configured: Bool, reachable: Bool,
                select: SelectStatus, offset: Double, delay: Double, dispersion: Double, jitter: Double) {
        self.time = time; self.id = id; self.address = address; self.configured = configured
        self.reachable = reachable; self.select = select; self.offset = offset; self.delay = delay
        self.dispersion = dispersion; self.jitter = jitter
    }
}
