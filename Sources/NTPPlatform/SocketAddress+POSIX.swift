// Owns the POSIX side of addresses: zone names through if_nametoindex and the conversions
// between SocketAddress and sockaddr storage.
public import Glibc
public import NTPEngine
public import NTPWire

extension IPAddress {
    /// Like ``IPAddress/init(_:)``, and a zone may also be an interface name (`fe80::1%eth0`),
    /// looked up with `if_nametoindex`; nil if there is no such interface.
    public init?(resolvingZone text: String) {
        if let parsed = IPAddress(text) {
            self = parsed
            return
        }
        guard let (address, zone) = IPAddress.parse(numeric: text), let zone,
              case .v6(let h, let l, _) = address
        else { return nil }
        let scope = if_nametoindex(String(zone))
        guard scope != 0 else { return nil }
        self = .v6(high: h, low: l, scope: scope)
    }

    /// From a network-order `in_addr`.
    public init(_ address: in_addr) { self = .v4(UInt32(bigEndian: address.s_addr)) }

    /// From an `in6_addr` and a scope.
    public init(_ address: in6_addr, scope: UInt32 = 0) {
        var a = address
        let (high, low) = withUnsafeBytes(of: &a) { raw in
            (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        self = .v6(high: high, low: low, scope: scope)
    }

    /// The network-order `in_addr` (IPv4 only; `0.0.0.0` for IPv6).
    public var inAddr: in_addr {
        if case .v4(let a) = self { return in_addr(s_addr: a.bigEndian) }
        return in_addr()
    }

    /// The `in6_addr` (IPv6 only; `::` for IPv4).
    public var in6Addr: in6_addr {
        var result = in6_addr()
        if case .v6(let h, let l, _) = self {
            withUnsafeMutableBytes(of: &result) { raw in
                raw.storeBytes(of: h.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: l.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
        }
        return result
    }

    /// AF_INET or AF_INET6.
    public var family: Int32 { isIPv4 ? AF_INET : AF_INET6 }
}

/// Conversions to and from `sockaddr_in`/`sockaddr_in6`, without allocating.
extension SocketAddress {
    /// From a `sockaddr` of family AF_INET or AF_INET6; nil for any other family.
    public init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
            self.init(ip: IPAddress(sin.sin_addr), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self)
            self.init(ip: IPAddress(sin6.sin6_addr, scope: sin6.sin6_scope_id), port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    /// From a `sockaddr_storage`.
    public init?(_ storage: sockaddr_storage) {
        var s = storage
        let result = withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0) }
        }
        guard let result else { return nil }
        self = result
    }

    /// AF_INET or AF_INET6.
    public var family: Int32 { ip.family }

    /// Writes the `sockaddr_in`/`sockaddr_in6` into `storage` and returns its length.
    @discardableResult
    public func write(to storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        let raw = UnsafeMutableRawPointer(storage)
        switch ip {
        case .v4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr = ip.inAddr
            raw.storeBytes(of: sin, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6(_, _, let scope):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_addr = ip.in6Addr
            sin6.sin6_scope_id = scope
            raw.storeBytes(of: sin6, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    /// Calls `body` with this address as a `sockaddr` and its length.
    public func withSockAddr<R, E: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R
    ) throws(E) -> R {
        var storage = sockaddr_storage()
        let length = write(to: &storage)
        return try withUnsafePointer(to: &storage) { (p) throws(E) -> R in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(E) -> R in try body(sa, length) }
        }
    }
}
