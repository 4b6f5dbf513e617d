public import NTPWire

/// Something the engine did or saw that an admin wants to hear about: logged by the daemon,
/// printed above the prompt by the shell (`terminal monitor`), kept by `events`.
public struct EngineEvent: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Codable, Equatable {
        case systemPeer(AssociationID, String)
        case noSystemPeer
        case synchronised(stratum: UInt8)
        case step(Seconds)
        case frequencySet(PPM)
        case reachable(AssociationID, String)
        case unreachable(AssociationID, String)
        case kiss(AssociationID, String, KissCode)
        case spike(AssociationID, String, Seconds)
        case panic(Seconds)
        case resolved(AssociationID, String, String)
        case unresolved(AssociationID, String)
        case leap(inserted: Bool)
        case orphan(stratum: UInt8)
        /// A reply failed authentication and was ignored.
        case authentication(AssociationID, String, AuthenticationFailure)
        /// The configured key cannot sign requests: the source is not polled.
        case cannotSign(AssociationID, String, AuthenticationFailure)
        /// Replies authenticate again after failures.
        case authenticated(AssociationID, String, keyID: UInt32)
        /// The engine's host changed its configuration by itself (`commit confirmed` reverted).
        /// New in control protocol version 9: older attached shells are not sent it.
        case configuration(String)
    }

    public var time: UnixTime
    public var kind: Kind

    public init(time: UnixTime, kind: Kind) { self.time = time; self.kind = kind }

    public var description: String {
        switch kind {
        case .systemPeer(_, let name): return "new system peer \(name)"
        case .noSystemPeer: return "no system peer: no source survives selection"
        case .synchronised(let stratum): return "synchronised at stratum \(stratum)"
        case .step(let offset): return "clock stepped by \(formatSeconds(offset))"
        case .frequencySet(let frequency): return "frequency set to \(formatFixed(frequency.value, 3)) ppm"
        case .reachable(_, let name): return "\(name) reachable"
        case .unreachable(_, let name): return "\(name) unreachable"
        case .kiss(_, let name, let code): return "\(name) sent kiss code \(code)"
        case .spike(_, let name, let offset): return "\(name) offset \(formatSeconds(offset)) beyond the step threshold; waiting for stepout"
        case .panic(let offset): return "offset \(formatSeconds(offset)) exceeds the panic threshold; set the clock by hand or restart with -g"
        case .resolved(_, let name, let address): return "\(name) resolved to \(address)"
        case .unresolved(_, let name): return "\(name) does not resolve; retrying"
        case .leap(let inserted): return inserted ? "leap second inserted" : "leap second deleted"
        case .orphan(let stratum): return "orphan mode: no source reachable; serving at stratum \(stratum)"
        case .authentication(_, let name, let failure): return "\(name) authentication failed: \(failure); ignored"
        case .cannotSign(_, let name, let failure): return "\(name) not polled: \(failure)"
        case .authenticated(_, let name, let key): return "\(name) authenticated with key \(key)"
        case .configuration(let text): return text
        }
    }
}

/// `1.234567 s` style, for events.
func formatSeconds(_ s: Double) -> String { formatFixed(s, 6) + " s" }
func formatSeconds(_ s: Seconds) -> String { formatSeconds(s.value) }
