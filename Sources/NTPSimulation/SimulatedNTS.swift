import NTPEngine
public import NTPNTS
public import NTPWire

/// NTS (RFC 8915) on a simulated server: the real protocol, in virtual time. Cookies are
/// sealed under a real master key (``NTSCookieKeys``), every request's authenticator is opened
/// and every reply sealed with AES-SIV (``NTSServer``, as the daemon serves), and NTS-KE is a
/// real TLS 1.3 handshake over memory with the server's own key and certificate
/// (``NTSKEInMemory``). What is simulated: KE's TCP path (instant, in memory) and the
/// certificate (self-signed for the server's address, made when NTS is turned on; the lab's
/// clients trust exactly it).
public final class SimulatedNTSServer {
    public private(set) var keys: NTSCookieKeys
    public let keyEstablishment: NTSKEInMemory
    var random: SimulationRandom
    /// NTS requests answered, NAKed (bad cookie or authenticator), dropped (malformed); KE sessions.
    public private(set) var counters = Counters()

    public struct Counters: Sendable, Equatable {
        public var answered = 0, naked = 0, dropped = 0, keySessions = 0
    }

    /// NTS for the server at `address`, its randomness from `seed`, its master key made at `now`.
    public init(address: IPAddress, seed: UInt64, now: UnixTime) throws(NTSKEFailure) {
        var random = SimulationRandom(seed: seed, stream: address.bits128.low ^ 0x4E54_5300)
        keys = NTSCookieKeys(now: Double(now.nanoseconds) / 1e9, using: &random)
        self.random = random
        keyEstablishment = try NTSKEInMemory(name: address.description)
    }

    /// One NTS-KE session with a client asking for `host`.
    public func establish(host: String) throws(NTSKEFailure) -> NTSKEResult {
        counters.keySessions += 1
        return try keyEstablishment.establish(host: host, keys: keys, using: &random)
    }

    /// What the server does with a request, NTS-wise.
    enum Handling {
        case plain
        case drop
        case answer(NTSServer.Request)
        case nak(NTSServer.Request.UniqueIdentifier)

        /// An NTS request: its reply (or NAK) is sealed, so it is basic.
        var isNTS: Bool {
            switch self {
            case .answer, .nak: true
            case .plain, .drop: false
            }
        }
    }

    func classify(_ bytes: [UInt8]) -> Handling {
        switch NTSServer.verify(bytes, keys: keys) {
        case .notNTS: return .plain
        case .drop: counters.dropped += 1; return .drop
        case .nak(let uid, _): counters.naked += 1; return .nak(uid)
        case .authentic(let request): return .answer(request)
        }
    }

    /// The reply's bytes around the responder's 48-byte `header`.
    func seal(_ header: [UInt8], for handling: Handling) -> [UInt8] {
        switch handling {
        case .answer(let request):
            counters.answered += 1
            return NTSServer.respond(to: request, header: header, keys: keys, using: &random)
        case .nak(let uid): return NTSServer.nak(to: uid, header: header)
        case .plain, .drop: return header
        }
    }
}

/// A man in the middle on one direction of a path: it adds ``shift`` seconds to the receive
/// and transmit timestamps of every server-mode reply it sees (the time the client computes
/// moves by about that much) and leaves everything else as it was, NTS fields included: it
/// cannot seal the altered reply again without the session's S2C key.
public final class ManInTheMiddle {
    public var shift: Double
    /// Replies altered.
    public private(set) var forged = 0

    public init(shift: Double) { self.shift = shift }

    func tamper(_ bytes: inout [UInt8]) {
        guard bytes.count >= NTPHeader.size, bytes[0] & 7 == NTPMode.server.rawValue else { return }
        for offset in [32, 40] {
            var raw: UInt64 = 0
            for i in 0 ..< 8 { raw = raw << 8 | UInt64(bytes[offset + i]) }
            guard raw != 0 else { continue }
            let moved = raw &+ UInt64(bitPattern: Int64((shift * 4_294_967_296).rounded()))
            for i in 0 ..< 8 { bytes[offset + i] = UInt8(truncatingIfNeeded: moved >> (56 - 8 * UInt64(i))) }
        }
        forged += 1
    }
}
