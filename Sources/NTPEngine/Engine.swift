public import NTPWire

/// What the engine asks its runner to do. Clock corrections are not actions: the engine
/// drives the ``ClockDriver`` it was given directly (that interface is the seam).
public enum EngineAction: Sendable, Equatable {
    /// Send this datagram to `destination` now.
    case send([UInt8], to: SocketAddress)
    /// Resolve `host` off the engine's thread, then call ``Engine/resolved(_:addresses:)``.
    case resolve(AssociationID, host: String)
    /// `-q` is done (status 0) or the engine cannot go on (panic: status 1).
    case exit(status: Int32, reason: String)
}

/// The NTP engine (sans-IO): associations, mitigation, discipline and system variables.
/// Its runner feeds it timer ticks, replies and DNS answers, and carries out the actions it
/// returns; the engine reads time only from its clock, and its randomness from its seed. The
/// same engine runs for real (NTPRuntime) and in virtual time (NTPSimulation).
///
/// Algorithms: RFC 5905's on-wire protocol, clock filter, intersection, cluster and combine
/// decide which sources are truechimers and what `peers` shows. The clock is disciplined by
/// ``Discipline``: a delay-weighted regression of each source's offsets (see
/// ``SourceStatistics``), combined over the survivors, corrected in full at each update.
public final class Engine {
    public let clock: any ClockDriver
    public var configuration: EngineConfiguration {
        didSet {
            discipline.configuration = configuration
            if configuration.maxSlewRate != oldValue.maxSlewRate { applyMaxSlewRate() }
        }
    }
    public private(set) var associations: [AssociationID: Association] = [:]
    /// Changes whenever the set of association addresses may have changed (one resolved, added
    /// or removed): a host keeps `restrict source`'s addresses (``sourceAddresses``) by it.
    public private(set) var addressGeneration: UInt64 = 0
    public private(set) var system: SystemVariables
    public private(set) var events: [EngineEvent] = []
    /// Recent clock updates and peer samples (for `plot` and the statistics files).
    public private(set) var history = SampleHistory()
    /// The keys (`keys`, `trustedkey`) associations configured with `key N` sign and verify with.
    public var keys = KeyStore()
    /// Events not yet taken by ``takeEvents()``.
    private var pendingEvents: [EngineEvent] = []
    private var nextID: UInt16 = 1
    private var random: EngineRandom
    /// A stream of its own for the random low bits of transmit timestamps (the poll jitter's
    /// sequence does not depend on how many requests were sent).
    private var transmitRandom: EngineRandom
    private var discipline: Discipline
    /// The selection's clock-hop threshold (``Selection/Result/clockHop``).
    private var clockHop = 0.0
    /// When the clock-hop threshold was last set or halved.
    private var clockHopHalvedAt: UnixTime?
    /// The clock-hop threshold halves at most this often, seconds (ntpd: once per clock update).
    static let clockHopInterval = 64.0
    /// Local time the last request left, to any source (``NTPConstants/requestSeparation``).
    private var lastRequest: UnixTime?
    /// Since when there has been no system peer (orphan mode starts `orphanWait` later).
    public private(set) var withoutPeerSince: UnixTime?
    /// `step now` in progress: when it started; and its outcome once decided.
    private var stepNowStarted: UnixTime?
    public private(set) var stepNowOutcome: Result<Seconds, StepNowRefusal>?
    /// The end of the UTC day at which an announced leap second takes effect, while one is pending.
    public private(set) var leapAt: UnixTime?
    /// The clock itself applies the armed leap second (the kernel); the engine then only
    /// re-expresses its samples.
    private var leapByClock = false

    public static let eventHistory = 200

    public init(configuration: EngineConfiguration, clock: any ClockDriver, seed: UInt64) {
        self.configuration = configuration
        self.clock = clock
        self.random = EngineRandom(seed: seed)
        self.transmitRandom = EngineRandom(seed: seed ^ 0x5452_414e_534d_4954)
        let precision = clock.status().precision
        system = SystemVariables(precision: precision)
        discipline = Discipline(configuration: configuration)
        withoutPeerSince = clock.now()
        applyMaxSlewRate()
        if let f = configuration.initialFrequency { loadDrift(f) }
    }

    /// `tinker maxslewrate` to the clock; unset leaves the clock's own (83,333 ppm, or a lab's).
    private func applyMaxSlewRate() {
        if let rate = configuration.maxSlewRate { clock.setMaxSlewRate(rate) }
    }

    /// A drift file's frequency (``ClockDriver/setFrequency(_:)``'s sign): the clock is
    /// set to it and the discipline takes it as known to 1 ppm, so only a better estimate
    /// replaces it. The one way a drift file reaches the engine, at start (``EngineConfiguration/initialFrequency``)
    /// or later (`driftfile`). Refused (false) once the clock has been corrected: by then the
    /// discipline knows better than the file.
    @discardableResult
    public func loadDrift(_ frequency: PPM) -> Bool {
        guard system.updates == 0 else { return false }
        try? clock.setFrequency(frequency)
        system.frequency = clock.status().frequency.value
        discipline.frequencyFromDriftFile()
        return true
    }

    // MARK: Associations

