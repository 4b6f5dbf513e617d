/// Association mode (RFC 5905 §7.3). NTPv1 packets carry 0 here (the mode was implied).
public enum NTPMode: UInt8, Sendable, CaseIterable {
    /// Reserved; what NTPv1 sends.
    case reserved = 0
    /// Symmetric active (a peer that wants to be polled back).
    case symmetricActive = 1
    /// Symmetric passive (a peer answering a symmetric active one).
    case symmetricPassive = 2
    /// A client request.
    case client = 3
    /// A server reply.
    case server = 4
    /// A broadcast or multicast server.
    case broadcast = 5
    /// NTP control messages (mode 6, RFC 9327).
    case control = 6
    /// Reserved for private use (ntpd's mode 7); never answered.
    case privateUse = 7
}
