// The statistics files' settings as the admin contract carries them (NTPControl writes the files).

public import NTPWire

/// `statsdir`, `statistics`, `filegen`: which of ntpd's statistics files are written, where, and
/// how they are split (one per day, or one file).
public struct StatisticsSettings: Sendable, Equatable, Codable {
    /// The kinds ntpsh writes.
    public enum Kind: String, Sendable, CaseIterable, Codable, CodingKeyRepresentable {
        case loopstats, peerstats
    }

    /// How a file is generated: `type day` (prefix.YYYYMMDD) or `type none` (prefix alone).
    public enum Generation: String, Sendable, Codable {
        case day, none
    }

    public struct File: Sendable, Equatable, Codable {
        public var enabled = false
        /// The file name's prefix inside the directory (default: the kind's name).
        public var prefix: String
        public var generation = Generation.day
        public init(prefix: String) { self.prefix = prefix }
    }

    /// `statsdir`: NTPsec's default is /var/log/ntpstats/.
    public var directory = "/var/log/ntpstats/"
    public var files: [Kind: File] = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0, File(prefix: $0.rawValue)) })

    public init() {}

    public var isActive: Bool { files.values.contains { $0.enabled } }

    /// The file a line stamped `time` goes to.
    public func path(_ kind: Kind, at time: UnixTime) -> String {
        guard let file = files[kind] else { return "" }
        let base = directory.hasSuffix("/") || directory.isEmpty ? directory + file.prefix : directory + "/" + file.prefix
        switch file.generation {
        case .none: return base
        case .day:
            let date = CivilTime(time).description.prefix(10).split(separator: "-").joined()
            return base + "." + date
        }
    }
}