    /// Adds an association; it starts polling at the next timer tick.
    @discardableResult
    public func add(_ configuration: AssociationConfiguration) -> AssociationID {
        var config = configuration
        if AssociationConfiguration.isLocalClockAddress(config.host) { config.kind = .localClock }
        let id = AssociationID(nextID)
        nextID &+= 1
        var a = Association(id: id, configuration: config, now: clock.now())
        if config.kind != .localClock, let ip = IPAddress(config.host) {
            a.address = SocketAddress(ip: ip, port: config.port)
            a.state = .active
            a.nextPoll = clock.now().adding(seconds: NTPConstants.initialDelay + random.uniform() * NTPConstants.initialSpread)
            addressGeneration &+= 1
        }
        associations[id] = a
        return id
    }

    /// `fudge 127.127.1.0 stratum N`: the local clock's stratum.
    public func setLocalClockStratum(_ stratum: UInt8) {
        for (id, a) in associations where a.isLocalClock {
            associations[id]?.configuration.localStratum = stratum
            associations[id]?.stratum = stratum
        }
        reselect(now: clock.now(), update: false)
    }

    /// Removes the associations configured with `host` (pools with their servers); returns how many.
    @discardableResult
    public func remove(host: String) -> Int {
        let ids = associations.values.filter { $0.spawnedBy == nil && $0.configuration.host == host }.map(\.id)
        for id in ids { remove(id) }
        return ids.count
    }

    /// Removes an association (and, for a pool, the servers it brought in).
    public func remove(_ id: AssociationID) {
        addressGeneration &+= 1
        associations[id] = nil
        for (other, a) in associations where a.spawnedBy == id { associations[other] = nil }
        if system.systemPeer == id { system.systemPeer = nil }
        reselect(now: clock.now(), update: false)
    }

    public func association(_ id: AssociationID) -> Association? { associations[id] }

    /// Associations in id order.
    public var sortedAssociations: [Association] { associations.values.sorted { $0.id < $1.id } }

    /// The addresses of the `peer` associations (their mode 1 packets pass `nopeer`).
    public var peerAddresses: [IPAddress] {
        associations.values.filter { $0.configuration.kind == .peer }.compactMap { $0.address?.ip.unmapped }
    }

    /// The server side's view: what replies to clients carry.
    public var serverState: SystemState { system.serverState(at: clock.now()) }

    /// Takes the events recorded since the last call.
    public func takeEvents() -> [EngineEvent] {
        defer { pendingEvents.removeAll() }
        return pendingEvents
    }

    // MARK: Time

    /// The local time the engine next wants ``handleTimer()``.
    public func nextWakeup() -> UnixTime? {
        // The clock's own service (the end of a slew) rides on the engine's timer.
        [engineWakeup(), clock.nextService()].compactMap { $0 }.min()
    }

    /// When the engine itself (polls, leap, orphan, `step now`) next needs the timer.
    private func engineWakeup() -> UnixTime? {
        let polls = associations.values.filter { $0.state == .active || $0.state == .resolving || $0.state == .unresolved }
            .filter { !$0.isPool || $0.state != .active }
            .map(\.nextPoll).min()
        var times = [polls, leapAt].compactMap { $0 }
        if configuration.orphanStratum != nil, let since = withoutPeerSince, !system.isSynchronized {
            times.append(since + configuration.orphanWait)
        }
        if let started = stepNowStarted { times.append(started.adding(seconds: Self.stepNowTimeout)) }
        return times.min()
    }

    /// Runs every poll that is due.
    public func handleTimer() -> [EngineAction] {
        if let service = clock.nextService(), service <= clock.now() {
            clock.service()
            // A wake only for the clock is not a timer tick for the engine (no reselection).
            if let due = engineWakeup(), due > clock.now() { return [] }
        }
        let now = clock.now()
        applyLeapIfDue(now: now)
        var actions: [EngineAction] = []
        for id in associations.keys.sorted() {
            guard var a = associations[id], a.nextPoll <= now else { continue }
            switch a.state {
            case .resolving, .unresolved:
                actions.append(.resolve(id, host: a.configuration.host))
                // Retried with backoff until answered: 2 s, 4 s … up to 1 h.
                let backoff = min(3600, max(2, PollExponent(Int8(min(12, a.unreach + 1))).seconds))
                a.unreach += 1
                a.nextPoll = now.adding(seconds: backoff)
                associations[id] = a
            case .active:
                if a.isPool { continue }
                if a.isLocalClock {
                    // The local clock "answers" every poll with offset 0 (ntpd's LOCAL driver).
                    a.reach = a.reach << 1 | 1
                    a.lastUpdate = now
                    a.filter.add(ClockFilter.Sample(offset: 0, delay: 0, dispersion: 0, time: now))
                    a.nextPoll = now.adding(seconds: a.pollInterval)
                    associations[id] = a
                    actions.append(contentsOf: reselect(now: now, update: false))
                    continue
                }
                if let last = lastRequest, now >= last, now - last < NTPConstants.requestSeparation {
                    // Another source was just polled: this one waits its turn.
                    a.nextPoll = last.adding(seconds: NTPConstants.requestSeparation)
                    associations[id] = a
                    continue
                }
                let sent = poll(&a, now: now)
                if !sent.isEmpty { lastRequest = now }
                actions.append(contentsOf: sent)
                associations[id] = a
            case .denied:
                continue
            }
        }
        replaceBadPoolServers(now: now)
        // Reach registers moved: a source may have become unreachable.
        actions.append(contentsOf: reselect(now: now, update: false))
        checkStepNow(now: now)
        return actions
    }

