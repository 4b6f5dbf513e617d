/// A process holding a port, found through /proc like `lsof -i :123`: the socket inodes bound
/// to the port in /proc/net/{udp,udp6} (or tcp), matched against each process's
/// /proc/PID/fd/* links `socket:[inode]`. For a clear "port in use" message. Processes of
/// other users are only visible with the privilege to read their fd directory.
public struct PortHolder: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    /// /proc/PID/comm.
    public var command: String

    public init(pid: Int32, command: String) {
        self.pid = pid
        self.command = command
    }

    public var description: String { "\(command) (pid \(pid))" }

    /// The processes holding local port `port`, by pid; empty if none is visible.
    public static func find(port: UInt16, udp: Bool = true) -> [PortHolder] {
        let tables = udp ? ["/proc/net/udp", "/proc/net/udp6"] : ["/proc/net/tcp", "/proc/net/tcp6"]
        var inodes = Set<UInt64>()
        for table in tables {
            guard let text = ProcFile.read(table) else { continue }
            inodes.formUnion(socketInodes(inTable: text, port: port, listeningOnly: !udp))
        }
        guard !inodes.isEmpty else { return [] }
        var holders: [PortHolder] = []
        for entry in ProcFile.list("/proc") ?? [] {
            guard let pid = Int32(entry), pid > 0 else { continue }
            guard let fds = ProcFile.list("/proc/\(entry)/fd") else { continue }
            let holds = fds.contains { fd in
                guard let target = ProcFile.readLink("/proc/\(entry)/fd/\(fd)"),
                    let inode = socketInode(fromLink: target)
                else { return false }
                return inodes.contains(inode)
            }
            if holds {
                var command = ProcFile.read("/proc/\(entry)/comm") ?? "?"
                while command.last == "\n" { command.removeLast() }
                holders.append(PortHolder(pid: pid, command: command))
            }
        }
        return holders.sorted { $0.pid < $1.pid }
    }

    /// Inodes of the sockets in a /proc/net/{udp,tcp}[6] table whose local port is `port`
    /// (for TCP, only those listening: state 0A).
    static func socketInodes(inTable text: String, port: UInt16, listeningOnly: Bool = false) -> Set<UInt64> {
        var result = Set<UInt64>()
        for line in text.split(separator: "\n").dropFirst() {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9 else { continue }
            let local = fields[1]
            guard let colon = local.lastIndex(of: ":"),
                let localPort = UInt16(local[local.index(after: colon)...], radix: 16),
                localPort == port
            else { continue }
            if listeningOnly && fields[3] != "0A" { continue }
            if let inode = UInt64(fields[9]), inode != 0 { result.insert(inode) }
        }
        return result
    }

    /// `socket:[12345]` → 12345.
    static func socketInode(fromLink target: String) -> UInt64? {
        guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
        return UInt64(target.dropFirst("socket:[".count).dropLast())
    }
}
