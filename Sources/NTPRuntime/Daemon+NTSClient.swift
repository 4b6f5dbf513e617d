import NTPAdmin
import NTPEngine
import NTPNTS
import NTPPlatform
import NTPWire

/// One `server HOST nts` association's NTS client state in the daemon (keyed by its configured
/// host, so it survives `server HOST …` replacing the association): the session and cookies
/// from NTS-KE, whether a KE runs, failures and the backoff, counters for the views.
final class NTSClientAssociation {
    var state: NTSClientState?
    var keRunning = false
    /// Consecutive failures (KE failed, or NAK after NAK); reset by an authentic response.
    var failures = 0
    var lastFailure: String?
    /// When the last KE succeeded, and when the next may start (monotonic ns).
    var lastKE: Int64?
    var retryAt: Int64 = 0
    var accepted: UInt64 = 0, refused: UInt64 = 0, naks: UInt64 = 0
    /// Where NTS-KE said NTP goes (server and port records), for the views.
    var ntpServer: String?

    /// Seconds before the next KE after `failures` failures: none for the first (a NAK asks for
    /// a fresh KE at once), then 2, 4, … up to 1024 s.
    static func backoff(_ failures: Int) -> Double {
        failures <= 1 ? 0 : Double(1 << min(failures - 1, 10))
    }
}

extension Daemon {
    /// The NTS association `destination` belongs to: its host (the key of the client state),
    /// the name its certificate must carry (a pool's name for the servers it brought in) and
    /// its NTS-KE port.
    func ntsAssociation(at destination: SocketAddress) -> (host: String, name: String, kePort: UInt16)? {
        guard let a = engine.associations.values.first(where: { $0.address == destination && !$0.isPool }),
              let kePort = a.configuration.ntsKEPort else { return nil }
        let name = a.spawnedBy.flatMap { engine.associations[$0]?.configuration.host } ?? a.configuration.host
        return (a.configuration.host, name, kePort)
    }

    /// The engine's request to `destination`, NTS-protected when its association uses NTS; nil
    /// when it cannot be sent yet (no cookie: NTS-KE is started, or waits for its backoff).
    /// Loop thread; plain associations pass through untouched.
    func ntsProtect(_ bytes: [UInt8], to destination: SocketAddress) -> [UInt8]? {
        guard let association = ntsAssociation(at: destination) else { return bytes }
        let client = nts.client(association.host)
        if var state = client.state, !state.needsKeyEstablishment, bytes.count == NTPHeader.size,
           let request = state.request(header: bytes, using: &nts.random) {
            client.state = state
            nts.counters.clientSend &+= 1
            return request
        }
        startKeyEstablishment(client, association, destination: destination)
        return nil
    }

    /// A reply from `source`: checked when its association uses NTS. The engine gets the
    /// header of an authentic reply only; a forged or foreign one is refused and counted, an
    /// NTS NAK drops the cookies (the next poll starts a fresh NTS-KE).
    func ntsCheck(_ bytes: [UInt8], from source: SocketAddress) -> [UInt8]? {
        guard let association = ntsAssociation(at: source) else { return bytes }
        let client = nts.client(association.host)
        guard var state = client.state else {
            client.lastFailure = "reply refused: no NTS session (no NTS-KE yet)"
            client.refused &+= 1
            nts.counters.clientReceiveBad &+= 1
            return nil
        }
        let outcome = state.accept(bytes)
        client.state = state
        switch outcome {
        case .authentic:
            client.accepted &+= 1
            client.failures = 0
            nts.counters.clientReceiveGood &+= 1
            return Array(bytes[0 ..< NTPHeader.size])
        case .nak:
            client.naks &+= 1
            client.failures += 1
            client.lastFailure = "NTS NAK (the server did not accept our cookie)"
            client.retryAt = OSClock.monotonicNanoseconds() + Int64(NTSClientAssociation.backoff(client.failures) * 1e9)
            nts.counters.clientReceiveBad &+= 1
            log.warning("NTS: \(association.host): NTS NAK; a fresh NTS-KE follows")
            return nil
        case .refused(let why):
            client.refused &+= 1
            client.lastFailure = "reply refused: \(why)"
            nts.counters.clientReceiveBad &+= 1
            if client.refused == 1 || client.refused % 100 == 0 {
                log.warning("NTS: \(association.host): reply refused (\(why)); \(client.refused) so far")
            }
            return nil
        }
    }