    /// A pool replaces a server it brought in that has stayed unreachable for eight polls (or
    /// that refused us) by asking its name again.
    private func replaceBadPoolServers(now: UnixTime) {
        for (id, a) in associations {
            guard let pool = a.spawnedBy, a.state == .denied || (a.reach == 0 && a.unreach >= 8) else { continue }
            associations[id] = nil
            addressGeneration &+= 1
            if var p = associations[pool] {
                p.state = .resolving
                p.nextPoll = now
                associations[pool] = p
            }
        }
    }

    private func poll(_ a: inout Association, now: UnixTime) -> [EngineAction] {
        guard let address = a.address else { return [] }
        if a.burstRemaining == 0 {
            // A new poll: shift the reach register; an unanswered previous poll counts.
            let wasReachable = a.reach != 0
            a.reach <<= 1
            if a.reach == 0 {
                if wasReachable { record(.unreachable(a.id, name(a)), at: now) }
                if a.configuration.iburst && a.unreach == 0 {
                    a.burstRemaining = NTPConstants.burstCount - 1
                }
                a.unreach += 1
                if a.unreach > 8 { a.poll = min(a.poll + 1, a.configuration.maxPoll) }
            } else if a.configuration.burst {
                a.burstRemaining = NTPConstants.burstCount - 1
            }
        } else {
            a.burstRemaining -= 1
        }
        let interval = a.burstRemaining > 0 ? NTPConstants.burstSpacing : a.pollInterval
        // Lengthened a little at random so clients do not march in step.
        a.nextPoll = now.adding(seconds: interval * (1 + random.uniform() * NTPConstants.pollRandomness))
        let t1 = clock.now()
        // The bits below our precision carry no time: random ones make the origin timestamp a
        // reply must echo hard to guess off-path (as ntpd and chrony do).
        let transmit = Self.randomisedBelowPrecision(NTPTimestamp(t1), precision: system.precision, random: transmitRandom.next())
        var request = NTPHeader(
            leap: system.isSynchronized ? .noWarning : .unsynchronized, version: a.configuration.version,
            mode: .client, stratum: 0, poll: PollExponent(a.poll), precision: system.precision,
            transmitTime: transmit)
        if a.configuration.kind == .peer {
            // Symmetric active: the packet carries our system variables, as a server's reply does.
            let s = system.serverState(at: t1)
            request.mode = .symmetricActive
            request.leap = s.isSynchronized ? s.leap : .unsynchronized
            request.stratum = s.wireStratum
            request.rootDelay = NTPShort(seconds: s.rootDelay)
            request.rootDispersion = NTPShort(seconds: s.rootDispersion(at: t1))
            request.referenceID = s.referenceID
            request.referenceTime = s.referenceTime.map(NTPTimestamp.init) ?? .zero
        }
        a.outstandingReceiveField = nil
        if a.configuration.xleave && (a.configuration.kind == .server || a.configuration.kind == .peer),
           let previous = a.previousExchange, a.unansweredRequests < NTPConstants.interleavedUnanswered {
            // RFC 9769 interleaved request: origin = the server's receive timestamp of the last
            // exchange, receive = ours of its reply (never equal to transmit: a server tells an
            // interleaved request from a basic one by receive ≠ transmit). A `peer` sends it in
            // symmetric active mode and the other side, which answers a symmetric active packet
            // as a server does (symmetric passive), completes it with its kernel transmit stamp:
            // interleaved symmetric mode, each side's own polls an interleaved exchange.
            var receiveField = NTPTimestamp(previous.localReceive)
            if receiveField == transmit { receiveField = NTPTimestamp(rawValue: receiveField.rawValue ^ 1) }
            request.originTime = previous.remoteReceive
            request.receiveTime = receiveField
            a.outstandingReceiveField = receiveField
        }
        a.unansweredRequests += 1
        var bytes = request.bytes
        if let keyID = a.configuration.key {
            guard let signed = keys.sign(bytes, keyID: keyID) else {
                let failure = keys.usable(keyID) ?? .unavailable(keyID)
                a.counters.unsigned += 1
                a.authenticated = false
                if a.authenticationFailure != failure { record(.cannotSign(a.id, name(a), failure), at: now) }
                a.authenticationFailure = failure
                return []
            }
            bytes = signed
        }
        a.outstandingTransmit = transmit
        a.outstandingLocal = t1
        a.counters.sent += 1
        return [.send(bytes, to: address)]
    }

    /// Wants the kernel's transmit timestamps of its requests to `destination` (`xleave`).
    public func wantsTransmitStamps(to destination: SocketAddress) -> Bool {
        associations.values.contains { $0.address == destination && $0.configuration.xleave && !$0.isPool }
    }

    /// The kernel's transmit timestamp (served scale) of the request last sent to
    /// `destination`: it replaces the time read before sending (T1) for an `xleave`
    /// association, when it is sane (not before that reading, less than a second after).
    /// `hardware`: the stamp is the NIC's (converted to system time), used in basic mode too,
    /// as its receive stamp (T4) is: a software T1 beside a hardware T4 would bias the offset
    /// by half the transmit path.
    public func transmitted(to destination: SocketAddress, at time: UnixTime, hardware: Bool = false) {
        guard let id = associations.first(where: { $0.value.address == destination && !$0.value.isPool })?.key,
              let a = associations[id], a.configuration.xleave || hardware, let t1 = a.outstandingLocal,
              time >= t1, time - t1 < 1 else { return }
        associations[id]?.outstandingLocal = time
    }

