public import CommandGrammar
import NTPEngine

/// The NTP shell's commands, declared once. Every ntp.conf directive is a command here (with
/// `no …` to undo it); the config file, typed lines, batch files, Tab, `?`, `help`, the man
/// pages and the completion scripts all come from this table.
public enum NTPCommands {
    public static let grammar = Grammar {
        // MARK: Associations
        Command("server", help: "Add an upstream NTP server (a unicast client association)") {
            Argument(.host, name: "ADDRESS", help: "Server address or host name (127.127.1.0: the local clock)", key: "host", completion: "association")
            associationOptions()
        }
        Command("pool", help: "Add a pool: a name that resolves to several servers, replaced when they turn bad") {
            Argument(.host, name: "NAME", help: "Pool host name", key: "host")
            associationOptions()
        }
        Command("peer", help: "Add a symmetric peer (mode 1; the other side answers in mode 2)") {
            Argument(.host, name: "ADDRESS", help: "Peer address or host name", key: "host", completion: "association")
            associationOptions()
        }
        Group("no", help: "Undo a configuration command")
        Command("no server", help: "Remove an upstream server", id: "no-server") {
            Argument(.host, name: "ADDRESS", help: "The server's configured address or name", key: "host", completion: "association")
        }
        Command("no pool", help: "Remove a pool and the servers it brought in", id: "no-pool") {
            Argument(.host, name: "NAME", help: "The pool's name", key: "host", completion: "association")
        }
        Command("no peer", help: "Remove a symmetric peer", id: "no-peer") {
            Argument(.host, name: "ADDRESS", help: "The peer's configured address or name", key: "host", completion: "association")
        }
        Command("fudge", help: "Set the local clock driver's stratum or refid") {
            Argument(.address, name: "ADDRESS", help: "The reference clock address (127.127.1.0)", key: "address")
            Options {
                Option("stratum", .integer(SettingRanges.stratum), name: "N", help: "Stratum the local clock claims")
                Option("refid", .word, name: "ID", help: "Reference ID, up to four characters")
                Option("time1", .offset(-1000...1000), name: "SECONDS", help: "Offset added to the clock's time")
                Option("time2", .offset(-1000...1000), name: "SECONDS", help: "Driver-specific second offset")
                Option("flag1", .integer(0...1), name: "BIT", help: "Driver flag 1")
                Option("flag2", .integer(0...1), name: "BIT", help: "Driver flag 2")
                Option("flag3", .integer(0...1), name: "BIT", help: "Driver flag 3")
                Option("flag4", .integer(0...1), name: "BIT", help: "Driver flag 4")
            }
        }

        // MARK: Discipline and selection
        Command("driftfile", help: "File keeping the clock's frequency (ppm) across restarts") {
            Argument(.path, name: "FILE", help: "Drift file path", key: "file", completion: "path")
        }
        Command("no driftfile", help: "Stop using a drift file", id: "no-driftfile")
        Group("metrics", help: "Prometheus metrics over HTTP")
        Command("metrics listen", help: "Serve Prometheus metrics at http://ENDPOINT/metrics (PORT alone: on 127.0.0.1)", id: "metrics-listen") {
            Argument(.word, name: "ENDPOINT", help: "PORT, ADDRESS:PORT or [IPv6]:PORT (e.g. 9975, 192.0.2.1:9975, [::1]:9975)", key: "endpoint")
        }
        Command("no metrics", help: "Stop serving metrics", id: "no-metrics")
        Command("tinker", help: "Tune the discipline's thresholds") {
            Options {
                Option("step", .offset(0...1e6), name: "SECONDS", help: "Step threshold: larger offsets are stepped (0.128 s)")
                Option("stepout", .duration(1...1e6), name: "SECONDS", help: "How long a large offset must persist before a step (300 s)")
                Option("panic", .offset(0...1e9), name: "SECONDS", help: "Panic threshold: larger first offsets are refused without -g (1000 s)")
                Option("maxslewrate", .ppm(1...83_333), name: "PPM", help: "Fastest rate a slew moves the clock (83333 ppm, as chrony's maxslewrate)")
                Option("dispersion", .number(0...1), name: "SECONDS", help: "Dispersion increase rate, s/s (accepted; 15 ppm is used)")
                Option("allan", .duration(1...1e6), name: "SECONDS", help: "Allan intercept (accepted; not used by the discipline)")
                Option("huffpuff", .duration(1...1e6), name: "SECONDS", help: "Huff-n'-puff window (accepted; not used)")
            }
        }
        Command("tos", help: "Selection and orphan settings") {
            Options {
                Option("minsane", .integer(SettingRanges.minSane), name: "N", help: "Survivors needed to synchronise (1)")
                Option("minclock", .integer(SettingRanges.minClock), name: "N", help: "Survivors the cluster algorithm keeps (3)")
                Option("maxclock", .integer(SettingRanges.maxClock), name: "N", help: "Candidates considered (10)")
                Option("orphan", .integer(SettingRanges.orphanStratum), name: "STRATUM", help: "Stratum of orphan mode, when nothing better is reachable")
                Option("orphanwait", .duration(0...1e6), name: "SECONDS", help: "Wait before entering orphan mode (300 s)")
                Option("mindist", .offset(0...10), name: "SECONDS", help: "Minimum distance of a correctness interval")
                Option("maxdist", .offset(0...100), name: "SECONDS", help: "Root distance beyond which a source is not selectable (1.5 s)")
            }
        }

        // MARK: Access control (semantics: the configuration issue)
        Command("restrict", help: "Set access restrictions for packets from an address: clients' requests and servers' replies") {
            restrictTarget(completion: nil)
            ZeroOrMore { restrictFlag() }
        }
        Command("no restrict", help: "Remove a restrict entry", id: "no-restrict") {
            restrictTarget(completion: "restrict")
        }
        Command("unrestrict", help: "Turn off the flags named in a restrict entry; with no flags, remove the entry") {
            restrictTarget(completion: "restrict")
            ZeroOrMore { restrictFlag() }
        }
        Command("discard", help: "Rate limits for limited clients") {
            Options {
                Option("average", .integer(0...16), name: "LOG2", help: "Minimum average interval, log2 s (3)")
                Option("minimum", .integer(0...65_536), name: "SECONDS", help: "Minimum interval between two packets, seconds (2)")
                Option("monitor", .integer(0...100_000), name: "SECONDS", help: "A full MRU list recycles its oldest entry with probability age/SECONDS (0: always)")
            }
        }
        Command("mru", help: "Bounds of the MRU list of clients (mrulist, monstats)") {
            Options {
                Option("maxdepth", .integer(1...1_000_000), name: "N", help: "Most entries kept (default: what maxmem holds; reserved at once, so bounded)")
                Option("maxmem", .integer(1...65_536), name: "KB", help: "Memory for the list, kilobytes (1024)")
                Option("mindepth", .integer(0...1_000_000), name: "N", help: "Entries kept however old (600)")
                Option("maxage", .integer(1...100_000_000), name: "SECONDS", help: "Beyond mindepth, entries older than this are recycled first (3600)")
                Option("minage", .integer(0...100_000_000), name: "SECONDS", help: "A full list recycles no entry younger than this (64)")
                Option("initalloc", .integer(0...100_000_000), name: "N", help: "Entries allocated at start (accepted; the list reserves maxdepth)")
                Option("initmem", .integer(0...10_000_000), name: "KB", help: "Memory allocated at start (accepted; the list reserves maxmem)")
                Option("incalloc", .integer(0...100_000_000), name: "N", help: "Entries added when the list grows (accepted; not needed)")
                Option("incmem", .integer(0...10_000_000), name: "KB", help: "Memory added when the list grows (accepted; not needed)")
            }
        }

        // MARK: Files and authentication (semantics: the configuration issue)
        Command("leapfile", help: "Leap second file (leap-seconds.list)") {
            Argument(.path, name: "FILE", help: "Leap second file", key: "file", completion: "path")
        }
        Command("logfile", help: "Log file (default: standard error)") {
            Argument(.path, name: "FILE", help: "Log file", key: "file", completion: "path")
        }
        Command("statsdir", help: "Directory for statistics files") {
            Argument(.path, name: "DIR", help: "Statistics directory", key: "file", completion: "path")
        }
        Command("statistics", help: "Statistics files to write") {
            OneOrMore { OneOf {
                Flag("loopstats", help: "Clock discipline statistics", key: "kinds")
                Flag("peerstats", help: "Peer statistics", key: "kinds")
                Flag("clockstats", help: "Reference clock statistics", key: "kinds")
                Flag("rawstats", help: "Raw timestamps", key: "kinds")
                Flag("sysstats", help: "System counters", key: "kinds")
            } }
        }
        Command("filegen", help: "Statistics file generation settings") {
            OneOf {
                Flag("loopstats", help: "Clock discipline statistics", key: "kind")
                Flag("peerstats", help: "Peer statistics", key: "kind")
                Flag("clockstats", help: "Reference clock statistics", key: "kind")
                Flag("rawstats", help: "Raw timestamps", key: "kind")
                Flag("sysstats", help: "System counters", key: "kind")
            }
            Options {
                Option("file", .path, name: "NAME", help: "File name prefix (in the statistics directory)")
                Option("type", .word, name: "TYPE", help: "Generation type: none, pid, day, week, month, year, age")
                Flag("link", help: "Keep a link to the current generation")
                Flag("nolink", help: "No link")
                Flag("enable", help: "Write this file")
                Flag("disable", help: "Do not write this file")
            }
        }
        Command("keys", help: "Symmetric key file: KEYID TYPE KEY lines (MD5, SHA1, AES128CMAC…; ASCII or hex keys)") {
            Argument(.path, name: "FILE", help: "Key file (keyid type key)", key: "file", completion: "path")
        }
        Command("no keys", help: "Forget the symmetric keys", id: "no-keys")
        Command("trustedkey", help: "Key ids trusted for authentication") {
            keyIDs()
        }
        Command("no trustedkey", help: "Stop trusting key ids", id: "no-trustedkey") {
            keyIDs()
        }
        Command("controlkey", help: "Key id for mode 6 (ntpq) changes") {
            Argument(.integer(1...65535), name: "KEYID", help: "Key id", key: "keyid", completion: "keyid")
        }
        Command("no controlkey", help: "No key for mode 6 changes (they are refused)", id: "no-controlkey")
        Command("requestkey", help: "Key id for mode 7 requests (mode 7 is never answered)") {
            Argument(.integer(1...65535), name: "KEYID", help: "Key id", key: "keyid", completion: "keyid")
        }
        Command("includefile", help: "Read another configuration file here") {
            Argument(.path, name: "FILE", help: "Configuration file", key: "file", completion: "path")
        }
        Command("enable", help: "Enable a system option") {
            OneOrMore { systemOption() }
        }
        Command("disable", help: "Disable a system option") {
            OneOrMore { systemOption() }
        }
        Command("interface", help: "Listen on or ignore interfaces and addresses (the last matching rule decides)") {
            interfaceRule()
        }
        Command("nic", help: "Same as interface") {
            interfaceRule()
        }
        Command("no interface", help: "Remove an interface rule", id: "no-interface") {
            interfaceRule()
        }
        Command("no nic", help: "Same as no interface", id: "no-nic") {
            interfaceRule()
        }
        Command("broadcast", help: "Broadcast server mode (not supported by ntpsh)") {
            Argument(.text, name: "ARGS", help: "Arguments", key: "args")
        }
        Command("crypto", help: "Autokey public-key authentication (not supported by ntpsh)") {
            Optionally { Argument(.text, name: "ARGS", help: "Arguments", key: "args") }
        }

        // MARK: Views
        Command("peers", help: "Associations, as ntpq -p shows them") {
            Options {
                Flag("-n", help: "Numeric addresses", key: "numeric")
                Flag("json", help: "Machine-readable output")
            }
        }
        Command("associations", help: "Association ids and status words, as ntpq -c as") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("readvar", help: "System or association variables, as ntpq -c rv") {
            readvarSyntax()
        }
        Command("rv", help: "Same as readvar") {
            readvarSyntax()
        }
        Command("sysinfo", help: "System summary, as ntpq -c sysinfo") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("sysstats", help: "Server packet counters, as ntpq -c sysstats") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("iostats", help: "Input/output counters") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("monstats", help: "MRU list counters and limits, as ntpq -c monstats") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("mrulist", help: "Clients recently seen, newest first, as ntpq -c mrulist") {
            Options {
                Option("sort", .word, name: "KEY", help: "Order: lstint, avgint, addr, count, score, drop; a leading - reverses")
                Option("limit", .integer(1...100_000_000), name: "N", help: "Show at most N entries")
                Option("mincount", .integer(0...Int(Int32.max)), name: "N", help: "Only clients with at least N packets")
                Option("laddr", .address, name: "ADDRESS", help: "Only clients that sent to this local address")
                Flag("kod", help: "Only clients whose last packet was answered with a RATE kiss")
                Flag("limited", help: "Only clients whose last packet was rate limited")
                Flag("json", help: "Machine-readable output")
            }
        }
        Command("ntpstat", help: "Synchronisation state, as ntpstat (status 0 synchronised, 1 not, 2 unknown)") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("tracking", help: "System clock performance, as chronyc tracking") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("restrictions", help: "The restrict list with hit counts, or which entry applies to an address") {
            Options {
                Option("match", .address, name: "ADDRESS", help: "Show the entry and flags that apply to this address")
                Flag("json", help: "Machine-readable output")
            }
        }
        Command("watch", help: "Refresh a view until a key is pressed (at the prompt)") {
            Optionally { Argument(.duration(0.1...3600), name: "INTERVAL", help: "Between refreshes (default 2 s)", key: "interval") }
            Argument(.text, name: "VIEW", help: "The view and its options, e.g. peers -n", key: "view")
        }
        Command("plot", help: "Chart the clock's offset, frequency or jitter, or a server's offset, delay or jitter") {
            OneOf {
                Keyword("offset", help: "Clock offset at each update, or a server's measured offset (ms)", key: "quantity")
                Keyword("frequency", help: "The clock's frequency correction (ppm)", key: "quantity")
                Keyword("jitter", help: "Clock jitter, or a server's jitter (ms)", key: "quantity")
                Keyword("delay", help: "A server's round-trip delay (ms; default: the system peer's)", key: "quantity")
            }
            Optionally { Argument(.word, name: "ASSOC", help: "An association: its id, address or configured name", key: "assoc", completion: "association") }
            Options {
                Option("last", .duration(1...1e8), name: "DURATION", help: "Only the last DURATION (e.g. 10m, 2h)")
                Flag("json", help: "The samples as JSON")
            }
        }
        Command("events", help: "Recent engine events") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Group("show", help: "Show configuration")
        Command("show running-config", help: "The running configuration as ntp.conf text", id: "show-running-config")
        Command("show metrics", help: "The Prometheus metrics /metrics serves (text exposition format)", id: "show-metrics")
        Command("show keys", help: "The symmetric keys: id, type, trusted, used by (never the secrets)", id: "show-keys") {
            Optionally { Flag("json", help: "Machine-readable output") }
        }

        Command("write", help: "Save the running configuration to its file (or FILE), keeping comments; the old file stays as FILE.bak") {
            Optionally { Flag("force", help: "Write even if the file changed on disk since it was read") }
            Optionally { Flag("follow", help: "If the file is a symbolic link, replace the file it points to (refused otherwise)") }
            Optionally { Argument(.path, name: "FILE", help: "Where to write (default: the configuration file read at start)", key: "file", completion: "path") }
        }

        // MARK: Actions
        Command("step", help: "Step the clock now") {
            OneOf {
                Keyword("now", help: "To the servers' consensus after a fresh burst (as ntpdate -b)", key: "now")
                Argument(.offset(-1e9...1e9), name: "OFFSET", help: "Seconds to add to the clock (e.g. 0.5s, -20ms)", key: "offset")
            }
        }
        Command("slew", help: "Slew the clock gradually") {
            Argument(.offset(-1e6...1e6), name: "OFFSET", help: "Seconds to add to the clock (e.g. 0.5s, -20ms)", key: "offset")
        }
        Group("wait", help: "Wait for a condition")
        Command("wait sync", help: "Wait until synchronised (status 1 on timeout)", id: "wait-sync") {
            Optionally { Argument(.duration(0...1e6), name: "TIMEOUT", help: "Give up after this long (default 60 s)", key: "timeout") }
        }
        Command("sleep", help: "Let time pass") {
            Argument(.duration(0...1e7), name: "DURATION", help: "How long (e.g. 5s, 10m)", key: "duration")
        }
        Command("echo", help: "Print text") {
            Optionally { Argument(.text, name: "TEXT", help: "Text to print", key: "text") }
        }
        Group("terminal", help: "Terminal settings")
        Command("terminal monitor", help: "Print engine events as they happen", id: "terminal-monitor")
        Group("no terminal", help: "Undo a terminal setting")
        Command("no terminal monitor", help: "Stop printing engine events", id: "no-terminal-monitor")
        // MARK: Labs (ntpsh --lab: a simulated world in virtual time)
        Group("lab", help: "Control the lab world (ntpsh --lab only)")
        Command("lab server", help: "Add, change or remove a simulated upstream server", id: "lab-server") {
            OneOf {
                Seq {
                    Keyword("add", help: "Add a server", key: "add")
                    Argument(.address, name: "ADDRESS", help: "The server's IP address", key: "address")
                    Options {
                        Option("offset", .offset(-1e6...1e6), name: "SECONDS", help: "Its clock error (default 0)")
                        Option("stratum", .integer(1...15), name: "N", help: "The stratum it claims (default 1)")
                        Option("delay", .offset(0...10), name: "SECONDS", help: "Round-trip network delay (default 200us)")
                        Option("jitter", .offset(0...10), name: "SECONDS", help: "Random extra delay each way (default 100us)")
                        Option("loss", .number(0...100), name: "PERCENT", help: "Packets lost each way (default 0)")
                        Option("frequency", .ppm(-500...500), name: "PPM", help: "Its clock's frequency error (default 0)")
                        Option("asymmetry", .offset(-10...10), name: "SECONDS", help: "Outbound minus inbound delay; biases offsets by half of it")
                        Option("refid", .word, name: "ID", help: "The reference ID it shows: four characters, or its upstream's IPv4 address (default GPS)")
                        labLeap()
                    }
                }
                Seq {
                    Keyword("remove", help: "Remove a server: its requests are lost from now on", key: "remove")
                    Argument(.address, name: "ADDRESS", help: "The server's IP address", key: "address")
                }
                Seq {
                    Argument(.address, name: "ADDRESS", help: "The server's IP address", key: "address")
                    OneOf {
                        Flag("silent", help: "Stop answering")
                        Flag("answer", help: "Answer again")
                        Option("falseticker", .offset(-1e6...1e6), name: "OFFSET", help: "Serve time this far off (0: honest again)")
                        Option("kiss", .word, name: "CODE", help: "Answer every request with this kiss-o'-death code (RATE, DENY, RSTR…; none: stop)")
                        labLeap()
                        Option("stratum", .integer(1...15), name: "N", help: "The stratum it claims")
                    }
                }
            }
        }
        Command("lab client", help: "Add or remove a simulated client of the lab host's server", id: "lab-client") {
            OneOf {
                Seq {
                    Keyword("add", help: "Add a client asking the lab host (10.1.0.1) for time", key: "add")
                    Argument(.address, name: "ADDRESS", help: "The client's IP address", key: "address")
                    Optionally { OneOf {
                        Option("interval", .duration(0.001...1e6), name: "SECONDS", help: "Between its requests (default 64 s)")
                        Option("rate", .number(0.000001...1000), name: "PER-SECOND", help: "Requests per second")
                    } }
                }
                Seq {
                    Keyword("remove", help: "Remove a client", key: "remove")
                    Argument(.address, name: "ADDRESS", help: "The client's IP address", key: "address")
                }
            }
        }
        Command("lab at", help: "Run a command when the lab's time reaches TIME (since the lab started)", id: "lab-at") {
            Argument(.duration(0...1e7), name: "TIME", help: "Lab time, e.g. 10m or 2h", key: "time")
            Argument(.text, name: "COMMAND", help: "The command, e.g. lab server 10.0.0.1 silent", key: "command")
        }
        Command("lab speed", help: "How fast lab time runs while the shell waits for input", id: "lab-speed") {
            Argument(.word, name: "SPEED", help: "Nx (60x: a minute per second, 0.5x) or max", key: "speed")
        }
        Command("lab pause", help: "Stop lab time while the shell waits for input", id: "lab-pause")
        Command("lab resume", help: "Let lab time run again while the shell waits", id: "lab-resume")
        Command("lab seed", help: "Start the lab afresh with this random seed (before adding anything)", id: "lab-seed") {
            Argument(.integer(0...Int(Int32.max)), name: "N", help: "The seed", key: "seed")
        }
        Command("lab restart", help: "Restart ntpsh on the lab host as after a reboot (the drift file is read again)", id: "lab-restart")
        Command("lab clock", help: "Change the lab's client clock", id: "lab-clock") {
            OneOf {
                Option("slew-rate", .ppm(1...83_333), name: "PPM", help: "The fastest its clock driver slews (83333 ppm, as on a real machine)")
                Option("jump", .offset(-1e6...1e6), name: "SECONDS", help: "Make the clock jump (positive: ahead), behind the engine's back")
            }
        }
        Command("lab advance", help: "Let virtual time pass", id: "lab-advance") {
            Argument(.duration(0...1e7), name: "DURATION", help: "How long (e.g. 90s, 10m, 2h)", key: "duration")
        }
        Command("lab status", help: "Virtual time, the client clock's true offset and frequency error, the servers", id: "lab-status")
        Command("expect", help: "Check a value; fails (status 1) when it does not hold: expect offset < 1ms, expect ntpstat status == 0") {
            Argument(.text, name: "CHECK", help: "FIELD OP VALUE; FIELD: offset, frequency, peers-count, sync-peer, ntpstat status, rv NAME, peer ADDRESS tally|reach|stratum|offset, client ADDRESS sent|answered|unanswered|kissed, drift-file; OP: == != < <= > >=", key: "check")
        }
        Command("help", help: "List commands, or describe one") {
            Optionally { Argument(.text, name: "COMMAND", help: "Command to describe", key: "command") }
        }
        Command("quit", help: "Leave the shell (the engine stops)")
        Command("exit", help: "Same as quit")
    }

