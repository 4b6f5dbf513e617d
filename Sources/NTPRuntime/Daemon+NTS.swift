import NTPAdmin
import NTPEngine
import NTPNTS
import NTPNTSNetwork
import NTPPlatform
import NTPWire

/// Owns the daemon's NTS server side (RFC 8915): the NTS-KE server on its own thread, the
/// cookie master keys (loaded from and saved to `nts cookie FILE`, rotated on the loop), and
/// the answer to NTS-protected requests on the loop thread. The plain server path pays one
/// length test for it (``Daemon/serve(_:dropAll:)`` calls ``Daemon/answerNTS(_:_:on:)`` only
/// for requests longer than a header while NTS is served).
final class DaemonNTS {
    var settings = NTSSettings()
    /// The KE server, when running (its own thread; it reads the keys through ``store``).
    var keServer: NTSKEServer?
    /// The settings the running KE server was started with (a change restarts it).
    var keSettings: KESettings?
    struct KESettings: Equatable {
        var certificate: String, key: String, listen: String, port: UInt16, ntpPort: UInt16?, aead: [String], tls: NTSTLSOptions
    }
    /// The master keys, shared with the KE thread; ``keys`` is the loop thread's copy.
    var store: NTSCookieKeyStore?
    var keys: NTSCookieKeys?
    /// The cookie file the keys were read from (a different `nts cookie` reloads).
    var keysFile: String??
    /// NTS requests are verified (enabled, certificate and key loaded, KE running).
    var isServing = false
    var problem: String?
    var counters = NTSCounters()
    var random = NTSRandomNumberGenerator()
    /// NTS replies waiting to leave in one sendmmsg after the receive batch they answer, as
    /// the plain replies do (``Daemon/flushNTSReplies(on:)``); one too long for a buffer (many
    /// placeholders) goes alone.
    let sendBatch = UDPSendBatch(capacity: 64, bufferSize: 1280)
    /// When the master keys are next checked for rotation (monotonic ns).
    var nextRotationCheck = Int64.max
    /// The client side: each `server HOST nts` association's state, by host (Daemon+NTSClient).
    var clients: [String: NTSClientSession] = [:]
    /// Where each host's NTS-KE was reached before a server record moved its association's NTP
    /// address (RFC 8915 §4.1.7 moves NTP, never KE): a later KE (NAK, cookies spent) goes here.
    var keAddresses: [String: IPAddress] = [:]

    /// Seconds on the real clock (the master keys' creation times are Unix times).
    static func wallClock() -> Double { Double(OSClock.realtime().nanoseconds) / 1e9 }

    /// `nts tlsciphersuites` and `nts tlsecdhcurves` as the KE server and clients apply them.
    static func tlsOptions(_ settings: NTSSettings) -> NTSTLSOptions {
        NTSTLSOptions(cipherSuites: settings.tlsCipherSuites, groups: settings.tlsCurves)
    }

    /// `nts aead`'s names as algorithms, in preference order.
    static func algorithms(_ settings: NTSSettings) -> [NTSAEADAlgorithm] {
        settings.aead.compactMap { name in
            NTSSettings.aeadNames.first { $0.name == name }.flatMap { NTSAEADAlgorithm(rawValue: $0.number) }
        }
    }

    func stop() {
        keServer?.stop()
        keServer = nil
        keSettings = nil
        isServing = false
    }
}