    /// Starts NTS-KE for `client` on a worker thread (never on the loop: it blocks up to 5 s),
    /// unless one runs or the backoff holds it back. The result comes back through the inbox.
    func startKeyEstablishment(_ client: NTSClientAssociation, _ association: (host: String, name: String, kePort: UInt16),
                               destination: SocketAddress) {
        guard !client.keRunning, OSClock.monotonicNanoseconds() >= client.retryAt else { return }
        if settings.singleThreaded {
            client.lastFailure = "the single-threaded daemon (NTPSH_SINGLE_THREAD=1) runs no NTS-KE"
            client.retryAt = .max
            log.error("NTS: \(association.host): \(client.lastFailure!)")
            return
        }
        client.keRunning = true
        let reference = DaemonReference(daemon: self)
        let ca = nts.settings.ca
        let algorithms = DaemonNTS.algorithms(nts.settings), tls = DaemonNTS.tlsOptions(nts.settings)
        let host = association.host, name = association.name, port = association.kePort
        let address = destination.ip.description
        do {
            let thread = try PlatformThread(name: "ntpsh-nts-kec") {
                let result: Result<NTSKEResult, NTSKEFailure>
                do throws(NTSKEFailure) {
                    var ke = try NTSKEClient.establish(host: name, address: address, port: port, caFile: ca,
                                                       algorithms: algorithms, tls: tls, timeout: 5)
                    // A server record naming a host is looked up here, off the loop.
                    if let server = ke.server, IPAddress(server) == nil, let ip = Resolver.resolve(server).first {
                        ke.server = ip.description
                    }
                    result = .success(ke)
                } catch { result = .failure(error) }
                reference.daemon.post { $0.keyEstablished(host, result) }
            }
            thread.detach()
        } catch {
            client.keRunning = false
            client.lastFailure = "cannot start the NTS-KE thread: \(error)"
        }
    }

    /// NTS-KE for `host` finished (loop thread).
    func keyEstablished(_ host: String, _ result: Result<NTSKEResult, NTSKEFailure>) {
        guard let client = nts.clients[host] else { return }
        client.keRunning = false
        let now = OSClock.monotonicNanoseconds()
        switch result {
        case .success(let ke):
            nts.counters.keProbeGood &+= 1
            client.state = NTSClientState(session: ke.session, cookies: ke.cookies, server: ke.server, port: ke.port)
            client.lastKE = now
            client.ntpServer = ke.server.map { s in ke.port.map { "\(s) port \($0)" } ?? s } ?? ke.port.map { "port \($0)" }
            log.notice("NTS: \(host): NTS-KE done, \(ke.cookies.count) cookies, \(ke.session.algorithm)")
            followNegotiation(host, ke)
        case .failure(let error):
            nts.counters.keProbeBad &+= 1
            client.failures += 1
            client.lastFailure = error.description
            client.retryAt = now + Int64(max(2, NTSClientAssociation.backoff(client.failures)) * 1e9)
            log.warning("NTS: \(host): NTS-KE failed: \(error); next try in \(Int(max(2, NTSClientAssociation.backoff(client.failures)))) s")
        }
    }

    /// NTS-KE's server and port records (RFC 8915 §4.1.7, §4.1.8): the association polls the
    /// server and port they name, not its configured ones. A server name was looked up on the KE
    /// thread; one that did not resolve keeps the association where it was, logged.
    func followNegotiation(_ host: String, _ ke: NTSKEResult) {
        guard ke.server != nil || ke.port != nil,
              let a = engine.associations.values.first(where: { $0.configuration.host == host && !$0.isPool }),
              let current = a.address else { return }
        var ip = current.ip
        if let server = ke.server {
            guard let named = IPAddress(server) else {
                log.warning("NTS: \(host): NTS-KE names NTP server \(server), which does not resolve; polling \(current)")
                return
            }
            ip = named
        }
        let destination = SocketAddress(ip: ip, port: ke.port ?? a.configuration.port)
        guard destination != current else { return }
        log.notice("NTS: \(host): NTS-KE names NTP at \(destination); polling it instead of \(current)")
        perform(engine.redirect(a.id, to: destination))
    }

    /// The NTS associations' state for the views (loop thread).
    func ntsAssociationStates() -> [NTSAssociationState] {
        let now = OSClock.monotonicNanoseconds()
        let hosts = Set(engine.associations.values.filter { $0.configuration.ntsKEPort != nil && !$0.isPool }.map(\.configuration.host))
        return nts.clients.filter { hosts.contains($0.key) }.sorted { $0.key < $1.key }.map { host, c in
            NTSAssociationState(host: host, cookies: c.state?.cookies.count ?? 0,
                                lastKE: c.lastKE.map { Double(now - $0) / 1e9 }, keFailures: c.failures,
                                lastFailure: c.lastFailure, accepted: c.accepted, refused: c.refused, naks: c.naks,
                                ntpServer: c.ntpServer)
        }
    }
}

extension DaemonNTS {
    func client(_ host: String) -> NTSClientAssociation {
        if let c = clients[host] { return c }
        let c = NTSClientAssociation()
        clients[host] = c
        return c
    }
}
