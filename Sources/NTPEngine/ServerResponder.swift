public import NTPWire

/// Answers client requests (mode 3, and NTPv1's mode 0) with server replies (mode 4) as
/// RFC 5905 §8 and §9 prescribe, and symmetric active packets (mode 1, `peer`) with symmetric
/// passive ones (mode 2) the same way, without keeping state (as chrony does). Sans-IO: it
/// reads a request from one buffer and writes the reply into another; the caller stamps the
/// transmit timestamp with ``stampTransmit(_:into:)`` as late as it can, then ``seal(_:)``s
/// authenticated replies (their MAC covers that timestamp). Unauthenticated requests allocate
/// nothing.
///
/// A reply is never longer than its request (no amplification): an unauthenticated reply is
/// 48 bytes and every accepted request is at least that; an authenticated one is as long as
/// its request's header and MAC, a crypto-NAK 52 bytes.
public struct ServerResponder: Sendable {
    /// The system variables replies carry; setting it rebuilds the reply template.
    public var state: SystemState {
        didSet { if state != oldValue { templateSecond = .min } }
    }
    public private(set) var counters = ServerCounters()
    /// The restrict list, consulted for every datagram (`ignore`, `noserve`, `version`,
    /// `notrust`, `nopeer`).
    public var restrictions = RestrictList()
    /// Every client seen (ntpd's MRU list) and its rate-limit state.
    public var monitor = MRUList()
    /// Keys for authenticated requests (`keys`, `trustedkey`).
    public var keys = KeyStore()
    /// The addresses of our own `peer` associations: their mode 1 packets pass `nopeer`
    /// (which refuses only new symmetric associations).
    public var configuredPeers: [IPAddress] = []

    /// The source and reason of the last request that failed authentication (for the log).
    public private(set) var lastAuthenticationFailure: (source: IPAddress, failure: AuthenticationFailure)?

    public init(state: SystemState) { self.state = state }

    /// Bytes a reply buffer needs for any reply (an authenticated one: header, key id, 20-byte MAC).
    public static let replyCapacity = NTPHeader.size + 4 + 20

    /// What happened to one datagram.
    public enum Outcome: Sendable, Equatable {
        /// A reply of this many bytes was written.
        case reply(length: Int)
        case drop(DropReason)
    }

    public enum DropReason: String, Sendable, CaseIterable {
        /// Shorter than the 48-byte header.
        case tooShort
        /// Version 0 or above 4.
        case badVersion
        /// A mode this build does not answer (broadcast, server, control, private).
        case unsupportedMode
        /// Extension fields or MAC trailer that do not parse.
        case malformed
        /// Refused by the restrict list (`ignore`, `noserve`, `version`, `notrust`, `nopeer`).
        case restricted
        /// Over the rate limit of a `limited` restrict entry (without `kod`, or the KoD itself
        /// limited).
        case rateLimited
    }

