import NTPAdmin
import NTPEngine
import NTPNTS
import NTPNTSNetwork
import NTPPlatform
import NTPWire

// The daemon as an NTS client (`server|pool HOST nts`): each association's NTS session (NTPNTS's
// NTSClientSession), NTS-KE on a worker thread with its backoff, requests sealed and replies
// checked before the engine sees them, the KE's server and port records followed.
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
        if let request = client.protect(bytes, using: &nts.random) {
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
        let verdict = client.check(bytes, now: OSClock.monotonicNanoseconds())
        if let notice = client.notice(verdict, host: association.host) { log.warning(notice) }
        switch verdict {
        case .authentic(let header):
            nts.counters.clientReceiveGood &+= 1
            return header
        case .nak, .refused:
            nts.counters.clientReceiveBad &+= 1
            return nil
        }
    }

    /// Starts NTS-KE for `client` on a worker thread (never on the loop: it blocks up to 5 s),
    /// unless one runs or the backoff holds it back. The result comes back through the inbox.
    func startKeyEstablishment(_ client: NTSClientSession, _ association: (host: String, name: String, kePort: UInt16),
                               destination: SocketAddress) {
        guard client.mayStartKeyEstablishment(now: OSClock.monotonicNanoseconds()) else { return }
        if settings.singleThreaded {
            client.cannotEstablish("the single-threaded daemon (NTPSH_SINGLE_THREAD=1) runs no NTS-KE")
            log.error("NTS: \(association.host): \(client.lastFailure!)")
            return
        }
        client.keRunning = true
        let reference = DaemonReference(daemon: self)
        let ca = nts.settings.ca
        let algorithms = DaemonNTS.algorithms(nts.settings), tls = DaemonNTS.tlsOptions(nts.settings)
        let host = association.host, name = association.name, port = association.kePort
        let address = (nts.keAddresses[host] ?? destination.ip).description
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
            client.couldNotStart("cannot start the NTS-KE thread: \(error)")
        }
    }

    /// NTS-KE for `host` finished (loop thread).
    func keyEstablished(_ host: String, _ result: Result<NTSKEResult, NTSKEFailure>) {
        guard let client = nts.clients[host] else { return }
        let now = OSClock.monotonicNanoseconds()
        switch result {
        case .success(let ke):
            nts.counters.keProbeGood &+= 1
            client.established(ke, now: now)
            log.notice("NTS: \(host): NTS-KE done, \(ke.cookies.count) cookies, \(ke.session.algorithm)")
            followNegotiation(host, ke)
        case .failure(let error):
            nts.counters.keProbeBad &+= 1
            let wait = client.failed(error, now: now)
            log.warning(NTSClientSession.keyEstablishmentFailedNotice(host: host, error, wait: wait))
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
        if nts.keAddresses[host] == nil { nts.keAddresses[host] = current.ip }
        perform(engine.redirect(a.id, to: destination))
    }

    /// The NTS associations' state for the views (loop thread).
    func ntsAssociationStates() -> [NTSAssociationState] {
        let now = OSClock.monotonicNanoseconds()
        let hosts = Set(engine.associations.values.filter { $0.configuration.ntsKEPort != nil && !$0.isPool }.map(\.configuration.host))
        return nts.clients.filter { hosts.contains($0.key) }.sorted { $0.key < $1.key }.map { host, c in
            NTSAssociationState(host: host, cookies: c.cookies,
                                lastKE: c.lastKE.map { Double(now - $0) / 1e9 }, keFailures: c.failures,
                                lastFailure: c.lastFailure, accepted: c.accepted, refused: c.refused, naks: c.naks,
                                ntpServer: c.ntpServer, lastKEFailure: c.lastKEFailure, lastRefusal: c.lastRefusal)
        }
    }
}

extension DaemonNTS {
    func client(_ host: String) -> NTSClientSession {
        if let c = clients[host] { return c }
        let c = NTSClientSession()
        clients[host] = c
        return c
    }
}
