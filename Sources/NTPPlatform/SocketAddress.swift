public import Glibc

/// An IPv4 or IPv6 address, stored as integers so it is a plain value (no allocation).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// IPv4 as a host-order integer (`127.0.0.1` is `0x7f00_0001`).
    case v4(UInt32)
    /// IPv6 as two host-order halves of the 16 network-order bytes, and the scope (interface
    /// index) for link-local addresses, 0 otherwise.
    case v6(high: UInt64, low: UInt64, scope: UInt32)

    public static let anyIPv4 = IPAddress.v4(0)
    public static let anyIPv6 = IPAddress.v6(high: 0, low: 0, scope: 0)
    public static let loopbackIPv4 = IPAddress.v4(0x7f00_0001)
    public static let loopbackIPv6 = IPAddress.v6(high: 0, low: 1, scope: 0)

    /// Parses `"192.0.2.1"`, `"2001:db8::1"`, `"fe80::1%3"` or `"fe80::1%lo"`; nil otherwise.
    public init?(_ text: String) {
        var host = Substring(text)
        var scope: UInt32 = 0
        if let percent = text.firstIndex(of: "%") {
            host = text[..<percent]
            let zone = String(text[text.index(after: percent)...])
            if let n = UInt32(zone) {
                scope = n
            } else {
                scope = if_nametoindex(zone)
                guard scope != 0 else { return nil }
            }
        }
        let hostString = String(host)
        var a4 = in_addr()
        if scope == 0, inet_pton(AF_INET, hostString, &a4) == 1 {
            self = .v4(UInt32(bigEndian: a4.s_addr))
            return
        }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, hostString, &a6) == 1 {
            self = IPAddress(a6, scope: scope)
            return
        }
        return nil
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

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }

    /// The unspecified address (`0.0.0.0` or `::`).
    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a == 0
        case .v6(let h, let l, _): h == 0 && l == 0
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let a): a >> 24 == 127
        case .v6(let h, let l, _): h == 0 && l == 1
        }
    }

    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a >> 28 == 0xe
        case .v6(let h, _, _): h >> 56 == 0xff
        }
    }

    /// fe80::/10.
    public var isLinkLocalIPv6: Bool {
        if case .v6(let h, _, _) = self { return h >> 54 == 0x3fa }
        return false
    }

    /// `::ffff:a.b.c.d` as the IPv4 address, nil for anything else.
    public var unmappedIPv4: IPAddress? {
        if case .v6(let h, let l, _) = self, h == 0, l >> 32 == 0xffff { return .v4(UInt32(truncatingIfNeeded: l)) }
        return nil
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

    /// `inet_ntop` text, with `%scope` for a scoped IPv6 address.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch self {
        case .v4:
            var a = inAddr
            _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .v6(_, _, let scope):
            var a = in6Addr
            _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return scope == 0 ? text : "\(text)%\(scope)"
        }
    }
}

/// An IP address and a UDP/TCP port: what sockets bind to, send to and receive from.
/// Converts to and from `sockaddr_in`/`sockaddr_in6` without allocating.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// `"127.0.0.1"`, `"::1"`, `"fe80::1%lo"` and a port; nil if the address does not parse.
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

    public var family: Int32 { ip.isIPv4 ? AF_INET : AF_INET6 }

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

    /// `127.0.0.1:123`, `[::1]:123`.
    public var description: String {
        ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
    }
}