    /// `timestamp` with its fraction bits finer than `precision` (2^precision s) replaced by
    /// bits of `random`.
    static func randomisedBelowPrecision(_ timestamp: NTPTimestamp, precision: PollExponent, random: UInt64) -> NTPTimestamp {
        let bits = max(0, min(32, 32 + Int(precision.log2Seconds)))
        guard bits > 0 else { return timestamp }
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        return NTPTimestamp(rawValue: timestamp.rawValue & ~mask | random & mask)
    }

    // MARK: DNS

    /// The answer to a `.resolve` action. An empty list means the name did not resolve.
    public func resolved(_ id: AssociationID, addresses: [IPAddress]) -> [EngineAction] {
        guard var a = associations[id] else { return [] }
        let now = clock.now()
        guard let first = addresses.first else {
            if a.state == .resolving { record(.unresolved(id, a.configuration.host), at: now) }
            a.state = .unresolved
            associations[id] = a
            return []
        }
        a.unreach = 0
        if a.isPool {
            a.state = .active
            associations[id] = a
            // Addresses already polled (by this pool or any other association) are not added twice,
            // and a pool stops at `tos maxclock` associations (pools themselves not counted), as
            // ntpd's does: a name that resolves to hundreds of addresses brings in a handful.
            let existing = Set(associations.values.compactMap { $0.address?.ip })
            var room = max(0, configuration.selection.maxClock - associations.values.filter { !$0.isPool }.count)
            for ip in addresses where !existing.contains(ip) && room > 0 {
                room -= 1
                var config = a.configuration
                config.kind = .server
                config.host = ip.description
                let child = add(config)
                associations[child]?.spawnedBy = id
            }
            return []
        }
        a.address = SocketAddress(ip: first, port: a.configuration.port)
        addressGeneration &+= 1
        a.state = .active
        a.nextPoll = now
        record(.resolved(id, a.configuration.host, first.description), at: now)
        associations[id] = a
        return handleTimer()
    }

    /// The runtime learned that the association's NTP goes elsewhere than its configured address
    /// and port: NTS-KE's NTPv4 Server and Port Negotiation records (RFC 8915 §4.1.7, §4.1.8).
    /// It polls `address` from now on (a poll is due at once); nothing for a pool or when it
    /// already does.
    public func redirect(_ id: AssociationID, to address: SocketAddress) -> [EngineAction] {
        guard var a = associations[id], !a.isPool, a.address != address else { return [] }
        a.address = address
        addressGeneration &+= 1
        a.state = .active
        a.nextPoll = clock.now()
        associations[id] = a
        return handleTimer()
    }

    // MARK: Replies

    /// The addresses of the associations `server`, `peer` and `pool` mobilized: what `restrict
    /// source` applies to.
    public var sourceAddresses: Set<IPAddress> {
        Set(associations.values.compactMap { $0.isPool ? nil : $0.address?.ip.unmapped })
    }

    /// A datagram arrived from `source` at local time `receiveTime` (kernel timestamp on the
    /// served scale). `restrict`: the restrict list's flags for `source`, as ntpd applies them
    /// to replies: `ignore` drops it; `notrust` drops it unless it carries a valid MAC under the
    /// association's key (an unauthenticated server is not a time source).
    ///
    /// Order of the tests: the mode, then the origin timestamp (a reply to no request of ours,
    /// e.g. forged off-path, is dropped before any MAC is looked at, so it can neither flip
    /// `authenticated` nor raise events), then authentication.
    public func handleReply(_ bytes: [UInt8], from source: SocketAddress, receiveTime: UnixTime,
                            restrict: RestrictFlags = [], localAddress: IPAddress? = nil) -> [EngineAction] {
        guard let id = associations.first(where: { $0.value.address == source && !$0.value.isPool })?.key,
              var a = associations[id] else { return [] }
        guard let (header, t1, interleaved) = acceptReply(bytes, for: &a, restrict: restrict, at: receiveTime) else {
            associations[id] = a
            return []
        }
        a.outstandingTransmit = nil
        a.outstandingLocal = nil
        a.outstandingReceiveField = nil
        a.unansweredRequests = 0
        a.lastReplyTransmit = header.transmitTime
        a.counters.received += 1
        // Interleaved mode: this exchange is the one the next interleaved reply completes;
        // this reply, if interleaved, completes the previous one.
        let previous = a.previousExchange
        if a.configuration.xleave {
            a.interleaved = interleaved
            if interleaved { a.counters.interleaved += 1 }
            a.previousExchange = Association.Exchange(
                localTransmit: t1, remoteReceive: header.receiveTime, localReceive: receiveTime,
                sampled: !interleaved, pendingSlew: clock.status().remainingSlew.value)
        }
        let now = receiveTime
        applyLeapIfDue(now: now)
        if handleKiss(header, for: &a, at: now) {
            associations[id] = a
            reselect(now: now, update: false)
            return []
        }
        updatePeerVariables(&a, from: header, localAddress: localAddress, at: now)
        guard header.leap != .unsynchronized, header.stratum != 0, header.stratum < NTPConstants.maxStratum,
              !header.receiveTime.isZero, !header.transmitTime.isZero else {
            a.counters.unsynchronised += 1
            associations[id] = a
            reselect(now: now, update: false)
            return []
        }
        a.lastUpdate = receiveTime
        let added: Bool
        if interleaved {
            // T1, T2, T4 of the previous exchange, T3 the kernel's stamp of the reply to it.
            // Unless a basic sample was taken from that exchange already.
            guard let previous, !previous.sampled,
                  let taken = takeInterleavedSample(header, previous: previous, into: &a) else {
                associations[id] = a
                reselect(now: now, update: false)
                return []
            }
            added = taken
        } else {
            added = takeSample(header, t1: t1, receiveTime: receiveTime, into: &a)
        }
        associations[id] = a
        // While `step now` collects its burst, the discipline waits.
        let actions = reselect(now: now, update: added && stepNowStarted == nil)
        checkStepNow(now: now)
        if added, let a = associations[id], let ip = a.address?.ip {
            history.record(PeerSample(
                time: clock.now(), id: id, address: ip, configured: a.spawnedBy == nil, reachable: a.reach != 0,
                select: a.select, offset: a.filter.offset, delay: a.filter.delay, dispersion: a.filter.dispersion,
                jitter: a.jitter))
        }
        return actions
    }

