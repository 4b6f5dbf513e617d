// The lab world's commands (`ntpsh --lab`): `lab server`, `lab client`, `lab at`, `lab speed`,
// `lab pause`/`resume`, `lab seed`, `lab restart`, `lab clock`, `lab advance`, `lab status`
// and `expect`. Declarations only: the handlers are LabCommands.swift's.
import CommandGrammar
import NTPShell

enum LabCommandTable {
    /// `expect`: the lab teacher counts these lines as checks.
    static let expectID = "expect"

    @CommandBuilder static var declarations: [GrammarDeclaration] {
        Group("lab", help: "Control the lab world (ntpsh --lab only)") {
            Command("server", help: "Add, change or remove a simulated upstream server", id: "lab-server", .lab, run: { $0.labServer($1.arguments) }) {
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
                            Flag("nts", help: "Serve NTS too (RFC 8915), as the daemon does: NTS-KE over an in-memory TLS 1.3 handshake, cookies, AES-SIV")
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
                            Option("mitm", .offset(-1e6...1e6), name: "SHIFT", help: "A man in the middle moves the receive and transmit times of its replies to the lab host by SHIFT (250ms: ahead, -1s: behind; 0: he leaves)")
                        }
                    }
                }
            }
            Command("client", help: "Add or remove a simulated client of the lab host's server", id: "lab-client", .lab, run: { $0.labClient($1.arguments) }) {
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
            Command("at", help: "Run a command when the lab's time reaches TIME (since the lab started)", id: "lab-at", .lab, run: { $0.labAt($1.arguments) }) {
                Argument(.duration(0...1e7), name: "TIME", help: "Lab time, e.g. 10m or 2h", key: "time")
                Argument(.text, name: "COMMAND", help: "The command, e.g. lab server 10.0.0.1 silent", key: "command")
            }
            Command("speed", help: "How fast lab time runs while the shell waits for input", id: "lab-speed", .lab, run: { $0.labSpeed($1.arguments) }) {
                Argument(.word, name: "SPEED", help: "Nx (60x: a minute per second, 0.5x) or max", key: "speed")
            }
            Command("pause", help: "Stop lab time while the shell waits for input", id: "lab-pause", .lab, run: { r, _ in r.labPause(true) })
            Command("resume", help: "Let lab time run again while the shell waits", id: "lab-resume", .lab, run: { r, _ in r.labPause(false) })
            Command("seed", help: "Start the lab afresh with this random seed (before adding anything)", id: "lab-seed", .lab, schedulable: false, run: { $0.labSeed($1.arguments) }) {
                Argument(.integer(0...Int(Int32.max)), name: "N", help: "The seed", key: "seed")
            }
            Command("restart", help: "Restart ntpsh on the lab host as after a reboot (the drift file is read again)", id: "lab-restart", .lab, schedulable: false, run: { r, _ in r.labRestart() })
            Command("clock", help: "Change the lab's client clock", id: "lab-clock", .lab, run: { $0.labClock($1.arguments) }) {
                OneOf {
                    Option("slew-rate", .ppm(1...83_333), name: "PPM", help: "The fastest its clock driver slews (83333 ppm, as on a real machine)")
                    Option("jump", .offset(-1e6...1e6), name: "SECONDS", help: "Make the clock jump (positive: ahead), behind the engine's back")
                }
            }
            Command("advance", help: "Let virtual time pass", id: "lab-advance", .lab, schedulable: false, run: { $0.labAdvance($1.arguments) }) {
                Argument(.duration(0...1e7), name: "DURATION", help: "How long (e.g. 90s, 10m, 2h)", key: "duration")
            }
            Command("status", help: "Virtual time, the client clock's true offset and frequency error, the servers", id: "lab-status", .lab, run: { r, _ in r.labStatusView() })
        }
        Command("expect", help: "Check a value; fails (status 1) when it does not hold: expect offset < 1ms, expect ntpstat status == 0", .lab, run: { $0.expect($1.arguments) }) {
            Argument(.text, name: "CHECK", help: "FIELD OP VALUE; FIELD: offset, frequency, peers-count, sync-peer, ntpstat status, rv NAME, peer ADDRESS tally|reach|stratum|offset, client ADDRESS sent|answered|unanswered|kissed, nts ADDRESS accepted|refused|cookies|naks, drift-file; OP: == != < <= > >=", key: "check")
        }
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
}
