/// RFC 5905 §11.2: which sources tell the truth (intersection), which of those to keep
/// (cluster), the system peer, and the combined offset. Pure functions of the candidates.
///
/// ntpd's rules kept: a `prefer` source becomes the system peer when it survives; the current
/// system peer is kept while it survives (no clock hopping), and even when the cluster prunes
/// it while its offset stays within a hop threshold of the best survivor's (ntpd's clockhop
/// rule: `mindist`, 1 ms, halved at each selection that would hop, so a real difference still
/// wins after a few rounds); the local clock is used only when no other source survives.
public enum Selection {
    public struct Candidate: Sendable, Equatable {
        public var id: AssociationID
        public var offset: Double
        public var rootDistance: Double
        /// Peer jitter from the clock filter.
        public var jitter: Double
        public var stratum: UInt8
        public var prefer: Bool
        public var isLocalClock: Bool

        public init(id: AssociationID, offset: Double, rootDistance: Double, jitter: Double,
                    stratum: UInt8, prefer: Bool = false, isLocalClock: Bool = false) {
            self.id = id; self.offset = offset; self.rootDistance = rootDistance; self.jitter = jitter
            self.stratum = stratum; self.prefer = prefer; self.isLocalClock = isLocalClock
        }
    }

    public struct Settings: Sendable, Codable, Equatable {
        /// `tos minsane`: survivors needed to synchronise (ntpd default 1).
        public var minSane = 1
        /// `tos minclock`: the cluster algorithm stops pruning at this many (default 3).
        public var minClock = 3
        /// `tos maxclock`: candidates considered (default 10).
        public var maxClock = 10
        public init() {}
    }

    public struct Result: Sendable, Equatable {
        /// The status of every candidate given (rejected ones too).
        public var status: [AssociationID: SelectStatus]
        public var systemPeer: AssociationID?
        /// Survivors ordered by merit, the system peer first.
        public var survivors: [AssociationID]
        /// RFC 5905 combined offset and system selection jitter, seconds.
        public var offset: Double
        public var selectionJitter: Double
        /// Truechimers found by the intersection (for `sysinfo`).
        public var truechimers: Int
        /// The clock-hop threshold to pass to the next run (0: none running).
        public var clockHop: Double = 0
    }

    /// ntpd's `tos mindist` default: the first clock-hop threshold, seconds.
    public static let clockHopDistance = 0.001