    /// `leap insert|delete|none|alarm` of a lab server.
    static func labLeap() -> Syntax {
        Option("leap", help: "The leap bits it sends") {
            OneOf {
                Keyword("none", help: "No leap second pending", key: "leap")
                Keyword("insert", help: "A second is inserted at the end of the UTC day", key: "leap")
                Keyword("delete", help: "A second is deleted at the end of the UTC day", key: "leap")
                Keyword("alarm", help: "Unsynchronised (leap 3, stratum 0)", key: "leap")
            }
        }.syntax
    }

    static func associationOptions() -> Syntax {
        Options {
            Flag("iburst", help: "Send a burst of eight packets when unreachable (faster start)")
            Flag("burst", help: "Send a burst of eight packets at every poll")
            Flag("prefer", help: "Prefer this source when it survives selection")
            Flag("noselect", help: "Poll and show, but never select")
            Flag("true", help: "Always a truechimer (accepted; treated as prefer)")
            Option("minpoll", .integer(SettingRanges.poll), name: "EXPONENT", help: "Minimum poll interval, log2 s (6 = 64 s)")
            Option("maxpoll", .integer(SettingRanges.poll), name: "EXPONENT", help: "Maximum poll interval, log2 s (10 = 1024 s)")
            Option("version", .integer(SettingRanges.version), name: "N", help: "NTP version to send (4)")
            Option("port", .integer(1...65535), name: "PORT", help: "Server UDP port (123)")
            Option("key", .integer(SettingRanges.keyID), name: "KEYID", help: "Authenticate with this key", completion: "keyid")
            Option("mode", .integer(0...255), name: "N", help: "Driver mode (reference clocks)")
            Flag("xleave", help: "Interleaved mode: the server's kernel transmit timestamps (RFC 9769)")
        }.syntax
    }

