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
    /// The world now: virtual time, the client clock's truth, the servers.
    func labStatus() -> LabStatus
}

/// `lab clock slew-rate PPM` / `lab clock jump SECONDS`.
public enum LabClockChange: Sendable, Equatable {
    /// The fastest the clock slews, ppm (the kernel's is 500; software clocks 83333).
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

    public struct Server: Sendable, Equatable {
        public var address: String
        public var stratum: UInt8
        /// Server − true time now, seconds (falseticker error included).
        public var offset: Double
        public var silent: Bool
        public init(address: String, stratum: UInt8, offset: Double, silent: Bool) {
            self.address = address; self.stratum = stratum; self.offset = offset; self.silent = silent
        }
    }

    public init(elapsed: Double, seed: UInt64, clockOffset: Double, frequencyError: Double, servers: [Server]) {
        self.elapsed = elapsed; self.seed = seed; self.clockOffset = clockOffset
        self.frequencyError = frequencyError; self.servers = servers
    }
}
