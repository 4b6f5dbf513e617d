import NTPEngine
import NTPWire
import Testing
@testable import NTPShell
@testable import NTPControl

@Suite struct FormatTests {
    @Test func fixedRoundsTheExactValueTiesToEven() {
        #expect(CFormat.fixed(0.5, 0) == "0")
        #expect(CFormat.fixed(1.5, 0) == "2")
        #expect(CFormat.fixed(2.5, 0) == "2")
        #expect(CFormat.fixed(0.125, 2) == "0.12")
        #expect(CFormat.fixed(0.375, 2) == "0.38")
        #expect(CFormat.fixed(1.005, 2) == "1.00")  // 1.00499999999999989…
        #expect(CFormat.fixed(-0.0004, 3) == "-0.000")
        #expect(CFormat.fixed(9.9996, 3) == "10.000")
        #expect(CFormat.fixed(123456789.125, 6) == "123456789.125000")
        #expect(CFormat.fixed(1e22, 1) == "10000000000000000000000.0")
        #expect(CFormat.fixed(.leastNonzeroMagnitude, 3) == "0.000")
        #expect(CFormat.fixed(.nan, 3) == "nan")
    }

    @Test func pythonRepr() {
        let cases: [(Double, String)] = [
            (0, "0.0"), (-0.0, "-0.0"), (1, "1.0"), (0.1, "0.1"), (-0.456, "-0.456"), (1e-5, "1e-05"), (0.0001, "0.0001"),
            (1e16, "1e+16"), (9999999999999998, "9999999999999998.0"), (1234567890123456768, "1.2345678901234568e+18"),
            (12.345678, "12.345678"), (2.5e-7, "2.5e-07"), (100, "100.0"),
        ]
        for (x, s) in cases { #expect(CFormat.pythonRepr(x) == s) }
    }

    @Test func whenAndPollIntervalsUsePythonDivision() {
        #expect(PeersView.interval(0) == "-")
        #expect(PeersView.interval(-3) == "-")
        #expect(PeersView.interval(2048) == "2048")
        #expect(PeersView.interval(2049) == "34m")
        #expect(PeersView.interval(17970) == "299m")
        #expect(PeersView.interval(17971) == "300m")
        #expect(PeersView.interval(17990) == "5h")
        #expect(PeersView.interval(18000) == "5h")  // Python: (18000+29)/60 = 300.48 > 300
        #expect(PeersView.interval(18031) == "5h")  // (18031+29)/60 = 301 → hours
        #expect(PeersView.interval(96 * 3600 - 1800) == "95h")
        #expect(PeersView.interval(96 * 3600) == "4d")
        #expect(PeersView.interval(100 * 3600) == "4d")
    }

    @Test func f8Formats() {
        #expect(PeersView.f8dot3(0.089) == "   0.089")
        #expect(PeersView.f8dot3(12345.6) == "12345.60")
        #expect(PeersView.f8dot3(-999.9999) == "-1000.000")  // as Python's %8.3f prints it
        #expect(PeersView.f8dot3(2_000_000.7) == " 2000000")
        #expect(PeersView.f8dot4(-0.456) == " -0.4560")
        #expect(PeersView.f8dot4(.nan) == "     nan")
    }
}

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndEscapes() {
        let v = JSONValue.object([
            ("z", .int(-3)), ("a", .string("tab\there \"q\" \\ \u{01} é")), ("n", .null), ("b", .bool(true)),
            ("d", .double(0.25)), ("i", .double(3)), ("inf", .double(.infinity)), ("e", .array([])), ("o", .object([])),
            ("u", .uint(UInt64.max)), ("s", .double(1e-7)),
        ])
        #expect(v.rendered() == #"{"z":-3,"a":"tab\there \"q\" \\ \u0001 é","n":null,"b":true,"d":0.25,"i":3,"inf":null,"e":[],"o":{},"u":18446744073709551615,"s":1e-07}"#)
        #expect(JSONValue.array([.int(1), .object([("k", .string("v"))])]).rendered(pretty: true) == "[\n  1,\n  {\n    \"k\": \"v\"\n  }\n]")
    }