    /// `[-4|-6] (default | source | PREFIX | ADDRESS [mask MASK])`, shared by `restrict` and
    /// `no restrict` (which completes the existing entries).
    static func restrictTarget(completion: String?) -> Syntax {
        Seq {
            Optionally { OneOf { Keyword("-4", help: "IPv4 only (with default)", key: "family"); Keyword("-6", help: "IPv6 only (with default)", key: "family") } }
            OneOf {
                Keyword("default", help: "Every address not matched by another entry", key: "default")
                Keyword("source", help: "The addresses server, peer and pool mobilize (an entry for exactly that address still decides)", key: "source")
                Argument(.prefix, name: "PREFIX", help: "Address with prefix length (192.168.0.0/24)", key: "prefix", completion: completion)
                Seq {
                    Argument(.address, name: "ADDRESS", help: "Address", key: "address", completion: completion)
                    Optionally { Option("mask", .netmask, name: "MASK", help: "Network mask (255.255.255.0)") }
                }
            }
        }.syntax
    }

    static func restrictFlag() -> Syntax {
        OneOf {
            Flag("ignore", help: "Drop every packet", key: "flags")
            Flag("kod", help: "Answer rate-limited clients with a RATE kiss", key: "flags")
            Flag("limited", help: "Rate-limit clients (see discard)", key: "flags")
            Flag("lowpriotrap", help: "Low priority traps", key: "flags")
            Flag("nomodify", help: "Refuse runtime changes over the network", key: "flags")
            Flag("nomrulist", help: "Refuse the MRU list", key: "flags")
            Flag("nopeer", help: "Refuse new symmetric associations", key: "flags")
            Flag("noquery", help: "Drop control (ntpq) queries", key: "flags")
            Flag("noserve", help: "Drop time requests", key: "flags")
            Flag("notrap", help: "Refuse trap service", key: "flags")
            Flag("notrust", help: "Require authentication", key: "flags")
            Flag("ntpport", help: "Match only source port 123", key: "flags")
            Flag("version", help: "Refuse other NTP versions", key: "flags")
        }.syntax
    }

