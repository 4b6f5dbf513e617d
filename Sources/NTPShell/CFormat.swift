/// printf-style number formatting without Foundation, exact where the tools we imitate are
/// exact: `%.Nf` rounds the double's exact binary value to nearest, ties to even (glibc), and
/// ``pythonRepr(_:)`` lays out the shortest round-trip digits as Python's `repr(float)` does
/// (NTPsec's ntpq prints most values that way).
public enum CFormat {
    /// `%.{digits}f`.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? (value.sign == .minus ? "-nan" : "nan") : (value < 0 ? "-inf" : "inf") }
        let negative = value.sign == .minus
        var (intDigits, fracDigits) = exactDecimal(abs(value))
        // Round fracDigits to `digits` places, ties to even, on the exact expansion.
        var keep = Array(fracDigits.prefix(digits))
        while keep.count < digits { keep.append(0) }
        let rest = fracDigits.count > digits ? Array(fracDigits[digits...]) : []
        var roundUp = false
        if let first = rest.first {
            if first > 5 { roundUp = true }
            else if first == 5 {
                if rest.dropFirst().contains(where: { $0 != 0 }) { roundUp = true }
                else {
                    let last = digits > 0 ? keep[digits - 1] : (intDigits.last ?? 0)
                    roundUp = last % 2 == 1
                }
            }
        }
        if roundUp {
            var all = intDigits + keep
            var i = all.count - 1
            while i >= 0 {
                if all[i] == 9 { all[i] = 0; i -= 1 } else { all[i] += 1; break }
            }
            if i < 0 { all.insert(1, at: 0) }
            intDigits = Array(all.prefix(all.count - digits))
            keep = Array(all.suffix(digits))
        }
        fracDigits = keep
        var s = negative ? "-" : ""
        s += intDigits.isEmpty ? "0" : String(intDigits.map { Character(String($0)) })
        if digits > 0 { s += "." + String(fracDigits.map { Character(String($0)) }) }
        return s
    }

    /// The exact decimal digits of a finite, non-negative double: integer part (no leading
    /// zeros, empty for 0) and every fractional digit.
    static func exactDecimal(_ x: Double) -> (integer: [UInt8], fraction: [UInt8]) {
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

    /// Python 3's `repr(float)`: shortest round-trip digits; fixed notation for decimal
    /// exponents −4 … 15 (always with a fraction, `1.0`), else `d.ddde±XX`.
    public static func pythonRepr(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var text = value.description
        var negative = false
        if text.hasPrefix("-") { negative = true; text.removeFirst() }
        var mantissa = Substring(text)
        var exp10 = 0
        if let eIndex = text.firstIndex(of: "e") {
            mantissa = text[..<eIndex]
            exp10 = Int(text[text.index(after: eIndex)...]) ?? 0
        }
        var intPart = mantissa
        var fracPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            intPart = mantissa[..<dot]
            fracPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = Array((intPart + fracPart).utf8).map { $0 - 48 }
        var pointPos = intPart.count + exp10  // digits before the decimal point
        while let f = digits.first, f == 0, digits.count > 1 { digits.removeFirst(); pointPos -= 1 }
        while let l = digits.last, l == 0, digits.count > 1 { digits.removeLast() }
        let sign = negative ? "-" : ""
        if digits == [0] { return sign + "0.0" }
        let decimalExponent = pointPos - 1
        let chars = digits.map { Character(String($0)) }
        if decimalExponent >= -4 && decimalExponent < 16 {
            if pointPos <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPos) + String(chars)
            }
            if pointPos >= chars.count {
                return sign + String(chars) + String(repeating: "0", count: pointPos - chars.count) + ".0"
            }
            return sign + String(chars[..<pointPos]) + "." + String(chars[pointPos...])
        }
        var s = sign + String(chars[0])
        if chars.count > 1 { s += "." + String(chars[1...]) }
        let ae = abs(decimalExponent)
        s += (decimalExponent < 0 ? "e-" : "e+") + (ae < 10 ? "0" : "") + String(ae)
        return s
    }

    /// Pads on the left (`%Ns`) or right (`%-Ns`); never truncates.
    public static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let n = s.count
        guard n < width else { return s }
        let fill = String(repeating: " ", count: width - n)
        return left ? s + fill : fill + s
    }

    /// `%-W.Ps` style: cut to `precision` characters, then padded.
    public static func cut(_ s: String, _ precision: Int) -> String {
        s.count <= precision ? s : String(s.prefix(precision))
    }

    /// `%0Nx`.
    public static func hex(_ value: UInt64, width: Int) -> String {
        let h = String(value, radix: 16)
        return h.count >= width ? h : String(repeating: "0", count: width - h.count) + h
    }

    /// `%o` / `%0No`.
    public static func octal(_ value: UInt64, width: Int = 0, zeroPad: Bool = false) -> String {
        let o = String(value, radix: 8)
        guard o.count < width else { return o }
        return String(repeating: zeroPad ? "0" : " ", count: width - o.count) + o
    }
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
