// NTPMetrics: the engine's reports as Prometheus's text exposition format (version 0.0.4),
// what `/metrics` serves and `show metrics` prints. Pure: reports in, text out. Names follow
// Prometheus's conventions (base units in the name, `_total` counters, state sets as labels)
// and ntpd-rs's exporter where the two overlap (ntp_system_*, ntp_source_*, ntp_server_*).
public import NTPAdmin
import NTPEngine
import NTPWire
import NTPControl

/// Renders a ``MetricsSnapshot``.
public enum PrometheusText {
    /// The Content-Type a scrape of this text is served with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ s: MetricsSnapshot) -> String {
        var out = Writer()
        program(s, &out)
        system(s.system, &out)
        sources(s.peers, &out)
        server(s.system.server, &out)
        if let monitor = s.monitor { self.monitor(monitor, &out) }
        return out.text
    }

    private static func program(_ s: MetricsSnapshot, _ out: inout Writer) {
        out.metric("ntp_uptime_seconds", .gauge, "Seconds since the engine started", [([("version", s.version)], s.uptime)])
        let start = Double(s.system.now.nanoseconds) / 1e9 - s.uptime
        out.metric("process_start_time_seconds", .gauge, "Start time of the process since the Unix epoch", [([], start.rounded())])
    }

    private static func system(_ r: SystemReport, _ out: inout Writer) {
        let v = r.variables
        out.gauge("ntp_system_synchronized", "1 when the clock is synchronised to a source (leap indicator not 3, stratum below 16)", v.isSynchronized ? 1 : 0)
        out.gauge("ntp_system_leap_indicator", "Leap indicator: 0 none, 1 insert, 2 delete, 3 unsynchronised", Double(v.leap.rawValue))
        out.gauge("ntp_system_stratum", "Stratum this server reports", Double(v.stratum))
        out.gauge("ntp_system_offset_seconds", "Offset of the local clock from the combined sources at the last update", v.offset)
        out.gauge("ntp_system_frequency_ppm", "Frequency correction of the local clock, ppm", r.clock.frequency.value)
        out.gauge("ntp_system_remaining_slew_seconds", "Part of the last correction the clock driver still has to slew", r.clock.remainingSlew.value)
        out.gauge("ntp_system_jitter_seconds", "System jitter (selection and clock jitter combined)", v.systemJitter)
        out.gauge("ntp_system_wander_ppm", "Frequency wander, ppm", v.wander)
        out.gauge("ntp_system_root_delay_seconds", "Round-trip delay to the primary reference", v.rootDelay)
        out.gauge("ntp_system_root_dispersion_seconds", "Dispersion to the primary reference, now", r.rootDispersionNow)
        out.gauge("ntp_system_root_distance_seconds", "Root distance (delay/2 + dispersion), the bound clients see", r.rootDistance)
        out.gauge("ntp_system_poll_interval_seconds", "The discipline's time constant as a poll interval", PollExponent(v.timeConstant).seconds)
        out.gauge("ntp_system_precision_seconds", "Precision of the local clock", v.precision.seconds)
        out.gauge("ntp_system_truechimers", "Sources that survived selection", Double(v.truechimers))
        out.metric("ntp_system_clock_updates_total", .counter, "Clock updates made by the discipline", [([], Double(v.updates))])
    }

    private static func sources(_ peers: [PeerReport], _ out: inout Writer) {
        func each(_ value: (PeerReport) -> Double) -> [Sample] { peers.map { (labels($0), value($0)) } }
        func each(_ span: KeyPath<PeerReport, Seconds>) -> [Sample] { peers.map { (labels($0), $0[keyPath: span].value) } }
        out.metric("ntp_source_reachability", .gauge, "Reach register of the source (8 bits, the newest poll lowest)", each { Double($0.reach) })
        out.metric("ntp_source_unanswered_polls", .gauge, "Polls since the last reply", each { Double($0.unreach) })
        out.metric("ntp_source_offset_seconds", .gauge, "Offset of the source from the local clock (clock filter)", each(\.offset))
        out.metric("ntp_source_delay_seconds", .gauge, "Round-trip delay to the source (clock filter)", each(\.delay))
        out.metric("ntp_source_jitter_seconds", .gauge, "Jitter of the source's offsets", each(\.jitter))
        out.metric("ntp_source_dispersion_seconds", .gauge, "Dispersion of the source", each(\.dispersion))
        out.metric("ntp_source_poll_interval_seconds", .gauge, "Interval between polls of the source", each { PollExponent($0.poll).seconds })
        out.metric("ntp_source_stratum", .gauge, "Stratum the source reports", each { Double($0.stratum) })
        out.metric("ntp_source_root_delay_seconds", .gauge, "Root delay the source reports", each(\.rootDelay))
        out.metric("ntp_source_root_dispersion_seconds", .gauge, "Root dispersion the source reports", each(\.rootDispersion))
        out.metric("ntp_source_selected", .gauge, "1 for the source's selection state (ntpq's names), 0 for the others",
                   peers.flatMap { p in SelectStatus.allCases.map { s in (labels(p) + [("state", PeerStatusWord.conditionName(PeerStatusWord.selectCode(s)))], p.select == s ? 1.0 : 0) } })
        out.metric("ntp_source_authenticated", .gauge, "1 when the source's last reply passed authentication under its key",
                   peers.filter { $0.keyID != nil }.map { (labels($0), $0.authenticated ? 1.0 : 0) })
        out.metric("ntp_source_sent_packets_total", .counter, "Requests sent to the source", each { Double($0.counters.sent) })
        out.metric("ntp_source_received_packets_total", .counter, "Replies received from the source", each { Double($0.counters.received) })
    }

    private static func labels(_ p: PeerReport) -> [(String, String)] {
        let address = p.address.map { "\($0.ip)" } ?? ""
        let type = switch p.kind {
        case .unicast: "server"
        case .localClock: "local"
        case .pool: "pool"
        case .symmetricActive, .symmetricPassive: "peer"
        }
        return [("id", String(p.id.rawValue)), ("name", p.remoteText), ("address", address), ("type", type)]
    }

    private static func server(_ c: ServerCounters, _ out: inout Writer) {
        func counter(_ name: String, _ help: String, _ value: UInt64) { out.metric(name, .counter, help, [([], Double(value))]) }
        counter("ntp_server_received_packets_total", "NTP packets received by the server", c.received)
        counter("ntp_server_responses_total", "Replies sent by the server", c.replied)
        out.metric("ntp_server_dropped_packets_total", .counter, "Packets dropped by the server, by reason", [
            ([("reason", "too_short")], Double(c.droppedTooShort)), ([("reason", "bad_version")], Double(c.droppedBadVersion)),
            ([("reason", "unsupported_mode")], Double(c.droppedUnsupportedMode)), ([("reason", "malformed")], Double(c.droppedMalformed)),
            ([("reason", "restricted")], Double(c.droppedRestricted)),
        ])
        counter("ntp_server_rate_limited_packets_total", "Requests refused by the rate limit (restrict limited)", c.rateLimited)
        counter("ntp_server_kod_sent_total", "Kiss-o'-death packets sent", c.kissesSent)
        out.metric("ntp_server_requests_by_version_total", .counter, "Requests by NTP version", [
            ([("version", "current")], Double(c.currentVersion)), ([("version", "older")], Double(c.olderVersion)),
        ])
        counter("ntp_server_authenticated_packets_total", "Requests that passed symmetric-key authentication", c.authenticated)
        counter("ntp_server_crypto_naks_total", "Crypto-NAKs sent (a request's MAC failed)", c.cryptoNAKs)
        counter("ntp_control_received_packets_total", "Mode 6 (ntpq) requests received", c.controlReceived)
        counter("ntp_control_refused_packets_total", "Mode 6 requests refused", c.controlRefused)
    }

    private static func monitor(_ m: MonitorReport, _ out: inout Writer) {
        out.gauge("ntp_mru_entries", "Clients held in the MRU list", Double(m.entries))
        out.gauge("ntp_mru_memory_bytes", "Memory the MRU list holds", Double(m.memoryBytes))
        out.gauge("ntp_mru_oldest_age_seconds", "Age of the oldest entry in the MRU list", Double(m.oldestAge))
    }

    typealias Sample = (labels: [(String, String)], value: Double)

    enum Kind: String { case gauge, counter }

    /// Writes families: `# HELP`, `# TYPE`, then one line per sample.
    struct Writer {
        var text = ""

        mutating func gauge(_ name: String, _ help: String, _ value: Double) { metric(name, .gauge, help, [([], value)]) }
        mutating func gauge(_ name: String, _ help: String, _ span: Seconds) { gauge(name, help, span.value) }

        mutating func metric(_ name: String, _ kind: Kind, _ help: String, _ samples: [Sample]) {
            text += "# HELP \(name) \(escape(help, quote: false))\n# TYPE \(name) \(kind.rawValue)\n"
            for sample in samples {
                text += name
                if !sample.labels.isEmpty {
                    text += "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1, quote: true))\"" }.joined(separator: ",") + "}"
                }
                text += " " + number(sample.value) + "\n"
            }
        }

        /// Backslash and newline (and, in label values, the double quote) escaped.
        func escape(_ s: String, quote: Bool) -> String {
            var r = ""
            for ch in s {
                switch ch {
                case "\\": r += "\\\\"
                case "\n": r += "\\n"
                case "\"" where quote: r += "\\\""
                default: r.append(ch)
                }
            }
            return r
        }

        /// Go's float syntax as Prometheus parses it: integers plain, NaN and ±Inf by name.
        func number(_ v: Double) -> String {
            if v.isNaN { return "NaN" }
            if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
            return "\(v)"
        }
    }
}
