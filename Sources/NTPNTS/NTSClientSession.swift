import NTPWire

/// One NTS association of a client, around its ``NTSClientState``: whether NTS-KE runs, its
/// failures and the backoff, the counters and the last reason a reply was refused, in words.
/// The daemon (its KE over TCP on a worker thread) and the lab's simulated host (its KE in
/// memory) keep one per `server HOST nts`; both send through ``protect(_:using:)`` and check
/// every reply with ``check(_:now:)``. Times are nanoseconds on the caller's monotonic clock.
public final class NTSClientSession {
    public private(set) var state: NTSClientState?
    /// An NTS-KE is under way (the daemon's worker thread).
    public var keRunning = false
    /// Consecutive failures (KE failed, or NAK after NAK); reset by an authentic response.
    public private(set) var failures = 0
    /// Why the last KE failed or could not run, or the last NAK (what ``failures`` counts).
    public private(set) var lastKEFailure: String?
    /// Why the last refused reply was refused (forged, not ours, unauthenticated).
    public private(set) var lastRefusal: String?
    /// The last problem of either kind, in words ("reply refused: …" for a refusal).
    public private(set) var lastFailure: String?
    /// When the last KE succeeded, and when the next may start.
    public private(set) var lastKE: Int64?
    public var retryAt: Int64 = 0
    public private(set) var accepted: UInt64 = 0, refused: UInt64 = 0, naks: UInt64 = 0
    /// Where NTS-KE said NTP goes (server and port records), for the views.
    public private(set) var ntpServer: String?

    public init() {}

    /// Seconds before the next KE after `failures` failures: none for the first (a NAK asks for
    /// a fresh KE at once), then 2, 4, … up to 1024 s.
    public static func backoff(_ failures: Int) -> Double {
        failures <= 1 ? 0 : Double(1 << min(failures - 1, 10))
    }

    /// Cookies held.
    public var cookies: Int { state?.cookies.count ?? 0 }

    /// The NTS request around the engine's 48-byte `header`; nil when NTS-KE must run first.
    public func protect(_ header: [UInt8], using random: inout some RandomNumberGenerator) -> [UInt8]? {
        guard var s = state, !s.needsKeyEstablishment, header.count == NTPHeader.size,
              let request = s.request(header: header, using: &random) else { return nil }
        state = s
        return request
    }

    /// Whether a KE may start now (none runs, the backoff has passed).
    public func mayStartKeyEstablishment(now: Int64) -> Bool { !keRunning && now >= retryAt }

    /// What a reply turned out to be.
    public enum Verdict: Sendable, Hashable {
        /// Authentic: the engine gets this header (48 bytes).
        case authentic(header: [UInt8])
        /// An NTS NAK: the cookies are dropped; a fresh KE follows.
        case nak
        /// Refused (forged, not ours, unauthenticated): the engine never sees it.
        case refused(reason: String)
    }

    /// Checks a reply to this association (``NTSClientState/accept(_:)``), counts it and keeps
    /// the reason of a refusal.
    public func check(_ bytes: [UInt8], now: Int64) -> Verdict {
        guard var s = state else { return refuse("no NTS session (no NTS-KE yet)") }
        let outcome = s.accept(bytes)
        state = s
        switch outcome {
        case .authentic:
            accepted &+= 1
            failures = 0
            return .authentic(header: Array(bytes[0 ..< NTPHeader.size]))
        case .nak:
            naks &+= 1
            failures += 1
            keyEstablishmentProblem("NTS NAK (the server did not accept our cookie)")
            retryAt = now + Int64(Self.backoff(failures) * 1e9)
            return .nak
        case .refused(let why):
            return refuse(why.description)
        }
    }

    private func refuse(_ why: String) -> Verdict {
        refused &+= 1
        lastRefusal = why
        lastFailure = "reply refused: \(why)"
        return .refused(reason: why)
    }

    private func keyEstablishmentProblem(_ why: String) {
        lastKEFailure = why
        lastFailure = why
    }

    /// What the daemon logs (and a lab records as an event) about a reply to `host` that
    /// ``check(_:now:)`` just judged, in the same words for both: every NAK; the first refusal
    /// and every 100th after (a man in the middle must not flood the log). Nil: nothing to say.
    public func notice(_ verdict: Verdict, host: String) -> String? {
        switch verdict {
        case .authentic: return nil
        case .nak: return "NTS: \(host): NTS NAK; a fresh NTS-KE follows"
        case .refused(let why):
            guard refused == 1 || refused % 100 == 0 else { return nil }
            return "NTS: \(host): reply refused (\(why)); \(refused) so far"
        }
    }

    /// What the daemon logs (and a lab records) when NTS-KE with `host` failed and the next
    /// try waits `wait` seconds (``failed(_:now:)``'s answer).
    public static func keyEstablishmentFailedNotice(host: String, _ failure: NTSKEFailure, wait: Double) -> String {
        "NTS: \(host): NTS-KE failed: \(failure); next try in \(Int(wait)) s"
    }

    /// NTS-KE succeeded at `now`: a fresh session and cookies.
    public func established(_ result: NTSKEResult, now: Int64) {
        keRunning = false
        state = NTSClientState(session: result.session, cookies: result.cookies, server: result.server, port: result.port)
        lastKE = now
        ntpServer = result.server.map { s in result.port.map { "\(s) port \($0)" } ?? s } ?? result.port.map { "port \($0)" }
    }

    /// NTS-KE failed at `now`; returns the seconds until the next try (at least 2).
    @discardableResult
    public func failed(_ failure: NTSKEFailure, now: Int64) -> Double {
        keRunning = false
        failures += 1
        keyEstablishmentProblem(failure.description)
        let wait = max(2, Self.backoff(failures))
        retryAt = now + Int64(wait * 1e9)
        return wait
    }

    /// No KE can run at all (why, in words): never retried.
    public func cannotEstablish(_ reason: String) {
        keyEstablishmentProblem(reason)
        retryAt = .max
    }

    /// A KE could not start this time (why, in words): tried again at the next poll.
    public func couldNotStart(_ reason: String) {
        keRunning = false
        keyEstablishmentProblem(reason)
    }
}
