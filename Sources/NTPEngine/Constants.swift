/// RFC 5905's protocol constants, in seconds unless said otherwise.
public enum NTPConstants {
    /// PHI: frequency tolerance, the rate dispersion grows at (15 ppm).
    public static let phi = 15e-6
    /// MAXDISP: the dispersion of a stage never filled.
    public static let maxDispersion = 16.0
    /// MINDISP: the least dispersion a sample adds.
    public static let minDispersion = 0.005
    /// MAXDIST: a source whose root distance exceeds this is not selectable.
    public static let maxDistance = 1.5
    /// MAXSTRAT: stratum meaning unsynchronised.
    public static let maxStratum: UInt8 = 16
    /// NSTAGE: samples in the clock filter.
    public static let filterStages = 8
    /// Default poll exponents (ntpd's): 64 s to 1024 s.
    public static let defaultMinPoll: Int8 = 6
    public static let defaultMaxPoll: Int8 = 10
    /// Limits users may configure (ntpd's): 8 s to 36 h.
    public static let minPollLimit: Int8 = 3
    public static let maxPollLimit: Int8 = 17
    /// iburst: packets sent, and their spacing, when a source is unreachable.
    public static let burstCount = 8
    public static let burstSpacing = 2.0
    /// Interleaved mode: requests unanswered after which the next goes basic (the server's
    /// stamp would be that many polls old; chrony's MAX_CLIENT_INTERLEAVED_TX).
    public static let interleavedUnanswered = 4
    /// The least time between two requests to different sources (chrony's sampling
    /// separation): a client with several servers never sends a volley, and their replies do
    /// not queue behind each other on the way in.
    public static let requestSeparation = 0.2
    /// A poll interval is lengthened by up to this fraction at random, so clients started
    /// together drift apart; never shortened, so the mean interval is at least 2^poll (as
    /// chrony does; ntpd's shortening made the mean 0.97 × 2^poll).
    public static let pollRandomness = 0.02
    /// A new association's first request waits at least this long, then up to
    /// ``initialSpread`` more at random (chrony's initial delay of 0.2 s; ntpd's first poll
    /// waits for its 1 s timer). A daemon's first instants are its busiest (its precision is
    /// measured by reading the clock thousands of times, files are read): a transmit stamp
    /// taken then is the least trustworthy of the run, and the first two samples set the
    /// frequency. (Under clknetsim, clock reads in a process's first 0.1 s are perturbed on
    /// purpose for such precision loops, by 0.5 ms after ours: one first request in five went
    /// out then, and its sample set the frequency 4 ppm wrong.)
    public static let initialDelay = 0.2
    public static let initialSpread = 0.3
}
