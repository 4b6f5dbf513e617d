// The clock discipline's directives: `driftfile`, `tinker`, `tos`. Each declaration carries
// its syntax, handler and attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPEngine

enum DisciplineCommands {
    @CommandBuilder static var driftFile: [GrammarDeclaration] {
        Command("driftfile", help: "File keeping the clock's frequency (ppm) across restarts", .directive,
                identity: .single("driftfile"), run: { $0.driftFile($1) }) {
            Argument(.path, name: "FILE", help: "Drift file path", key: "file", completion: "path")
        }
        Command("no driftfile", help: "Stop using a drift file", id: "no-driftfile", .directive,
                identity: .single("driftfile"), run: { $0.noDriftFile($1) })
    }

    @CommandBuilder static var tuning: [GrammarDeclaration] {
        Command("tinker", help: "Tune the discipline's thresholds", .directive,
                identity: .optionWords("tinker"), run: { $0.tinker($1) }) {
            Options {
                Option("step", .offset(0...1e6), name: "SECONDS", help: "Step threshold: larger offsets are stepped (0.128 s)")
                Option("stepout", .duration(1...1e6), name: "SECONDS", help: "How long a large offset must persist before a step (300 s)")
                Option("panic", .offset(0...1e9), name: "SECONDS", help: "Panic threshold: larger first offsets are refused without -g (1000 s)")
                Option("maxslewrate", .ppm(1...83_333), name: "PPM", help: "Fastest rate a slew moves the clock (83333 ppm, as chrony's maxslewrate)")
                Option("dispersion", .number(0...1), name: "SECONDS", help: "Dispersion increase rate, s/s (accepted; 15 ppm is used)")
                Option("allan", .duration(1...1e6), name: "SECONDS", help: "Allan intercept (accepted; not used by the discipline)")
                Option("huffpuff", .duration(1...1e6), name: "SECONDS", help: "Huff-n'-puff window (accepted; not used)")
            }
        }
        Command("tos", help: "Selection and orphan settings", .directive, identity: .optionWords("tos"), run: { $0.tos($1) }) {
            Options {
                Option("minsane", .integer(SettingRanges.minSane), name: "N", help: "Survivors needed to synchronise (1)")
                Option("minclock", .integer(SettingRanges.minClock), name: "N", help: "Survivors the cluster algorithm keeps (3)")
                Option("maxclock", .integer(SettingRanges.maxClock), name: "N", help: "Candidates considered (10)")
                Option("orphan", .integer(SettingRanges.orphanStratum), name: "STRATUM", help: "Stratum of orphan mode, when nothing better is reachable")
                Option("orphanwait", .duration(0...1e6), name: "SECONDS", help: "Wait before entering orphan mode (300 s)")
                Option("mindist", .offset(0...10), name: "SECONDS", help: "Minimum distance of a correctness interval")
                Option("maxdist", .offset(0...100), name: "SECONDS", help: "Root distance beyond which a source is not selectable (1.5 s)")
            }
        }
    }
}

extension CommandRunner {
    func driftFile(_ i: Invocation) -> Output {
        record(i)
        if let note = admin.setDriftFile(i.arguments.string("file") ?? "") { return Output(text: note + "\n") }
        return Output()
    }

    func noDriftFile(_ i: Invocation) -> Output {
        _ = admin.setDriftFile(nil)
        forget(i)
        return Output()
    }

    func tinker(_ i: Invocation) -> Output {
        let a = i.arguments
        var c = admin.engineConfiguration()
        if let v = a.seconds("step") { c.stepThreshold = v }
        if let v = a.seconds("stepout") { c.stepout = v }
        if let v = a.seconds("panic") { c.panicThreshold = v }
        if let v = a.ppm("maxslewrate") { c.maxSlewRate = v }
        admin.setEngineConfiguration(c)
        record(i)
        return Output()
    }

    func tos(_ i: Invocation) -> Output {
        let a = i.arguments
        var c = admin.engineConfiguration()
        if let v = a.int("minsane") { c.selection.minSane = v }
        if let v = a.int("minclock") { c.selection.minClock = v }
        if let v = a.int("maxclock") { c.selection.maxClock = v }
        if let v = a.int("orphan") { c.orphanStratum = UInt8(v) }
        if let v = a.seconds("orphanwait") { c.orphanWait = v }
        admin.setEngineConfiguration(c)
        record(i)
        return Output()
    }
}
