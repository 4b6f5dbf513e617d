import NTPEngine
public import NTPWire
import Glibc

/// Host name resolution (getaddrinfo). Blocking: call it off the engine's thread.
public enum Resolver {
    /// The addresses of `host` (IPv4 first, then IPv6, duplicates removed); empty when the
    /// name does not resolve.
    public static func resolve(_ host: String) -> [IPAddress] {
        if let ip = IPAddress(host) { return [ip] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var v4: [IPAddress] = [], v6: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if let sa = n.pointee.ai_addr, let address = SocketAddress(UnsafePointer(sa)) {
                if address.ip.isIPv4 {
                    if !v4.contains(address.ip) { v4.append(address.ip) }
                } else if !v6.contains(address.ip) {
                    v6.append(address.ip)
                }
            }
            node = n.pointee.ai_next
        }
        return v4 + v6
    }
}
