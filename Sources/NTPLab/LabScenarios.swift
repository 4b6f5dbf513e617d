/// A training lab: a world (seed, the client clock's error) and a script of lab commands,
/// shell commands and `expect` checks, run by `ntpsh --lab NAME`.
public struct LabScenario: Sendable {
    public var name: String
    /// One line, for `ntpsh --lab list`.
    public var description: String
    public var seed: UInt64
    /// The client clock's error at the start, seconds.
    public var clockOffset: Double
    /// The client clock's frequency error, ppm.
    public var frequencyError: Double
    /// The commands, one a line; `#` lines are comments (printed, they explain the lab).
    public var script: String
}

extension LabScenario {
    /// A `#` line of a script as the interactive lab prints it: the teaching note, set off.
    public static func note(_ line: String) -> String {
        var text = Substring(line.dropFirst())
        if text.first == " " { text = text.dropFirst() }
        return "  | " + text + "\n"
    }

    /// What a taught lab prints when it waits between steps.
    public static let pausePrompt = "  -- Enter: next step, q then Enter: run to the end --\n"

    /// A command of a script as the interactive lab echoes it before running it.
    public static func commandLine(_ line: String) -> String { "lab> " + line + "\n" }
}

/// The labs shipped with ntpsh. Each script is plain shell input: paste it into `ntpsh --lab`
/// to run it by hand.
public enum LabScenarios {
    public static let all: [LabScenario] = [serverTutorial, clientTutorial, lanClient, ntpdVersusNtpdate, falseticker, driftFile, whyUnsynchronised]

    public static func named(_ name: String) -> LabScenario? { all.first { $0.name == name } }

    /// The shipped labs, for `help lab`.
    static var helpText: String {
        "\nShipped labs (ntpsh --lab NAME; ntpsh --lab list):\n\n"
            + all.map { "  \($0.name)" + String(repeating: " ", count: max(1, 20 - $0.name.count)) + $0.description + "\n" }.joined()
    }

    public static let serverTutorial = LabScenario(
        name: "server-tutorial",
        description: "The LAN server of the ntpd tutorial: three upstreams, one preferred; LOCAL stratum 10 when they fail; restrict for the LAN",
        seed: 3, clockOffset: 0.08, frequencyError: 30,
        script: """
            # The tutorial's /etc/ntp.conf: three upstreams (one preferred), the local clock as a
            # last resort, and a restrict line "allowing the LAN to synchronise".
            lab server add 10.0.0.1 delay 3ms
            lab server add 10.0.0.2 delay 8ms
            lab server add 10.0.0.3 delay 12ms
            driftfile /var/lib/ntp/drift
            restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap
            server 10.0.0.1 iburst prefer
            server 10.0.0.2 iburst
            server 10.0.0.3 iburst
            server 127.127.1.0
            fudge 127.127.1.0 stratum 10
            # Two machines ask this server (10.1.0.1) for time every 64 s: 192.168.0.20 on the
            # LAN, 203.0.113.7 somewhere outside it.
            lab client add 192.168.0.20 interval 64s
            lab client add 203.0.113.7 interval 64s
            wait sync 120s
            lab advance 20m
            # The preferred server is the system peer (*); LOCAL(0) waits as a backup.
            peers
            expect peer 10.0.0.1 tally == *
            expect rv stratum == 2
            # Both clients got time, the outsider too: a restrict line only sets what matching
            # addresses may do (here: no runtime changes, no traps). Nothing was said about
            # anyone else, and by default everyone is served.
            lab status
            expect client 192.168.0.20 answered >= 15
            expect client 203.0.113.7 answered >= 15
            # To serve the LAN only, refuse time to everyone else. The most specific entry that
            # matches wins, so the LAN line still applies to 192.168.0.20.
            restrict default noserve
            lab advance 20m
            restrictions
            restrictions match 203.0.113.7
            lab status
            expect client 192.168.0.20 unanswered == 0
            expect client 203.0.113.7 unanswered >= 15
            # All three upstreams go silent: after eight unanswered polls each is unreachable,
            # and the server keeps serving its LAN from its own clock at stratum 11.
            lab server 10.0.0.1 silent
            lab server 10.0.0.2 silent
            lab server 10.0.0.3 silent
            lab advance 3h
            peers
            ntpstat
            expect sync-peer == 127.127.1.0
            expect rv stratum == 11
            expect client 192.168.0.20 unanswered == 0
            # They come back: the upstreams are taken back within a few polls.
            lab server 10.0.0.1 answer
            lab server 10.0.0.2 answer
            lab server 10.0.0.3 answer
            lab advance 30m
            peers
            expect rv stratum == 2
            expect offset < 10ms
            """)