    /// Builds the reply to `request`, received at `receiveTime` (served scale), from a client
    /// whose UDP source port is `sourcePort`, sent to the local address `destination` (if
    /// known), into `reply` (at least 48 bytes; 72 for authenticated replies).
    ///
    /// The hot path: the header fields that depend only on the system state are encoded once
    /// per second into a template (root dispersion grows by one 2⁻¹⁶ s unit a second); a reply
    /// is the template plus the request's version and poll, the origin and receive timestamps.
    /// Every datagram that passes the length and version checks is recorded in the MRU list
    /// (``monitor``), which also decides the rate limit of `limited` clients: over it, the
    /// request is dropped, or with `kod` answered by a RATE kiss (ntpd's KoD: leap 3, stratum
    /// 0, refid RATE, the poll raised to `discard average`, the request's timestamps echoed).
    public mutating func respond(
        to request: UnsafeRawBufferPointer, from source: IPAddress, sourcePort: UInt16, receiveTime: UnixTime,
        destination: IPAddress? = nil, into reply: UnsafeMutableRawBufferPointer
    ) -> Outcome {
        counters.received &+= 1
        transmitStamp = nil
        interleaved = false
        let restrict = restrictions.check(source, port: sourcePort)
        if restrict.contains(.ignore) { return drop(.restricted) }
        guard request.count >= NTPHeader.size else { return drop(.tooShort) }
        let b0 = request[0]
        let version = (b0 >> 3) & 7
        guard version >= 1 && version <= 4 else { return drop(.badVersion) }
        // NTPv1 had no mode field: a version 1 packet with mode 0 from a port other than 123
        // is a client request (as chrony treats it). Anything else but modes 3 and 1 is not ours.
        if version == 4 { counters.currentVersion &+= 1 } else { counters.olderVersion &+= 1 }
        let mode = b0 & 7
        let flags = monitor.record(source, port: sourcePort, local: destination, mode: mode, version: version,
                                   flags: restrict, at: receiveTime)
        let symmetric = mode == NTPMode.symmetricActive.rawValue
        guard mode == NTPMode.client.rawValue || symmetric
            || (version == 1 && mode == NTPMode.reserved.rawValue && sourcePort != 123)
        else { return drop(.unsupportedMode) }
        var macOffset: Int?
        if request.count > NTPHeader.size {
            guard let layout = try? NTPPacketLayout.scan(request) else { return drop(.malformed) }
            if layout.keyID != nil { macOffset = layout.macOffset }
        }
        // The restrict flags and the rate limit come before any MAC is computed: a refused or
        // limited client costs no digest.
        if restrict.contains(.noserve) || (restrict.contains(.version) && version != 4)
            || (restrict.contains(.notrust) && macOffset == nil)
            || (symmetric && restrict.contains(.nopeer) && !configuredPeers.contains(source.unmapped)) {
            return drop(.restricted)
        }
        if flags.contains(.limited) {
            guard flags.contains(.kod) else { return drop(.rateLimited) }
            counters.count(.rateLimited)
            counters.kissesSent &+= 1
            writeKiss(request, into: reply)
            return .reply(length: NTPHeader.size)
        }
        // Authentication: a MAC trailer is checked; a good one is answered under the same key,
        // a bad one (unknown or untrusted key, wrong MAC) with a crypto-NAK — or, under
        // `notrust`, not at all.
        var keyID: UInt32?
        var authenticationFailed = false
        if let macOffset {
            switch keys.verifyPacket(request, macOffset: macOffset) {
            case .success(let id): keyID = id
            case .failure(let failure):
                if restrict.contains(.notrust) { return drop(.restricted) }
                authenticationFailed = true
                lastAuthenticationFailure = (source, failure)
            }
        }
        let second = receiveTime.nanoseconds / 1_000_000_000
        if second != templateSecond { buildTemplate(at: receiveTime) }
        withUnsafeBytes(of: template) { reply.copyMemory(from: $0) }
        reply[0] |= b0 & 0x38  // the template has leap and mode; the version is the request's
        if symmetric { reply[0] = reply[0] & ~7 | NTPMode.symmetricPassive.rawValue }
        reply[2] = request[2]
        let receive = NTPTimestamp(receiveTime).rawValue
        reply.storeBytes(of: request.loadUnaligned(fromByteOffset: 40, as: UInt64.self), toByteOffset: 24, as: UInt64.self)
        reply.storeBytes(of: receive.bigEndian, toByteOffset: 32, as: UInt64.self)
        // Interleaved mode (RFC 9769, as chrony and ntpd serve it): a version 4 client or
        // symmetric active request whose origin is nonzero and whose receive and transmit
        // differ is interleaved-looking (a basic client sends a zero origin, or receive equal to
        // transmit; a basic symmetric peer's origin is our last transmit, never the receive
        // timestamp the MRU slot keeps, so its replies stay basic). Its reply is
        // stamped by the kernel on the way out; when its origin is the receive timestamp of
        // our previous reply to it and that reply's stamp came, the reply is interleaved:
        // origin the request's receive, transmit that stamp. A basic request costs one compare.
        let origin = request.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        if origin != 0 && (mode == NTPMode.client.rawValue || symmetric) && version == 4 && !authenticationFailed
            && request.loadUnaligned(fromByteOffset: 32, as: UInt64.self) != request.loadUnaligned(fromByteOffset: 40, as: UInt64.self),
            let (previous, slot) = monitor.interleave(origin: UInt64(bigEndian: origin), receive: receive) {
            transmitStamp = slot
            if previous != 0 {
                interleaved = true
                interleavedReplies &+= 1
                reply.storeBytes(of: request.loadUnaligned(fromByteOffset: 32, as: UInt64.self), toByteOffset: 24, as: UInt64.self)
                reply.storeBytes(of: previous.bigEndian, toByteOffset: 40, as: UInt64.self)
            }
        }
        guard keyID == nil && !authenticationFailed || reply.count >= Self.replyCapacity else {
            return drop(.malformed)  // the caller's reply buffer cannot hold an authenticated reply
        }
        if authenticationFailed {
            counters.cryptoNAKs &+= 1
            reply.storeBytes(of: UInt32(0), toByteOffset: NTPHeader.size, as: UInt32.self)
            return .reply(length: NTPHeader.size + 4)
        }
        counters.replied &+= 1
        if let keyID, let key = keys.key(keyID) {
            // The MAC is written by seal(_:) once the transmit timestamp is in.
            counters.authenticated &+= 1
            reply.storeBytes(of: keyID.bigEndian, toByteOffset: NTPHeader.size, as: UInt32.self)
            return .reply(length: NTPHeader.size + 4 + key.algorithm.macLength)
        }
        return .reply(length: NTPHeader.size)
    }

