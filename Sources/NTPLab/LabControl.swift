// What the lab commands ask of a lab world beyond AdminAPI (LabControl) and the values they
// pass (server settings and changes, the clock's truth, the pace of an interactive lab).
public import NTPAdmin
public import NTPWire
import NTPEngine

/// What the lab commands (`lab server …`, `lab advance`, `lab status`, `expect offset`) ask of a
/// lab world beyond ``AdminAPI``: its upstream servers, virtual time and the truth about the
/// client clock. Implemented by NTPSimulation's `SimulationAdmin`; a shell outside a lab has none.
public protocol LabControl: AnyObject {
    /// Adds a simulated server at `address` (an IP address); returns the address as shown.
    func addServer(_ address: String, _ settings: LabServerSettings) throws(AdminError) -> String
    /// Removes the server at `address`: requests to it are lost from now on.
    func removeServer(_ address: String) throws(AdminError)
    /// Changes how the server at `address` answers.
    func setServer(_ address: String, _ change: LabServerChange) throws(AdminError)
    /// Changes the lab's client clock (its slew rate, or a jump the engine is not told about).
    func setClock(_ change: LabClockChange)
    /// Lets `seconds` of virtual time pass.
    func advance(seconds: Double)
    /// The world now: virtual time, the client clock's truth, the servers, the clients.
    func labStatus() -> LabStatus
    /// Adds a simulated client at `address` asking the lab host for time every `interval`
    /// seconds; returns the address as shown.
    func addClient(_ address: String, interval: Double) throws(AdminError) -> String
    /// Removes the client at `address`.
    func removeClient(_ address: String) throws(AdminError)
    /// Runs `action` when the lab's virtual time reaches `elapsed` seconds since its start.
    func schedule(atElapsed elapsed: Double, _ action: @escaping () -> Void) throws(AdminError)
    /// Starts the world afresh with another seed (only before anything was added to it).
    func reseed(_ seed: UInt64) throws(AdminError)
    /// Restarts the engine as after a reboot: its state and the clock's frequency correction
    /// are lost; the drift file (if one was written) is read again. The caller then applies
    /// the running configuration again.
    func restartEngine()
    /// The lab's files (drift file, statistics): virtual, never on the real disk.
    func labFile(_ path: String) -> String?
    /// How the lab's time passes while an interactive shell waits for input.
    var pace: LabPace { get set }
}

/// `lab speed Nx|max`, `lab pause`, `lab resume`: how fast virtual time runs while the
/// interactive shell waits for input. Batch runs advance only through commands.
public struct LabPace: Sendable, Equatable {
    /// Virtual seconds per real second; nil: as fast as the machine goes.
    public var speed: Double? = 1
    public var paused = false
    public init() {}
    public var text: String {
        (paused ? "paused (" : "") + (speed.map { formatFixed($0, $0 == $0.rounded() ? 0 : 2) + "x" } ?? "max")
            + (paused ? ")" : "")
    }
}

/// `lab clock slew-rate PPM` / `lab clock jump SECONDS`.
public enum LabClockChange: Sendable, Equatable {
    /// The fastest the clock driver slews, ppm (83333 by default, as `tinker maxslewrate`).
    case slewRate(ppm: Double)
    /// The clock jumps by this much (local − true grows by it); the engine must notice.
    case jump(seconds: Double)
}

/// `lab server add ADDRESS [offset S] [stratum N] [delay S] [jitter S] [loss PERCENT]`.
public struct LabServerSettings: Sendable, Equatable {
    /// The server's clock error, seconds (server − true time).
    public var offset: Double = 0
    public var stratum: UInt8 = 1
    /// Round-trip network delay to the client, seconds (half each way).
    public var delay: Double = 2e-4
    /// Random extra delay per packet, seconds (scale of the noise, each way).
    public var jitter: Double = 1e-4
    /// Packets lost, percent (each direction).
    public var lossPercent: Double = 0
    /// The server's clock's frequency error, ppm.
    public var frequency: Double = 0
    /// Outbound minus inbound one-way delay, seconds (biases the offset by −asymmetry/2).
    public var asymmetry: Double = 0
    /// The reference ID it shows (default: GPS at stratum 1, an address above).
    public var refid: String?
    public var leap: LeapIndicator = .noWarning
    /// `nts`: it serves NTS-KE and NTS-protected NTP (RFC 8915) besides plain NTP.
    public var nts = false

    public init() {}
}

/// `lab server ADDRESS silent|answer|falseticker OFFSET`.
public enum LabServerChange: Sendable, Equatable {
    /// Stops answering.
    case silent
    /// Answers again.
    case answer
    /// Serves time `offset` seconds off (0: honest again).
    case falseticker(offset: Double)
    /// Answers every request with this kiss-o'-death code (RATE, DENY, RSTR, …); nil: stops.
    case kiss(String?)
    /// Announces a leap second, or says it is unsynchronised (leap alarm).
    case leap(LeapIndicator)
    case stratum(UInt8)
    /// A man in the middle on the path of its replies to the lab host adds `shift` seconds to
    /// their receive and transmit timestamps (0: it leaves).
    case mitm(shift: Double)
}

/// `lab status`.
public struct LabStatus: Sendable, Equatable {
    /// Virtual seconds since the lab started.
    public var elapsed: Double
    /// The seed the lab's randomness derives from.
    public var seed: UInt64
    /// Client clock − true time, seconds.
    public var clockOffset: Double
    /// The client clock's frequency error, ppm (after the engine's correction).
    public var frequencyError: Double
    public var servers: [Server]
    public var clients: [Client] = []
    /// Scheduled `lab at` commands not yet run.
    public var scheduled = 0
    /// The lab's virtual files (the drift file), path → contents.
    public var files: [String: String] = [:]
    /// Problems worth a line (a statistics file that cannot be written).
    public var notes: [String] = []

    public struct Server: Sendable, Equatable {
        public var address: String
        public var stratum: UInt8
        /// Server − true time now, seconds (falseticker error included).
        public var offset: Double
        public var silent: Bool
        /// The kiss code it answers with, if any; its leap bits.
        public var kiss: String?
        public var leap: LeapIndicator = .noWarning
        /// It serves NTS; the man in the middle on its path (the shift, replies forged so far).
        public var nts = false
        /// NTS requests it answered, NAKed (bad cookie or authenticator); NTS-KE sessions served.
        public var ntsAnswered = 0, ntsNAKs = 0, ntsKeySessions = 0
        public var mitmShift: Double?
        public var forged = 0
        public init(address: String, stratum: UInt8, offset: Double, silent: Bool) {
            self.address = address; self.stratum = stratum; self.offset = offset; self.silent = silent
        }
    }

    public struct Client: Sendable, Equatable {
        public var address: String
        /// Seconds between its requests.
        public var interval: Double
        public var sent: Int
        public var answered: Int
        public var kissed: Int
        public var unanswered: Int
        /// The last answer's offset (the lab host's time − true time), seconds.
        public var lastOffset: Double?
        public init(address: String, interval: Double, sent: Int, answered: Int, kissed: Int, unanswered: Int, lastOffset: Double?) {
            self.address = address; self.interval = interval; self.sent = sent; self.answered = answered
            self.kissed = kissed; self.unanswered = unanswered; self.lastOffset = lastOffset
        }
    }

    public init(elapsed: Double, seed: UInt64, clockOffset: Double, frequencyError: Double, servers: [Server]) {
        self.elapsed = elapsed; self.seed = seed; self.clockOffset = clockOffset
        self.frequencyError = frequencyError; self.servers = servers
    }
}
