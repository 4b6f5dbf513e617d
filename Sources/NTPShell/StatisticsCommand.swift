// The shell's statistics directives (`statsdir`, `statistics`, `filegen`): NTPAdmin's
// `StatisticsSettings` changed, handed to the engine, kept in the running configuration.
import NTPAdmin
import CommandGrammar

extension CommandRunner {
    /// `statsdir DIR`, `statistics KIND…`, `filegen KIND [file NAME] [type day|none] [enable|disable]`.
    func statisticsCommand(_ p: ParsedCommand, line: String) -> Output {
        let a = p.arguments
        var settings = statistics
        var notes: [String] = []
        switch p.id {
        case "statsdir":
            settings.directory = a.string("file") ?? settings.directory
        case "statistics":
            for name in a.strings("kinds") {
                if let kind = StatisticsSettings.Kind(rawValue: name) {
                    settings.files[kind]?.enabled = true
                } else {
                    notes.append("note: \(name) is accepted and not written (ntpsh writes loopstats and peerstats)")
                }
            }
        default:  // filegen
            let name = a.string("kind") ?? ""
            guard let kind = StatisticsSettings.Kind(rawValue: name) else {
                notes.append("note: filegen \(name) is accepted and not written (ntpsh writes loopstats and peerstats)")
                break
            }
            if let prefix = a.string("file") {
                guard !prefix.contains("/"), !prefix.isEmpty else { return .failure("filegen \(name) file \(prefix): a name inside statsdir, without /") }
                settings.files[kind]?.prefix = prefix
            }
            if let type = a.string("type") {
                guard let generation = StatisticsSettings.Generation(rawValue: type) else {
                    return .failure("filegen \(name) type \(type): ntpsh generates day (\(name).YYYYMMDD) or none (one file)")
                }
                settings.files[kind]?.generation = generation
            }
            if a.flag("enable") { settings.files[kind]?.enabled = true }
            if a.flag("disable") { settings.files[kind]?.enabled = false }
        }
        statistics = settings
        if let note = admin.setStatistics(settings) { notes.append(note) }
        let key = p.id == "statsdir" ? "" : canonical(line)
        running.set(id: p.id, key: p.id == "filegen" ? (a.string("kind") ?? "") : key, line: canonical(line), origin: currentOrigin)
        return Output(text: notes.map { $0 + "\n" }.joined())
    }
}
