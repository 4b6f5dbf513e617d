public import NTPEngine
import NTPControl

/// `associations`: NTPsec's `ntpq -c as`.
public enum AssociationsView {
    public static func text(_ peers: [PeerReport], events: [EngineEvent] = []) -> String {
        guard !peers.isEmpty else { return PeersView.noAssociations }
        var out = "\nind assid status  conf reach auth condition  last_event cnt\n"
        out += String(repeating: "=", count: 59) + "\n"
        for (i, p) in peers.enumerated() {
            let w = PeerStatusWord(p, events: EventTally.peer(p.id, events))
            out += CFormat.pad(String(i + 1), 3) + " " + CFormat.pad(String(p.id.rawValue), 5) + "  "
                + CFormat.hex(UInt64(w.rawValue), width: 4) + "   " + CFormat.pad(CFormat.cut(w.conf, 3), 3)
                + "  " + CFormat.pad(w.reach, 4) + "  " + CFormat.pad(CFormat.cut(w.auth, 4), 4)
                + " " + CFormat.pad(CFormat.cut(w.condition, 9), 9) + " " + CFormat.pad(w.lastEventName, 11)
                + " " + CFormat.pad(String(w.eventCount), 2) + "\n"
        }
        return out
    }

    public static func json(_ peers: [PeerReport], events: [EngineEvent] = []) -> JSONValue {
        .array(peers.enumerated().map { i, p in
            let w = PeerStatusWord(p, events: EventTally.peer(p.id, events))
            return .object([
                ("ind", .int(Int64(i + 1))),
                ("assid", .int(Int64(p.id.rawValue))),
                ("status", .int(Int64(w.rawValue))),
                ("status_hex", .string(CFormat.hex(UInt64(w.rawValue), width: 4))),
                ("conf", .bool(w.statusBits & 0x80 != 0)),
                ("reach", .bool(w.statusBits & 0x10 != 0)),
                ("auth", .string(w.auth.trimmingSpaces)),
                ("condition", .string(w.condition)),
                ("last_event", .string(w.lastEventName)),
                ("count", .int(Int64(w.eventCount))),
            ])
        })
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
