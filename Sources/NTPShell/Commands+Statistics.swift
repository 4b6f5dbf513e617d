// The statistics files' directives (`statsdir`, `statistics`, `filegen`): NTPAdmin's
// `StatisticsSettings` changed, handed to the engine, kept in the running configuration. Each
// declaration carries its syntax, handler and attributes; the handler follows.
import NTPAdmin
import CommandGrammar

enum StatisticsCommands {
    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("statsdir", help: "Directory for statistics files", .directive, identity: .single("statsdir"),
                run: { $0.statisticsCommand($1) }) {
            Argument(.path, name: "DIR", help: "Statistics directory", key: "file", completion: "path")
        }
        Command("statistics", help: "Statistics files to write", .directive, identity: .line("statistics"),
                run: { $0.statisticsCommand($1) }) {
            OneOrMore { OneOf {
                Flag("loopstats", help: "Clock discipline statistics", key: "kinds")
                Flag("peerstats", help: "Peer statistics", key: "kinds")
                Flag("clockstats", help: "Reference clock statistics", key: "kinds")
                Flag("rawstats", help: "Raw timestamps", key: "kinds")
                Flag("sysstats", help: "System counters", key: "kinds")
            } }
        }
        Command("filegen", help: "Statistics file generation settings", .directive, identity: .argument("filegen", "kind"),
                run: { $0.statisticsCommand($1) }) {
            OneOf {
                Flag("loopstats", help: "Clock discipline statistics", key: "kind")
                Flag("peerstats", help: "Peer statistics", key: "kind")
                Flag("clockstats", help: "Reference clock statistics", key: "kind")
                Flag("rawstats", help: "Raw timestamps", key: "kind")
                Flag("sysstats", help: "System counters", key: "kind")
            }
            Options {
                Option("file", .path, name: "NAME", help: "File name prefix (in the statistics directory)")
                Option("type", .word, name: "TYPE", help: "Generation type: none, pid, day, week, month, year, age")
                Flag("link", help: "Keep a link to the current generation")
                Flag("nolink", help: "No link")
                Flag("enable", help: "Write this file")
                Flag("disable", help: "Do not write this file")
            }
        }
    }
}

extension CommandRunner {
    /// `statsdir DIR`, `statistics KIND…`, `filegen KIND [file NAME] [type day|none] [enable|disable]`.
    func statisticsCommand(_ i: Invocation) -> Output {
        let a = i.arguments
        var settings = statistics
        var notes: [String] = []
        switch i.id {
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
        record(i)
        return Output(text: notes.map { $0 + "\n" }.joined())
    }
}
