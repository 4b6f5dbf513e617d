public import NTPEngine
import CNTPPlatform
import Glibc

/// A preallocated batch for `recvmmsg`: `capacity` buffers with their address storage and
/// control space, filled by ``UDPSocket/receive(_:)``. Nothing is allocated per datagram;
/// reuse one batch for the life of the socket. Used from one thread.
public final class UDPReceiveBatch {
    public let capacity: Int
    public let bufferSize: Int
    /// Datagrams held after the last receive.
    public private(set) var count = 0

    let storage: MessageStorage
    var buffers: UnsafeMutableRawPointer { storage.buffers }
    var controls: UnsafeMutableRawPointer { storage.controls }
    var names: UnsafeMutablePointer<sockaddr_storage> { storage.names }
    var iovecs: UnsafeMutablePointer<iovec> { storage.iovecs }
    var messages: UnsafeMutablePointer<ntpsh_mmsghdr> { storage.messages }
    let received: UnsafeMutablePointer<ReceivedDatagram>

    /// - Parameters:
    ///   - capacity: datagrams per `recvmmsg` (64 is a good server value).
    ///   - bufferSize: bytes per datagram; longer ones are truncated and flagged.
    public init(capacity: Int = 64, bufferSize: Int = 2048) {
        precondition(capacity > 0 && bufferSize > 0)
        self.capacity = capacity
        self.bufferSize = bufferSize
        storage = MessageStorage(capacity: capacity, bufferSize: bufferSize, controlSize: receiveControlSize,
                                 receiving: true)
        received = .allocate(capacity: capacity)
        received.initialize(
            repeating: ReceivedDatagram(length: 0, source: SocketAddress(ip: .anyIPv4, port: 0)), count: capacity)
    }

    deinit {
        storage.deallocate(capacity: capacity)
        received.deinitialize(count: capacity).deallocate()
    }

    /// The metadata of datagram `index` (< ``count``).
    public subscript(index: Int) -> ReceivedDatagram {
        precondition(index >= 0 && index < count, "UDPReceiveBatch: index out of range")
        return received[index]
    }

    /// The bytes of datagram `index` (< ``count``); valid until the next receive.
    public func payload(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < count, "UDPReceiveBatch: index out of range")
        return UnsafeRawBufferPointer(start: buffers + index * bufferSize, count: received[index].length)
    }

    /// Readies every slot for `recvmmsg` (the kernel overwrites the lengths).
    @inline(__always)
    func prepare() {
        for i in 0..<capacity {
            messages[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            messages[i].msg_hdr.msg_controllen = receiveControlSize
            messages[i].msg_hdr.msg_flags = 0
            messages[i].msg_len = 0
        }
        count = 0
    }

    /// Decodes the first `n` slots after `recvmmsg` returned `n`.
    @inline(__always)
    func finish(_ n: Int) {
        var kept = 0
        for i in 0..<n {
            let hdr = UnsafeMutableRawPointer(messages + i).assumingMemoryBound(to: msghdr.self)
            let source = UnsafeRawPointer(names + i).withMemoryRebound(to: sockaddr.self, capacity: 1) {
                SocketAddress($0)
            }
            let control = parseControl(hdr, sourceIsIPv4: source?.ip.isIPv4 ?? true)
            let length = Int(messages[i].msg_len)
            // Keep slots in order; a datagram without an IP source (cannot happen on UDP/IP) is skipped.
            guard let source else { continue }
            if kept != i { moveSlot(from: i, to: kept, length: length) }
            received[kept] = ReceivedDatagram(
                length: length, source: source, receiveTime: control.time, destination: control.destination,
                truncated: hdr.pointee.msg_flags & Int32(MSG_TRUNC) != 0)
            kept += 1
        }
        count = kept
    }

    private func moveSlot(from: Int, to: Int, length: Int) {
        (buffers + to * bufferSize).copyMemory(from: buffers + from * bufferSize, byteCount: length)
    }
}

/// A preallocated batch for `sendmmsg`: append datagrams (each written straight into its
/// buffer, with its destination and the local address to send from), then
/// ``UDPSocket/send(_:)`` sends them all and empties the batch. Nothing is allocated per
/// datagram. Used from one thread.
public final class UDPSendBatch {
    public let capacity: Int
    public let bufferSize: Int
    /// Datagrams waiting to be sent.
    public private(set) var count = 0
    public var isFull: Bool { count == capacity }
    public var isEmpty: Bool { count == 0 }

    let storage: MessageStorage
    var buffers: UnsafeMutableRawPointer { storage.buffers }
    var controls: UnsafeMutableRawPointer { storage.controls }
    var names: UnsafeMutablePointer<sockaddr_storage> { storage.names }
    var iovecs: UnsafeMutablePointer<iovec> { storage.iovecs }
    var messages: UnsafeMutablePointer<ntpsh_mmsghdr> { storage.messages }

    public init(capacity: Int = 64, bufferSize: Int = 2048) {
        precondition(capacity > 0 && bufferSize > 0)
        self.capacity = capacity
        self.bufferSize = bufferSize
        storage = MessageStorage(capacity: capacity, bufferSize: bufferSize, controlSize: sendControlSize,
                                 receiving: false)
        stamped = .allocate(capacity: capacity)
        stamped.initialize(repeating: false, count: capacity)
    }