    @Test func viewsHaveJSONForms() {
        let peers = PeersView.json(Scenario.peers, now: Scenario.now).rendered()
        #expect(peers.hasPrefix(#"[{"assid":20487,"tally":"*","condition":"sys.peer","remote":"192.0.2.10","address":"192.0.2.10:123","refid":"192.0.2.1","stratum":2,"type":"u","when_s":37.4,"poll_s":64,"reach":255,"reach_octal":"377","delay_ms":1.234,"offset_ms":-0.456,"jitter_ms":0.089}"#))
        let rv = ReadVarView.systemJSON(Scenario.subject, names: ["stratum", "offset", "refid", "version"], events: Scenario.events).rendered()
        #expect(rv == #"{"associd":0,"status":1557,"status_text":"leap_none, sync_ntp, 1 event, clock_sync","variables":{"stratum":3,"offset":-0.456,"refid":"192.0.2.10","version":"ntpsh 0.1"},"units":{"stratum":"none","offset":"milliseconds","refid":"address","version":"text"}}"#)
        let assoc = AssociationsView.json(Scenario.peers, events: Scenario.events).rendered()
        #expect(assoc.hasPrefix(#"[{"ind":1,"assid":20487,"status":38426,"status_hex":"961a","conf":true,"reach":true,"auth":"none","condition":"sys.peer","last_event":"sys_peer","count":1}"#))
        let stat = NTPStatView.json(Scenario.subject).rendered()
        #expect(stat.hasPrefix(#"{"status":0,"synchronised":true,"source":"NTP server","refid":"192.0.2.10","stratum":3,"#))
        #expect(TrackingView.json(Scenario.system).rendered().hasPrefix(#"{"reference_id":"C000020A","reference_name":"192.0.2.10","stratum":3,"ref_time":"2026-11-21T11:59:22Z""#))
        #expect(SystemStatsView.serverCountersJSON(ServerCounters(), uptime: 5).rendered().hasPrefix(#"{"uptime_s":5,"received":0"#))
    }
}

@Suite struct NTPStatTests {
    @Test func synchronised() {
        let r = NTPStatView.render(Scenario.subject)
        // accuracy = rootdisp + rootdelay/2 = 25.313 + 6.7205 ms
        #expect(r.text == "synchronised to NTP server (192.0.2.10) at stratum 3 \n   time correct to within 32 ms\n   polling server every 64 s\n")
        #expect(r.status == 0)
    }

    @Test func synchronisedToTheLocalClock() {
        var s = Scenario.subject
        s.report.systemPeer = Scenario.peers[1]
        s.report.variables.stratum = 11
        s.report.variables.rootDelay = 0
        s.report.variables.rootDispersion = 0.0105
        let r = NTPStatView.render(s)
        #expect(r.text == "synchronised to local net at stratum 11 \n   time correct to within 10 ms\n   polling server every 64 s\n")
    }

    @Test func unsynchronised() {
        let report = SystemReport(
            variables: SystemVariables(precision: PollExponent(-23)), rootDispersionNow: Seconds(16), rootDistance: Seconds(16),
            systemPeer: nil, clock: ClockStatus(kind: .observe, frequency: .zero, remainingSlew: .zero, precision: PollExponent(-23)),
            now: Scenario.now)
        let s = SystemVariableSubject(report: report)
        #expect(NTPStatView.render(s) == .init(text: "unsynchronised\n   polling server every 64 s\n", errorText: "", status: 1))
        let restart = [EngineEvent(time: Scenario.now, kind: .frequencySet(.zero))]
        #expect(SystemStatusWord(report, events: EventTally(count: 1, last: 1)).rawValue == 0xC011)
        #expect(NTPStatView.render(s, events: restart).text == "unsynchronised\n   polling server every 64 s\n")
        #expect(ReadVarView.system(s).hasPrefix("associd=0 status=c000 leap_alarm, sync_unspec, no events, unspecified,\nleap=11, stratum=16, precision=-23, rootdelay=0.0, rootdisp=16000.0,\nrootdist=16000.0, refid=INIT,\n"))
    }

    @Test func unreachableDaemon() {
        let r = NTPStatView.render(nil)
        #expect(r.status == 2 && r.text.isEmpty && r.errorText == "Unable to talk to NTP daemon. Is it running?\n")
    }
}

