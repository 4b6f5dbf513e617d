import Glibc
import NTPEngine
@testable import NTPPlatform
import NTPWire
import Testing

/// Kernel transmit timestamps (SO_TIMESTAMPING's software stamp, read from MSG_ERRQUEUE), on
/// loopback. Waits are bounded (1 s); a stamp that does not come fails the test.
@Suite struct TransmitTimestampTests {
    /// Reads stamps until `count` have come or a second passes.
    func stamps(_ socket: UDPSocket, count: Int) throws -> [(UInt32, UnixTime)] {
        var out: [(UInt32, UnixTime)] = []
        var waits = 0
        while out.count < count && waits < 10 {
            if try !socket.waitTransmitTimestamp(timeoutMilliseconds: 100) { waits += 1; continue }
            socket.readTransmitTimestamps { out.append(($0, $1)) }
        }
        return out
    }

    @Test func singleSendIsStampedBetweenTheReadsAroundIt() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0),
                                   options: UDPSocket.Options(transmitTimestamps: true))
        #expect(client.transmitTimestamps)
        var got: [(UInt32, UnixTime)] = []
        for i in 0..<3 {
            let before = OSClock.realtime()
            try client.send([UInt8](repeating: UInt8(i), count: 48), to: server.localAddress)
            let after = OSClock.realtime()
            let s = try stamps(client, count: 1)
            try #require(s.count == 1, "a transmit timestamp arrives")
            #expect(s[0].1 >= before && s[0].1 <= after, "taken inside sendmsg: \(before) ≤ \(s[0].1) ≤ \(after)")
            got += s
        }
        #expect(got.map(\.0) == [0, 1, 2], "OPT_ID counts the datagrams sent")
        #expect(client.nextTransmitKey == 3)
        // The datagrams themselves arrive untouched, with their receive stamps.
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try server.waitReadable(timeoutMilliseconds: 1000))
        let d = try #require(try buffer.withUnsafeMutableBytes { try server.receive(into: $0) })
        #expect(d.length == 48 && d.receiveTime != nil)
    }

    @Test func onlyTheMarkedDatagramsOfABatchAreStamped() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        #expect(server.enableTransmitTimestamps(everyDatagram: false))
        let batch = UDPSendBatch(capacity: 8)
        for i in 0..<6 {
            batch.append(to: client.localAddress, from: PacketDestination(ip: .loopbackIPv4)) { buffer in
                buffer.storeBytes(of: UInt8(i), as: UInt8.self)
                return 48
            }
            if i % 2 == 1 { batch.markTransmitTimestamp() }
        }
        #expect(batch.stampedCount == 3)
        var marked: [(Int, UInt32)] = []
        let before = OSClock.realtime()
        let result = server.send(batch, stamped: { marked.append(($0, $1)) })
        let after = OSClock.realtime()
        #expect(result.sent == 6 && batch.isEmpty && batch.stampedCount == 0)
        #expect(marked.map(\.0) == [1, 3, 5] && marked.map(\.1) == [0, 1, 2])
        let s = try stamps(server, count: 3)
        #expect(s.map(\.0) == [0, 1, 2])
        for (_, t) in s { #expect(t >= before && t <= after) }
        // Nothing more: the unmarked replies were not stamped.
        #expect(try !server.waitTransmitTimestamp(timeoutMilliseconds: 50))
        // All six arrived.
        let receive = UDPReceiveBatch(capacity: 8)
        var n = 0
        for _ in 0..<10 where n < 6 {
            if try client.waitReadable(timeoutMilliseconds: 100) { n += try client.receive(receive) }
        }
        #expect(n == 6)
    }

    @Test func sentOneAtATimeEachIsFinishedRightBeforeItsCall() throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        #expect(server.enableTransmitTimestamps(everyDatagram: false))
        let batch = UDPSendBatch(capacity: 8)
        for i in 0..<4 {
            batch.append(to: client.localAddress) { buffer in
                buffer.storeBytes(of: UInt8(i), as: UInt8.self)
                return 48
            }
            batch.markTransmitTimestamp()
        }
        var finished: [(Int, UnixTime)] = []
        let result = server.send(batch, chunk: 1, before: { range in
            for j in range {
                batch.payload(j).storeBytes(of: UInt8(100 + j), toByteOffset: 1, as: UInt8.self)
                finished.append((j, OSClock.realtime()))
            }
        })
        #expect(result.sent == 4 && finished.map(\.0) == [0, 1, 2, 3])
        // Each stamp comes after the moment its datagram was finished, and before the next's.
        let s = try stamps(server, count: 4)
        #expect(s.map(\.0) == [0, 1, 2, 3])
        for (k, (_, t)) in s.enumerated() {
            #expect(t >= finished[k].1)
            if k + 1 < finished.count { #expect(t <= finished[k + 1].1) }
        }
        let receive = UDPReceiveBatch(capacity: 8)
        var got: [[UInt8]] = []
        for _ in 0..<10 where got.count < 4 {
            if try client.waitReadable(timeoutMilliseconds: 100) {
                let n = try client.receive(receive)
                for i in 0..<n { got.append(Array(receive.payload(i).prefix(2))) }
            }
        }
        #expect(got == [[0, 100], [1, 101], [2, 102], [3, 103]], "what each wrote went out")
    }

    /// A stamped datagram the kernel refuses (here port 0: EINVAL) restarts the keys, ours
    /// and the kernel's, at 0 (OPT_ID off and on), after the stamps waiting were read: the
    /// stamps after it carry the keys reported for them, each between the reads around its
    /// own send. One datagram a call, and all in one call (sendmmsg stopping short at it).
    @Test(arguments: [1, 8]) func aRefusedStampedDatagramRestartsTheKeys(chunk: Int) throws {
        let server = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        let client = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        #expect(server.enableTransmitTimestamps(everyDatagram: false))
        let batch = UDPSendBatch(capacity: 8)
        let refused = SocketAddress(ip: .loopbackIPv4, port: 0)
        for i in 0..<4 {
            batch.append(to: i == 1 ? refused : client.localAddress) { buffer in
                buffer.storeBytes(of: UInt8(i), as: UInt8.self)
                return 48
            }
            batch.markTransmitTimestamp()
        }
        var marked: [(Int, UInt32)] = []
        var drained: [(UInt32, UnixTime)] = []
        var finished: [UnixTime] = []
        let result = server.send(batch, chunk: chunk, before: { _ in finished.append(OSClock.realtime()) },
                                 stamped: { marked.append(($0, $1)) }, drained: { drained.append(($0, $1)) })
        let after = OSClock.realtime()
        #expect(result.sent == 3 && result.failed == 1 && result.lastError?.errno == .invalidArgument)
        #expect(server.transmitKeyRestarts == 1, "one restart for the one refused datagram")
        #expect(marked.map(\.0) == [0, 2, 3] && marked.map(\.1) == [0, 0, 1], "keys restart after the refused one")
        #expect(server.nextTransmitKey == 2)
        // The first datagram's stamp was read before the restart, with its key.
        #expect(drained.map(\.0) == [0])
        if let first = drained.first { #expect(first.1 >= finished[0] && first.1 <= after) }
        // The kernel's keys are ours again: 0 and 1, for the third and fourth datagrams.
        let s = try stamps(server, count: 2)
        #expect(s.map(\.0) == [0, 1], "the kernel restarted its count too")
        if chunk == 1 && s.count == 2 && finished.count == 4 {
            #expect(s[0].1 >= finished[2] && s[0].1 <= finished[3], "key 0 is the third datagram's")
            #expect(s[1].1 >= finished[3] && s[1].1 <= after, "key 1 is the fourth's")
        }
        #expect(try !server.waitTransmitTimestamp(timeoutMilliseconds: 50), "no stamp for the refused one")
    }

    @Test func aSocketWithoutTransmitStampsReadsNone() throws {
        let socket = try UDPSocket(bindingTo: SocketAddress(ip: .loopbackIPv4, port: 0))
        try socket.send([UInt8](repeating: 0, count: 48), to: socket.localAddress)
        #expect(socket.readTransmitTimestamps { _, _ in } == 0)
        #expect(try !socket.waitTransmitTimestamp(timeoutMilliseconds: 20))
    }
}
