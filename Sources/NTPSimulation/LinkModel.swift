/// One direction of a simulated link: each packet independently is lost with probability
/// ``loss``, else delayed by `baseDelay + jitter · Exp(1)` seconds.
public struct LinkDirection: Sendable, Equatable {
    /// The fixed part of the one-way delay, seconds.
    public var baseDelay: Double
    /// The scale of the exponential part of the delay, seconds (its mean; also its standard deviation).
    public var jitter: Double
    /// Probability that a packet is lost, 0…1.
    public var loss: Double

    public init(baseDelay: Double = 1e-4, jitter: Double = 1e-4, loss: Double = 0) {
        self.baseDelay = baseDelay; self.jitter = jitter; self.loss = loss
    }

    /// The delay of one packet, or nil if it is lost. Always draws two numbers, so changing the
    /// loss probability does not shift the delays of the packets that get through.
    public func draw(_ random: inout SimulationRandom) -> Double? {
        let lost = random.nextUniform() < loss
        let delay = baseDelay + jitter * random.nextExponential()
        return lost ? nil : delay
    }
}

/// The network between a host (the client side) and a server or another host: one
/// ``LinkDirection`` each way. ``outbound`` carries packets *from* the host, ``inbound``
/// packets *to* it. Asymmetry (outbound − inbound base delay) biases every offset a client
/// measures by −asymmetry/2, and no NTP client can see it: that is the point of simulating it.
///
/// ACCURACY.md's default world is ``accuracyDefault``: base 1e-4 s, jitter 1e-4 s, no loss.
public struct LinkModel: Sendable, Equatable {
    public var outbound: LinkDirection
    public var inbound: LinkDirection

    public init(outbound: LinkDirection, inbound: LinkDirection) {
        self.outbound = outbound; self.inbound = inbound
    }

    /// A link with the same delay model both ways, plus `asymmetry` seconds of extra fixed delay
    /// outbound (negative: inbound), and `loss` probability in each direction.
    public init(baseDelay: Double = 1e-4, jitter: Double = 1e-4, asymmetry: Double = 0, loss: Double = 0) {
        outbound = LinkDirection(baseDelay: baseDelay + max(asymmetry, 0), jitter: jitter, loss: loss)
        inbound = LinkDirection(baseDelay: baseDelay + max(-asymmetry, 0), jitter: jitter, loss: loss)
    }

    /// ACCURACY.md's default: 1e-4 s + 1e-4 s · Exp(1) each way, no loss.
    public static let accuracyDefault = LinkModel()

    /// Outbound minus inbound base delay, seconds.
    public var asymmetry: Double { outbound.baseDelay - inbound.baseDelay }

    /// The mean round-trip delay, seconds.
    public var meanRoundTrip: Double {
        outbound.baseDelay + outbound.jitter + inbound.baseDelay + inbound.jitter
    }
}