    public static let driftFile = LabScenario(
        name: "drift-file",
        description: "A clock 40 ppm fast: its frequency is learnt, kept in the drift file, and right at once after a restart",
        seed: 6, clockOffset: 0.01, frequencyError: 40,
        script: """
            # This machine's oscillator runs 40 ppm fast: left alone, its clock gains 3.5 s a day.
            # ntpd corrects the frequency as well as the time, and keeps the frequency it learnt
            # in the drift file, so that after a restart it need not learn it again.
            lab server add 10.0.0.1
            lab server add 10.0.0.2 delay 2ms
            lab server add 10.0.0.3 delay 4ms jitter 300us
            driftfile /var/lib/ntp/drift
            server 10.0.0.1 iburst
            server 10.0.0.2 iburst
            server 10.0.0.3 iburst
            wait sync 60s
            # Half a minute in, the frequency is still being learnt: it is still off by more than half a ppm
            # ("frequency error" in lab status is the truth; tracking shows the engine's view).
            lab advance 30s
            lab status
            expect frequency > 0.5ppm
            # A few minutes later it is known to a small fraction of a ppm.
            lab advance 10m
            tracking
            expect frequency < 0.2ppm
            # Every hour the frequency correction goes to the drift file: about -40 ppm (the
            # correction slows the clock down). Over the last hour it held within a few
            # hundredths of a ppm (the chart's scale is that fine).
            lab advance 2h
            plot frequency last 1h
            lab status
            expect drift-file < -39.5ppm
            expect drift-file > -40.5ppm
            # A reboot: the kernel forgets the correction; ntpsh starts again, reads the drift
            # file and starts from -40 ppm. Half a minute after the restart the frequency is
            # already right, where the first start was still more than half a ppm off.
            lab restart
            wait sync 60s
            lab advance 30s
            lab status
            expect frequency < 0.2ppm
            # Without the drift file, the same restart has to learn the frequency again.
            no driftfile
            lab restart
            wait sync 60s
            lab advance 30s
            lab status
            expect frequency > 0.5ppm
            """)

    public static let whyUnsynchronised = LabScenario(
        name: "why-unsynchronised",
        description: "Why ntpstat says unsynchronised after a restart, and what iburst changes",
        seed: 4, clockOffset: 0.03, frequencyError: 15,
        script: """
            # Right after start nothing has answered yet: ntpstat says unsynchronised (status 1).
            lab server add 10.0.0.1
            server 10.0.0.1
            ntpstat
            expect ntpstat status == 1
            # Without iburst one packet goes out per 64 s poll, and two answers are needed:
            # about a minute before the first clock update.
            lab advance 30s
            expect ntpstat status == 1
            lab advance 2m
            expect ntpstat status == 0
            # With iburst, eight packets two seconds apart when the server is unreachable: after
            # a restart the clock is synchronised within seconds instead of minutes.
            no server 10.0.0.1
            server 10.0.0.1 iburst
            lab restart
            expect ntpstat status == 1
            lab advance 10s
            peers
            ntpstat
            expect ntpstat status == 0
            """)

