import NTPLab
import NTPEngine
import NTPWire
import NTPPlatform
import NTPShell
import NTPSimulation
import NTPControl

/// `ntpsh --lab … --port N`: the lab host's server on a real UDP socket, on loopback only, so
/// ntpdig, ntpq or chronyd can ask the lab's time. Mode 3 requests are answered by the lab
/// host's own responder and restrict list at the lab's time when they are read; mode 6 (ntpq)
/// from the lab engine's reports. Driven from the shell's thread (the lab is single-threaded):
/// the interactive shell's idle work and the batch reader call ``serve()`` when a socket is
/// readable. The lab's times are moved onto this machine's time (see
/// ``SimulationAdmin/answerRealRequest(_:from:realTime:)``), so a client measures the lab host's
/// clock error.
final class LabSocketServer {
    let sockets: [UDPSocket]
    let admin: SimulationAdmin
    /// Requests answered and dropped, for `lab status`-like reporting in tests.
    private(set) var answered = 0
    private var buffer = [UInt8](repeating: 0, count: 2048)

    init(addresses: [SocketAddress], admin: SimulationAdmin) throws(SystemCallError) {
        var options = UDPSocket.Options()
        options.packetInfo = false
        options.receiveTimestamps = true  // the arrival time, however long the shell takes to serve it
        var opened: [UDPSocket] = []
        for address in addresses {
            do { opened.append(try UDPSocket(bindingTo: address, options: options)) } catch {
                for s in opened { s.close() }
                throw error
            }
        }
        sockets = opened
        self.admin = admin
    }

    deinit { for s in sockets { s.close() } }

    var descriptors: [Int32] { sockets.map(\.descriptor.rawValue) }

    /// Answers every datagram waiting.
    func serve() {
        for socket in sockets {
            while true {
                let received = buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemCallError) in try socket.receive(into: raw) } }
                guard case .success(let datagram?) = received else { break }
                let bytes = Array(buffer[0..<datagram.length])
                for reply in replies(to: bytes, from: datagram.source, arrival: datagram.receiveTime) {
                    _ = try? socket.send(reply, to: datagram.source)
                }
            }
        }
    }

    private func replies(to bytes: [UInt8], from source: SocketAddress, arrival: UnixTime?) -> [[UInt8]] {
        guard let first = bytes.first else { return [] }
        if first & 7 == 6 {
            let host = admin.host
            // The same rule as the daemon: no answer larger than its request to a source that
            // has not proven its address (loopback sources are exempt).
            return ControlResponder.answer(to: bytes, from: source.ip, context: nil) {
                let now = host.clock.now()
                return ControlResponder.Snapshot(
                    system: SystemVariableSubject(report: admin.systemReport()),
                    peers: admin.peerReports().map { PeerVariableSubject(report: $0, now: now) },
                    events: admin.events())
            }.replies
        }
        guard let reply = admin.answerRealRequest(bytes, from: source, realTime: OSClock.realtime(), arrival: arrival) else { return [] }
        answered += 1
        return [reply]
    }
}
