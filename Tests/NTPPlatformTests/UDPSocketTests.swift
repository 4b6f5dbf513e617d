import Glibc
import NTPEngine
@testable import NTPPlatform
import NTPWire
import Testing

/// Loopback only. Every socket is bound to an ephemeral port.
@Suite struct UDPSocketTests {
    /// Receives into `batch` until `count` datagrams have arrived (or 2 s pass).
    func receiveAll(_ socket: UDPSocket, _ batch: UDPReceiveBatch, count: Int)
        throws -> [(ReceivedDatagram, [UInt8])]
    {
        var out: [(ReceivedDatagram, [UInt8])] = []
        var waited = 0
        while out.count < count && waited < 20 {
            if try !socket.waitReadable(timeoutMilliseconds: 100) {
                waited += 1
                continue
            }
            let n = try socket.receive(batch)
            for i in 0..<n { out.append((batch[i], Array(batch.payload(i)))) }
        }
        return out
    }

    /// Receives single datagrams until `count` have arrived (or 2 s pass).
    func receiveSingles(_ socket: UDPSocket, count: Int) throws -> [(ReceivedDatagram, [UInt8])] {
        var out: [(ReceivedDatagram, [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        var waited = 0
        while out.count < count && waited < 20 {
            if try !socket.waitReadable(timeoutMilliseconds: 100) {
                waited += 1
                continue
            }
            while let d = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) {
                out.append((d, Array(buffer[0..<d.length])))
            }
        }
        return out
    }

    func packet(_ i: Int, length: Int = 48) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
    }

    @Test func batchedRoundTripOnIPv4Loopback() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        #expect(server.localAddress.port != 0)
        #expect(server.localAddress.ip == .loopbackIPv4)

        let before = OSClock.realtime()
        for i in 0..<40 { try client.send(packet(i), to: server.localAddress) }

        let batch = UDPReceiveBatch(capacity: 16)
        let got = try receiveAll(server, batch, count: 40)
        let after = OSClock.realtime()
        #expect(got.count == 40)
        for (i, (d, bytes)) in got.enumerated() {
            #expect(bytes == packet(i))
            #expect(d.length == 48 && !d.truncated)
            #expect(d.source == client.localAddress)
            #expect(d.destination?.ip == .loopbackIPv4)
            #expect((d.destination?.interfaceIndex ?? 0) != 0)
            let t = try #require(d.receiveTime)
            #expect(t >= before.adding(seconds: -1) && t <= after.adding(seconds: 1))
            #expect(abs(t - OSClock.realtime()) < 1)
        }

        // Replies in one sendmmsg, each to its request's source, from its destination.
        let replies = UDPSendBatch(capacity: 64)
        for (i, (d, _)) in got.enumerated() {
            let ok = replies.appendReply(to: d) { buffer in
                let reply = packet(1000 + i, length: 60)
                buffer.copyBytes(from: reply)
                return reply.count
            }
            #expect(ok)
        }
        #expect(replies.count == 40)
        let result = server.send(replies)
        #expect(result.sent == 40 && result.failed == 0 && result.lastError == nil)
        #expect(replies.isEmpty)

        let back = try receiveSingles(client, count: 40)
        #expect(back.count == 40)
        for (i, (d, bytes)) in back.enumerated() {
            #expect(bytes == packet(1000 + i, length: 60))
            #expect(d.source == server.localAddress)
            #expect(d.receiveTime != nil)
        }
    }

    /// Where SO_TIMESTAMPNS gives no stamp (clknetsim accepts it and gives none; here it is
    /// switched off behind the socket's back), the first stampless datagram makes the socket
    /// ask for SO_TIMESTAMPING's software stamp, and the next ones carry it: single receives
    /// (the client path) and batched ones (the server path).
    @Test(.serialized, arguments: [false, true])
    func receiveStampsFromTimestampingWhenTimestampNSGivesNone(batched: Bool) throws {
        // The choice is process-wide once made; each case starts before it.
        UDPSocket.timestampNSGivesNone.store(false, ordering: .relaxed)
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        var off: Int32 = 0
        #expect(setsockopt(server.descriptor.rawValue, SOL_SOCKET, SO_TIMESTAMPNS, &off, 4) == 0)
        let batch = UDPReceiveBatch(capacity: 4)
        func receiveOne(_ i: Int) throws -> ReceivedDatagram {
            try client.send(packet(i), to: server.localAddress)
            let got = batched ? try receiveAll(server, batch, count: 1) : try receiveSingles(server, count: 1)
            let (d, bytes) = try #require(got.first, "datagram \(i) did not arrive")
            #expect(bytes == packet(i))
            return d
        }
        #expect(try receiveOne(0).receiveTime == nil, "SO_TIMESTAMPNS is off: no stamp yet")
        // The kernel starts stamping arriving datagrams a moment after the first socket on the
        // machine asks (a deferred switch), so allow a few datagrams (bounded) before the stamp.
        var stamp: (UnixTime, before: UnixTime)?
        for i in 1...50 where stamp == nil {
            let before = OSClock.realtime()
            if let t = try receiveOne(i).receiveTime { stamp = (t, before) } else { usleep(10_000) }
        }
        let (t, before) = try #require(stamp, "SO_TIMESTAMPING's software stamp never came")
        #expect(t >= before.adding(seconds: -0.001) && t <= OSClock.realtime())

        // A socket made after that asks for SO_TIMESTAMPING from the start: its first datagram
        // is stamped (a client socket lives for one reply).
        let fresh = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        #expect(setsockopt(fresh.descriptor.rawValue, SOL_SOCKET, SO_TIMESTAMPNS, &off, 4) == 0)
        try client.send(packet(99), to: fresh.localAddress)
        let first = batched ? try receiveAll(fresh, batch, count: 1) : try receiveSingles(fresh, count: 1)
        #expect(try #require(first.first).0.receiveTime != nil)
    }