    /// `KEYID… (FIRST ... LAST)…`: key ids and NTPsec's ranges, for `trustedkey` and its `no`.
    static func keyIDs() -> Syntax {
        OneOrMore {
            OneOf {
                Argument(.integer(1...65535), name: "KEYID", help: "Key id", key: "keyids", completion: "keyid")
                Argument(.word, name: "RANGE", help: "A range of key ids: (FIRST ... LAST)", key: "ranges")
            }
        }.syntax
    }

    /// The key ids of NTPsec's ranges, `(3 ... 5)` however the words fall (`(3...5)`, `( 3 ... 5 )`);
    /// nil when they are not ranges of ids 1–65535, first ≤ last.
    static func keyRanges(_ words: [String]) -> [UInt32]? {
        var text = Substring(words.joined())
        var ids: [UInt32] = []
        while !text.isEmpty {
            guard text.first == "(", let close = text.firstIndex(of: ")") else { return nil }
            let bounds = text[text.index(after: text.startIndex)..<close].split(separator: "...", omittingEmptySubsequences: false)
            guard bounds.count == 2, let first = UInt32(bounds[0]), let last = UInt32(bounds[1]),
                  first >= 1, first <= last, last <= 65535 else { return nil }
            ids += Array(first...last)
            text = text[text.index(after: close)...]
        }
        return ids
    }

