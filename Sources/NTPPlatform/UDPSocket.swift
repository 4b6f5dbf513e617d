public import NTPEngine
public import NTPWire
public import SystemPackage
import CNTPPlatform
import Glibc
import Synchronization

/// A nonblocking UDP socket bound to one address, with kernel receive timestamps
/// (SO_TIMESTAMPNS; SO_TIMESTAMPING's software stamp where the first gives none) and the local destination of each datagram (IP_PKTINFO /
/// IPV6_RECVPKTINFO). Batched receive and send for the server, single ones for clients.
///
/// IPv6 sockets are IPv6-only by default, so `0.0.0.0` and `::` can both be bound on one port,
/// as ntpd does. A socket bound to a wildcard answers each client from the address it asked
/// (``UDPSendBatch/appendReply(to:_:)`` sends from the request's destination).
///
/// Owned by one thread; closed by ``close()`` or when released.
public final class UDPSocket {
    public struct Options: Sendable, Equatable {
        /// SO_REUSEADDR.
        public var reuseAddress = false
        /// SO_REUSEPORT.
        public var reusePort = false
        /// IPV6_V6ONLY (IPv6 sockets only).
        public var ipv6Only = true
        /// SO_TIMESTAMPNS: kernel receive timestamps.
        public var receiveTimestamps = true
        /// IP_PKTINFO / IPV6_RECVPKTINFO: the local destination of each datagram.
        public var packetInfo = true
        /// SO_RCVBUF in bytes, nil for the system default.
        public var receiveBufferSize: Int?
        /// Kernel transmit timestamps on every datagram sent (a client socket; see
        /// ``UDPSocket/enableTransmitTimestamps(everyDatagram:)``).
        public var transmitTimestamps = false

        public init(
            reuseAddress: Bool = false, reusePort: Bool = false, ipv6Only: Bool = true,
            receiveTimestamps: Bool = true, packetInfo: Bool = true, receiveBufferSize: Int? = nil,
            transmitTimestamps: Bool = false
        ) {
            self.reuseAddress = reuseAddress; self.reusePort = reusePort; self.ipv6Only = ipv6Only
            self.receiveTimestamps = receiveTimestamps; self.packetInfo = packetInfo
            self.receiveBufferSize = receiveBufferSize; self.transmitTimestamps = transmitTimestamps
        }
    }

    public let descriptor: FileDescriptor
    /// Receive timestamps were asked for (``Options/receiveTimestamps``).
    let receiveTimestamps: Bool
    /// The bound address, with the port the kernel chose when bound to port 0.
    public let localAddress: SocketAddress
    private var isOpen = true

