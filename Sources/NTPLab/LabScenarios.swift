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
    public static let all: [LabScenario] = [serverTutorial, clientTutorial, lanClient, ntpdVersusNtpdate, falseticker, driftFile, whyUnsynchronised,
                                            safeChange, ntsMitm]

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

    public static let safeChange = LabScenario(
        name: "safe-change",
        description: "A wrong restrict locks the LAN out under commit confirmed 2m: clients go unanswered until the engine reverts it by itself",
        seed: 8, clockOffset: 0.02, frequencyError: 10,
        script: """
            # This machine (10.1.0.1) serves time to the LAN 192.168.0.0/24 and to no one else.
            lab server add 10.0.0.1 delay 3ms
            lab server add 10.0.0.2 delay 8ms
            server 10.0.0.1 iburst
            server 10.0.0.2 iburst
            restrict default noserve
            restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap
            lab client add 192.168.0.20 interval 16s
            wait sync 120s
            lab advance 5m
            expect client 192.168.0.20 unanswered == 0
            # You are to stop serving an old subnet, 192.168.9.0/24. Changes made over the network
            # can cut you off, so make this one as a transaction: open a candidate. Configuration
            # commands now edit it; the engine runs on unchanged (the prompt says "(config)").
            configure
            # A slip of the keyboard: 0 for 9. The line is valid, so every check passes.
            restrict 192.168.0.0 mask 255.255.255.0 ignore
            show configuration compare
            commit check
            # Commit it with a safety net: unless a plain "commit" confirms within 2 minutes, the
            # engine puts the previous configuration back by itself.
            commit confirmed 2m comment "retire 192.168.9.0/24"
            lab advance 1m
            # The whole LAN is refused now. Over a real network the admin's own session could be
            # gone with it, and nobody would be left to confirm.
            lab status
            expect client 192.168.0.20 unanswered >= 3
            # Nobody confirms. When the 2 minutes are up the engine reverts, logs it and shows it
            # to every shell as an event.
            lab advance 90s
            events
            show running-config
            show configuration history
            # The candidate still holds the mistake (it went on from what was committed): leave
            # configure mode, and the LAN is answered again.
            end
            lab advance 5m
            lab status
            expect client 192.168.0.20 answered >= 35
            # Now the intended change, from a fresh candidate, checked before it is confirmed:
            # the diff shows one new line.
            configure
            restrict 192.168.9.0 mask 255.255.255.0 ignore
            show configuration compare
            commit confirmed 2m comment "retire 192.168.9.0/24, this time"
            lab advance 1m
            restrictions match 192.168.0.20
            # The LAN is still served: confirm, and the change stays.
            commit
            end
            lab advance 5m
            expect client 192.168.0.20 answered >= 55
            show running-config
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

    public static let ntsMitm = LabScenario(
        name: "nts-mitm",
        description: "A man in the middle moves one server's replies by 250 ms: plain NTP follows it, NTS refuses the forged replies",
        seed: 15, clockOffset: 0.01, frequencyError: 15,
        script: """
            # Three servers that also speak NTS (RFC 8915). This lab's NTS is the real protocol:
            # NTS-KE is a real TLS 1.3 handshake (OpenSSL) with each server's own key and
            # certificate, the keys exported as RFC 8915 says, cookies sealed under the server's
            # master key, AES-SIV on every packet, and the client runs the daemon's own checks.
            # What is simulated: KE's TCP path (the bytes move in memory, at once) and the
            # certificates (self-signed for each server's address, made when the server is
            # added, trusted by this host).
            lab server add 10.0.0.1 nts delay 4ms
            lab server add 10.0.0.2 nts delay 6ms
            lab server add 10.0.0.3 nts delay 9ms
            # Like many machines, this one asks a single server, in plain NTP.
            server 10.0.0.1 iburst
            wait sync 120s
            lab advance 10m
            expect offset < 2ms
            # A man in the middle on 10.0.0.1's path adds 250 ms to the receive and transmit
            # times of its replies. Nothing in a plain NTP reply can tell: this host sees a
            # server 250 ms ahead, and after the step-out interval it steps its clock to it.
            lab server 10.0.0.1 mitm 250ms
            lab advance 30m
            lab status
            peers
            expect offset > 240ms
            expect peer 10.0.0.1 tally == *
            # Now ask for NTS: `server HOST nts` runs NTS-KE, then every reply must carry an
            # authenticator sealed with the session's key. The man in the middle still changes
            # the times, but cannot seal the altered reply again: the check fails, the reply is
            # refused and counted, and the engine never sees it. Two more NTS servers (not on
            # his path) bring the clock back to the true time.
            no server 10.0.0.1
            server 10.0.0.1 iburst nts
            server 10.0.0.2 iburst nts
            server 10.0.0.3 iburst nts
            lab advance 40m
            lab status
            # `show nts` says why 10.0.0.1's replies are refused; `associations` shows its
            # NTS state (cookies, accepted, refused); `ntsinfo` counts the bad replies; and
            # `events` has the first refusal in the words the daemon logs it.
            show nts
            associations
            ntsinfo
            peers
            expect nts 10.0.0.1 refused > 10
            expect nts 10.0.0.1 accepted == 0
            expect nts 10.0.0.2 accepted > 10
            expect nts 10.0.0.2 refused == 0
            expect offset < 2ms
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