extension Daemon {
    /// `nts …`: applies the whole NTS configuration (loop thread). Starts, restarts or stops
    /// the KE server; loads the cookie keys (or makes them, saved to the cookie file).
    func setNTS(_ new: NTSSettings) -> Result<String, AdminError> {
        let nts = self.nts
        // The TLS lists are checked with OpenSSL whether or not NTS is served (the client uses them too).
        if new.tlsCipherSuites != nil || new.tlsCurves != nil, let problem = DaemonNTS.tlsOptions(new).problem {
            let word = NTSTLSOptions(cipherSuites: new.tlsCipherSuites).problem != nil
                ? "nts tlsciphersuites \(new.tlsCipherSuites!)" : "nts tlsecdhcurves \(new.tlsCurves ?? "")"
            return .failure(AdminError("\(word): \(problem)"))
        }
        nts.settings = new
        guard new.enabled else {
            if nts.keServer != nil { log.notice("NTS: server stopped") }
            nts.stop()
            nts.problem = nil
            return .success("")
        }
        if let missing = new.missing {
            nts.stop()
            nts.problem = missing
            return .success("")
        }
        if serverSockets.isEmpty {
            // --port 0 (and --check-config): no NTP to protect; nothing is bound or written.
            nts.stop()
            nts.problem = "no NTP port to serve (--port 0)"
            return .success("")
        }
        if settings.singleThreaded {
            nts.problem = "the single-threaded daemon (NTPSH_SINGLE_THREAD=1) serves no NTS-KE"
            return .failure(AdminError("nts enable: \(nts.problem!)"))
        }
        if nts.keys == nil || nts.keysFile != .some(new.cookieFile) {
            let now = DaemonNTS.wallClock()
            let keys: NTSCookieKeys
            if let file = new.cookieFile {
                do throws(NTSKeyFileError) {
                    keys = try NTSCookieKeys.loadOrCreate(path: file, now: now, rotationInterval: new.rotationInterval, using: &nts.random)
                } catch {
                    nts.problem = "nts cookie \(file): " + Self.describe(error)
                    nts.stop()
                    return .failure(AdminError(nts.problem!))
                }
            } else {
                keys = NTSCookieKeys(now: now, rotationInterval: new.rotationInterval, using: &nts.random)
            }
            nts.keys = keys
            nts.keysFile = .some(new.cookieFile)
            if let store = nts.store { store.replace(keys) } else { nts.store = NTSCookieKeyStore(keys) }
        }
        nts.nextRotationCheck = OSClock.monotonicNanoseconds()
        let certificate = new.certificate!, key = new.key!
        // Clients learn the NTP port from the KE's port record when it is not 123.
        let ntpPort = serverSockets.first.map(\.localAddress.port).flatMap { $0 == 123 ? nil : $0 }
        let wanted = DaemonNTS.KESettings(certificate: certificate, key: key, listen: new.listen, port: new.port, ntpPort: ntpPort,
                                          aead: new.aead, tls: DaemonNTS.tlsOptions(new))
        let algorithms = DaemonNTS.algorithms(new)
        if let running = nts.keSettings, nts.keServer != nil, running == wanted {
            nts.isServing = true
            nts.problem = nil
            return .success("")
        }
        nts.stop()
        do throws(NTSKEFailure) {
            let server = try NTSKEServer(address: new.listen, port: new.port, certificateFile: certificate, keyFile: key,
                                         keys: nts.store!, ntpPort: ntpPort, algorithms: algorithms,
                                         tls: DaemonNTS.tlsOptions(new))
            nts.keServer = server
            nts.keSettings = wanted
            nts.isServing = true
            nts.problem = nil
            log.notice("NTS: NTS-KE on \(new.listen) port \(server.port)" + (ntpPort.map { ", NTP on port \($0)" } ?? ""))
            return .success("")
        } catch {
            nts.problem = "NTS-KE server: \(error)"
            return .failure(AdminError(nts.problem!))
        }
    }

    static func describe(_ error: NTSKeyFileError) -> String {
        switch error {
        case .malformedLine(let n): "line \(n) is not 'ID CREATED HEXKEY'"
        case .noKeys: "holds no key"
        case .write(let why): "cannot write: \(why)"
        }
    }

    /// The master keys rotate when due (loop thread, from the event loop); the file is
    /// rewritten and the KE thread sees the new keys. Returns the seconds until the next check.
    func rotateNTSKeys() -> Double {
        let nts = self.nts
        guard nts.isServing, var keys = nts.keys else { return .infinity }
        let now = OSClock.monotonicNanoseconds()
        if now >= nts.nextRotationCheck {
            let wall = DaemonNTS.wallClock()
            if keys.rotateIfDue(now: wall, using: &nts.random) {
                if let file = nts.settings.cookieFile {
                    do throws(SystemCallError) { try keys.save(to: file) } catch {
                        log.warning("NTS: cookie keys not saved to \(file): \(error)")
                    }
                }
                nts.keys = keys
                nts.store?.replace(keys)
                log.notice("NTS: new cookie master key \(keys.current.id); \(keys.keys.count) kept")
            }
            let due = keys.current.created + keys.rotationInterval - wall
            nts.nextRotationCheck = now + Int64(max(1, min(due, 3600)) * 1e9)
        }
        return Double(nts.nextRotationCheck - now) / 1e9
    }