    /// Where the kernel transmit timestamp of the reply ``respond(to:from:sourcePort:receiveTime:destination:into:)``
    /// just wrote goes (``transmitted(_:at:)``): set for a reply to an interleaved-looking
    /// request, whose sender must ask the kernel for that stamp; nil for every other.
    public private(set) var transmitStamp: MRUList.TransmitSlot?
    /// The reply just written is interleaved: its transmit timestamp is already in (the
    /// previous reply's kernel stamp); the caller must not ``stampTransmit(_:into:)`` it.
    public private(set) var interleaved = false
    /// Replies sent in interleaved mode (the previous reply's kernel transmit timestamp in).
    public private(set) var interleavedReplies: UInt64 = 0

    /// The kernel transmit timestamp (served scale) of a reply whose ``transmitStamp`` was `slot`.
    public mutating func transmitted(_ slot: MRUList.TransmitSlot, at time: UnixTime) {
        monitor.transmitted(slot, at: NTPTimestamp(time).rawValue)
    }

    /// Writes the MAC of an authenticated reply built by ``respond(to:from:sourcePort:receiveTime:into:)``
    /// (longer than a crypto-NAK), after ``stampTransmit(_:into:)``. Does nothing to other replies.
    @inline(__always)
    public func seal(_ reply: UnsafeMutableRawBufferPointer) {
        guard reply.count > NTPHeader.size + 4 else { return }
        let keyID = UInt32(bigEndian: reply.loadUnaligned(fromByteOffset: NTPHeader.size, as: UInt32.self))
        _ = keys.computeMAC(keyID: keyID, over: UnsafeRawBufferPointer(rebasing: reply[0..<NTPHeader.size]),
                            into: UnsafeMutableRawBufferPointer(rebasing: reply[(NTPHeader.size + 4)...]))
    }

    /// The encoded header of a reply, less what each request supplies.
    private var template: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    /// The second ``template`` was built for (Int64.min: rebuild).
    private var templateSecond = Int64.min

    private mutating func buildTemplate(at time: UnixTime) {
        let s = state
        let h = NTPHeader(
            leap: s.isSynchronized ? s.leap : .unsynchronized, version: 0, mode: .server,
            stratum: s.wireStratum, poll: PollExponent(0), precision: s.precision,
            rootDelay: NTPShort(seconds: s.rootDelay),
            rootDispersion: NTPShort(seconds: s.rootDispersion(at: time)),
            referenceID: s.referenceID,
            referenceTime: s.referenceTime.map(NTPTimestamp.init) ?? .zero)
        withUnsafeMutableBytes(of: &template) { h.encode(into: $0) }
        templateSecond = time.nanoseconds / 1_000_000_000
    }

