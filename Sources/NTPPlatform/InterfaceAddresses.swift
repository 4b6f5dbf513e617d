import Glibc
import NTPEngine
public import NTPWire

/// The local addresses of this host's interfaces (getifaddrs), for `interface` rules.
public enum InterfaceAddresses {
    public struct Entry: Sendable, Equatable {
        public var interface: String
        public var ip: IPAddress
    }

    /// Every IPv4 and IPv6 address of every interface that is up, in the kernel's order.
    public static func list() -> [Entry] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var out: [Entry] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, entry.pointee.ifa_flags & UInt32(IFF_UP) != 0,
                  let socket = SocketAddress(address) else { continue }
            out.append(Entry(interface: String(cString: entry.pointee.ifa_name), ip: socket.ip))
        }
        return out
    }
}
