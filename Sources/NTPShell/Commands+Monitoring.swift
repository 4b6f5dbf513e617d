// The MRU list of clients: the `mru` directive and the `monstats` and `mrulist` views. Each
// declaration carries its syntax, handler and attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPEngine
import NTPWire

enum MonitoringCommands {
    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("mru", help: "Bounds of the MRU list of clients (mrulist, monstats)", .directive, identity: .single("mru"),
                run: { $0.mru($1) }) {
            Options {
                Option("maxdepth", .integer(1...1_000_000), name: "N", help: "Most entries kept (default: what maxmem holds; reserved at once, so bounded)")
                Option("maxmem", .integer(1...65_536), name: "KB", help: "Memory for the list, kilobytes (1024)")
                Option("mindepth", .integer(0...1_000_000), name: "N", help: "Entries kept however old (600)")
                Option("maxage", .integer(1...100_000_000), name: "SECONDS", help: "Beyond mindepth, entries older than this are recycled first (3600)")
                Option("minage", .integer(0...100_000_000), name: "SECONDS", help: "A full list recycles no entry younger than this (64)")
                Option("initalloc", .integer(0...100_000_000), name: "N", help: "Entries allocated at start (accepted; the list reserves maxdepth)")
                Option("initmem", .integer(0...10_000_000), name: "KB", help: "Memory allocated at start (accepted; the list reserves maxmem)")
                Option("incalloc", .integer(0...100_000_000), name: "N", help: "Entries added when the list grows (accepted; not needed)")
                Option("incmem", .integer(0...10_000_000), name: "KB", help: "Memory added when the list grows (accepted; not needed)")
            }
        }
    }

    @CommandBuilder static var views: [GrammarDeclaration] {
        Command("monstats", help: "MRU list counters and limits, as ntpq -c monstats", .view, json: true, run: { r, i in
            let stats = r.statisticsSubject()
            return i.wantsJSON ? r.jsonOut(SystemStatsView.monstatsJSON(stats)) : CommandRunner.Output(text: SystemStatsView.monstats(stats))
        }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
        Command("mrulist", help: "Clients recently seen, newest first, as ntpq -c mrulist", .view, json: true, run: { $0.mruList($1) }) {
            Options {
                Option("sort", .word, name: "KEY", help: "Order: lstint, avgint, addr, count, score, drop; a leading - reverses")
                Option("limit", .integer(1...100_000_000), name: "N", help: "Show at most N entries")
                Option("mincount", .integer(0...Int(Int32.max)), name: "N", help: "Only clients with at least N packets")
                Option("laddr", .address, name: "ADDRESS", help: "Only clients that sent to this local address")
                Flag("kod", help: "Only clients whose last packet was answered with a RATE kiss")
                Flag("limited", help: "Only clients whose last packet was rate limited")
                Flag("json", help: "Machine-readable output")
            }
        }
    }
}

extension CommandRunner {
    func mru(_ i: Invocation) -> Output {
        let a = i.arguments
        var m = admin.monitorSettings()
        // Whichever of maxdepth and maxmem comes last decides (as ntpd).
        for key in a.keys {
            switch key {
            case "maxdepth": m.maxDepth = a.int(key) ?? m.maxDepth
            case "maxmem": m.maxDepth = MRUList.depth(forKilobytes: a.int(key) ?? 1024)
            case "mindepth": m.minDepth = a.int(key) ?? m.minDepth
            case "maxage": m.maxAge = a.int(key) ?? m.maxAge
            case "minage": m.minAge = a.int(key) ?? m.minAge
            default: break
            }
        }
        admin.setMonitorSettings(m)
        record(i)
        return Output()
    }

    func mruList(_ i: Invocation) -> Output {
        let a = i.arguments
        var options = MRUListView.Options()
        options.sort = a.string("sort")
        options.limit = a.int("limit")
        options.minCount = a.int("mincount") ?? 0
        if let text = a.string("laddr") { options.localAddress = IPAddress(text) }
        if a.flag("kod") { options.requireAny.insert(.kod) }
        if a.flag("limited") { options.requireAny.insert(.limited) }
        let now = admin.systemReport().now
        switch MRUListView.select(admin.mruEntries(), options: options) {
        case .failure(let e): return .failure(e.description)
        case .success(let list):
            return i.wantsJSON ? jsonOut(MRUListView.json(list, now: now)) : Output(text: MRUListView.text(list, now: now))
        }
    }
}
