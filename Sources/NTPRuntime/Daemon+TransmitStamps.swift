import NTPEngine
import NTPPlatform
import NTPWire

/// Interleaved mode on the server path: the replies to interleaved-looking requests ask the
/// kernel for their transmit timestamps (SO_TIMESTAMPING, turned on for a server socket the
/// first time such a request comes, so a server no interleaved client talks to pays nothing);
/// the stamps are read from the error queue right after the batch is sent (loopback and most
/// drivers have them by then) and when poll reports POLLERR, and handed to the responder,
/// which keeps them in the client's MRU slot for its next, interleaved, reply.
extension Daemon {
    /// The reply just appended to the send batch answered an interleaved-looking request:
    /// ask for its kernel transmit timestamp, and remember whether it is interleaved itself.
    func noteInterleaving(_ stamp: MRUList.TransmitSlot, interleaved: Bool, on socket: UDPSocket) {
        let index = sendBatch.count - 1
        if interleaved {
            replyStamps.interleaved[index] = true
            replyStamps.interleavedCount += 1
        }
        guard socket.transmitTimestamps || socket.enableTransmitTimestamps(everyDatagram: false) else { return }
        sendBatch.markTransmitTimestamp()
        replyStamps.slots[index] = stamp
        replyStamps.used = max(replyStamps.used, index + 1)
    }

    /// How many replies go in one `sendmmsg` in a flood (``isFlood(_:)``), each call stamped
    /// right before it. Otherwise every reply goes in a call of its own, stamped right before
    /// it, as chrony answers: a reply sent with others leaves after them (on loopback 1–5 µs a
    /// datagram, the receiver's path included), and a loop descheduled under a moderate load
    /// finds dozens waiting — one stamp for all was up to ~100 µs early for the last, a chunk
    /// of 8 still a few µs (the offset spread a client sees under 10k/s: sd 12.8 µs with one
    /// stamp a batch, 4.3 with chunks of 8, 1.9 one at a time, chronyd 1.3; BENCHMARKS.md). In
    /// a flood the calls are where the throughput is.
    static let floodChunk = 8
    /// Requests a second above which a full receive batch is a flood.
    static let floodRate: Int64 = 20_000

    /// Whether the `received` requests just read are a flood: the batch came full and its
    /// requests arrived faster than ``floodRate`` (their kernel receive stamps closer together
    /// than capacity / rate). A full batch that only piled up while the loop was descheduled
    /// (a moderate load on a busy machine: 64 requests at 10k/s span 6.4 ms) is answered one
    /// reply a call, its stamps as late as under no load; a batch without receive stamps that
    /// came full counts as a flood.
    func isFlood(_ received: Int) -> Bool {
        guard received == receiveBatch.capacity, received > 1 else { return false }
        return Self.isFlood(count: received, firstArrival: receiveBatch[0].receiveTime,
                            lastArrival: receiveBatch[received - 1].receiveTime)
    }

    /// Whether `count` requests (a full batch) that arrived from `firstArrival` to
    /// `lastArrival` (kernel receive stamps; nil: none) came faster than ``floodRate``.
    static func isFlood(count: Int, firstArrival: UnixTime?, lastArrival: UnixTime?) -> Bool {
        guard let first = firstArrival, let last = lastArrival else { return true }
        return (last.nanoseconds &- first.nanoseconds) &* floodRate < Int64(count - 1) &* 1_000_000_000
    }

    func sendReplies(on socket: UDPSocket, flood: Bool) {
        let stamps = replyStamps, batch = sendBatch, clock = clock
        let stampedAny = batch.stampedCount > 0
        let ring = stampedAny ? stampRing(socket) : nil
        socket.send(batch, chunk: flood ? Self.floodChunk : 1, before: { range in
            let t3 = clock.now()
            stamps.sentAfter = t3
            for j in range {
                let reply = batch.payload(j)
                // An interleaved reply carries the previous reply's kernel stamp already.
                if stamps.interleavedCount == 0 || !stamps.interleaved[j] { ServerResponder.stampTransmit(t3, into: reply) }
                self.node.responder.seal(reply)
            }
        }, stamped: ring.map { ring in { index, key in ring.put(key, stamps.slots[index], sentAfter: stamps.sentAfter) } },
        drained: ring.map { ring in { key, raw in self.transmitted(key, at: raw, ring: ring) } })
        if stampedAny || stamps.interleavedCount > 0 { stamps.clear() }
        if stampedAny { readTransmitStamps(socket) }
    }

    /// The replies of `socket` waiting for their stamps, by key.
    func stampRing(_ socket: UDPSocket) -> TransmitStampRing {
        if let ring = transmitStampRings[socket.descriptor.rawValue] { return ring }
        let ring = TransmitStampRing()
        transmitStampRings[socket.descriptor.rawValue] = ring
        return ring
    }