    /// Where `socket` refuses SOCK_NONBLOCK|SOCK_CLOEXEC in the type (EINVAL: old kernels,
    /// clknetsim), the socket is made and the flags are set with fcntl.
    @Test func socketFlagsFallBackToFcntlWhenTheTypeFlagsAreRefused() throws {
        var calls: [Int32] = []
        let fd = try UDPSocket.openNonblocking(family: AF_INET) { family, type, proto in
            calls.append(type)
            if type != Int32(SOCK_DGRAM.rawValue) { errno = EINVAL; return -1 }
            return Glibc.socket(family, type, proto)
        }
        defer { Glibc.close(fd) }
        #expect(calls.count == 2)
        #expect(fcntl(fd, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        // Another failure is reported, not retried.
        #expect(throws: SystemCallError.self) {
            try UDPSocket.openNonblocking(family: AF_INET) { _, _, _ in errno = EMFILE; return -1 }
        }
    }

    @Test func wildcardSocketRepliesFromTheAddressAsked() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .anyIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let asked = SocketAddress(ip: try #require(IPAddress("127.0.0.2")), port: server.localAddress.port)
        try client.send(packet(1), to: asked)

        let batch = UDPReceiveBatch(capacity: 4)
        let got = try receiveAll(server, batch, count: 1)
        let request = try #require(got.first?.0)
        #expect(request.destination?.ip == asked.ip)

        let replies = UDPSendBatch(capacity: 4)
        replies.appendReply(to: request) { buffer in
            buffer.storeBytes(of: 0xAB, as: UInt8.self)
            return 1
        }
        #expect(server.send(replies).sent == 1)
        let back = try receiveSingles(client, count: 1)
        #expect(back.first?.0.source == asked)  // not 127.0.0.1: it came from 127.0.0.2
        #expect(back.first?.1 == [0xAB])
    }

    @Test func singleSendFromChosenAddress() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .anyIPv4, port: 0))
        let from = PacketDestination(ip: try #require(IPAddress("127.0.0.3")))
        try client.send(packet(5), to: server.localAddress, from: from)
        let got = try receiveSingles(server, count: 1)
        #expect(got.first?.0.source == SocketAddress(ip: from.ip, port: client.localAddress.port))
        #expect(got.first?.1 == packet(5))
    }

    @Test func ipv6LoopbackWithPacketInfo() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .anyIPv6, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv6, port: 0))
        let asked = SocketAddress(ip: .loopbackIPv6, port: server.localAddress.port)
        for i in 0..<5 { try client.send(packet(i), to: asked) }
        let batch = UDPReceiveBatch(capacity: 8)
        let got = try receiveAll(server, batch, count: 5)
        #expect(got.count == 5)
        let replies = UDPSendBatch()
        for (d, bytes) in got {
            #expect(d.source == client.localAddress)
            #expect(d.destination?.ip == .loopbackIPv6)
            #expect(abs(try #require(d.receiveTime) - OSClock.realtime()) < 1)
            replies.appendReply(to: d) { buffer in
                buffer.copyBytes(from: bytes)
                return bytes.count
            }
        }
        #expect(server.send(replies).sent == 5)
        let back = try receiveSingles(client, count: 5)
        #expect(back.map(\.1) == (0..<5).map { packet($0) })
        #expect(back.allSatisfy { $0.0.source == asked })
    }

    @Test func dualStackSocketAnswersIPv4ClientsFromMappedAddress() throws {
        let server = try UDPSocket(
            bindingTo: SocketAddress(ip: .anyIPv6, port: 0), options: UDPSocket.Options(ipv6Only: false))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let asked = SocketAddress(ip: try #require(IPAddress("127.0.0.2")), port: server.localAddress.port)
        try client.send(packet(3), to: asked)
        let got = try receiveAll(server, UDPReceiveBatch(capacity: 4), count: 1)
        let request = try #require(got.first?.0)
        #expect(request.source.ip.unmappedIPv4 == .loopbackIPv4)
        #expect(request.destination?.ip.unmappedIPv4 == asked.ip)
        #expect(request.receiveTime != nil)
        let replies = UDPSendBatch(capacity: 1)
        replies.appendReply(to: request) { buffer in
            buffer.storeBytes(of: 7, as: UInt8.self)
            return 1
        }
        #expect(server.send(replies).sent == 1)
        let back = try receiveSingles(client, count: 1)
        #expect(back.first?.0.source == asked)
    }

    @Test func bothWildcardsOnOnePort() throws {
        let v4 = try UDPSocket(bindingTo: SocketAddress(ip: .anyIPv4, port: 0))
        let v6 = try UDPSocket(bindingTo: SocketAddress(ip: .anyIPv6, port: v4.localAddress.port))
        #expect(v6.localAddress.port == v4.localAddress.port)
    }

    @Test func portInUseSaysWhichCallAndWhoHoldsIt() throws {
        let first = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let port = first.localAddress.port
        do {
            _ = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: port))
            Issue.record("second bind succeeded")
        } catch {
            #expect(error.errno == .addressInUse)
            #expect(error.call == "bind(127.0.0.1:\(port))")
            #expect(error.description.hasPrefix("bind(127.0.0.1:\(port)): "))
        }
        let holders = PortHolder.find(port: port)
        #expect(holders.contains { $0.pid == getpid() })
        #expect(holders.first { $0.pid == getpid() }.map { !$0.command.isEmpty } == true)
    }

    @Test func truncatedDatagramIsFlagged() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        try client.send(packet(0, length: 100), to: server.localAddress)
        let batch = UDPReceiveBatch(capacity: 2, bufferSize: 64)
        let got = try receiveAll(server, batch, count: 1)
        #expect(got.first?.0.truncated == true)
        #expect(got.first?.0.length == 64)
    }

    @Test func emptyReceiveReturnsZero() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let batch = UDPReceiveBatch(capacity: 2)
        #expect(try server.receive(batch) == 0)
        #expect(batch.count == 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try server.receive(into: $0) } == nil)
    }

    @Test func sendBatchStopsWhenFullAndSkipsEmptyWrites() {
        let batch = UDPSendBatch(capacity: 2)
        let to = SocketAddress(ip: .loopbackIPv4, port: 9)
        #expect(batch.append(to: to) { _ in 0 })  // nothing written, nothing appended
        #expect(batch.isEmpty)
        #expect(batch.append(to: to) { _ in 1 })
        #expect(batch.append(to: to) { _ in 1 })
        var called = false
        #expect(!batch.append(to: to) { _ in called = true; return 1 })
        #expect(!called && batch.isFull)
        batch.removeAll()
        #expect(batch.isEmpty)
    }

    @Test func closedSocketFailsWithEBADF() throws {
        let s = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        s.close()
        s.close()
        #expect(throws: SystemCallError.self) { try s.receive(UDPReceiveBatch(capacity: 1)) }
    }
}

