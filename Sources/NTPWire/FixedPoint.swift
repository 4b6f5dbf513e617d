// Fixed-point decimal text of a Double: C's `%.Nf`, the one number formatter of the program
// (engine events, statistics files, mode 6 variables, chronyc- and ntpq-style views).

/// `%.{digits}f` as glibc prints it: the double's exact binary value rounded to `digits`
/// places, to nearest with ties to even (`0.125` → `0.12`, `2.5` → `2`, `0.1` → `0.1000…`
/// as the nearest double really is); the sign kept on values that round to zero (`-0.000`);
/// `nan`, `-nan`, `inf`, `-inf`. Without Foundation.
public func formatFixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else {
        return value.isNaN ? (value.sign == .minus ? "-nan" : "nan") : (value < 0 ? "-inf" : "inf")
    }
    let places = max(0, digits)
    let (integer, fraction) = roundedDecimal(abs(value), places: places)
    var text = value.sign == .minus ? "-" : ""
    text += integer.isEmpty ? "0" : String(integer.map { Character(Unicode.Scalar($0 + 0x30)) })
    if places > 0 { text += "." + String(fraction.map { Character(Unicode.Scalar($0 + 0x30)) }) }
    return text
}

/// The exact decimal digits of a finite, non-negative `x` rounded to `places` fractional
/// digits, to nearest with ties to even: the integer digits (empty for 0) and exactly `places`
/// fractional ones.
func roundedDecimal(_ x: Double, places: Int) -> (integer: [UInt8], fraction: [UInt8]) {
    let (integer, fraction) = exactDecimal(x)
    var kept = Array(fraction.prefix(places))
    kept += [UInt8](repeating: 0, count: places - kept.count)
    let rest = fraction.dropFirst(places)
    let roundUp: Bool
    switch rest.first ?? 0 {
    case 6...: roundUp = true
    case 5 where rest.dropFirst().contains(where: { $0 != 0 }): roundUp = true
    case 5: roundUp = (kept.last ?? integer.last ?? 0) % 2 == 1  // a tie: to even
    default: roundUp = false
    }
    guard roundUp else { return (integer, kept) }
    var all = integer + kept
    var i = all.count - 1
    while i >= 0 && all[i] == 9 {
        all[i] = 0
        i -= 1
    }
    if i >= 0 { all[i] += 1 } else { all.insert(1, at: 0) }
    return (Array(all.dropLast(places)), Array(all.suffix(places)))
}

/// The exact decimal digits of a finite, non-negative double: integer part (no leading
/// zeros, empty for 0) and every fractional digit.
func exactDecimal(_ x: Double) -> (integer: [UInt8], fraction: [UInt8]) {
    if x == 0 { return ([], []) }
    let exponent = Int(x.exponent) - Double.significandBitCount
    let significand = x.significandBitPattern | (x.isNormal ? 1 << UInt64(Double.significandBitCount) : 0)
    let e = x.isNormal ? exponent : -1074
    if e >= 0 {
        var n = BigDecimal(significand)
        n.multiply(base: 2, power: e)
        return (n.digits, [])
    }
    // x = m / 2^k = m · 5^k / 10^k.
    let k = -e
    var n = BigDecimal(significand)
    n.multiply(base: 5, power: k)
    let d = n.digits
    if d.count > k {
        return (Array(d.prefix(d.count - k)), Array(d.suffix(k)))
    }
    return ([], Array(repeating: 0, count: k - d.count) + d)
}

/// Just enough arbitrary precision for exact decimal expansions: base 10⁹ limbs, least
/// significant first, multiplied by small factors.
struct BigDecimal {
    var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = []
        var v = value
        repeat { limbs.append(UInt32(v % 1_000_000_000)); v /= 1_000_000_000 } while v > 0
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let p = UInt64(limbs[i]) * UInt64(factor) + carry
            limbs[i] = UInt32(p % 1_000_000_000)
            carry = p / 1_000_000_000
        }
        while carry > 0 { limbs.append(UInt32(carry % 1_000_000_000)); carry /= 1_000_000_000 }
    }

    /// Multiplies by `base^power` (base 2 or 5), in factors that fit a limb product.
    mutating func multiply(base: UInt32, power: Int) {
        let step = base == 2 ? 29 : 13
        var chunk: UInt32 = 1
        for _ in 0..<step { chunk *= base }
        var left = power
        while left >= step { multiply(by: chunk); left -= step }
        var last: UInt32 = 1
        for _ in 0..<left { last *= base }
        if last > 1 { multiply(by: last) }
    }

    var digits: [UInt8] {
        var out: [UInt8] = []
        for (i, limb) in limbs.reversed().enumerated() {
            var chunk = [UInt8](repeating: 0, count: 9)
            var v = limb
            for j in stride(from: 8, through: 0, by: -1) { chunk[j] = UInt8(v % 10); v /= 10 }
            if i == 0 { out += chunk.drop(while: { $0 == 0 }) } else { out += chunk }
        }
        return out
    }
}
