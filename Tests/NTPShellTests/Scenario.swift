import NTPEngine
import NTPWire
@testable import NTPShell
@testable import NTPControl

/// The reports golden.py's scenario describes (see Fixtures/golden.py).
enum Scenario {
    static let now = UnixTime(seconds: 1_795_262_400, nanoseconds: 0)

    static func ts(_ secondsBefore: Double) -> NTPTimestamp { NTPTimestamp(now.adding(seconds: -secondsBefore)) }

    static func counters(_ received: UInt64) -> AssociationCounters {
        var c = AssociationCounters()
        c.received = received
        return c
    }

    static let filter: [ClockFilter.Sample] = {
        let d = [1.23, 1.25, 1.30, 1.24, 1.40, 1.22, 1.31, 1.27]
        let o = [-0.46, -0.44, -0.50, -0.41, -0.47, -0.45, -0.43, -0.48]
        let e = [0.00, 0.97, 1.94, 2.91, 3.88, 4.85, 5.82, 6.79]
        return (0..<8).map { ClockFilter.Sample(offset: o[$0] / 1000, delay: d[$0] / 1000, dispersion: e[$0] / 1000, time: now) }
    }()

    static let peers: [PeerReport] = [
        PeerReport(
            id: AssociationID(20487), host: "192.0.2.10", address: SocketAddress("192.0.2.10", port: 123), kind: .unicast,
            select: .systemPeer, leap: .noWarning, stratum: 2, precision: PollExponent(-23), rootDelay: Seconds(0.012207),
            rootDispersion: Seconds(0.023438), referenceID: ReferenceID(ipv4: 192, 0, 2, 1), referenceTime: ts(300),
            sinceLastReply: Seconds(37.4), poll: 6, peerPoll: 6, reach: 0xFF, offset: Seconds(-0.000456), delay: Seconds(0.001234),
            dispersion: Seconds(0.000938), jitter: Seconds(0.000089), filter: filter, counters: counters(40)),
        PeerReport(
            id: AssociationID(20488), host: "127.127.1.0", address: nil, kind: .localClock, select: .reject,
            leap: .noWarning, stratum: 10, referenceID: ReferenceID(ascii: "LOCL"), poll: 6, reach: 0x0F,
            dispersion: Seconds(0)),
        PeerReport(
            id: AssociationID(20489), host: "ntp.example.net", address: SocketAddress("198.51.100.7", port: 123),
            kind: .unicast, select: .candidate, leap: .noWarning, stratum: 3, rootDelay: Seconds(0.030518),
            rootDispersion: Seconds(0.045776), referenceID: ReferenceID(ipv4: 203, 0, 113, 9), referenceTime: ts(4000),
            sinceLastReply: Seconds(3000.2), poll: 10, peerPoll: 10, reach: 0x0F, offset: Seconds(0.012345678), delay: Seconds(0.0250005),
            dispersion: Seconds(0.0031), jitter: Seconds(1.23456789), counters: counters(4)),
        PeerReport(id: AssociationID(20490), host: "2.pool.ntp.org", address: nil, kind: .pool),
        PeerReport(
            id: AssociationID(20491), host: "2001:db8::123", address: SocketAddress("2001:db8::123", port: 123),
            kind: .unicast, unreach: 3, offset: Seconds(-12.3456789), delay: Seconds(123.456)),
    ]

    static let events: [EngineEvent] = [
        EngineEvent(time: now, kind: .resolved(AssociationID(20490), "2.pool.ntp.org", "192.0.2.99")),
        EngineEvent(time: now, kind: .reachable(AssociationID(20488), "LOCAL(0)")),
        EngineEvent(time: now, kind: .reachable(AssociationID(20489), "ntp.example.net")),
        EngineEvent(time: now, kind: .reachable(AssociationID(20489), "ntp.example.net")),
        EngineEvent(time: now, kind: .systemPeer(AssociationID(20487), "192.0.2.10")),
        EngineEvent(time: now, kind: .synchronised(stratum: 3)),
    ]

    static var system: SystemReport {
        var v = SystemVariables(precision: PollExponent(-23))
        v.leap = .noWarning
        v.stratum = 3
        v.referenceID = ReferenceID(ipv4: 192, 0, 2, 10)
        v.referenceTime = now.adding(seconds: -37.4)
        v.rootDelay = 0.013441
        v.rootDispersion = 0.025313
        v.timeConstant = 6
        v.systemPeer = AssociationID(20487)
        v.offset = -0.000456
        v.frequency = -12.345678
        v.selectionJitter = 0
        v.clockJitter = 0.000123
        v.wander = 0.004
        return SystemReport(
            variables: v, rootDispersionNow: Seconds(0.025874), rootDistance: Seconds(0.03204), systemPeer: peers[0],
            clock: ClockStatus(kind: .observe, frequency: PPM(-12.345678), remainingSlew: Seconds(0.0000021), precision: PollExponent(-23)),
            now: now)
    }

    static var subject: SystemVariableSubject {
        SystemVariableSubject(report: system, host: HostInfo(processor: "x86_64", system: "Linux/6.1.0", version: "ntpsh 0.1"))
    }
}