@Suite struct PortHolderTests {
    @Test func parsesProcNetTables() {
        let udp = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
             1234: 0100007F:007B 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 55501 2 0000000000000000 0
             1235: 00000000:007B 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 55502 2 0000000000000000 0
             1236: 00000000:007C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 55503 2 0000000000000000 0
            """
        #expect(PortHolder.socketInodes(inTable: udp, port: 123) == [55501, 55502])
        #expect(PortHolder.socketInodes(inTable: udp, port: 124) == [55503])
        #expect(PortHolder.socketInodes(inTable: udp, port: 1).isEmpty)
        #expect(PortHolder.socketInode(fromLink: "socket:[55501]") == 55501)
        #expect(PortHolder.socketInode(fromLink: "pipe:[3]") == nil)
    }

    @Test func nobodyOnAFreshlyFreedPort() throws {
        let port: UInt16
        do {
            let s = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
            port = s.localAddress.port
        }
        #expect(!PortHolder.find(port: port).contains { $0.pid == getpid() })
    }
}

@Suite struct CaughtSignalsTests {
    /// The single-threaded daemon's signals: blocked until its wait, so one that comes before
    /// the wait (between the loop's look and its poll) still ends it; recorded, taken once.
    @Test func aSignalBeforeTheWaitEndsItAndIsTakenOnce() {
        CaughtSignals.install([SIGUSR2])
        defer {
            signal(SIGUSR2, SIG_DFL)
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        }
        #expect(CaughtSignals.take() == nil)
        raise(SIGUSR2)
        #expect(CaughtSignals.take() == nil, "blocked: pending until the wait")
        var none: [pollfd] = []
        let start = OSClock.monotonicNanoseconds()
        let n = CaughtSignals.poll(&none, timeoutMilliseconds: 5_000)
        #expect(n == -1 && errno == EINTR)
        #expect(OSClock.monotonicNanoseconds() - start < 1_000_000_000, "ended by the signal, not the timeout")
        #expect(CaughtSignals.take() == SIGUSR2)
        #expect(CaughtSignals.take() == nil)
    }
}