    /// The key ids a `trustedkey` line's words name (ids and ranges), in order.
    static func keyIDs(_ words: [String]) -> [UInt32] {
        var ids: [UInt32] = []
        var range: [String] = []
        for word in words {
            if range.isEmpty, let id = UInt32(word) { ids.append(id); continue }
            range.append(word)
            if word.hasSuffix(")") { ids += keyRanges(range) ?? []; range = [] }
        }
        return ids
    }

    /// `listen|ignore|drop WHICH`, shared by `interface`, `nic` and their `no`.
    static func interfaceRule() -> Syntax {
        Seq {
            OneOf {
                Flag("listen", help: "Listen on", key: "action")
                Flag("ignore", help: "Do not listen on", key: "action")
                Flag("drop", help: "Listen, but drop all packets", key: "action")
            }
            Argument(.word, name: "WHICH", help: "all, ipv4, ipv6, wildcard, an interface name, an address or ADDRESS/LEN", key: "which")
        }.syntax
    }

    static func systemOption() -> Syntax {
        OneOf {
            Flag("auth", help: "Require authentication for peers", key: "options")
            Flag("bclient", help: "Broadcast client", key: "options")
            Flag("calibrate", help: "Calibrate reference clocks", key: "options")
            Flag("kernel", help: "Kernel discipline", key: "options")
            Flag("monitor", help: "MRU monitoring", key: "options")
            Flag("ntp", help: "Clock discipline", key: "options")
            Flag("stats", help: "Statistics files", key: "options")
        }.syntax
    }

    static func readvarSyntax() -> Syntax {
        Seq {
            Optionally { Argument(.integer(0...65535), name: "ASSOCID", help: "Association id (0: the system)", key: "assoc", completion: "associd") }
            ZeroOrMore { Argument(.word, name: "VARIABLE", help: "Variable names (default: all)", key: "names") }
        }.syntax
    }
}