    /// ntpd's RATE kiss: the request's header with leap 3, mode 4, stratum 0, the poll raised to
    /// `discard average`, refid RATE, and the request's transmit timestamp as origin and receive.
    private func writeKiss(_ request: UnsafeRawBufferPointer, into reply: UnsafeMutableRawBufferPointer) {
        reply.copyMemory(from: UnsafeRawBufferPointer(rebasing: request[0..<NTPHeader.size]))
        reply[0] = 3 << 6 | (request[0] & 0x38) | NTPMode.server.rawValue
        reply[1] = 0
        reply[2] = UInt8(bitPattern: max(Int8(bitPattern: request[2]), Int8(clamping: monitor.settings.average)))
        for (i, c) in "RATE".utf8.enumerated() { reply[12 + i] = c }
        let transmit = request.loadUnaligned(fromByteOffset: 40, as: UInt64.self)
        reply.storeBytes(of: transmit, toByteOffset: 24, as: UInt64.self)
        reply.storeBytes(of: transmit, toByteOffset: 32, as: UInt64.self)
    }

    /// Admits a mode 6 request from `source`: the restrict flags that apply (`ignore`,
    /// `noquery`, `nomrulist`, `nomodify` decide what is answered), after recording it in the
    /// MRU list as ntpd does. Not rate limited by `limited`, as in ntpd: ntpq sends a burst of
    /// requests for one command (`peers` reads every association), which mode 3's `discard`
    /// spacing would cut off. What protects mode 6 is that an unproven source gets no answer
    /// larger than its request, refused before any state is gathered.
    public mutating func admitControl(
        from source: IPAddress, port: UInt16, destination: IPAddress? = nil, version: UInt8, at time: UnixTime
    ) -> RestrictFlags {
        counters.controlReceived &+= 1
        let restrict = restrictions.check(source, port: port)
        if restrict.contains(.ignore) { return restrict }
        _ = monitor.record(source, port: port, local: destination, mode: 6, version: version, flags: restrict, at: time)
        return restrict.subtracting([.limited, .kod])
    }

    /// Counts a mode 6 answer withheld because it would have been larger than its request
    /// from an unproven source (no amplification).
    public mutating func countControlRefused() { counters.controlRefused &+= 1 }

    /// Writes the transmit timestamp into a reply built by ``respond(to:sourcePort:receiveTime:into:)``.
    @inline(__always)
    public static func stampTransmit(_ time: UnixTime, into reply: UnsafeMutableRawBufferPointer) {
        reply.storeBytes(of: NTPTimestamp(time).rawValue.bigEndian, toByteOffset: 40, as: UInt64.self)
    }

    private mutating func drop(_ reason: DropReason) -> Outcome {
        counters.count(reason)
        return .drop(reason)
    }

}

/// Server-side packet counters (as `sysstats` and `iostats` show them).
public struct ServerCounters: Sendable, Codable, Equatable {
    public var received: UInt64 = 0
    public var replied: UInt64 = 0
    public var droppedTooShort: UInt64 = 0
    public var droppedBadVersion: UInt64 = 0
    public var droppedUnsupportedMode: UInt64 = 0
    public var droppedMalformed: UInt64 = 0
    public var droppedRestricted: UInt64 = 0
    /// Requests over the rate limit (dropped or kissed; ntpd's `rate limited`).
    public var rateLimited: UInt64 = 0
    /// RATE kisses sent (ntpd's `KoD responses`).
    public var kissesSent: UInt64 = 0
    /// Requests of version 4, and of versions 1 to 3 (after the version check).
    public var currentVersion: UInt64 = 0
    public var olderVersion: UInt64 = 0
    /// Mode 6 requests received (ntpd's `control requests`), and answers withheld because they
    /// would have been larger than the request from an unproven, non-local source.
    public var controlReceived: UInt64 = 0
    public var controlRefused: UInt64 = 0
    /// Requests answered with a MAC under their key.
    public var authenticated: UInt64 = 0
    /// Requests whose MAC failed (unknown or untrusted key, wrong MAC), answered with a crypto-NAK.
    public var cryptoNAKs: UInt64 = 0

    public init() {}

    /// Requests that got no answer at all (a kiss is an answer).
    public var dropped: UInt64 {
        droppedTooShort + droppedBadVersion + droppedUnsupportedMode + droppedMalformed + droppedRestricted
            + rateLimited - kissesSent
    }

    mutating func count(_ reason: ServerResponder.DropReason) {
        switch reason {
        case .tooShort: droppedTooShort &+= 1
        case .badVersion: droppedBadVersion &+= 1
        case .unsupportedMode: droppedUnsupportedMode &+= 1
        case .malformed: droppedMalformed &+= 1
        case .restricted: droppedRestricted &+= 1
        case .rateLimited: rateLimited &+= 1
        }
    }
}
