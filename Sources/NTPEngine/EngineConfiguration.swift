public import NTPWire

/// The engine-wide settings: `tinker`, `tos`, and the `-g`, `-x`, `-q` flags.
public struct EngineConfiguration: Sendable, Codable, Equatable {
    /// `tinker step`: offsets beyond this are stepped, not slewed (ntpd: 0.128 s). 0 disables stepping.
    public var stepThreshold = Seconds(0.128)
    /// `tinker stepout`: how long an offset beyond the step threshold must persist before it is
    /// believed and stepped (NTPsec: 300 s).
    public var stepout = Seconds(300)
    /// `tinker panic`: a first correction beyond this is refused unless `-g` (1000 s). 0 disables.
    public var panicThreshold = Seconds(1000)
    /// `tinker maxslewrate`: the fastest a slew moves the clock, ppm (chrony's `maxslewrate`;
    /// nil: the clock's default, 83,333 ppm).
    public var maxSlewRate: PPM?
    /// `-g`: allow the first correction to exceed the panic threshold.
    public var allowFirstBigCorrection = false
    /// `-x`: never step; slew every correction.
    public var slewOnly = false
    /// `-q`: set the clock once, then report `.exit`.
    public var setOnceAndExit = false
    /// `tos minsane`, `minclock`, `maxclock`.
    public var selection = Selection.Settings()
    /// `tos orphan N`: the stratum this server claims when nothing better is reachable.
    public var orphanStratum: UInt8?
    /// `tos orphanwait`: how long without a system peer before orphan mode, seconds (300).
    public var orphanWait = Seconds(300)
    /// The frequency the clock starts with (from the drift file).
    public var initialFrequency: PPM?

    public init() {}
}
