import NTPAdmin
import NTPEngine
import NTPPlatform
import NTPWire
import Glibc

/// Owns the daemon's server sockets: binding them, and rebinding when `interface`/`nic` rules change.
extension Daemon {
    // MARK: - Interfaces

    /// A server socket on `address`. Only a wildcard socket needs to learn (and answer from)
    /// each request's local address; a socket bound to one address saves the per-packet cmsg.
    static func serverSocket(_ address: SocketAddress) throws(SystemCallError) -> UDPSocket {
        var options = UDPSocket.Options()
        options.receiveBufferSize = 4 << 20
        options.packetInfo = address.ip.isUnspecified
        return try UDPSocket(bindingTo: address, options: options)
    }

    /// `interface`/`nic` (loop thread): re-binds the server sockets to what `rules` decide (see
    /// ``InterfaceRule``) and returns what it now listens on and ignores, or why it cannot.
    /// Without rules: the wildcards, or the `--listen` addresses. With rules, per family: a
    /// wildcard that is listened on serves every address and drops requests to ignored ones;
    /// an ignored wildcard gives one socket per interface address listened on (or dropped).
    func setInterfaceRules(_ rules: [InterfaceRule]) -> Result<String, AdminError> {
        guard settings.port != 0 else { return .success("--port 0: serving nothing; interface rules kept\n") }
        var bind: [(SocketAddress, Bool)] = []
        var ignored: [IPAddress] = []
        var report = ""
        let port = settings.port
        if rules.isEmpty {
            let base = settings.listen.isEmpty ? [IPAddress.anyIPv4, .anyIPv6] : settings.listen.map(\.ip)
            bind = base.map { (SocketAddress(ip: $0, port: port), false) }
        } else if !settings.listen.isEmpty {
            for ip in settings.listen.map(\.ip) {
                let name = ip.isUnspecified ? nil : (InterfaceAddresses.list().first { $0.ip.unmapped == ip.unmapped }?.interface ?? "")
                let action = InterfaceRule.action(for: ip, interface: name, rules: rules)
                if action == .ignore { report += "ignoring \(ip) (interface rules)\n" } else { bind.append((SocketAddress(ip: ip, port: port), action == .drop)) }
            }
        } else {
            let interfaces = InterfaceAddresses.list()
            for wildcard in [IPAddress.anyIPv4, .anyIPv6] {
                let family = interfaces.filter { $0.ip.isIPv4 == wildcard.isIPv4 }
                let decided = family.map { ($0.ip, InterfaceRule.action(for: $0.ip, interface: $0.interface, rules: rules)) }
                switch InterfaceRule.action(for: wildcard, interface: nil, rules: rules) {
                case .ignore:
                    for (ip, action) in decided where action != .ignore { bind.append((SocketAddress(ip: ip, port: port), action == .drop)) }
                case let action:
                    bind.append((SocketAddress(ip: wildcard, port: port), action == .drop))
                    ignored += decided.filter { $0.1 != .listen }.map { $0.0.unmapped }
                }
                for (ip, action) in decided where action != .listen { report += "\(action == .drop ? "dropping" : "ignoring") \(ip) (interface rules)\n" }
            }
        }
        // Never called while the loop iterates its sockets: changes arrive as posted jobs (the
        // shell, the control socket, ntpq's `:config` from its own thread), run between iterations.
        return rebind(bind, ignored: ignored, report: report)
    }

    /// Closes the server sockets and binds `bind` (not while the loop iterates them).
    func rebind(_ bind: [(SocketAddress, Bool)], ignored: [IPAddress], report: String) -> Result<String, AdminError> {
        for s in serverSockets { s.close() }
        serverSockets = []
        serverDrops = []
        transmitStampRings = [:]
        var failures: [String] = []
        var listening = ""
        for (address, drop) in bind {
            do {
                serverSockets.append(try Self.serverSocket(address))
                serverDrops.append(drop)
                listening += Self.listeningLine(address, drop: drop)
            } catch {
                failures.append(DaemonError.cannotListen(address, error, holders: PortHolder.find(port: address.port)).description)
            }
        }
        ignoredDestinations = ignored
        socketsChanged = true
        for line in (listening + report).split(separator: "\n") { log.notice(String(line)) }
        for failure in failures { log.error(failure) }
        guard failures.isEmpty else { return .failure(AdminError(failures.joined(separator: "\n"))) }
        return .success(listening + report)
    }

    static func listeningLine(_ address: SocketAddress, drop: Bool) -> String {
        "listening on \(address.ip) port \(address.port)\(drop ? " (dropping every packet)" : "")\n"
    }
}
