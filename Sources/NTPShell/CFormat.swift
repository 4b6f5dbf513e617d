import NTPWire

/// printf-style number formatting without Foundation, exact where the tools we imitate are
/// exact: `%.Nf` rounds the double's exact binary value to nearest, ties to even (glibc), and
/// ``pythonRepr(_:)`` lays out the shortest round-trip digits as Python's `repr(float)` does
/// (NTPsec's ntpq prints most values that way).
public enum CFormat {
    /// `%.{digits}f`: NTPWire's ``formatFixed(_:_:)`` (exact, ties to even, as glibc).
    public static func fixed(_ value: Double, _ digits: Int) -> String { formatFixed(value, digits) }

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

/// `64s`, `10m`, `2h`, `0.5s`: a duration as the commands take it (`plot … last`, the labs).
public func formatDuration(_ seconds: Double) -> String {
    if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
    if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    if seconds == seconds.rounded() { return "\(Int(seconds))s" }
    var text = formatFixed(seconds, 3)
    while text.hasSuffix("0") { text.removeLast() }
    return text + "s"
}
