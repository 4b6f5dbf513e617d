public import NTPEngine
import NTPWire

/// How many events an association or the system has had (saturating at 15) and the code of
/// the last one, as mode 6 status words carry them.
public struct EventTally: Sendable, Equatable {
    public var count: UInt8
    public var last: UInt8
    public init(count: UInt8 = 0, last: UInt8 = 0) { self.count = min(count, 15); self.last = last & 0xF }

    mutating func record(_ code: UInt8) {
        if count < 15 { count += 1 }
        last = code & 0xF
    }

    /// ntpd's system event codes for the engine's events (nil: not a system event).
    static func systemCode(_ kind: EngineEvent.Kind) -> UInt8? {
        switch kind {
        case .frequencySet: return 2  // freq_set
        case .spike: return 3  // spike_detect
        case .synchronised: return 5  // clock_sync
        case .panic: return 7  // panic_stop
        case .noSystemPeer: return 8  // no_sys_peer
        case .step: return 12  // clock_step
        default: return nil
        }
    }

    /// ntpd's peer event codes (PEVNT_* without the PEER_EVENT bit) for one association.
    static func peerCode(_ kind: EngineEvent.Kind, _ id: AssociationID) -> UInt8? {
        switch kind {
        case .unreachable(let a, _) where a == id: return 3
        case .reachable(let a, _) where a == id: return 4
        case .kiss(let a, _, let code) where a == id:
            switch code {
            case .RATE: return 7  // rate_exceeded
            case .DENY, .RSTR: return 8  // access_denied
            default: return nil
            }
        case .systemPeer(let a, _) where a == id: return 10  // sys_peer
        case .authentication(let a, _, _) where a == id, .cannotSign(let a, _, _) where a == id: return 12  // bad_auth
        case .resolved(let a, _, _) where a == id: return 1  // mobilize
        default: return nil
        }
    }

    /// The system's tally from the engine's event history (oldest first).
    public static func system(_ events: [EngineEvent]) -> EventTally {
        var t = EventTally()
        for e in events { if let c = systemCode(e.kind) { t.record(c) } }
        return t
    }

    /// One association's tally from the engine's event history.
    public static func peer(_ id: AssociationID, _ events: [EngineEvent]) -> EventTally {
        var t = EventTally()
        for e in events { if let c = peerCode(e.kind, id) { t.record(c) } }
        return t
    }
}

