@testable import NTPEngine
@testable import NTPRuntime
import NTPWire
import Testing

/// The server's replies waiting for their kernel transmit stamps: a stamp is given to the
/// reply its key names only if it lies in that reply's sending.
@Suite struct TransmitStampRingTests {
    static func slot(_ i: UInt32) -> MRUList.TransmitSlot { MRUList.TransmitSlot(index: i, receive: UInt64(i) << 32) }
    static func at(_ microseconds: Int64) -> UnixTime { UnixTime(nanoseconds: 1_800_000_000_000_000_000 + microseconds * 1000) }

    @Test func aStampInItsReplysSendingIsTaken() {
        let ring = TransmitStampRing()
        ring.put(0, Self.slot(1), sentAfter: Self.at(100))
        ring.put(1, Self.slot(2), sentAfter: Self.at(200))
        #expect(ring.take(0, stamp: Self.at(103)) == Self.slot(1))
        #expect(ring.take(0, stamp: Self.at(103)) == nil, "taken once")
        #expect(ring.take(1, stamp: Self.at(200)) == Self.slot(2), "the t3 itself is not too early")
    }

    /// The kernel's keys one ahead of ours (a refused datagram used one up unseen): the stamp
    /// of the reply to client 1 comes with the key of the reply to client 2, sent after it.
    /// Refused: earlier than that reply's t3. Client 2's own stamp still finds its reply.
    @Test func aStampEarlierThanItsReplysTransmitIsRefused() {
        let ring = TransmitStampRing()
        ring.put(1, Self.slot(1), sentAfter: Self.at(100))
        ring.put(2, Self.slot(2), sentAfter: Self.at(200))
        #expect(ring.take(2, stamp: Self.at(104)) == nil, "client 1's stamp is not client 2's")
        #expect(ring.take(2, stamp: Self.at(205)) == Self.slot(2))
    }

    @Test func aStampTooLongAfterItsReplysTransmitIsRefused() {
        let ring = TransmitStampRing()
        let bound = TransmitStampRing.latestAfterTransmit / 1000
        ring.put(7, Self.slot(3), sentAfter: Self.at(0))
        #expect(ring.take(7, stamp: Self.at(bound + 1)) == nil)
        #expect(ring.take(7, stamp: Self.at(bound)) == Self.slot(3), "at the bound it is still its own")
        // A key a lap away names another reply.
        ring.put(9, Self.slot(4), sentAfter: Self.at(0))
        #expect(ring.take(9 + UInt32(TransmitStampRing.size), stamp: Self.at(1)) == nil)
    }
}

/// When a full receive batch is answered in chunks (a flood) or one reply a call: by how fast
/// its requests arrived, not by its being full.
@Suite struct FloodDecisionTests {
    static func at(_ microseconds: Int64) -> UnixTime { UnixTime(nanoseconds: 1_800_000_000_000_000_000 + microseconds * 1000) }

    @Test func aBatchThatPiledUpUnderAModerateLoadIsNoFlood() {
        // 64 requests at 10k/s span 6.3 ms: the loop was descheduled, not flooded.
        #expect(!Daemon.isFlood(count: 64, firstArrival: Self.at(0), lastArrival: Self.at(6300)))
        // At 20k/s exactly (3.15 ms) it is still answered one reply a call.
        #expect(!Daemon.isFlood(count: 64, firstArrival: Self.at(0), lastArrival: Self.at(3150)))
    }

    @Test func aBatchThatArrivedFasterThanTheFloodRateIsAFlood() {
        // 64 requests in 0.9 ms: 70k/s.
        #expect(Daemon.isFlood(count: 64, firstArrival: Self.at(0), lastArrival: Self.at(900)))
        #expect(Daemon.isFlood(count: 64, firstArrival: Self.at(0), lastArrival: Self.at(3149)))
    }

    @Test func aFullBatchWithoutReceiveStampsIsAFlood() {
        #expect(Daemon.isFlood(count: 64, firstArrival: nil, lastArrival: Self.at(6300)))
    }
}
