// PrivilegeDrop: ntpd's `-u USER[:GROUP]`. Resolves the user and group, then becomes them,
// keeping only the capabilities the daemon still needs (CAP_SYS_TIME to discipline the clock,
// CAP_NET_BIND_SERVICE to re-bind port 123 when interfaces change).
import CNTPPlatform
import Glibc

/// The user and group to run as.
public struct RunAsUser: Sendable, Equatable, CustomStringConvertible {
    public var userName: String
    public var uid: UInt32
    public var groupName: String
    public var gid: UInt32

    public var description: String { "\(userName)(\(uid)):\(groupName)(\(gid))" }

    /// A capability, numbered as in <linux/capability.h>.
    public enum Capability: Int, Sendable, CaseIterable {
        case netBindService = 10
        case sysTime = 25

        public var name: String { self == .sysTime ? "CAP_SYS_TIME" : "CAP_NET_BIND_SERVICE" }
    }

    /// Resolves `USER[:GROUP]` as ntpd does: names or numbers; without a group, the user's
    /// primary group. Throws a message naming what is unknown.
    public static func resolve(_ spec: String) throws(PrivilegeDropError) -> RunAsUser {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else {
            throw PrivilegeDropError("-u \(spec): expected USER or USER:GROUP")
        }
        guard let user = passwordEntry(userPart) else { throw PrivilegeDropError("-u \(spec): no such user \(userPart)") }
        var result = RunAsUser(userName: user.name, uid: user.uid, groupName: "", gid: user.gid)
        if parts.count == 2 {
            guard !parts[1].isEmpty else { throw PrivilegeDropError("-u \(spec): expected a group after ':'") }
            guard let group = groupEntry(parts[1]) else { throw PrivilegeDropError("-u \(spec): no such group \(parts[1])") }
            result.groupName = group.name
            result.gid = group.gid
        } else {
            result.groupName = groupEntry(String(user.gid))?.name ?? String(user.gid)
        }
        return result
    }

    /// Becomes this user and group (the group the only one), keeping `capabilities` permitted
    /// and effective and nothing else. Capabilities belong to a thread: call it before the
    /// daemon starts any other thread. Files opened before stay open.
    public func become(keeping capabilities: [Capability]) throws(PrivilegeDropError) {
        let mask = capabilities.reduce(UInt64(0)) { $0 | (1 << UInt64($1.rawValue)) }
        var step: UnsafePointer<CChar>? = nil
        if ntpsh_drop_privileges(uid, gid, mask, &step) != 0 {
            let call = step.map { String(cString: $0) } ?? "?"
            throw PrivilegeDropError("-u \(userName):\(groupName): \(call): \(String(cString: strerror(errno)))")
        }
    }

    /// The calling thread's effective capabilities, as a bit mask (bit N = capability N).
    public static func effectiveCapabilities() -> UInt64? {
        var effective: UInt64 = 0, permitted: UInt64 = 0
        return ntpsh_capabilities(&effective, &permitted) == 0 ? effective : nil
    }

    private struct Entry { var name: String; var uid: UInt32; var gid: UInt32 }

    /// getpwnam_r, or getpwuid_r for a number.
    private static func passwordEntry(_ nameOrNumber: String) -> Entry? {
        var entry = passwd(), result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16_384)
        let rc: Int32 = if let number = UInt32(nameOrNumber) {
            getpwuid_r(number, &entry, &buffer, buffer.count, &result)
        } else {
            getpwnam_r(nameOrNumber, &entry, &buffer, buffer.count, &result)
        }
        guard rc == 0, let found = result?.pointee else { return nil }
        return Entry(name: String(cString: found.pw_name), uid: found.pw_uid, gid: found.pw_gid)
    }

    /// getgrnam_r, or getgrgid_r for a number.
    private static func groupEntry(_ nameOrNumber: String) -> Entry? {
        var entry = group(), result: UnsafeMutablePointer<group>? = nil
        var buffer = [CChar](repeating: 0, count: 65_536)
        let rc: Int32 = if let number = UInt32(nameOrNumber) {
            getgrgid_r(number, &entry, &buffer, buffer.count, &result)
        } else {
            getgrnam_r(nameOrNumber, &entry, &buffer, buffer.count, &result)
        }
        guard rc == 0, let found = result?.pointee else { return nil }
        return Entry(name: String(cString: found.gr_name), uid: 0, gid: found.gr_gid)
    }
}

/// Why `-u` could not be done, said as the command line would be read.
public struct PrivilegeDropError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
