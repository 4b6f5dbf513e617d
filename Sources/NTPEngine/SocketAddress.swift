public import NTPWire

/// An IP address and a UDP/TCP port: what sockets bind to, send to and receive from, and what
/// the engine keys associations, restrictions and MRU entries by. Pure; the `sockaddr` bridging
/// lives in NTPPlatform.
///
/// Ordering (``Comparable``): by address, then by port.
public struct SocketAddress: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// `"127.0.0.1"`, `"::1"`, `"fe80::1%3"` and a port; nil if the address does not parse.
    public init?(_ ip: String, port: UInt16) {
        guard let address = IPAddress(ip) else { return nil }
        self.init(ip: address, port: port)
    }

    /// `"127.0.0.1:123"`, `"[::1]:123"`, or a bare address with port `defaultPort`.
    public init?(parsing text: String, defaultPort: UInt16 = 123) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            var port = defaultPort
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()) else { return nil }
                port = p
            }
            self.init(host, port: port)
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard let p = UInt16(text[text.index(after: colon)...]) else { return nil }
            self.init(String(text[..<colon]), port: p)
        } else {
            self.init(text, port: defaultPort)
        }
    }

    public static func < (a: SocketAddress, b: SocketAddress) -> Bool {
        a.ip != b.ip ? a.ip < b.ip : a.port < b.port
    }

    /// `127.0.0.1:123`, `[::1]:123`.
    public var description: String {
        ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
    }
}