    /// The checks a reply passes before it counts (restrict, header, mode, duplicate, origin,
    /// authentication), counting each failure; the header and our transmit time when it passes.
    private func acceptReply(_ bytes: [UInt8], for a: inout Association, restrict: RestrictFlags,
                             at receiveTime: UnixTime) -> (NTPHeader, UnixTime, interleaved: Bool)? {
        if restrict.contains(.ignore) {
            a.counters.restricted += 1
            return nil
        }
        let header: NTPHeader
        let layout: NTPPacketLayout
        do {
            layout = try NTPPacketLayout.scan(bytes)
            header = try NTPHeader(decoding: bytes)
        } catch {
            a.counters.badHeader += 1
            return nil
        }
        let expectedMode = a.configuration.kind == .peer ? NTPMode.symmetricPassive : .server
        guard header.mode == expectedMode || (a.configuration.kind == .peer && header.mode == .symmetricActive) else {
            a.counters.badHeader += 1
            return nil
        }
        if let last = a.lastReplyTransmit, last == header.transmitTime {
            a.counters.duplicate += 1
            return nil
        }
        // TEST2: a basic reply echoes our transmit timestamp, an interleaved one (RFC 9769) the
        // receive field of our interleaved request.
        let interleaved = a.outstandingReceiveField.map { header.originTime == $0 } ?? false
        guard let t1 = a.outstandingLocal, let org = a.outstandingTransmit, header.originTime == org || interleaved else {
            a.counters.bogusOrigin += 1
            return nil
        }
        if let keyID = a.configuration.key {
            // RFC 5905 TEST5: with a key configured, only a reply carrying a valid MAC under it counts.
            // A rejected reply leaves the request outstanding, so the genuine one can still arrive.
            if let failure = authenticationFailure(of: bytes, layout: layout, expected: keyID) {
                a.counters.badAuthentication += 1
                a.authenticated = false
                if a.authenticationFailure != failure { record(.authentication(a.id, name(a), failure), at: receiveTime) }
                a.authenticationFailure = failure
                return nil
            }
            if a.authenticationFailure != nil { record(.authenticated(a.id, name(a), keyID: keyID), at: receiveTime) }
            a.authenticationFailure = nil
            a.authenticated = true
        } else if a.configuration.ntsKEPort != nil {
            // NTS (RFC 8915): the runtime hands the engine only replies whose authenticator it
            // checked (a refused one never arrives), so this one is authentic, `notrust` or not.
            a.authenticated = true
        } else if restrict.contains(.notrust) {
            // `notrust`: only authenticated packets from this address are trusted as time.
            a.counters.restricted += 1
            return nil
        }
        return (header, t1, interleaved)
    }

    /// RATE, DENY and RSTR are acted on (true: the reply ends there); any other kiss (INIT,
    /// STEP, …) is an answer from a server that cannot give time yet: it counts for reach,
    /// not as a sample.
    private func handleKiss(_ header: NTPHeader, for a: inout Association, at now: UnixTime) -> Bool {
        guard let kiss = header.kissCode else { return false }
        a.counters.kisses += 1
        a.lastKiss = kiss
        guard kiss == .RATE || kiss == .DENY || kiss == .RSTR else { return false }
        record(.kiss(a.id, name(a), kiss), at: now)
        if kiss == .RATE {
            a.poll = min(max(a.poll + 1, header.poll.log2Seconds), a.configuration.maxPoll)
            a.burstRemaining = 0
            a.nextPoll = now.adding(seconds: a.pollInterval)
        } else {
            a.state = .denied
            a.reach = 0
        }
        return true
    }

    /// 127.0.0.1 as a reference ID: what an orphan parent (ntpd's orphan mode) reports.
    static let loopbackReferenceID = ReferenceID(ipv4: 127, 0, 0, 1)