/// ntpd's peer status word: flags (configured 0x80, authenable 0x40, authentic 0x20,
/// reachable 0x10, broadcast 0x08), the select code in 3 bits, the event count and last event.
public struct PeerStatusWord: Sendable, Equatable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public init(_ peer: PeerReport, events: EventTally = EventTally()) {
        var flags: UInt16 = 0
        if peer.configured { flags |= 0x80 }
        if peer.reach != 0 { flags |= 0x10 }
        // Authentication enabled: a symmetric key, or NTS (as NTPsec's ntpd sets it).
        if peer.keyID != nil || peer.ntsKEPort != nil { flags |= 0x40 }
        if peer.authenticated { flags |= 0x20 }
        let status = flags | UInt16(Self.selectCode(peer.select))
        rawValue = status << 8 | UInt16(events.count) << 4 | UInt16(events.last)
    }

    public static func selectCode(_ s: SelectStatus) -> UInt8 {
        switch s {
        case .reject: 0
        case .falseticker: 1
        case .excess: 2
        case .outlier: 3
        case .candidate: 4
        case .backup: 5
        case .systemPeer: 6
        case .ppsPeer: 7
        }
    }

    public var statusBits: UInt8 { UInt8(rawValue >> 8) }
    public var selectCode: UInt8 { statusBits & 7 }
    public var eventCount: UInt8 { UInt8(rawValue >> 4 & 0xF) }
    public var lastEvent: UInt8 { UInt8(rawValue & 0xF) }

    /// The tally character `peers` shows.
    public var tally: Character { Array(" x.-+#*o")[Int(selectCode)] }

    // The `associations` columns, as NTPsec's ntpq words them.
    public var conf: String { statusBits & 0x80 != 0 ? "yes" : "no" }
    public var reach: String { statusBits & 0x08 != 0 ? "none" : (statusBits & 0x10 != 0 ? "yes" : "no") }
    public var auth: String { statusBits & 0x40 == 0 ? "none" : (statusBits & 0x20 != 0 ? "ok " : "bad") }
    public var condition: String { Self.conditionName(selectCode) }
    /// ntpq's names of the selection states (`associations`' condition, the metrics' state label).
    public static func conditionName(_ code: UInt8) -> String {
        ["reject", "falsetick", "excess", "outlier", "candidate", "backup", "sys.peer", "pps.peer"][Int(code & 7)]
    }
    /// ntpq's (Python) names; codes it does not name print empty.
    public var lastEventName: String {
        let names = ["", "mobilize", "demobilize", "unreachable", "reachable", "restart", "no_reply",
                     "rate_exceeded", "access_denied", "leap_armed", "sys_peer", "clock_alarm"]
        return Int(lastEvent) < names.count ? names[Int(lastEvent)] : ""
    }

    /// libntp's `statustoa(TYPE_PEER)`: `conf, reach, sel_candidate, 2 events, reachable`.
    public var text: String {
        let flagNames: [(UInt8, String)] = [(0x80, "conf"), (0x40, "authenb"), (0x20, "auth"), (0x10, "reach"), (0x08, "bcast")]
        let flags = flagNames.filter { statusBits & $0.0 != 0 }.map(\.1).joined(separator: ", ")
        let sel = ["sel_reject", "sel_falsetick", "sel_excess", "sel_outlier", "sel_candidate", "sel_backup",
                   "sel_sys.peer", "sel_pps.peer"][Int(selectCode)]
        var s = "\(flags), \(sel), \(eventsText(eventCount))"
        if lastEvent != 0 {
            let names = ["", "mobilize", "demobilize", "unreachable", "reachable", "restart", "no_reply",
                         "rate_exceeded", "access_denied", "leap_armed", "sys_peer", "clock_event", "bad_auth", "popcorn"]
            s += ", " + (Int(lastEvent) < names.count ? names[Int(lastEvent)] : "_\(lastEvent)")
        }
        return s
    }
}

/// ntpd's system status word: leap (2 bits), clock source (6 bits), event count, last event.
public struct SystemStatusWord: Sendable, Equatable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Clock source codes (CTL_SST_TS_*).
    public static let unspecified: UInt8 = 0, pps: UInt8 = 1, local: UInt8 = 5, ntp: UInt8 = 6

    public init(_ system: SystemReport, events: EventTally = EventTally()) {
        let v = system.variables
        let leap = UInt16(v.isSynchronized ? v.leap.rawValue : LeapIndicator.unsynchronized.rawValue)
        var source = Self.unspecified
        if v.isSynchronized, let peer = system.systemPeer {
            source = peer.kind == .localClock ? Self.local : Self.ntp
        }
        rawValue = leap << 14 | UInt16(source) << 8 | UInt16(events.count) << 4 | UInt16(events.last)
    }

    public var leap: UInt8 { UInt8(rawValue >> 14) }
    public var source: UInt8 { UInt8(rawValue >> 8 & 0x3F) }
    public var eventCount: UInt8 { UInt8(rawValue >> 4 & 0xF) }
    public var lastEvent: UInt8 { UInt8(rawValue & 0xF) }

    /// libntp's `statustoa(TYPE_SYS)`: `leap_none, sync_ntp, 1 event, clock_sync`.
    public var text: String {
        let leaps = ["leap_none", "leap_add_sec", "leap_del_sec", "leap_alarm"]
        let syncs = ["sync_unspec", "sync_pps", "sync_lf_radio", "sync_hf_radio", "sync_uhf_radio", "sync_local",
                     "sync_ntp", "sync_other", "sync_wristwatch", "sync_telephone"]
        let events = ["unspecified", "freq_not_set", "freq_set", "spike_detect", "freq_mode", "clock_sync", "restart",
                      "panic_stop", "no_sys_peer", "leap_armed", "leap_disarmed", "leap_event", "clock_step", "kern",
                      "TAI", "stale_leapsecond_values"]
        let sync = Int(source) < syncs.count ? syncs[Int(source)] : "sync_\(source)"
        return "\(leaps[Int(leap)]), \(sync), \(eventsText(eventCount)), \(events[Int(lastEvent)])"
    }
}

func eventsText(_ n: UInt8) -> String { n == 0 ? "no events" : "\(n) event\(n == 1 ? "" : "s")" }