    public static let ntpdVersusNtpdate = LabScenario(
        name: "ntpd-vs-ntpdate",
        description: "A clock 2 s off, corrected by a step (ntpdate -b) and by a 500 ppm slew (ntpd -x)",
        seed: 5, clockOffset: 0, frequencyError: 20,
        script: """
            # Three servers; this lab's clock slews no faster than the kernel's 500 ppm.
            lab server add 10.0.0.1
            lab server add 10.0.0.2
            lab server add 10.0.0.3
            lab clock slew-rate 500ppm
            server 10.0.0.1
            server 10.0.0.2
            server 10.0.0.3
            # The clock is 2 s fast. ntpdate -b (here: step now) asks every server, then steps.
            # Stepping back 2 s makes the seconds just lived happen again: logs and file times
            # written in them repeat, which is why the tutorial warns against ntpdate on a
            # running server.
            lab clock jump 2s
            step now
            events
            expect offset < 1ms
            # ntpd -x never steps: it slews at 500 ppm, so 2 s takes 2 / 0.0005 = 4000 s.
            lab advance 10m
            lab clock jump 2s
            tinker step 0
            lab advance 10m
            # Ten minutes later about 0.3 s of the 2 s is corrected; time never went backwards.
            lab status
            expect offset > 1s
            lab advance 70m
            lab status
            expect offset < 1ms
            """)

    public static let clientTutorial = LabScenario(
        name: "client-tutorial",
        description: "Three servers, iburst, wait for sync: stratum 2 within 1 ms",
        seed: 1, clockOffset: 0.05, frequencyError: 20,
        script: """
            # Three stratum-1 servers in the lab; the client clock starts 50 ms off and 20 ppm fast.
            lab server add 10.0.0.1
            lab server add 10.0.0.2 delay 2ms
            lab server add 10.0.0.3 delay 5ms jitter 500us
            # Configure them as an ntp.conf would; iburst gets the first answers in seconds.
            server 10.0.0.1 iburst
            server 10.0.0.2 iburst
            server 10.0.0.3 iburst
            wait sync 120s
            # Let the discipline settle the frequency for a while.
            lab advance 30m
            peers
            lab status
            expect ntpstat status == 0
            expect rv stratum == 2
            expect peers-count == 3
            expect offset < 1ms
            """)

    public static let lanClient = LabScenario(
        name: "lan-client",
        description: "The tutorial's LAN client: one server (192.168.0.140, stratum 2); what its restrict line does and does not do",
        seed: 7, clockOffset: -0.12, frequencyError: -25,
        script: """
            # The tutorial's client: one server on the LAN, 192.168.0.140, itself synchronised
            # at stratum 2 to 114.118.7.161. This machine's clock starts 120 ms slow.
            lab server add 192.168.0.140 stratum 2 refid 114.118.7.161 delay 320us jitter 30us
            server 192.168.0.140 iburst
            # The tutorial says this line "lets the upstream server change this machine's time".
            # It does not: it only limits what 192.168.0.140 may ask of this machine (no runtime
            # changes, no traps, no ntpq queries). Time from a server is used whatever it says.
            restrict 192.168.0.140 nomodify notrap noquery
            wait sync 60s
            # ntpq -p as in the tutorial: * marks the system peer, refid is its upstream.
            peers
            expect peer 192.168.0.140 tally == *
            expect rv stratum == 3
            # 120 ms is under the 128 ms step threshold, so it is slewed away, never stepped
            # (events shows no step); half an hour later the clock is within a millisecond and
            # its frequency is known.
            events
            lab advance 30m
            ntpstat
            expect ntpstat status == 0
            expect offset < 1ms
            expect frequency < 0.5ppm
            """)

    public static let falseticker = LabScenario(
        name: "falseticker",
        description: "Five servers, one a second off: it is marked x, the clock stays within 1 ms",
        seed: 2, clockOffset: 0.02, frequencyError: -10,
        script: """
            # Five servers; 10.0.0.5 serves time one second ahead (a falseticker).
            lab server add 10.0.0.1
            lab server add 10.0.0.2
            lab server add 10.0.0.3
            lab server add 10.0.0.4
            lab server add 10.0.0.5 offset 1s
            server 10.0.0.1 iburst
            server 10.0.0.2 iburst
            server 10.0.0.3 iburst
            server 10.0.0.4 iburst
            server 10.0.0.5 iburst
            wait sync 120s
            lab advance 20m
            # The intersection algorithm leaves 10.0.0.5 out: tally x (falseticker). Its
            # offsets sit a second away from the others' all along.
            peers
            plot offset 10.0.0.5
            lab status
            expect peer 10.0.0.5 tally == x
            expect ntpstat status == 0
            expect offset < 1ms
            """)
}
