import Glibc

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator used to expand one seed into the
/// state of ``SimulationRandom`` and to derive independent streams.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The simulator's random source: xoshiro256** (Blackman, Vigna 2018), seeded through
/// SplitMix64, with uniform, Gaussian (Box–Muller) and exponential draws. Same seed, same
/// sequence, on every machine: everything is integer arithmetic and IEEE double operations.
public struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    /// The second value of the last Box–Muller pair, not yet used.
    private var spareGaussian: Double?

    /// A generator for `seed`; `stream` gives independent sequences from one seed (one per
    /// oscillator, per link direction, …).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal N(0, 1), by the Box–Muller transform (pairs; the second is kept).
    public mutating func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        let u1 = 1.0 - nextUniform()  // (0, 1]: log is finite
        let u2 = nextUniform()
        let r = sqrt(-2.0 * log(u1))
        let theta = 2.0 * Double.pi * u2
        spareGaussian = r * sin(theta)
        return r * cos(theta)
    }

    /// Normal with the given mean and standard deviation.
    public mutating func nextGaussian(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * nextGaussian()
    }

    /// Exponential with mean 1 (for delays: `base + scale · Exp(1)`).
    public mutating func nextExponential() -> Double {
        -log(1.0 - nextUniform())
    }

    /// True with probability `p` (for packet loss).
    public mutating func nextBernoulli(_ p: Double) -> Bool {
        nextUniform() < p
    }
}