    /// The kernel's transmit timestamp of the request just sent on a client socket (one
    /// socket per request: it is the only one), for the engine's `xleave` association (or any,
    /// with hardware stamps). Read only while one is due: once it has been read, a read of the
    /// error queue finds nothing (and clknetsim's would hand over the reply instead).
    func readRequestStamps(_ socket: UDPSocket, to destination: SocketAddress) {
        guard socket.transmitTimestamps, socket.transmitStampsRead != socket.nextTransmitKey else { return }
        guard socket.hardwareTimestamps else {
            socket.readTransmitTimestamps { _, raw in engine.transmitted(to: destination, at: clock.served(fromRaw: raw)) }
            return
        }
        socket.readTransmitStamps { _, software, hardware in
            if let raw = hardwareTransmitTime(hardware, software: software) {
                engine.transmitted(to: destination, at: clock.served(fromRaw: raw), hardware: true)
            } else if let software {
                engine.transmitted(to: destination, at: clock.served(fromRaw: software))
            }
        }
    }

    /// Reads the transmit timestamps waiting on `socket` and gives each to the client it
    /// belongs to (a stamp whose reply is no longer awaited is dropped).
    func readTransmitStamps(_ socket: UDPSocket) {
        guard socket.transmitTimestamps else { return }
        let ring = stampRing(socket)
        socket.readTransmitTimestamps { key, raw in transmitted(key, at: raw, ring: ring) }
    }

    /// Gives the kernel stamp `raw` with `key` to the reply waiting for it, if one is and the
    /// stamp is its own (``TransmitStampRing/take(_:stamp:)``).
    private func transmitted(_ key: UInt32, at raw: UnixTime, ring: TransmitStampRing) {
        let stamp = clock.served(fromRaw: raw)
        guard let slot = ring.take(key, stamp: stamp) else { return }
        node.responder.transmitted(slot, at: stamp)
    }
}

/// Per reply in the send batch: where its kernel transmit timestamp goes, and whether it is
/// interleaved (its transmit timestamp already in). Preallocated, reset after every send.
final class ReplyStamps {
    var slots: [MRUList.TransmitSlot?]
    var interleaved: [Bool]
    var interleavedCount = 0
    /// The transmit timestamp read right before the send call under way (its replies' t3).
    var sentAfter = UnixTime(nanoseconds: 0)
    /// Entries [0, used) may be set.
    var used = 0

    init(capacity: Int) {
        slots = Array(repeating: nil, count: capacity)
        interleaved = Array(repeating: false, count: capacity)
    }

    func clear() {
        for i in 0..<used { slots[i] = nil }
        used = 0
        if interleavedCount > 0 {
            for i in interleaved.indices { interleaved[i] = false }
            interleavedCount = 0
        }
    }
}

/// The replies of one socket waiting for their kernel transmit timestamps, indexed by the
/// key the kernel gives each stamp (OPT_ID: consecutive per stamped datagram). A stamp that
/// never comes is overwritten a lap later; a key whose entry is another's is ignored.
///
/// The keys are our count of the kernel's; the socket restarts both after a stamped datagram
/// the kernel refused (``UDPSocket/restartTransmitKeys(draining:)``). Should they still part
/// (a stamp of before a restart read after it), a stamp is taken only if it lies in its
/// reply's sending: not before the transmit timestamp read right before the send call, not
/// more than ``latestAfterTransmit`` after it.
final class TransmitStampRing {
    static let size = 256
    /// How late after its reply's t3 a kernel stamp may be (ns): the send call and the
    /// driver's queue. chrony allows 1 s; loopback takes microseconds, a busy NIC's queue
    /// milliseconds.
    static let latestAfterTransmit: Int64 = 50_000_000
    private var keys = [UInt32](repeating: 0, count: TransmitStampRing.size)
    private var slots = [MRUList.TransmitSlot?](repeating: nil, count: TransmitStampRing.size)
    private var sentAfter = [Int64](repeating: 0, count: TransmitStampRing.size)

    /// The reply with `slot`, sent with `key` after the transmit timestamp `t3` was read.
    func put(_ key: UInt32, _ slot: MRUList.TransmitSlot?, sentAfter t3: UnixTime) {
        let i = Int(key % UInt32(Self.size))
        keys[i] = key
        slots[i] = slot
        sentAfter[i] = t3.nanoseconds
    }

    /// The slot waiting for the stamp with `key`, if `stamp` can be its reply's (nil, and the
    /// entry kept, otherwise).
    func take(_ key: UInt32, stamp: UnixTime) -> MRUList.TransmitSlot? {
        let i = Int(key % UInt32(Self.size))
        guard keys[i] == key, let slot = slots[i] else { return nil }
        let late = stamp.nanoseconds &- sentAfter[i]
        guard late >= 0, late <= Self.latestAfterTransmit else { return nil }
        slots[i] = nil
        return slot
    }
}
