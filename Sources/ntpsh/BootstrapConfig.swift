import NTPPlatform

/// The part of ntp.conf the engine can act on before the command grammar exists: the local
/// clock (`server 127.127.1.0` with `fudge 127.127.1.0 stratum N`). Every other directive is
/// reported as not yet implemented and ignored, never silently taken as understood.
///
/// Interim: the shell issue replaces this with the grammar, which reads the file as a batch
/// of configuration commands.
struct BootstrapConfig {
    /// The LOCAL driver's stratum when `server 127.127.1.0` is configured (ntpd's default 5).
    var localClockStratum: UInt8?
    var warnings: [String] = []

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws {
        let text: String
        do { text = try TextFile.read(path) } catch { throw ParseError(description: "\(path): \(error)") }
        try self.init(text: text, name: path)
    }

    init(text: String, name: String) throws {
        var local = false
        var fudgeStratum: UInt8?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let directive = words.first else { continue }
            let at = "\(name):\(index + 1)"
            switch (directive, words.count > 1 ? words[1] : "") {
            case ("server", "127.127.1.0"):
                local = true
            case ("fudge", "127.127.1.0"):
                var i = 2
                while i < words.count {
                    if words[i] == "stratum", i + 1 < words.count {
                        guard let s = UInt8(words[i + 1]), s <= 15 else {
                            throw ParseError(description: "\(at): fudge stratum must be 0 to 15, not '\(words[i + 1])'")
                        }
                        fudgeStratum = s
                        i += 2
                    } else {
                        warnings.append("\(at): fudge option '\(words[i])' is not implemented yet; ignored")
                        i += 1
                    }
                }
            default:
                warnings.append("\(at): '\(directive)' is not implemented yet; ignored")
            }
        }
        if local { localClockStratum = fudgeStratum ?? 5 }
    }
}
