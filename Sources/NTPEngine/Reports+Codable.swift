/// The report types travel over ntpsh's control socket (`ntpsh --attach`) as JSON, through
/// their `Codable` conformances. Most are synthesised; the enums whose raw value is a
/// `Character` (which is not `Codable`) encode as a one-character string here.
protocol CharacterCoded: RawRepresentable, Codable where RawValue == Character {}

extension CharacterCoded {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard text.count == 1, let value = Self(rawValue: text.first!) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown code '\(text)'"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(rawValue))
    }
}

extension SelectStatus: CharacterCoded {}
extension PeerReport.Kind: CharacterCoded {}