@Suite struct ChronyAndStatsTests {
    @Test func tracking() {
        #expect(TrackingView.text(Scenario.system) == """
        Reference ID    : C000020A (192.0.2.10)
        Stratum         : 3
        Ref time (UTC)  : Sat Nov 21 11:59:22 2026
        System time     : 0.000002100 seconds slow of NTP time
        Last offset     : -0.000456000 seconds
        RMS offset      : 0.000123000 seconds
        Frequency       : 12.346 ppm fast
        Residual freq   : +0.000 ppm
        Skew            : 0.000 ppm
        Root delay      : 0.013441000 seconds
        Root dispersion : 0.025874000 seconds
        Update interval : 64.0 seconds
        Leap status     : Normal

        """)
    }

    /// The layout of a real `chronyc tracking` (chrony 4.3, `local stratum 9`, captured by
    /// capture.sh into chronyc-tracking-local.txt) from the same values.
    @Test func trackingLayoutMatchesChronyc() throws {
        var v = SystemVariables(precision: PollExponent(-23))
        v.leap = .noWarning
        v.stratum = 9
        v.referenceID = ReferenceID(rawValue: 0x7F7F_0101)
        v.referenceTime = UnixTime(seconds: 1_795_262_234, nanoseconds: 0)
        v.rootDispersion = 0
        v.frequency = -0.0
        let r = SystemReport(
            variables: v, rootDispersionNow: Seconds(0), rootDistance: Seconds(0), systemPeer: nil,
            clock: ClockStatus(kind: .observe, frequency: .zero, remainingSlew: .zero, precision: PollExponent(-23)), now: Scenario.now)
        #expect(TrackingView.text(r) == (try fixture("chronyc-tracking-local.txt")))
    }

    @Test func sysstatsAndIostats() {
        var c = ServerCounters()
        c.received = 1000
        c.replied = 990
        c.droppedTooShort = 4
        c.droppedMalformed = 1
        c.droppedUnsupportedMode = 5
        c.currentVersion = 995
        c.controlReceived = 7
        c.rateLimited = 3
        c.kissesSent = 1
        c.cryptoNAKs = 3
        let monitor = MRUList().report(at: Scenario.now)
        let stats = StatisticsSubject(server: c, uptime: 90061, monitor: monitor)
        let sysstats = SystemStatsView.sysstats(stats).split(separator: "\n").map { $0.replacing(#/ +$/#, with: "") }
        #expect(sysstats == [
            "uptime:                  1D 01:01:01",
            "control requests:                  7",
            "sysstats reset:          1D 01:01:01   1D 01:01:01",
            "packets received:               1000          1000       90.0s/p       90.0s/p",
            "current version:                 995           995       91.0s/p       91.0s/p",
            "older version:                     0             0",
            "NTPv1 total:                       0             0",
            "NTPv1 clients:                     0             0",
            "NTPv1 mode0:                       0             0",
            "NTPv1 symm act:                    0             0",
            "bad length or format:              5             5    18012.0s/p    18012.0s/p",
            "authentication failed:             3             3    30020.0s/p    30020.0s/p",
            "declined:                          5             5    18012.0s/p    18012.0s/p",
            "restricted:                        0             0",
            "rate limited:                      3             3    30020.0s/p    30020.0s/p",
            "KoD responses:                     1             1    90061.0s/p    90061.0s/p",
            "processed for time:              990           990       91.0s/p       91.0s/p",
        ])
        #expect(SystemStatsView.iostats(StatisticsSubject(server: ServerCounters(), uptime: 59.5, monitor: monitor)) == """
        time since reset:           00:01:00
        dropped packets:                   0              
        ignored packets:                   0              
        received packets:                  0              
        packets sent:                      0              
        control refused:                   0              

        """)
        let monstats = SystemStatsView.monstats(StatisticsSubject(server: c, uptime: 1, monitor: monitor))
        #expect(monstats.hasPrefix("""
        enabled:                           1
        hash slots in use:                 0
        addresses in use:                  0
        peak addresses:                    0
        maximum addresses:             10922
        reclaim above count:             600
        reclaim maxage:             01:00:00
        reclaim minage:             00:01:04

        """))
    }
}