    /// Reach and the peer variables from a reply. `localAddress`: where the reply arrived; a
    /// source (above stratum 1) whose reference ID is that address is synchronised to us
    /// (ntpd's loop test, TEST12): it stays reachable but is not selectable.
    private func updatePeerVariables(_ a: inout Association, from header: NTPHeader, localAddress: IPAddress?,
                                     at now: UnixTime) {
        let wasUnreachable = a.reach == 0
        a.reach |= 1
        a.unreach = 0
        if wasUnreachable { record(.reachable(a.id, name(a)), at: now) }
        a.leap = header.leap
        a.stratum = header.stratum == 0 ? NTPConstants.maxStratum : header.stratum
        a.precision = header.precision
        a.rootDelay = header.rootDelay.seconds
        a.rootDispersion = header.rootDispersion.seconds
        a.referenceID = header.referenceID
        a.referenceTime = header.referenceTime
        a.peerPoll = header.poll
        // ntpd exempts the loopback refid: an orphan parent reports 127.0.0.1 as its refid
        // (no upstream), which says nothing about a loop through a client on loopback.
        a.loop = header.stratum > 1 && header.referenceID != Self.loopbackReferenceID
            && localAddress.map { ReferenceID(address: $0.unmapped) == header.referenceID } == true
    }

    /// RFC 5905 §8: offset and delay from the four timestamps (era-safe differences), into the
    /// clock filter and the discipline's statistics. True when the sample was added (not a spike).
    private func takeSample(_ header: NTPHeader, t1: UnixTime, receiveTime: UnixTime, into a: inout Association) -> Bool {
        // The part of a slew not applied yet will still move the clock: count it as done.
        addSample(t1: t1, t2: header.receiveTime, t3: header.transmitTime, t4: receiveTime, precision: header.precision,
                  correction: clock.status().remainingSlew.value, at: receiveTime, into: &a)
    }

    /// RFC 9769: the sample of the previous exchange, completed by the kernel transmit
    /// timestamp an interleaved reply carries, expressed against the clock as corrected since.
    /// Nil when the timestamps are not sane (the server's processing time negative or over a
    /// second: a stamp that belongs to another reply).
    private func takeInterleavedSample(_ header: NTPHeader, previous p: Association.Exchange,
                                       into a: inout Association) -> Bool? {
        let processing = (header.transmitTime - p.remoteReceive).seconds
        guard processing >= 0 && processing < 1 else { return nil }
        return addSample(t1: p.localTransmit, t2: p.remoteReceive, t3: header.transmitTime, t4: p.localReceive,
                         precision: header.precision, correction: p.pendingSlew + p.correction,
                         at: p.localReceive.adding(seconds: p.stepped), into: &a)
    }

    /// RFC 5905 §8's offset and delay from four timestamps, less `correction` (the clock
    /// corrections not in them yet), into the filter and the discipline as measured at `time`.
    private func addSample(t1: UnixTime, t2: NTPTimestamp, t3: NTPTimestamp, t4: UnixTime, precision: PollExponent,
                           correction: Double, at time: UnixTime, into a: inout Association) -> Bool {
        let a1 = (t2 - NTPTimestamp(t1)).seconds, b1 = (t3 - NTPTimestamp(t4)).seconds
        let offset = (a1 + b1) / 2
        let delay = max(a1 - b1, system.precision.seconds)
        let dispersion = precision.seconds + system.precision.seconds + NTPConstants.phi * max(0, t4 - t1)
        let sampleOffset = offset - correction
        a.filter.add(ClockFilter.Sample(offset: sampleOffset, delay: delay, dispersion: dispersion, time: time))
        let accepted = discipline.addSample(to: &a, offset: sampleOffset, delay: delay, at: time)
        if let spike = accepted.spike { record(.spike(a.id, name(a), Seconds(spike)), at: time) }
        return accepted.added
    }

    /// Why a reply does not authenticate under `expected`, or nil when it does.
    private func authenticationFailure(of bytes: [UInt8], layout: NTPPacketLayout, expected: UInt32) -> AuthenticationFailure? {
        guard let got = layout.keyID else { return .missing }
        if layout.isCryptoNAK { return .cryptoNAK }
        guard got == expected else { return .wrongKey(got: got, expected: expected) }
        return bytes.withUnsafeBytes { raw in
            switch keys.verifyPacket(raw, macOffset: layout.macOffset) {
            case .success: return nil
            case .failure(let failure): return failure
            }
        }
    }

    // MARK: Selection and discipline