    /// Per datagram: a kernel transmit timestamp was asked for (``markTransmitTimestamp()``).
    let stamped: UnsafeMutablePointer<Bool>
    /// How many waiting datagrams have one asked for.
    public private(set) var stampedCount = 0

    deinit {
        storage.deallocate(capacity: capacity)
        stamped.deallocate()
    }

    /// Asks for a kernel transmit timestamp of the datagram appended last (the socket must have
    /// them on: ``UDPSocket/enableTransmitTimestamps(everyDatagram:)``): an SO_TIMESTAMPING
    /// control message with TX_SOFTWARE, after its pktinfo. ``UDPSocket/send(_:stamped:)``
    /// reports the key its stamp will carry.
    public func markTransmitTimestamp() {
        precondition(count > 0, "UDPSendBatch: nothing appended")
        let i = count - 1
        guard !stamped[i] else { return }
        let control = controls + i * sendControlSize
        let used = Int(messages[i].msg_hdr.msg_controllen)
        let added = writeTransmitTimestampControl(into: control + used)
        messages[i].msg_hdr.msg_control = control
        messages[i].msg_hdr.msg_controllen = used + added
        stamped[i] = true
        stampedCount += 1
    }

    /// Appends one datagram to `destination`, sent from `source` (the ``PacketDestination``
    /// the request arrived on; nil lets the kernel choose). `write` fills the buffer and returns
    /// the length; returning 0 appends nothing. Returns false, without calling `write`, when
    /// the batch is full. Call `write` as late as possible: it can take the transmit timestamp.
    @discardableResult
    public func append<E: Error>(
        to destination: SocketAddress, from source: PacketDestination? = nil,
        _ write: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Bool {
        guard count < capacity else { return false }
        let i = count
        let buffer = UnsafeMutableRawBufferPointer(start: buffers + i * bufferSize, count: bufferSize)
        let length = try write(buffer)
        guard length > 0 else { return true }
        precondition(length <= bufferSize, "UDPSendBatch: datagram longer than the buffer")
        iovecs[i].iov_len = length
        messages[i].msg_hdr.msg_namelen = destination.write(to: names + i)
        let control = controls + i * sendControlSize
        let controlLength = source.map { writeSourceControl($0, into: control) } ?? 0
        messages[i].msg_hdr.msg_control = controlLength > 0 ? control : nil
        messages[i].msg_hdr.msg_controllen = controlLength
        messages[i].msg_hdr.msg_flags = 0
        messages[i].msg_len = 0
        stamped[i] = false
        count += 1
        return true
    }

    /// Appends a reply to a received datagram: to its source, from its destination.
    @discardableResult
    public func appendReply<E: Error>(
        to request: ReceivedDatagram, _ write: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Bool {
        try append(to: request.source, from: request.destination, write)
    }

    /// The bytes of waiting datagram `index` (< ``count``), to finish before sending (the
    /// server writes each reply's transmit timestamp here, as late as it can).
    public func payload(_ index: Int) -> UnsafeMutableRawBufferPointer {
        precondition(index >= 0 && index < count, "UDPSendBatch: index out of range")
        return UnsafeMutableRawBufferPointer(start: buffers + index * bufferSize, count: iovecs[index].iov_len)
    }

    /// Drops every datagram waiting.
    public func removeAll() {
        if stampedCount > 0 {
            for i in 0..<count { stamped[i] = false }
            stampedCount = 0
        }
        count = 0
    }
}

/// The preallocated arrays behind a batch: datagram buffers, control buffers, socket addresses,
/// iovecs and the `mmsghdr`s wired to them. Shared by the receive and send batches.
struct MessageStorage {
    let buffers: UnsafeMutableRawPointer
    let controls: UnsafeMutableRawPointer
    let names: UnsafeMutablePointer<sockaddr_storage>
    let iovecs: UnsafeMutablePointer<iovec>
    let messages: UnsafeMutablePointer<ntpsh_mmsghdr>

    /// For receiving, each iovec spans its whole buffer and each message has its control
    /// buffer; for sending, lengths and control messages are set per datagram.
    init(capacity: Int, bufferSize: Int, controlSize: Int, receiving: Bool) {
        buffers = .allocate(byteCount: capacity * bufferSize, alignment: 16)
        controls = .allocate(byteCount: capacity * controlSize, alignment: 16)
        names = .allocate(capacity: capacity)
        names.initialize(repeating: sockaddr_storage(), count: capacity)
        iovecs = .allocate(capacity: capacity)
        messages = .allocate(capacity: capacity)
        for i in 0..<capacity {
            iovecs[i] = iovec(iov_base: buffers + i * bufferSize, iov_len: receiving ? bufferSize : 0)
            var m = ntpsh_mmsghdr()
            m.msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
            m.msg_hdr.msg_iov = iovecs + i
            m.msg_hdr.msg_iovlen = 1
            if receiving { m.msg_hdr.msg_control = controls + i * controlSize }
            (messages + i).initialize(to: m)
        }
    }

    func deallocate(capacity: Int) {
        buffers.deallocate()
        controls.deallocate()
        names.deinitialize(count: capacity).deallocate()
        iovecs.deallocate()
        messages.deinitialize(count: capacity).deallocate()
    }
}
