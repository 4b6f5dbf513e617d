import CommandGrammar

/// A command table shaped like the NTP one (options in any order, groups, `no` forms, typed
/// arguments of every kind), declared only for these tests.
enum Sample {
    static let grammar = Grammar {
        Group("show", help: "Show running system information")
        Group("no", help: "Negate a command")
        Group("terminal", help: "Terminal settings")
        Group("wait", help: "Wait for a condition")

        Command("server", help: "Add an upstream server") {
            Argument(.host, name: "ADDRESS", help: "Server address or host name", key: "address", completion: "association")
            Options {
                Flag("iburst", help: "Send a burst of eight packets when unreachable")
                Flag("prefer", help: "Prefer this server")
                Option("minpoll", .integer(3...17), name: "EXPONENT", help: "Minimum poll exponent (log2 s)")
                Option("maxpoll", .integer(3...17), name: "EXPONENT", help: "Maximum poll exponent (log2 s)")
                Option("key", .integer(1...65535), name: "KEYID", help: "Authenticate with this key", completion: "key")
                Option("port", .integer(1...65535), name: "PORT", help: "UDP port of the server")
            }
        }
        Command("no server", help: "Remove an upstream server") {
            Argument(.host, name: "ADDRESS", help: "Server address or host name", key: "address", completion: "association")
        }
        Command("show running-config", help: "Current configuration")
        Command("show associations", help: "Associations and their state")
        Command("shutdown", help: "Stop the engine")
        Command("restrict", help: "Add an access restriction") {
            OneOf {
                Keyword("default", help: "The default entry", key: "target")
                Keyword("source", help: "Entries made for each server", key: "target")
                Argument(.prefix, name: "PREFIX", help: "Network and prefix length", key: "prefix")
                Seq {
                    Argument(.address, name: "ADDRESS", help: "Address", key: "address", completion: "restrict")
                    Optionally { Option("mask", .netmask, name: "MASK", help: "Network mask") }
                }
            }
            ZeroOrMore {
                OneOf {
                    Flag("ignore", help: "Drop all packets", key: "flags")
                    Flag("nomodify", help: "Refuse configuration changes", key: "flags")
                    Flag("noquery", help: "Refuse control queries", key: "flags")
                    Flag("kod", help: "Send kiss-o'-death packets", key: "flags")
                }
            }
        }
        Command("step", help: "Step the clock") {
            OneOf {
                Flag("now", help: "Step to the selected time now")
                Argument(.offset(-86400...86400), name: "SECONDS", help: "Offset to step by", key: "offset")
            }
        }
        Command("slew", help: "Slew the clock") {
            Argument(.offset(-0.5...0.5), name: "SECONDS", help: "Offset to slew by", key: "offset")
        }
        Command("wait sync", help: "Wait until synchronized") {
            Optionally { Argument(.duration(0...86400), name: "SECONDS", help: "Give up after this long", key: "timeout") }
        }
        Command("driftfile", help: "Where the frequency is saved") {
            Argument(.path, name: "FILE", help: "Drift file path", key: "file")
        }
        Command("drift", help: "Set the frequency correction") {
            Argument(.ppm(-500...500), name: "PPM", help: "Frequency in ppm", key: "ppm")
        }
        Command("listen", help: "Listen on an address") {
            OneOf {
                Argument(.ipv4, name: "IPV4", help: "IPv4 address", key: "v4")
                Argument(.ipv6, name: "IPV6", help: "IPv6 address", key: "v6")
            }
        }
        Command("trust", help: "Trust keys") {
            OneOrMore { Argument(.integer(1...65535), name: "KEYID", help: "Key number", key: "keys") }
        }
        Command("comment", help: "A note for the log") {
            Argument(.text, name: "TEXT", help: "The note", key: "text")
        }
        Command("hostname", help: "Set the name") {
            Argument(.word, name: "NAME", help: "The name", key: "name")
        }
        Command("terminal monitor", help: "Show log messages on this terminal")
        Command("peers", help: "Associations, ntpq style", id: "peers-view") {
            Optionally { Flag("-n", help: "Numeric addresses", key: "numeric") }
        }
        Group("lab", help: "Training lab") {
            Command("speed", help: "Set the simulation speed") {
                Argument(.number(0.1...1000), name: "FACTOR", help: "Speed factor", key: "factor")
            }
            Command("reset", help: "Reset the lab")
        }
    }
}