    @discardableResult
    private func reselect(now: UnixTime, update: Bool) -> [EngineAction] {
        // Sources still gathering their first samples vote too: a majority must agree among
        // all the sane, reachable sources, not among the first to be ready.
        var voters = 0
        let candidates = associations.values.compactMap { a -> Selection.Candidate? in
            let unfit = a.unfit(at: now, isSystemPeer: a.id == system.systemPeer)
            if !a.isLocalClock && (unfit == nil || unfit == .tooFewSamples) { voters += 1 }
            guard unfit == nil else { return nil }
            let predicted = a.statistics.predict(at: now)?.offset ?? a.filter.offset
            return Selection.Candidate(
                id: a.id, offset: a.isLocalClock ? 0 : predicted, rootDistance: a.rootDistance(at: now),
                jitter: a.jitter, stratum: a.stratum, prefer: a.configuration.prefer,
                isLocalClock: a.isLocalClock)
        }
        // ntpd halves the clock-hop threshold at each clock update, about once per poll (64 s or
        // more); ntpsh selects at every sample of any source, and how often depends on the poll,
        // so the threshold is halved at most once per `clockHopInterval` of time instead.
        let halve = clockHopHalvedAt.map { now - $0 >= Self.clockHopInterval } ?? true
        let result = Selection.run(candidates, settings: configuration.selection, current: system.systemPeer,
                                   clockHop: clockHop, halveClockHop: halve, voters: voters)
        if result.clockHop == 0 {
            clockHopHalvedAt = nil
        } else if result.clockHop != clockHop {
            clockHopHalvedAt = now
        }
        clockHop = result.clockHop
        for id in associations.keys { associations[id]?.select = result.status[id] ?? .reject }
        let previous = system.systemPeer
        system.systemPeer = result.systemPeer
        system.selectionJitter = result.selectionJitter
        system.truechimers = result.truechimers
        if previous != result.systemPeer {
            if let p = result.systemPeer, let a = associations[p] {
                record(.systemPeer(p, name(a)), at: now)
            } else if previous != nil {
                record(.noSystemPeer, at: now)
            }
        }
        guard let peerID = result.systemPeer, let peer = associations[peerID] else {
            if withoutPeerSince == nil { withoutPeerSince = now }
            if let orphan = configuration.orphanStratum, let since = withoutPeerSince,
               now - since >= configuration.orphanWait.value, !system.isSynchronized || system.stratum == orphan {
                if system.stratum != orphan { record(.orphan(stratum: orphan), at: now) }
                system.enterOrphan(stratum: orphan, at: now)
            }
            return []
        }
        withoutPeerSince = nil
        if peer.isLocalClock {
            system.adoptLocalClock(peer, at: now)
            return []
        }
        guard update else { return [] }
        let survivors = result.survivors.compactMap { associations[$0] }
        let outcome = discipline.update(survivors: survivors, systemPeer: peer, clock: clock, at: now)
        return apply(outcome, peer: peer, now: now)
    }

    private func apply(_ outcome: Discipline.Outcome, peer: Association, now before: UnixTime) -> [EngineAction] {
        var now = before
        var actions: [EngineAction] = []
        switch outcome {
        case .none:
            return []
        case .panic(let offset):
            record(.panic(Seconds(offset)), at: now)
            return [.exit(status: 1, reason: EngineEvent(time: now, kind: .panic(Seconds(offset))).description)]
        case .corrected(let c):
            // The stored samples are re-expressed against the corrected clock, a step included
            // (chrony keeps its samples across a step it made; ntpd empties its filters): the
            // engine knows exactly how far it stepped, so the samples before it stay as good,
            // and the source keeps its frequency estimate and its selectability.
            correctSamples(phase: c.phase, frequency: c.frequency, at: now)
            if c.stepped {
                for id in associations.keys { associations[id]?.spikeSince = nil }
                rebase(by: c.phase)
                now = now.adding(seconds: c.phase)
                record(.step(Seconds(c.phase)), at: now)
            }
            let wasSynchronised = system.isSynchronized
            // The peer as it is now (rebased by a step).
            system.clockUpdated(peer: associations[peer.id] ?? peer, offset: c.phase, jitter: c.jitter, clock: clock, at: now,
                                leap: majorityLeap())
            history.record(LoopSample(time: clock.now(), offset: c.phase, frequency: system.frequency,
                                      jitter: system.clockJitter, wander: system.wander, timeConstant: system.timeConstant))
            scheduleLeap(now: now)
            if !wasSynchronised { record(.synchronised(stratum: system.stratum), at: now) }
            if configuration.setOnceAndExit {
                actions.append(.exit(status: 0, reason: "clock set (offset \(formatSeconds(c.phase)))"))
            }
        }
        return actions
    }

    private func majorityLeap() -> LeapIndicator {
        var counts: [LeapIndicator: Int] = [:]
        let survivors = associations.values.filter { $0.select == .systemPeer || $0.select == .candidate }
        for a in survivors where !a.isLocalClock { counts[a.leap, default: 0] += 1 }
        let n = counts.values.reduce(0, +)
        for leap in [LeapIndicator.insertSecond, .deleteSecond] where (counts[leap] ?? 0) * 2 > n {
            return leap
        }
        return .noWarning
    }

    // MARK: Leap seconds

    /// Seconds in a UTC day; leap seconds take effect at its end.
    static let day: Int64 = 86_400

    /// With a leap announced by the majority of the survivors, the second is inserted (or
    /// deleted) at the end of the current UTC day, as the kernel does with STA_INS/STA_DEL.
    private func scheduleLeap(now: UnixTime) {
        guard system.leap == .insertSecond || system.leap == .deleteSecond else {
            if leapByClock { _ = try? clock.armLeap(.noWarning) }
            leapByClock = false
            leapAt = nil
            return
        }
        let seconds = now.secondsAndNanoseconds.seconds
        let midnight = (seconds / Self.day + 1) * Self.day
        if leapAt == nil {
            leapAt = UnixTime(seconds: midnight, nanoseconds: 0)
            leapByClock = (try? clock.armLeap(system.leap)) ?? false
        }
    }

    private func applyLeapIfDue(now: UnixTime) {
        guard let at = leapAt, now >= at else { return }
        leapAt = nil
        let insert = system.leap == .insertSecond
        // The clock repeats (or skips) a second: 23:59:59 is followed by 23:59:59 again. The
        // kernel does it by itself when armed; a model kernel (observe, simulated) is stepped here.
        if !leapByClock {
            try? clock.step(by: Seconds(insert ? -1 : 1))
            rebase(by: insert ? -1 : 1)
        }
        leapByClock = false
        correctSamples(phase: insert ? -1 : 1, frequency: 0, at: now)
        system.leap = .noWarning
        record(.leap(inserted: insert), at: now)
    }