    /// Creates the socket, sets its options and binds it. Errors name the call and the address,
    /// e.g. `bind(0.0.0.0:123): Address already in use` (see ``PortHolder`` to say who holds it).
    public init(bindingTo address: SocketAddress, options: Options = Options()) throws(SystemCallError) {
        let family = address.family
        let fd: Int32
        do {
            fd = try Self.openNonblocking(family: family)
        } catch {
            throw error.on(address.description)
        }
        do {
            func set(_ level: Int32, _ name: Int32, _ value: Int32, _ call: StaticString) throws(SystemCallError) {
                var v = value
                _ = try systemCall(call) {
                    setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            if options.reuseAddress { try set(SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)") }
            if options.reusePort { try set(SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)") }
            if let size = options.receiveBufferSize {
                try set(SOL_SOCKET, SO_RCVBUF, Int32(clamping: size), "setsockopt(SO_RCVBUF)")
            }
            if options.receiveTimestamps {
                try set(SOL_SOCKET, SO_TIMESTAMPNS, 1, "setsockopt(SO_TIMESTAMPNS)")
                // A socket before this one got no SO_TIMESTAMPNS stamps: ask for the other kind
                // from the start (a client socket lives for one reply).
                if Self.timestampNSGivesNone.load(ordering: .relaxed) {
                    // Best effort, as in missingTimestamp(): without it the loop reads the clock.
                    var flags = ntpsh_timestamping_rx_software
                    _ = setsockopt(fd, SOL_SOCKET, ntpsh_so_timestamping, &flags, socklen_t(MemoryLayout<Int32>.size))
                }
            }
            if family == AF_INET6 {
                try set(Int32(IPPROTO_IPV6), IPV6_V6ONLY, options.ipv6Only ? 1 : 0, "setsockopt(IPV6_V6ONLY)")
                if options.packetInfo {
                    try set(Int32(IPPROTO_IPV6), ntpsh_ipv6_recvpktinfo, 1, "setsockopt(IPV6_RECVPKTINFO)")
                }
            }
            if options.packetInfo && (family == AF_INET || !options.ipv6Only) {
                try set(Int32(IPPROTO_IP), IP_PKTINFO, 1, "setsockopt(IP_PKTINFO)")
            }
            _ = try address.withSockAddr { (sa, length) throws(SystemCallError) in
                try systemCall("bind") { Glibc.bind(fd, sa, length) }
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = try withUnsafeMutablePointer(to: &storage) { (p) throws(SystemCallError) in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (sa) throws(SystemCallError) in
                    try systemCall("getsockname") { getsockname(fd, sa, &length) }
                }
            }
            localAddress = SocketAddress(storage) ?? address
        } catch {
            Glibc.close(fd)
            throw error.on(address.description)
        }
        descriptor = FileDescriptor(rawValue: fd)
        receiveTimestamps = options.receiveTimestamps
        if Self.timestampNSGivesNone.load(ordering: .relaxed) && options.receiveTimestamps {
            timestampingFlags = ntpsh_timestamping_rx_software
        }
        if options.transmitTimestamps { enableTransmitTimestamps(everyDatagram: true) }
    }

    deinit { close() }

    /// A nonblocking, close-on-exec datagram socket: with the flags in `socket`'s type, or,
    /// where they are refused (EINVAL: kernels before 2.6.27, and clknetsim, which interposes
    /// `socket` and knows no flags), set afterwards with `fcntl`.
    /// `open` is `socket(2)` (a test passes one that refuses the flags).
    static func openNonblocking(
        family: Int32, open: (Int32, Int32, Int32) -> Int32 = { Glibc.socket($0, $1, $2) }
    ) throws(SystemCallError) -> Int32 {
        let flagged = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        do {
            return try systemCall("socket") { open(family, flagged, 0) }
        } catch where error.errno == .invalidArgument {
            let fd = try systemCall("socket") { open(family, Int32(SOCK_DGRAM.rawValue), 0) }
            do {
                let status = try systemCall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
                _ = try systemCall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, status | O_NONBLOCK) }
                _ = try systemCall("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
            } catch {
                Glibc.close(fd)
                throw error
            }
            return fd
        }
    }

    /// Whether SO_TIMESTAMPING was already asked for because SO_TIMESTAMPNS gave no stamp.
    private var triedTimestamping = false
    /// Set once a socket of this process found that SO_TIMESTAMPNS gives no stamp: later sockets
    /// ask for SO_TIMESTAMPING's from the start.
    static let timestampNSGivesNone = Atomic<Bool>(false)

    /// Called for a datagram that came without a receive timestamp although they were asked
    /// for: SO_TIMESTAMPNS was accepted but gives none here (clknetsim, which delivers software
    /// stamps only through SO_TIMESTAMPING), so ask for SCM_TIMESTAMPING's software receive
    /// stamp instead, once (and on every socket made after). Off the fast path: a socket that
    /// gets SO_TIMESTAMPNS stamps never comes here.
    @inline(never)
    func missingTimestamp() {
        guard receiveTimestamps, !triedTimestamping else { return }
        triedTimestamping = true
        Self.timestampNSGivesNone.store(true, ordering: .relaxed)
        _ = setTimestamping(timestampingFlags | ntpsh_timestamping_rx_software)
    }

    /// The SO_TIMESTAMPING flags set on the socket (0: none).
    private var timestampingFlags: Int32 = 0

    /// Sets SO_TIMESTAMPING to `flags`; false when the kernel refuses them.
    private func setTimestamping(_ flags: Int32) -> Bool {
        var v = flags
        guard setsockopt(descriptor.rawValue, SOL_SOCKET, ntpsh_so_timestamping, &v, socklen_t(MemoryLayout<Int32>.size)) == 0
        else { return false }
        timestampingFlags = flags
        return true
    }

    // MARK: Transmit timestamps

    /// Kernel transmit timestamps are on (``enableTransmitTimestamps(everyDatagram:)``).
    public private(set) var transmitTimestamps = false
    /// The key the kernel gives the next stamped datagram (SOF_TIMESTAMPING_OPT_ID counts the
    /// datagrams sent with a stamp asked for, from 0 when the option is set).
    public private(set) var nextTransmitKey: UInt32 = 0
    /// Transmit-stamp entries read from the error queue since the keys last started at 0: a
    /// client socket whose every datagram is stamped has one waiting while this is below
    /// ``nextTransmitKey``.
    public private(set) var transmitStampsRead: UInt32 = 0

    /// Turns on kernel software transmit timestamps (SO_TIMESTAMPING: TX_SOFTWARE, reported
    /// with OPT_ID and OPT_TSONLY), read later from the error queue with
    /// ``readTransmitTimestamps(limit:_:)``. `everyDatagram`: every datagram sent is stamped
    /// (a client socket); otherwise only those appended with `transmitTimestamp: true` (the
    /// server asks for the replies an interleaved client will want). Receive stamps stay
    /// SO_TIMESTAMPNS's (OPT_RX_FILTER keeps SCM_TIMESTAMPING off received datagrams where
    /// the kernel knows it). Returns false when the kernel refuses (no stamps then).
    @discardableResult
    public func enableTransmitTimestamps(everyDatagram: Bool) -> Bool {
        guard !transmitTimestamps else { return true }
        var flags = timestampingFlags | ntpsh_timestamping_tx_report
        if everyDatagram { flags |= ntpsh_timestamping_tx_software }
        guard setTimestamping(flags | ntpsh_timestamping_opt_rx_filter) || setTimestamping(flags) else { return false }
        transmitTimestamps = true
        nextTransmitKey = 0; transmitStampsRead = 0
        return true
    }

    /// How many times ``restartTransmitKeys(draining:)`` restarted the key count.
    public private(set) var transmitKeyRestarts = 0

    /// Restarts the kernel's key count, and ours, at 0, after reading the stamps waiting in the
    /// error queue into `draining`: OPT_ID turned off and on again (the kernel zeroes the count
    /// when the option is set anew). For after a stamped datagram the kernel refused: whether
    /// the refusal used up a key depends on the kernel and on where it failed (after the
    /// datagram was built: a netfilter drop, ENOBUFS with IP_RECVERR, older kernels' EMSGSIZE),
    /// and a key used unseen would give every later stamp to the reply after its own. Returns
    /// false, with transmit stamps off, when the kernel refuses the flags back.
    @discardableResult
    public func restartTransmitKeys(draining: (UInt32, UnixTime) -> Void) -> Bool {
        guard transmitTimestamps else { return false }
        readTransmitTimestamps(limit: .max, draining)
        let flags = timestampingFlags
        guard setTimestamping(flags & ~ntpsh_timestamping_opt_id), setTimestamping(flags) else {
            transmitTimestamps = false
            return false
        }
        nextTransmitKey = 0
        transmitStampsRead = 0
        transmitKeyRestarts += 1
        return true
    }

    /// Reads up to `limit` transmit timestamps waiting in the error queue, calling `body` with
    /// each one's key (the datagram's place among those stamped, counted from 0) and the
    /// kernel's CLOCK_REALTIME stamp. Returns how many were read. Nonblocking; the loop calls
    /// it after a send and when poll reports POLLERR.
    @discardableResult
    public func readTransmitTimestamps(limit: Int = 64, _ body: (UInt32, UnixTime) -> Void) -> Int {
        readTransmitStamps(limit: limit) { key, software, _ in
            if let software { body(key, software) }
        }
    }

    /// Like ``readTransmitTimestamps(limit:_:)``, with both stamps an entry may carry: the
    /// kernel's software stamp (ts[0]) and, on a socket with hardware stamps on
    /// (``enableHardwareTimestamps()``), the NIC's raw one (ts[2], nanoseconds of its PTP
    /// clock); each nil when not taken, never both.
    @discardableResult
    public func readTransmitStamps(limit: Int = 64, _ body: (UInt32, UnixTime?, Int64?) -> Void) -> Int {
        guard transmitTimestamps else { return 0 }
        var read = 0
        var key: UInt32 = 0
        var stamp = timespec()
        var hardware = timespec()
        for _ in 0..<max(0, limit) {
            let r = ntpsh_read_tx_timestamp(descriptor.rawValue, &key, &stamp, &hardware)
            if r <= 0 { break }
            if r == 1 {
                read += 1
                transmitStampsRead &+= 1
                let software = stamp.tv_sec != 0 || stamp.tv_nsec != 0
                    ? UnixTime(seconds: Int64(stamp.tv_sec), nanoseconds: Int64(stamp.tv_nsec)) : nil
                let raw = hardware.tv_sec != 0 || hardware.tv_nsec != 0
                    ? Int64(hardware.tv_sec) * 1_000_000_000 + Int64(hardware.tv_nsec) : nil
                body(key, software, raw)
            }
        }
        return read
    }

    /// Whether SO_TIMESTAMPING asks for the NIC's hardware stamps (``enableHardwareTimestamps()``).
    public private(set) var hardwareTimestamps = false

    /// Asks for the NIC's raw hardware stamps on this socket, both ways, beside the kernel's
    /// software ones (SO_TIMESTAMPING: RX/TX_HARDWARE, RAW_HARDWARE, OPT_PKTINFO for the
    /// interface and frame length, OPT_ID/OPT_TSONLY as the software path): received datagrams
    /// then carry scm_timestamping with ts[2] set when the interface stamped them, and every
    /// datagram sent leaves a stamp in the error queue. Only worth doing on a socket whose
    /// traffic crosses an interface where SIOCSHWTSTAMP was accepted
    /// (``HardwareTimestamping/enable(_:filter:)``); elsewhere ts[2] stays zero and the
    /// software stamps keep working. Throws when the kernel refuses the flags.
    public func enableHardwareTimestamps() throws(SystemCallError) {
        var flags = Int32(bitPattern: ntpsh_timestamping_hardware)
        _ = try systemCall("setsockopt(SO_TIMESTAMPING)") {
            setsockopt(descriptor.rawValue, SOL_SOCKET, ntpsh_so_timestamping, &flags, socklen_t(MemoryLayout<Int32>.size))
        }
        timestampingFlags = flags
        hardwareTimestamps = true
        if !transmitTimestamps {
            transmitTimestamps = true
            nextTransmitKey = 0; transmitStampsRead = 0
        }
    }

    /// Waits until the error queue holds something (a transmit timestamp) or
    /// `timeoutMilliseconds` pass. Returns whether it does.
    public func waitTransmitTimestamp(timeoutMilliseconds: Int32) throws(SystemCallError) -> Bool {
        var p = pollfd(fd: descriptor.rawValue, events: 0, revents: 0)
        let n = try systemCall("poll") { poll(&p, 1, timeoutMilliseconds) }
        return n > 0 && p.revents & Int16(POLLERR) != 0
    }

    /// Closes the socket; later calls fail with EBADF. Idempotent.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        Glibc.close(descriptor.rawValue)
    }

    // MARK: Batched, for the server

    /// Receives up to `batch.capacity` waiting datagrams with one `recvmmsg` (nonblocking) and
    /// returns how many; 0 when none is waiting. Read them with `batch[i]`, `batch.payload(i)`.
    @discardableResult
    public func receive(_ batch: UDPReceiveBatch) throws(SystemCallError) -> Int {
        batch.prepare()
        let n = try systemCallUnlessWouldBlock("recvmmsg") {
            ntpsh_recvmmsg(descriptor.rawValue, batch.messages, UInt32(batch.capacity), Int32(MSG_DONTWAIT), nil)
        }
        guard let n else { return 0 }
        batch.finish(Int(n))
        if batch.count > 0 && batch[0].receiveTime == nil { missingTimestamp() }
        return batch.count
    }

    /// What a batched send did.
    public struct SendResult: Sendable, Equatable {
        public var sent: Int
        public var failed: Int
        /// The last failure, if any (e.g. `sendmmsg: Network is unreachable`).
        public var lastError: SystemCallError?
    }

    /// Sends every datagram of `batch` with `sendmmsg` and empties it. A datagram the kernel
    /// refuses is counted and skipped so the others still go; if the socket buffer is full
    /// (EAGAIN) the rest are dropped and counted as failed.
    ///
    /// `stamped` is called, for each sent datagram appended with a transmit timestamp asked
    /// for, with its index in the batch and the key its stamp will carry.
    ///
    /// `chunk`: at most this many datagrams go in one call, and `before(range)` runs right
    /// before the call that hands `range` to the kernel (the server writes the transmit
    /// timestamps there: in one call for many, a datagram leaves after those before it are
    /// sent, later than a stamp taken for all).
    ///
    /// A stamped datagram the kernel refuses (the call failing on it, or stopping short before
    /// it) may have used up a key: the keys restart (``restartTransmitKeys(draining:)``, the
    /// stamps waiting read into `drained` first) before anything else is sent.
    @discardableResult
    public func send(
        _ batch: UDPSendBatch, chunk: Int = .max, before: ((Range<Int>) -> Void)? = nil,
        stamped: ((Int, UInt32) -> Void)? = nil, drained: ((UInt32, UnixTime) -> Void)? = nil
    ) -> SendResult {
        var result = SendResult(sent: 0, failed: 0, lastError: nil)
        var next = 0
        // The index of the refused datagram the keys last restarted for (its retry failing
        // again needs no second restart).
        var restartedFor = -1
        while next < batch.count {
            do {
                let count = min(max(1, chunk), batch.count - next)
                before?(next..<(next + count))
                let n = try systemCall("sendmmsg") {
                    ntpsh_sendmmsg(descriptor.rawValue, batch.messages + next, UInt32(count), 0)
                }
                if batch.stampedCount > 0 {
                    for i in next..<(next + Int(n)) where batch.stamped[i] {
                        stamped?(i, nextTransmitKey)
                        nextTransmitKey &+= 1
                    }
                    if Int(n) < count && batch.stamped[next + Int(n)] {
                        restartedFor = next + Int(n)
                        restartTransmitKeys(draining: drained ?? { _, _ in })
                    }
                }
                result.sent += Int(n)
                next += Int(n)
            } catch {
                result.lastError = error
                if batch.stampedCount > 0 && batch.stamped[next] && restartedFor != next {
                    restartTransmitKeys(draining: drained ?? { _, _ in })
                }
                if error.errno == .resourceTemporarilyUnavailable {
                    result.failed += batch.count - next
                    break
                }
                result.failed += 1
                next += 1
            }
        }
        batch.removeAll()
        return result
    }

    // MARK: Single, for clients

    /// Sends one datagram to `destination`, from `source` if given. Returns false if the socket
    /// buffer is full (EAGAIN).
    @discardableResult
    public func send(
        _ bytes: UnsafeRawBufferPointer, to destination: SocketAddress, from source: PacketDestination? = nil
    ) throws(SystemCallError) -> Bool {
        var name = sockaddr_storage()
        let nameLength = destination.write(to: &name)
        return try withUnsafeTemporaryAllocation(byteCount: sendControlSize, alignment: 16) {
            (control) throws(SystemCallError) -> Bool in
            let controlLength = source.map { writeSourceControl($0, into: control.baseAddress!) } ?? 0
            var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
            return try withUnsafeMutablePointer(to: &name) { (namePointer) throws(SystemCallError) -> Bool in
                try withUnsafeMutablePointer(to: &iov) { (iovPointer) throws(SystemCallError) -> Bool in
                    var msg = msghdr()
                    msg.msg_name = UnsafeMutableRawPointer(namePointer)
                    msg.msg_namelen = nameLength
                    msg.msg_iov = iovPointer
                    msg.msg_iovlen = 1
                    msg.msg_control = controlLength > 0 ? control.baseAddress : nil
                    msg.msg_controllen = controlLength
                    let n = try systemCallUnlessWouldBlock("sendmsg") {
                        sendmsg(descriptor.rawValue, &msg, Int32(MSG_DONTWAIT))
                    }
                    if n != nil && timestampingFlags & ntpsh_timestamping_tx_software != 0 { nextTransmitKey &+= 1 }
                    return n != nil
                }
            }
        }
    }

    /// Sends one datagram given as bytes.
    @discardableResult
    public func send(_ bytes: [UInt8], to destination: SocketAddress, from source: PacketDestination? = nil)
        throws(SystemCallError) -> Bool
    {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemCallError) -> Bool in try send(raw, to: destination, from: source) }
        }
        return try result.get()
    }

    /// Receives one waiting datagram into `buffer` with its timestamp and destination; nil when
    /// none is waiting.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> ReceivedDatagram? {
        var name = sockaddr_storage()
        return try withUnsafeTemporaryAllocation(byteCount: receiveControlSize, alignment: 16) {
            (control) throws(SystemCallError) -> ReceivedDatagram? in
            var iov = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return try withUnsafeMutablePointer(to: &name) { (namePointer) throws(SystemCallError) -> ReceivedDatagram? in
                try withUnsafeMutablePointer(to: &iov) { (iovPointer) throws(SystemCallError) -> ReceivedDatagram? in
                    var msg = msghdr()
                    msg.msg_name = UnsafeMutableRawPointer(namePointer)
                    msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    msg.msg_iov = iovPointer
                    msg.msg_iovlen = 1
                    msg.msg_control = control.baseAddress
                    msg.msg_controllen = control.count
                    guard let n = try systemCallUnlessWouldBlock("recvmsg", {
                        recvmsg(descriptor.rawValue, &msg, Int32(MSG_DONTWAIT))
                    }) else { return nil }
                    let source = UnsafeRawPointer(namePointer).withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        SocketAddress($0)
                    }
                    guard let source else { return nil }
                    let control = withUnsafeMutablePointer(to: &msg) {
                        parseControl($0, sourceIsIPv4: source.ip.isIPv4)
                    }
                    if control.time == nil { missingTimestamp() }
                    return ReceivedDatagram(
                        length: n, source: source, receiveTime: control.time, destination: control.destination,
                        truncated: msg.msg_flags & Int32(MSG_TRUNC) != 0,
                        hardwareStamp: control.hardwareStamp, hardwareInterfaceIndex: control.hardwareInterfaceIndex)
                }
            }
        }
    }

    /// Waits until a datagram can be read or `timeoutMilliseconds` pass (-1: forever).
    /// Returns whether one is waiting.
    public func waitReadable(timeoutMilliseconds: Int32) throws(SystemCallError) -> Bool {
        var p = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        let n = try systemCall("poll") { poll(&p, 1, timeoutMilliseconds) }
        return n > 0
    }
}