    /// An NTS-protected request (longer than a header, while NTS is served): its NTS fields
    /// found (no cryptography), the engine's header made by the responder (restrict, rate
    /// limit, MRU as for every request: a refused or limited client is dropped here, before
    /// any AES-SIV), then the cookie and authenticator opened and the reply sealed with fresh
    /// cookies straight into the send batch's buffer, or an NTS NAK. False when the request
    /// carries no NTS fields (the plain path answers it).
    func answerNTS(_ payload: UnsafeRawBufferPointer, _ datagram: ReceivedDatagram, on socket: UDPSocket) -> Bool {
        let nts = self.nts
        guard let keys = nts.keys else { return false }
        let candidate: NTSServer.Candidate
        switch NTSServer.classify(payload) {
        case .notNTS: return false
        case .drop:
            nts.counters.serverReceiveBad &+= 1
            return true
        case .nts(let c): candidate = c
        }
        let capacity = max(ServerResponder.replyCapacity, NTSServer.answerCapacity(candidate))
        if capacity <= nts.sendBatch.bufferSize,
           nts.sendBatch.appendReply(to: datagram, { out in writeNTSAnswer(payload, candidate, datagram, keys: keys, into: out) }) {
            return true
        }
        // A full batch, or an answer longer than a batch buffer (many placeholders): alone.
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 8) { out in
            let length = writeNTSAnswer(payload, candidate, datagram, keys: keys, into: out)
            guard length > 0 else { return }
            do {
                _ = try socket.send(UnsafeRawBufferPointer(rebasing: out[0 ..< length]), to: datagram.source, from: datagram.destination)
                nts.counters.serverSend &+= 1
            } catch {
                log.warning("NTS: send to \(datagram.source): \(error)")
            }
        }
        return true
    }

    /// Writes the answer to an NTS request into `out` (``NTSServer/answerCapacity(_:)`` bytes at
    /// least); returns its length, or 0 when the responder dropped the request (restricted,
    /// rate limited, malformed: no cookie is opened for it).
    private func writeNTSAnswer(_ payload: UnsafeRawBufferPointer, _ candidate: NTSServer.Candidate, _ datagram: ReceivedDatagram,
                                keys: NTSCookieKeys, into out: UnsafeMutableRawBufferPointer) -> Int {
        let nts = self.nts
        let answer = NTSServer.answer(payload, candidate, keys: keys, using: &nts.random, into: out) { out in
            let t2 = clock.served(fromRaw: datagram.receiveTime ?? OSClock.realtime())
            let outcome = node.responder.respond(to: payload, from: datagram.source.ip, sourcePort: datagram.source.port,
                                                 receiveTime: t2, destination: datagram.destination?.ip, into: out)
            guard case .reply(let length) = outcome, length == NTPHeader.size else { return false }
            // A RATE kiss (`restrict … limited kod`): an NTS client ignores an unauthenticated kiss
            // other than NTSN (RFC 8915 §5.7), and sealing one would cost the AES-SIV the limit
            // saves; the request is dropped.
            if out[1] == 0 && out.loadUnaligned(fromByteOffset: 12, as: UInt32.self) == UInt32(0x5241_5445).bigEndian { return false }  // "RATE"
            // Basic mode only: the transmit is stamped here, not by the kernel, so an interleaved
            // origin the responder may have chosen (a plain request from the same address before)
            // would pair with the wrong transmit. The origin is the request's own transmit.
            for i in 0..<8 { out[24 + i] = payload[40 + i] }
            ServerResponder.stampTransmit(clock.now(), into: out)
            return true
        }
        switch answer {
        case nil: return 0
        case .authentic(let length, let cookies):
            nts.counters.serverReceiveGood &+= 1
            nts.counters.cookieDecode &+= 1
            switch keys.keys.count - 1 - (keys.keys.lastIndex { $0.id == candidate.cookieKeyID } ?? keys.keys.count - 1) {
            case 0: break
            case 1: nts.counters.cookieDecodeOld &+= 1
            case 2: nts.counters.cookieDecodeOld2 &+= 1
            default: nts.counters.cookieDecodeOlder &+= 1
            }
            nts.counters.cookieMake &+= UInt64(cookies)
            return length
        case .nak(let reason, let length):
            nts.counters.serverReceiveBad &+= 1
            switch reason {
            case .cookie(.unknownKey): nts.counters.cookieDecodeTooOld &+= 1
            case .cookie: nts.counters.cookieDecodeError &+= 1
            case .authenticator:
                nts.counters.cookieDecode &+= 1
                nts.counters.authenticatorFailures &+= 1
            }
            nts.counters.naksSent &+= 1
            return length
        }
    }

    /// Sends the NTS replies ``answerNTS(_:_:on:)`` queued for `socket` (after each receive
    /// batch, beside the plain replies' sendmmsg).
    func flushNTSReplies(on socket: UDPSocket) {
        let batch = nts.sendBatch
        guard !batch.isEmpty else { return }
        let result = socket.send(batch)
        nts.counters.serverSend &+= UInt64(result.sent)
    }

    /// `show nts`, `ntsinfo` (loop thread).
    func ntsReport() -> NTSReport {
        let nts = self.nts
        var report = NTSReport()
        report.settings = nts.settings
        report.serving = nts.isServing
        report.problem = nts.settings.enabled ? nts.problem : nil
        report.kePort = nts.keServer?.port
        if let keys = nts.keys {
            report.masterKeys = keys.keys.count
            report.newestKeyAge = DaemonNTS.wallClock() - keys.current.created
        }
        var counters = nts.counters
        if let ke = nts.keServer?.statistics {
            let good = UInt64(max(0, ke.handshakes - ke.badRequests))
            counters.keServeGood = good
            counters.keServeBad = UInt64(ke.handshakeFailures + ke.badRequests + ke.timeouts)
            counters.cookieMake &+= UInt64(ke.cookiesIssued)
            report.keRefusedBusy = UInt64(ke.refusedBusy)
            report.keTimeouts = UInt64(ke.timeouts)
        }
        report.counters = counters
        report.associations = ntsAssociationStates()
        return report
    }
}
