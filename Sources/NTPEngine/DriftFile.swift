public import NTPWire

/// Owns the drift file's format (ntpd's): one line, the clock's frequency correction in ppm
/// with three decimals. The daemon keeps it on disk, a lab in its virtual files.
public enum DriftFile {
    /// The largest frequency a drift file may hold, ppm (larger: not a frequency).
    public static let maxPPM = 500.0

    /// The file's text for the node's clock now; nil until the clock was disciplined once (a
    /// drift file is not overwritten with a frequency nothing measured).
    public static func text(for engine: Engine) -> String? {
        engine.system.updates > 0 ? formatFixed(engine.clock.status().frequency.value, 3) + "\n" : nil
    }

    /// The frequency `text` holds; or, when its first word is not one, that word.
    public static func frequency(in text: String) -> Result<PPM, NotAFrequency> {
        let word = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init) ?? ""
        guard let ppm = Double(word), ppm.isFinite, abs(ppm) <= maxPPM else { return .failure(NotAFrequency(word: word)) }
        return .success(PPM(ppm))
    }

    /// A drift file whose first word is not a frequency in ppm.
    public struct NotAFrequency: Error, Equatable {
        public var word: String
    }
}
