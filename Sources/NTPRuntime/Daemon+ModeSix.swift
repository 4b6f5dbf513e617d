import NTPEngine
import NTPPlatform
import NTPWire
import Glibc
import NTPControl

/// Owns the daemon's mode 6 side: answering ntpq's control requests through the responder,
/// sending the replies, running `:config`, and logging authentication failures.
extension Daemon {
    func logAuthenticationFailures() {
        let naks = node.responder.counters.cryptoNAKs
        guard naks != authenticationLog.naks, let last = node.responder.lastAuthenticationFailure else { return }
        let now = OSClock.monotonicNanoseconds()
        guard authenticationLog.at == .min || now - authenticationLog.at >= 60_000_000_000 else { return }
        let count = naks - authenticationLog.naks
        log.warning("\(count) request\(count == 1 ? "" : "s") failed authentication (crypto-NAK sent); last from \(last.source): \(last.failure)")
        authenticationLog = (naks, now)
    }

    /// Mode 6 (ntpq, ntpstat): answered off the fast path, one reply datagram per fragment;
    /// recorded in the MRU list; `restrict … noquery` (and `ignore`) drop it silently.
    /// Answers that would amplify are refused (``ControlResponder/answer(to:from:context:snapshot:)``)
    /// and counted (`iostats` control refused, `ss_ctlrefused`).
    func answerControl(_ payload: UnsafeRawBufferPointer, _ datagram: ReceivedDatagram, on socket: UDPSocket) {
        let time = clock.served(fromRaw: datagram.receiveTime ?? OSClock.realtime())
        let version = payload.count > 0 ? (payload[0] >> 3) & 7 : 0
        let restrict = node.responder.admitControl(
            from: datagram.source.ip, port: datagram.source.port, destination: datagram.destination?.ip,
            version: version, at: time)
        if restrict.contains(.ignore) || restrict.contains(.noquery) || restrict.contains(.limited) { return }
        var context = ControlContext(
            source: datagram.source, restrict: restrict, receiveTime: time, nonceKey: nonceKey,
            statistics: { [self] in
                StatisticsSubject(server: node.responder.counters, uptime: Double(OSClock.monotonicNanoseconds() - started) / 1e9,
                                  monitor: node.responder.monitor.report(at: time), nts: ntsReport().counters)
            },
            mru: MRUSource(
                entry: { [self] in node.responder.monitor.entry(for: $0) }, count: { [self] in node.responder.monitor.count },
                walk: { [self] after, skip, body in node.responder.monitor.walk(after: after, skip: skip, body) }))
        context.keys = node.responder.keys
        context.restrictions = { [self] in node.responder.restrictions.entries }
        context.interfaces = { [self] in
            serverSockets.map { s in
                ControlContext.Interface(address: s.localAddress, name: s.localAddress.ip.isUnspecified ? "wildcard" : s.localAddress.ip.description,
                                         received: node.responder.counters.received, sent: node.responder.counters.replied,
                                         uptime: Double(OSClock.monotonicNanoseconds() - started) / 1e9)
            }
        }
        context.acceptsConfiguration = configure != nil
        let answer = ControlResponder.answer(to: payload, from: datagram.source.ip, context: context) {
            let now = clock.now()
            return ControlResponder.Snapshot(
                system: SystemVariableSubject(report: engine.systemReport(server: node.responder.counters)),
                peers: engine.peerReports().map { PeerVariableSubject(report: $0, now: now) },
                events: engine.events)
        }
        if answer.refusedAmplification { node.responder.countControlRefused() }
        if let pending = answer.configuration {
            runConfiguration(pending, source: datagram.source, destination: datagram.destination, socket: socket)
            return
        }
        sendControl(answer.replies, to: datagram.source, from: datagram.destination, on: socket)
    }

    func sendControl(_ replies: [[UInt8]], to source: SocketAddress, from destination: PacketDestination?, on socket: UDPSocket) {
        for reply in replies {
            do { _ = try socket.send(reply, to: source, from: destination) } catch {
                log.warning("mode 6 reply to \(source): \(error)")
                return
            }
        }
    }

    /// Runs an accepted `:config` on a thread of its own (``configure``; single-threaded: on
    /// the loop); its reply is sent
    /// from the loop once it has run, from the socket the request came in on (or, when
    /// `interface` rules re-bound the sockets meanwhile, one bound to the same address).
    func runConfiguration(_ pending: ControlResponder.PendingConfiguration, source: SocketAddress,
                                  destination: PacketDestination?, socket: UDPSocket) {
        guard let configure else { return }
        if settings.singleThreaded {
            // One thread: run it here; the loop waits for it, as for the SIGHUP re-read.
            sendControl(pending.replies(configure(pending.text).message), to: source, from: destination, on: socket)
            return
        }
        let running = configurationRunning
        guard running.take() else {
            sendControl(pending.replies("another :config is running; try again"), to: source, from: destination, on: socket)
            return
        }
        let local = socket.localAddress
        let inbox = self.inbox
        let writeEnd = wake.write
        do {
            let thread = try PlatformThread(name: "ntpsh-config") {
                let result = configure(pending.text)
                let replies = pending.replies(result.message)
                running.release()
                inbox.put { d in
                    // `interface` rules may have re-bound the sockets: the one the request came
                    // in on, else one bound to the address it was sent to, else that family's wildcard.
                    let sockets = d.serverSockets
                    let to = destination.map { SocketAddress(ip: $0.ip, port: local.port) }
                    guard let s = sockets.first(where: { $0 === socket }) ?? sockets.first(where: { $0.localAddress == local })
                        ?? sockets.first(where: { to != nil && $0.localAddress.ip.unmapped == to!.ip.unmapped && $0.localAddress.port == local.port })
                        ?? sockets.first(where: { $0.localAddress.ip.isUnspecified && $0.localAddress.ip.isIPv4 == source.ip.isIPv4 })
                    else {
                        d.log.warning("mode 6 :config reply to \(source): no socket serves \(destination.map { $0.ip.description } ?? local.description) any more")
                        return
                    }
                    // A socket bound to one address sends from it; only a wildcard needs the source set.
                    d.sendControl(replies, to: source, from: s.localAddress.ip.isUnspecified ? destination : nil, on: s)
                }
                var byte: UInt8 = 0
                _ = write(writeEnd, &byte, 1)
            }
            thread.detach()
        } catch {
            running.release()
            log.warning("mode 6 :config from \(source): cannot start a thread: \(error)")
            sendControl(pending.replies("cannot run :config now: \(error)"), to: source, from: destination, on: socket)
        }
    }
}
