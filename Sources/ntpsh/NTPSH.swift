public import ArgumentParser
public import NTPEngine
import NTPPlatform
import NTPRuntime

#if canImport(Glibc)
import Glibc
#endif

/// The process interface of DESIGN.md. Flags are declared here once; the help text, man page
/// and completion scripts come from this declaration.
struct NTPSH: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntpsh",
        abstract: "An NTP engine and its administration shell.",
        discussion: """
            With --daemon, ntpsh runs the NTP engine in the foreground until SIGTERM or SIGINT, \
            serving NTP on every local IPv4 and IPv6 address (or the --listen addresses) at --port. \
            Exit status: 0 on a clean stop, 2 on a usage or configuration error.
            """,
        version: ntpshVersion)

    @Option(name: [.short, .customLong("config")], help: ArgumentHelp("Configuration file (ntp.conf syntax).", valueName: "file"),
            completion: .file())
    var config: String?

    @Option(help: ArgumentHelp(
        "Clock to discipline: system (the OS clock; needs CAP_SYS_TIME), observe (read the OS clock, never change it), simulated, or auto (system when permitted, else observe).",
        valueName: "kind"))
    var clock: ClockKind = .auto

    @Option(help: ArgumentHelp("Address to serve on (repeatable). Default: every IPv4 and IPv6 address.", valueName: "addr"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("UDP port for NTP (0 serves nothing).", valueName: "n"))
    var port: Int = 123

    @Flag(help: "Run the engine without a shell, in the foreground, logging to stderr, until SIGTERM or SIGINT.")
    var daemon = false

    @Flag(name: .customShort("g"), help: "Allow the first clock correction to exceed the panic threshold (1000 s).")
    var allowBigFirstCorrection = false

    @Flag(name: .customShort("x"), help: "Never step the clock; slew every correction.")
    var slewOnly = false

    @Flag(name: .customShort("q"), help: "Set the clock once, then exit (as ntpd -q).")
    var setOnce = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, not \(port)") }
        for address in listen where SocketAddress(address, port: 0) == nil {
            throw ValidationError("--listen: '\(address)' is not an IPv4 or IPv6 address")
        }
        if clock == .simulated && daemon {
            throw ValidationError("--clock simulated runs in virtual time, inside a lab; it cannot serve a --daemon")
        }
    }

    func run() throws {
        guard daemon else {
            throw ExitFailure(
                "ntpsh: the interactive shell is not built yet; run the engine with --daemon (see --help)",
                status: 2)
        }
        let log = Log(name: "ntpsh")
        var settings = DaemonSettings(port: UInt16(port))
        settings.listen = listen.compactMap { SocketAddress($0, port: UInt16(port)) }
        if let config {
            let file: BootstrapConfig
            do { file = try BootstrapConfig(path: config) } catch { throw ExitFailure("ntpsh: \(error)", status: 2) }
            for warning in file.warnings { log.warning(warning) }
            settings.associations = file.associations
            settings.engine = file.engine
            settings.driftFile = file.driftFile
        }
        settings.engine.allowFirstBigCorrection = allowBigFirstCorrection
        settings.engine.slewOnly = slewOnly || settings.engine.slewOnly
        settings.engine.setOnceAndExit = setOnce
        settings.seed = UInt64(truncatingIfNeeded: OSClock.realtime().nanoseconds) ^ UInt64(getpid())
        let driver = try makeClock(log: log)
        let server: Daemon
        do {
            server = try Daemon(settings: settings, clock: driver, log: log)
        } catch {
            throw ExitFailure("ntpsh: \(error)", status: 2)
        }
        let status = server.runUntilSignalled()
        if status != 0 { throw ExitFailure("ntpsh: stopped with status \(status)", status: status) }
    }

    private func makeClock(log: Log) throws -> any ClockDriver {
        switch clock {
        case .system:
            return SystemClock()
        case .observe:
            return ObserveClock()
        case .auto:
            if SystemClock.canAdjust() {
                log.notice("clock: system (this process may adjust the clock)")
                return SystemClock()
            }
            log.notice("clock: observe (no CAP_SYS_TIME: the OS clock is read, never changed)")
            return ObserveClock()
        case .simulated:
            throw ExitFailure("ntpsh: --clock simulated needs a lab", status: 2)
        }
    }
}

extension ClockKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// An error that has already been put into words, with the exit status it stands for.
struct ExitFailure: Error, CustomStringConvertible {
    var description: String
    var status: Int32
    init(_ message: String, status: Int32) { self.description = message; self.status = status }
}

let ntpshVersion = "0.1.0"

/// Entry point: usage and configuration errors exit 2 (DESIGN.md), not ArgumentParser's 64.
@main
enum Main {
    static func main() {
        do {
            var command = try NTPSH.parseAsRoot()
            try command.run()
        } catch let failure as ExitFailure {
            writeStderr(failure.description + "\n")
            exit(failure.status)
        } catch {
            let code = NTPSH.exitCode(for: error)
            if code == .success {
                NTPSH.exit(withError: error)  // --help, --version
            }
            writeStderr(NTPSH.fullMessage(for: error) + "\n")
            exit(2)
        }
    }
}

func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}
