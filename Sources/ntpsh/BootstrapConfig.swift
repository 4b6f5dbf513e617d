import NTPEngine
import NTPPlatform

/// The part of ntp.conf the engine can act on before the command grammar exists: `server`
/// and `pool` with their options (and the extension `port N`), the local clock
/// (`server 127.127.1.0`, `fudge 127.127.1.0 stratum N`), `driftfile`, `tinker` and `tos`.
/// Every other directive is reported as not yet implemented and ignored, never silently taken
/// as understood; a malformed argument is an error naming FILE:LINE.
///
/// Interim: the shell issue replaces this with the command grammar, which reads the file as a
/// batch of configuration commands.
struct BootstrapConfig {
    var associations: [AssociationConfiguration] = []
    var engine = EngineConfiguration()
    var driftFile: String?
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
        var localStratum: UInt8?
        var errors: [String] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let directive = words.first else { continue }
            let at = "\(name):\(index + 1)"
            do {
                switch directive {
                case "server", "pool":
                    guard words.count >= 2 else { throw ParseError(description: "\(at): \(directive) needs an address") }
                    var config = AssociationConfiguration(kind: directive == "pool" ? .pool : .server, host: words[1])
                    try Self.options(words.dropFirst(2), into: &config, at: at)
                    associations.append(config)
                case "fudge":
                    guard words.count >= 2, AssociationConfiguration.isLocalClockAddress(words[1]) else {
                        warnings.append("\(at): fudge is implemented for the local clock 127.127.1.0 only; ignored")
                        continue
                    }
                    var rest = words.dropFirst(2)
                    while let option = rest.popFirst() {
                        if option == "stratum" {
                            localStratum = try Self.number(rest.popFirst(), 0...15, "fudge stratum", at: at)
                        } else {
                            warnings.append("\(at): fudge option '\(option)' is not implemented yet; ignored")
                        }
                    }
                case "driftfile":
                    guard words.count >= 2 else { throw ParseError(description: "\(at): driftfile needs a file name") }
                    driftFile = words[1]
                case "tinker":
                    var rest = words.dropFirst()
                    while let option = rest.popFirst() {
                        let value: Double = try Self.number(rest.popFirst(), 0...1e9, "tinker \(option)", at: at)
                        switch option {
                        case "step": engine.stepThreshold = value
                        case "stepout": engine.stepout = value
                        case "panic": engine.panicThreshold = value
                        default: warnings.append("\(at): tinker \(option) is not implemented yet; ignored")
                        }
                    }
                case "tos":
                    var rest = words.dropFirst()
                    while let option = rest.popFirst() {
                        let value: Int = try Self.number(rest.popFirst(), 0...16, "tos \(option)", at: at)
                        switch option {
                        case "minsane": engine.selection.minSane = value
                        case "minclock": engine.selection.minClock = value
                        case "maxclock": engine.selection.maxClock = value
                        case "orphan": engine.orphanStratum = UInt8(value)
                        default: warnings.append("\(at): tos \(option) is not implemented yet; ignored")
                        }
                    }
                default:
                    warnings.append("\(at): '\(directive)' is not implemented yet; ignored")
                }
            } catch {
                errors.append("\(error)")
            }
        }
        if let s = localStratum {
            for i in associations.indices where AssociationConfiguration.isLocalClockAddress(associations[i].host) {
                associations[i].localStratum = s
            }
        }
        if !errors.isEmpty { throw ParseError(description: errors.joined(separator: "\n")) }
    }

    private static func options(_ words: ArraySlice<String>, into config: inout AssociationConfiguration, at: String) throws {
        var rest = words
        while let option = rest.popFirst() {
            switch option {
            case "iburst": config.iburst = true
            case "burst": config.burst = true
            case "prefer": config.prefer = true
            case "noselect": config.noselect = true
            case "minpoll": config.minPoll = try number(rest.popFirst(), 3...17, "minpoll", at: at)
            case "maxpoll": config.maxPoll = try number(rest.popFirst(), 3...17, "maxpoll", at: at)
            case "version": config.version = try number(rest.popFirst(), 1...4, "version", at: at)
            case "port": config.port = try number(rest.popFirst(), 1...65535, "port", at: at)
            default: throw ParseError(description: "\(at): unknown server option '\(option)'")
            }
        }
        if config.maxPoll < config.minPoll { config.maxPoll = config.minPoll }
    }

    private static func number<T: LosslessStringConvertible & Comparable>(
        _ word: String?, _ range: ClosedRange<T>, _ what: String, at: String
    ) throws -> T {
        guard let word else { throw ParseError(description: "\(at): \(what) needs a value") }
        guard let value = T(word), range.contains(value) else {
            throw ParseError(description: "\(at): \(what) must be \(range.lowerBound) to \(range.upperBound), not '\(word)'")
        }
        return value
    }
}