    // MARK: Manual clock operations

    /// Steps the clock by `offset` (the shell's `step`).
    public func step(by offset: Seconds) throws(ClockError) {
        try clock.step(by: offset)
        let offset = offset.value
        let now = clock.now()
        for id in associations.keys {
            associations[id]?.statistics.reset()
            associations[id]?.filter.reset()
        }
        rebase(by: offset)
        record(.step(Seconds(offset)), at: now)
    }

    /// `step now` (as `ntpdate -b`): a fresh burst to every server, then a step to their
    /// consensus. The outcome appears in ``stepNowOutcome``: the offset stepped, or why not.
    public func startStepNow() -> [EngineAction] {
        let now = clock.now()
        stepNowOutcome = nil
        stepNowStarted = now
        for (id, a) in associations where a.state == .active && !a.isLocalClock && !a.isPool {
            associations[id]?.filter.reset()
            associations[id]?.burstRemaining = Self.stepNowSamples
            associations[id]?.nextPoll = now
        }
        return handleTimer()
    }

    /// Samples each server gives `step now`, and how long it waits for them.
    static let stepNowSamples = 4
    static let stepNowTimeout = 12.0

    private func checkStepNow(now: UnixTime) {
        guard let started = stepNowStarted else { return }
        let servers = associations.values.filter { $0.state == .active && !$0.isLocalClock && !$0.isPool }
        let done = servers.allSatisfy { $0.filter.samples.count >= Self.stepNowSamples || $0.reach == 0 && $0.unreach > 1 }
        guard done || now - started >= Self.stepNowTimeout else { return }
        stepNowStarted = nil
        let candidates = servers.compactMap { a -> Selection.Candidate? in
            guard !a.filter.samples.isEmpty, a.leap != .unsynchronized, a.stratum < NTPConstants.maxStratum else { return nil }
            return Selection.Candidate(id: a.id, offset: a.filter.offset, rootDistance: a.rootDistance(at: now),
                                       jitter: a.filter.jitter, stratum: a.stratum, prefer: a.configuration.prefer)
        }
        guard !candidates.isEmpty else {
            stepNowOutcome = .failure(StepNowRefusal(reason: "no server answered with usable time"))
            return
        }
        var settings = configuration.selection
        settings.minSane = 1
        let result = Selection.run(candidates, settings: settings, current: nil)
        guard result.systemPeer != nil else {
            stepNowOutcome = .failure(StepNowRefusal(reason: "the servers disagree: no majority agrees on the time"))
            return
        }
        do throws(ClockError) {
            // A slew in progress is cancelled and its remainder stepped with the rest.
            let pending = clock.status().remainingSlew
            if pending != .zero { try clock.slew(by: .zero) }
            try step(by: Seconds(result.offset) + pending)
            stepNowOutcome = .success(Seconds(result.offset) + pending)
        } catch {
            stepNowOutcome = .failure(StepNowRefusal(reason: error.description))
        }
    }

    /// Slews the clock by `offset`; returns how long it will take.
    public func slew(by offset: Seconds) throws(ClockError) -> Seconds {
        let duration = try clock.slew(by: offset)
        correctSamples(phase: offset.value, frequency: 0, at: clock.now())
        return duration
    }

    // MARK: Helpers

    /// The clock was stepped by `offset` seconds. The engine's timers are local times: they
    /// move with the clock, so a step forward does not make every poll due at once (a volley
    /// of requests) and a step back does not hold them off.
    private func rebase(by offset: Double) {
        for id in associations.keys { associations[id]?.rebase(by: offset) }
        lastRequest = lastRequest?.adding(seconds: offset)
        withoutPeerSince = withoutPeerSince?.adding(seconds: offset)
        stepNowStarted = stepNowStarted?.adding(seconds: offset)
    }

    /// The clock moved by `phase` (and its rate by `frequency`): every network source's stored
    /// samples are re-expressed against it. The local clock always reads 0 and is left alone.
    private func correctSamples(phase: Double, frequency: Double, at now: UnixTime) {
        for (id, a) in associations where !a.isLocalClock {
            associations[id]?.statistics.applyCorrection(phase: phase, frequency: frequency, at: now)
            associations[id]?.filter.applyCorrection(phase: phase, frequency: frequency, at: now)
            if let p = a.previousExchange {
                associations[id]?.previousExchange?.correction += phase + frequency * (p.localReceive.adding(seconds: p.stepped) - now)
            }
        }
    }

    func name(_ a: Association) -> String {
        if a.isLocalClock { return "LOCAL(\(a.configuration.host.split(separator: ".").last ?? "0"))" }
        return a.address?.ip.description ?? a.configuration.host
    }

    /// Records what the engine's host did to it (a configuration revert; in a lab, what the
    /// daemon would log about NTS) as an event every shell sees.
    public func announce(_ text: String) { record(.configuration(text), at: clock.now()) }

    private func record(_ kind: EngineEvent.Kind, at time: UnixTime) {
        let e = EngineEvent(time: time, kind: kind)
        events.append(e)
        if events.count > Self.eventHistory { events.removeFirst(events.count - Self.eventHistory) }
        pendingEvents.append(e)
    }
}

/// Why `step now` did not step.
public struct StepNowRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// SplitMix64: the engine's deterministic randomness (poll jitter), seeded by its runner.
struct EngineRandom: Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