    /// Runs intersection, cluster and the choice of system peer. `current` is the present
    /// system peer (kept while it survives, or while pruned but within `clockHop` of the best:
    /// pass the previous result's ``Result/clockHop``).
    ///
    /// `voters`: the network sources that have a say, the candidates and those not selectable
    /// only because their first samples are still coming (0: the candidates alone). The
    /// truechimers must be more than half of them, as chrony counts its sources with too few
    /// samples: otherwise the first one or two sources to answer a burst (a falseticker among
    /// them) would be a "majority" of themselves, be chosen, and then be outvoted, leaving no
    /// system peer, as soon as the others are ready. Until then nothing is selected.
    /// `halveClockHop`: whether a hop kept now halves the threshold (the caller rations the
    /// halving in time: ntpd halves once per clock update, not per selection).
    public static func run(_ all: [Candidate], settings: Settings, current: AssociationID?, clockHop: Double = 0,
                           halveClockHop: Bool = true, voters: Int = 0) -> Result {
        var status: [AssociationID: SelectStatus] = [:]
        for c in all { status[c.id] = .reject }
        // The local clock stands aside while anything else can be selected.
        let network = all.filter { !$0.isLocalClock }
        let locals = all.filter(\.isLocalClock)
        var candidates = network.sorted { $0.rootDistance < $1.rootDistance }
        // Settings reach here validated (``Settings/validated()``); a bad one still never traps.
        let maxClock = max(1, settings.maxClock)
        if candidates.count > maxClock {
            for c in candidates[maxClock...] { status[c.id] = .excess }
            candidates = Array(candidates.prefix(maxClock))
        }

        var truechimers = intersection(candidates)
        for c in candidates where !truechimers.contains(where: { $0.id == c.id }) {
            status[c.id] = .falseticker
        }
        if truechimers.count < settings.minSane || 2 * truechimers.count <= min(voters, maxClock) {
            truechimers = []
        }
        if truechimers.isEmpty {
            guard let local = locals.min(by: { $0.stratum < $1.stratum }) else {
                return Result(status: status, systemPeer: nil, survivors: [], offset: 0, selectionJitter: 0, truechimers: 0)
            }
            status[local.id] = .systemPeer
            return Result(status: status, systemPeer: local.id, survivors: [local.id], offset: local.offset,
                          selectionJitter: 0, truechimers: 0)
        }

        // Cluster: order by merit (stratum, then distance), prune the worst outlier while its
        // selection jitter exceeds the best peer jitter and more than minclock remain.
        var survivors = truechimers.sorted {
            ($0.stratum, $0.rootDistance) < ($1.stratum, $1.rootDistance)
        }
        while survivors.count > settings.minClock {
            var worst = 0, worstJitter = -1.0, minPeerJitter = Double.infinity
            for (i, s) in survivors.enumerated() {
                var sum = 0.0
                for t in survivors { sum += (s.offset - t.offset) * (s.offset - t.offset) }
                let phi = (sum / Double(survivors.count - 1)).squareRoot()
                if phi > worstJitter { worstJitter = phi; worst = i }
                minPeerJitter = min(minPeerJitter, s.jitter)
            }
            if worstJitter <= minPeerJitter { break }
            if survivors[worst].prefer { break }
            status[survivors[worst].id] = .outlier
            survivors.remove(at: worst)
        }

        // System peer: a surviving prefer peer, else the current one if it survives, else the
        // current one if only the cluster pruned it and it is within the hop threshold of the
        // best (it is then a survivor again), else the first.
        var peer = survivors[0]
        var hop = 0.0
        if let p = survivors.first(where: \.prefer) {
            peer = p
        } else if let current, let c = survivors.first(where: { $0.id == current }) {
            peer = c
        } else if let current, let c = truechimers.first(where: { $0.id == current }) {
            let threshold = clockHop == 0 ? clockHopDistance : (halveClockHop ? clockHop / 2 : clockHop)
            if abs(c.offset - peer.offset) < threshold {
                peer = c
                survivors.append(c)
                hop = threshold
            }
        }
        var ordered = survivors.filter { $0.id != peer.id }
        ordered.insert(peer, at: 0)
        for s in ordered { status[s.id] = .candidate }
        status[peer.id] = .systemPeer

        // Combine (RFC 5905 §11.2.3): offsets weighted by 1/root distance.
        var weight = 0.0, offset = 0.0
        for s in ordered {
            let w = 1 / max(s.rootDistance, 1e-9)
            weight += w
            offset += w * s.offset
        }
        offset /= weight
        var jsum = 0.0
        for s in ordered {
            let w = 1 / max(s.rootDistance, 1e-9)
            jsum += w * (s.offset - peer.offset) * (s.offset - peer.offset)
        }
        // Locals never combine; mark them as backups while the network is in use.
        for l in locals { status[l.id] = .backup }
        return Result(status: status, systemPeer: peer.id, survivors: ordered.map(\.id), offset: offset,
                      selectionJitter: (jsum / weight).squareRoot(), truechimers: truechimers.count, clockHop: hop)
    }

    /// RFC 5905 §11.2.1: the largest set of candidates whose correctness intervals
    /// `[offset − distance, offset + distance]` share a common intersection, allowing up to
    /// half of them to be falsetickers. Returns the truechimers.
    public static func intersection(_ candidates: [Candidate]) -> [Candidate] {
        let n = candidates.count
        guard n > 0 else { return [] }
        // Endpoints: type −1 lower, 0 midpoint, +1 upper.
        var points: [(value: Double, type: Int)] = []
        points.reserveCapacity(3 * n)
        for c in candidates {
            points.append((c.offset - c.rootDistance, -1))
            points.append((c.offset, 0))
            points.append((c.offset + c.rootDistance, 1))
        }
        points.sort { $0.value < $1.value || ($0.value == $1.value && $0.type < $1.type) }
        var allow = 0
        while 2 * allow < n {
            var found = 0, chime = 0
            var low = Double.infinity, high = -Double.infinity
            for p in points {
                chime -= p.type
                if chime >= n - allow { low = p.value; break }
                if p.type == 0 { found += 1 }
            }
            chime = 0
            for p in points.reversed() {
                chime += p.type
                if chime >= n - allow { high = p.value; break }
                if p.type == 0 { found += 1 }
            }
            if found <= allow && low <= high {
                return candidates.filter { $0.offset + $0.rootDistance >= low && $0.offset - $0.rootDistance <= high }
            }
            allow += 1
        }
        return []
    }
}
