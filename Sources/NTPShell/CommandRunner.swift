public import NTPAdmin
public import CommandGrammar
import NTPEngine
import NTPWire
public import NTPControl

/// Runs shell commands (typed, from a batch file, or from ntp.conf) against an ``AdminAPI``.
/// Parsing is the grammar's; this is the dispatch from a parsed command to the engine and the
/// views, and the bookkeeping of the running configuration.
public final class CommandRunner {
    public let grammar: Grammar
    public let admin: any AdminAPI
    /// `--json`: every view prints JSON.
    public var json: Bool
    /// Width for views that wrap (`rv`) and widen (`peers`).
    public var terminalWidth = 80
    /// `plot` draws with Unicode braille (output is a terminal); plain ASCII when false.
    public var unicodeCharts = false
    /// `terminal monitor`: print engine events as they happen.
    public private(set) var monitor = false
    public internal(set) var running = RunningConfig()
    /// True while the configuration file is read: entries remember their file line (for `write`);
    /// commands from batches and the prompt are additions.
    public var recordsOrigins = false
    /// The file whose line is being run (relative `includefile` paths resolve from it).
    private var currentFile: String?
    private var currentLine = 0
    /// The files being included, outermost first (cycles are refused).
    private var includeStack: [String] = []
    /// ntpd's limit on nested `includefile`.
    static let maxIncludeDepth = 5
    /// The file line being run, recorded with the entries it creates (for `write`).
    var currentOrigin: RunningConfig.Origin?
    /// The configuration file and its text as read (for `write`).
    public var configFile: (path: String, text: String)?
    /// The files `includefile` read, and their text as read: `write` updates them too when an
    /// entry read from one was edited or removed.
    var includedFiles: [(path: String, text: String)] = []
    /// How `write` replaces a file (atomically, keeping FILE.bak); supplied by the runtime.
    public var writeFile: ((_ path: String, _ text: String, _ followSymlink: Bool) throws -> Void)?
    /// The flags of the last `restrict source` line (for `unrestrict source FLAGS`).
    private var sourceFlags: RestrictFlags?
    /// Where `includefile` paths resolve from and how files are read (the runtime supplies it).
    public var readFile: ((String) -> String?)?
    /// Lists a directory for file-name completion (entries, directories ending in `/`).
    public var listDirectory: (@Sendable (String) -> [String]?)?
    /// Host facts for `rv` and `sysinfo`.
    public var host = HostInfo()
    /// Whether the admin pressed Ctrl-C while this command runs (the interactive shell sets
    /// it; long commands — `sleep`, `wait sync` — check it between steps).
    public var isInterrupted: () -> Bool = { false }
    /// The lab world (`ntpsh --lab`): `lab …` commands and `expect offset` need it.
    public var lab: (any LabControl)?
    /// `statsdir`, `statistics`, `filegen` as given so far.
    var statistics = StatisticsSettings()
    /// Where configuration commands run when the running configuration lives elsewhere: an
    /// attached shell (`ntpsh --attach`) hands them (and `show running-config`, `write`) to the
    /// engine's own runner, so every shell shares one running configuration and the engine
    /// writes its own file. Nil: they run here.
    public var configurationOwner: ((_ line: String, _ origin: Origin) -> Output)?

    /// The commands an attached shell hands to the engine: the configuration directives and
    /// what reads or writes the running configuration.
    public static let engineOwned: Set<String> = CommandsManual.configuration.union(["show-running-config", "write"])

    /// The id of `line`'s command when it is one the engine's runner owns (``engineOwned``).
    public static func engineOwnedCommand(_ line: String) -> String? {
        let (command, _) = splitFilters(line)
        guard let id = NTPCommands.grammar.match(command).command?.id, engineOwned.contains(id) else { return nil }
        return id
    }

    /// Whether `line` (an engine-owned command) only reads: `show running-config`.
    public static func isView(_ line: String) -> Bool { engineOwnedCommand(line) == "show-running-config" }
    /// What `lab at` commands printed while time passed; shown after the command that let it pass.
    var labScheduledOutput: [Output] = []

    /// What a command produced.
    public struct Output: Sendable, Equatable, Codable {
        public var text: String = ""
        public var error: String?
        /// The command's exit status (`ntpstat`: 0/1/2; `wait sync`: 0/1; errors: 1).
        public var status: Int32 = 0
        /// `quit`/`exit`.
        public var quit = false

        public init(text: String = "", error: String? = nil, status: Int32 = 0, quit: Bool = false) {
            self.text = text; self.error = error; self.status = status; self.quit = quit
        }

        static func failure(_ message: String) -> Output { Output(error: message, status: 1) }
    }

    public init(admin: any AdminAPI, grammar: Grammar = NTPCommands.grammar, json: Bool = false) {
        self.admin = admin
        self.grammar = grammar
        self.json = json
    }

    /// Where a line came from, which decides how its errors read.
    public enum Origin: Sendable, Equatable, Codable {
        /// Typed at the prompt: `% …` messages, the line echoed with a `^` under the column.
        case prompt
        /// Line `line` of a file (`FILE:LINE:COL: message`); `-` for standard input.
        case file(String, line: Int)
        /// The n-th `-e` option (`-e N:COL: message`).
        case option(Int)
    }

    /// Runs one line. `command | include REGEX`, `| exclude REGEX` or `| count` filters its output
    /// (one filter; the regular expression is the rest of the line, bars included).
    public func run(_ line: String, from origin: Origin = .prompt) -> Output {
        let (command, filters) = Self.splitFilters(line)
        var out = runCommand(command, from: origin)
        if !labScheduledOutput.isEmpty { out = withScheduledOutput(out) }
        guard !filters.isEmpty else { return out }
        for filter in filters {
            switch Self.applyFilter(filter, to: out.text) {
            case .success(let text): out.text = text
            case .failure(let e): return .failure(Self.locate(e.description, column: 1, origin: origin, shell: "% " + e.description))
            }
        }
        return out
    }

    /// Whether `line` ends in an output filter (`| include …`, `| exclude …`, `| count`).
    public static func hasOutputFilter(_ line: String) -> Bool { !splitFilters(line).1.isEmpty }

    /// Splits `cmd | include x|y` at the first bar outside double quotes.
    static func splitFilters(_ line: String) -> (String, [String]) {
        var quoted = false
        var escaped = false
        for i in line.indices {
            let c = line[i]
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "\"" { quoted.toggle() }
            if c == "|" && !quoted {
                return (String(line[..<i]), [String(line[line.index(after: i)...]).trimmingWhitespace()])
            }
        }
        return (line, [])
    }

    static func applyFilter(_ filter: String, to text: String) -> Result<String, AdminError> {
        let words = filter.split(separator: " ", maxSplits: 1).map(String.init)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        switch words.first {
        case "count":
            return .success("\(lines.count)\n")
        case "include", "exclude":
            guard words.count == 2 else { return .failure(AdminError("\(words[0]) needs a regular expression")) }
            let pattern = words[1].trimmingWhitespace()
            // Matched in linear time (no backtracking): a filter never hangs the shell.
            let regex: LineRegex
            do { regex = try LineRegex(pattern) } catch { return .failure(AdminError("bad regular expression '\(pattern)': \(error)")) }
            let keep = words[0] == "include"
            let kept = lines.filter { regex.matches($0) == keep }
            return .success(kept.map { $0 + "\n" }.joined())
        default:
            return .failure(AdminError("unknown output filter '\(filter)': use include REGEX, exclude REGEX or count"))
        }
    }

    private func runCommand(_ line: String, from origin: Origin) -> Output {
        if case .file(let name, let n) = origin { currentFile = name; currentLine = n } else { currentFile = nil }
        if recordsOrigins, case .file(let name, let n) = origin {
            currentOrigin = RunningConfig.Origin(file: name, line: n)
        } else {
            currentOrigin = nil
        }
        defer { currentOrigin = nil }
        let match = grammar.match(line)
        switch match {
        case .empty:
            return Output()
        case .ok(let parsed):
            if let owner = configurationOwner, Self.engineOwned.contains(parsed.id) { return owner(line, origin) }
            var out = execute(parsed, line: line)
            // Errors from an included file already name their own file and line.
            if let error = out.error, parsed.id != "includefile" {
                out.error = Self.locate(error, column: 1, origin: origin, shell: error)
            }
            return out
        default:
            // A line of an included file is never echoed: the file may be anything (a
            // shadow file, a key) and the errors may go to whoever asked for the include.
            if !includeStack.isEmpty, case .file = origin {
                return .failure(Self.locate(match.messageWithoutWords ?? "invalid input", column: match.column ?? 1, origin: origin, shell: ""))
            }
            let message = match.message ?? "invalid input"
            let shell = match.errorMessage(line: line) ?? "% Invalid input"
            return .failure(Self.locate(message, column: match.column ?? 1, origin: origin, shell: shell))
        }
    }

    /// An error from an engine-owned command refused before it ran, placed as the line's own
    /// errors are (`% …` at the prompt, `FILE:LINE:1: …`, `-e N:1: …`).
    public static func locate(_ message: String, origin: Origin) -> String {
        locate(message, column: 1, origin: origin, shell: "% " + message)
    }

    static func locate(_ message: String, column: Int, origin: Origin, shell: String) -> String {
        switch origin {
        case .prompt: return shell.hasSuffix("\n") ? String(shell.dropLast()) : shell
        case .file(let name, let line): return "\(name):\(line):\(column): \(message)"
        case .option(let n): return "-e \(n):\(column): \(message)"
        }
    }

    /// Runs a configuration file's text, every line, recording where each entry came from (for
    /// `write`). Returns what the lines printed and every error (`FILE:LINE:COL: message`); with
    /// no error, the file becomes ``configFile``.
    public func loadConfiguration(_ text: String, path: String) -> (output: String, errors: [String]) {
        var output = "", errors: [String] = []
        recordsOrigins = true
        defer { recordsOrigins = false }
        for (i, line) in text.configurationLines.enumerated() {
            let out = run(String(line), from: .file(path, line: i + 1))
            output += out.text
            if let e = out.error { errors.append(e) }
        }
        if errors.isEmpty { configFile = (path, text) }
        return (output, errors)
    }

    /// After a configuration reload: `running` (read from `file`) is the running configuration.
    public func adoptConfiguration(_ running: RunningConfig, file: (path: String, text: String)) {
        self.running = running
        configFile = file
    }

    /// The completion hooks for Tab (association addresses and ids), over a snapshot of the
    /// engine taken now: build them for each completion.
    public func completionHooks() -> CompletionHooks {
        var hooks = CompletionHooks()
        let peers = admin.peerReports()
        hooks.register("association") { request in
            peers.map { CompletionCandidate($0.host, help: "association \($0.id)") }
                .filter { $0.text.hasPrefix(request.partial) }
        }
        hooks.register("associd") { request in
            peers.map { CompletionCandidate(String($0.id.rawValue), help: $0.remoteText) }
                .filter { $0.text.hasPrefix(request.partial) }
        }
        let entries = admin.restrictions()
        hooks.register("restrict") { request in
            entries.filter { !$0.isDefault }.map {
                CompletionCandidate($0.prefixLength == $0.network.bitWidth ? $0.network.description : $0.target,
                                    help: $0.flags.text.isEmpty ? "restrict entry" : $0.flags.text)
            }.filter { $0.text.hasPrefix(request.partial) }
        }
        let keys = admin.keyStore()
        hooks.register("keyid") { request in
            Set(keys.keys.keys).union(keys.trusted).sorted().map { id in
                CompletionCandidate(String(id), help: keys.key(id).map { "\($0.algorithm) key" + (keys.trusted.contains(id) ? ", trusted" : "") } ?? "trusted, not in the keys file")
            }.filter { $0.text.hasPrefix(request.partial) }
        }
        if let list = listDirectory {
            hooks.register("path") { request in
                let partial = request.partial
                let slash = partial.lastIndex(of: "/")
                let directory = slash.map { String(partial[...$0]) } ?? ""
                let prefix = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
                return (list(directory.isEmpty ? "." : directory) ?? [])
                    .filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }
                    .map { CompletionCandidate(directory + $0, help: $0.hasSuffix("/") ? "directory" : "file",
                                               isComplete: !$0.hasSuffix("/")) }
            }
        }
        return hooks
    }

    // MARK: - Dispatch

    private func execute(_ p: ParsedCommand, line: String) -> Output {
        let a = p.arguments
        let wantsJSON = json || a.flag("json")
        switch p.id {
        // Associations
        case "server", "pool", "peer":
            return addAssociation(p, kind: p.id == "pool" ? .pool : (p.id == "peer" ? .peer : .server), line: line)
        case "no-server", "no-pool", "no-peer":
            let host = a.string("host") ?? ""
            let removed = admin.removeAssociations(host: host)
            running.remove(id: String(p.id.dropFirst(3)), key: host)
            return removed > 0 ? Output() : .failure("no association for \(host)")
        case "fudge":
            guard let address = a.string("address"), AssociationConfiguration.isLocalClockAddress(address) else {
                return .failure("fudge applies to the local clock (127.127.1.u) only")
            }
            if let s = a.int("stratum") { admin.setLocalClockStratum(UInt8(s)) }
            running.set(id: "fudge", key: address, line: canonical(line), origin: currentOrigin)
            return Output()

        // Discipline and selection
        case "driftfile":
            let file = a.string("file") ?? ""
            running.set(id: "driftfile", key: "", line: canonical(line), origin: currentOrigin)
            if let note = admin.setDriftFile(file) { return Output(text: note + "\n") }
            return Output()
        case "no-driftfile":
            _ = admin.setDriftFile(nil)
            running.remove(id: "driftfile", key: "")
            return Output()
        case "metrics-listen", "no-metrics":
            return metrics(a.string("endpoint"), line: line)
        case "tinker":
            var c = admin.engineConfiguration()
            if let v = a.double("step") { c.stepThreshold = v }
            if let v = a.double("stepout") { c.stepout = v }
            if let v = a.double("panic") { c.panicThreshold = v }
            if let v = a.double("maxslewrate") { c.maxSlewRate = v }
            admin.setEngineConfiguration(c)
            running.set(id: "tinker", key: a.keys.joined(separator: " "), line: canonical(line), origin: currentOrigin)
            return Output()
        case "tos":
            var c = admin.engineConfiguration()
            if let v = a.int("minsane") { c.selection.minSane = v }
            if let v = a.int("minclock") { c.selection.minClock = v }
            if let v = a.int("maxclock") { c.selection.maxClock = v }
            if let v = a.int("orphan") { c.orphanStratum = UInt8(v) }
            if let v = a.double("orphanwait") { c.orphanWait = v }
            admin.setEngineConfiguration(c)
            running.set(id: "tos", key: a.keys.joined(separator: " "), line: canonical(line), origin: currentOrigin)
            return Output()

        case "restrict":
            var flags = RestrictFlags()
            for name in a.strings("flags") { if let f = RestrictFlags(name: name) { flags.insert(f) } }
            if a.flag("source") {
                sourceFlags = flags
                let note = admin.setSourceRestriction(flags)
                running.set(id: "restrict", key: restrictKey(a), line: canonical(line), origin: currentOrigin)
                return Output(text: note.map { $0 + "\n" } ?? "")
            }
            let targets: [(IPAddress, Int)]
            switch restrictTargets(a) {
            case .success(let t): targets = t
            case .failure(let e): return .failure(e.description)
            }
            for (network, length) in targets {
                admin.setRestriction(RestrictEntry(network: network, prefixLength: length, flags: flags))
            }
            running.set(id: "restrict", key: restrictKey(a), line: canonical(line), origin: currentOrigin)
            return Output()
        case "no-restrict":
            if !a.flag("source") {
                guard case .success(let targets) = restrictTargets(a) else { return .failure("bad restrict target") }
                var removed = false
                for (network, length) in targets where admin.removeRestriction(network: network, prefixLength: length) {
                    removed = true
                }
                running.remove(id: "restrict", key: restrictKey(a))
                return removed ? Output() : .failure("no restrict entry for \(restrictKey(a))")
            }
            let removed = running.remove(id: "restrict", key: restrictKey(a))
            guard removed > 0 else { return .failure("no restrict entry for \(restrictKey(a))") }
            sourceFlags = nil
            _ = admin.setSourceRestriction(nil)
            return Output()
        case "statsdir", "statistics", "filegen":
            return statisticsCommand(p, line: line)
        case "discard", "mru":
            var m = admin.monitorSettings()
            if p.id == "discard" {
                if let v = a.int("average") { m.average = v }
                if let v = a.int("minimum") { m.minimum = v }
                if let v = a.int("monitor") { m.monitor = v }
            } else {
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
            }
            admin.setMonitorSettings(m)
            running.set(id: p.id, key: "", line: canonical(line), origin: currentOrigin)
            return Output()
        case "unrestrict":
            return unrestrict(a)
        case "keys":
            running.set(id: p.id, key: "", line: canonical(line), origin: currentOrigin)
            return loadKeys(a.string("file") ?? "")
        case "no-keys":
            admin.setKeys([], file: nil)
            running.remove(id: "keys", key: "")
            return Output()
        case "trustedkey", "no-trustedkey":
            guard let ranged = NTPCommands.keyRanges(a.strings("ranges")) else {
                return .failure("\(p.id == "trustedkey" ? "" : "no ")trustedkey: '\(a.strings("ranges").joined(separator: " "))' is not a range (FIRST ... LAST) of key ids 1-65535")
            }
            let ids = a.strings("keyids").compactMap { UInt32($0) } + ranged
            admin.setTrusted(ids, p.id == "trustedkey")
            for id in ids { running.remove(id: "trustedkey", key: String(id)) }
            if p.id == "trustedkey" {
                // One entry per key, so `no trustedkey N` removes exactly it; a line read from
                // the file with several keys keeps its place as the first key's entry.
                running.set(id: "trustedkey", key: ids.map(String.init).joined(separator: " "), line: canonical(line), origin: currentOrigin)
            } else {
                running.untrust(ids)
            }
            return Output()
        case "controlkey", "no-controlkey":
            admin.setControlKey(a.int("keyid").map(UInt32.init))
            if p.id == "controlkey" {
                running.set(id: "controlkey", key: "", line: canonical(line), origin: currentOrigin)
            } else {
                running.remove(id: "controlkey", key: "")
            }
            return Output()
        case "show-metrics":
            return Output(text: admin.metricsText())
        case "show-keys":
            return keysView(json: wantsJSON)
        case "leapfile", "logfile", "requestkey":
            running.set(id: p.id, key: "", line: canonical(line), origin: currentOrigin)
            return Output()
        case "interface", "nic", "no-interface", "no-nic":
            return interface(a, remove: p.id.hasPrefix("no-"), line: line)
        case "enable", "disable":
            if (p.id == "enable" || p.id == "disable") && a.strings("options").contains("monitor") {
                var m = admin.monitorSettings()
                m.enabled = p.id == "enable"
                admin.setMonitorSettings(m)
            }
            running.set(id: p.id, key: canonical(line), line: canonical(line), origin: currentOrigin)
            return Output()
        case "includefile":
            return include(a.string("file") ?? "")
        case "broadcast", "crypto":
            return .failure("'\(p.id)' is not supported by ntpsh (\(p.id == "crypto" ? "autokey is obsolete; use symmetric keys" : "use unicast server associations"))")

        // Views
        case "peers":
            let options = PeersView.Options(numeric: a.flag("numeric"), terminalWidth: terminalWidth)
            let report = admin.systemReport()
            let peers = admin.peerReports()
            return wantsJSON ? jsonOut(PeersView.json(peers, now: report.now, options: options))
                : Output(text: PeersView.text(peers, now: report.now, options: options))
        case "associations":
            let peers = admin.peerReports()
            return wantsJSON ? jsonOut(AssociationsView.json(peers, events: admin.events()))
                : Output(text: AssociationsView.text(peers, events: admin.events()))
        case "readvar", "rv":
            return readvar(a, json: wantsJSON)
        case "sysinfo":
            let subject = systemSubject()
            return wantsJSON ? jsonOut(SystemStatsView.sysinfoJSON(subject, events: admin.events()))
                : Output(text: SystemStatsView.sysinfo(subject, events: admin.events()))
        case "sysstats", "iostats":
            let stats = statisticsSubject()
            if wantsJSON { return jsonOut(SystemStatsView.serverCountersJSON(stats.server, uptime: stats.uptime)) }
            return Output(text: p.id == "sysstats" ? SystemStatsView.sysstats(stats) : SystemStatsView.iostats(stats))
        case "monstats":
            let stats = statisticsSubject()
            return wantsJSON ? jsonOut(SystemStatsView.monstatsJSON(stats)) : Output(text: SystemStatsView.monstats(stats))
        case "mrulist":
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
                return wantsJSON ? jsonOut(MRUListView.json(list, now: now)) : Output(text: MRUListView.text(list, now: now))
            }
        case "ntpstat":
            let subject = systemSubject()
            if wantsJSON {
                let r = NTPStatView.render(subject, events: admin.events())
                return Output(text: NTPStatView.json(subject, events: admin.events()).rendered() + "\n", status: r.status)
            }
            let r = NTPStatView.render(subject, events: admin.events())
            return Output(text: r.text, error: r.errorText.isEmpty ? nil : r.errorText, status: r.status)
        case "tracking":
            let r = admin.systemReport()
            return wantsJSON ? jsonOut(TrackingView.json(r)) : Output(text: TrackingView.text(r))
        case "restrictions":
            return restrictionsView(a, json: wantsJSON)
        case "events":
            let events = admin.events()
            if wantsJSON {
                return jsonOut(.array(events.map { .object([("time", .string(String(describing: $0.time))), ("event", .string($0.description))]) }))
            }
            return Output(text: events.map { "\(formatUTC($0.time))  \($0.description)\n" }.joined())
        case "show-running-config":
            return Output(text: running.text)
        case "write":
            return write(file: a.string("file"), force: a.flag("force"), follow: a.flag("follow"))
        case "watch":
            // At the prompt the shell refreshes the view; in a batch it is shown once.
            return runCommand(a.string("view") ?? "", from: .prompt)

        // Actions
        case "step":
            if a.flag("now") {
                do {
                    let offset = try admin.stepNow()
                    return Output(text: "stepped by \(formatFixed(offset, 6)) s\n")
                } catch {
                    return .failure(error.description)
                }
            }
            do { try admin.step(by: a.double("offset") ?? 0) } catch { return .failure(error.description) }
            return Output()
        case "slew":
            do {
                let duration = try admin.slew(by: a.double("offset") ?? 0)
                return Output(text: "slewing; done in \(formatFixed(duration, 1)) s\n")
            } catch {
                return .failure(error.description)
            }
        case "wait-sync":
            // In steps of at most a second, so Ctrl-C at the prompt (``isInterrupted``) ends it.
            let timeout = a.double("timeout") ?? 60
            var left = timeout
            while true {
                let step = min(left, 1)
                if admin.waitForSync(timeout: step) { return Output() }
                left -= step
                if left <= 0 { break }
                if isInterrupted() { return Output(error: "% interrupted", status: 1) }
            }
            return Output(error: "not synchronised after \(formatFixed(timeout, 0)) s", status: 1)
        case "sleep":
            var left = a.double("duration") ?? 0
            while left > 0 && !isInterrupted() {
                let step = min(left, 0.25)
                admin.sleep(seconds: step)
                left -= step
            }
            return isInterrupted() ? Output(error: "% interrupted", status: 1) : Output()
        case "echo":
            var text = a.string("text") ?? ""
            if text.count >= 2, text.first == "\"", text.last == "\"" { text = String(text.dropFirst().dropLast()) }
            return Output(text: text + "\n")
        case "terminal-monitor":
            monitor = true
            return Output()
        case "no-terminal-monitor":
            monitor = false
            return Output()
        case "help":
            if let words = a.string("command") {
                let split = words.split(separator: " ").map(String.init)
                guard let text = grammar.help(forWords: split) else { return .failure("% Unknown command: \"\(words)\"") }
                return Output(text: split == ["lab"] ? text + LabScenarios.helpText : text)
            }
            return Output(text: grammar.helpOverview())
        case "quit", "exit":
            return Output(quit: true)

        // Labs
        case "lab-server": return labServer(a)
        case "lab-clock": return labClock(a)
        case "plot": return plot(a, json: wantsJSON)
        case "lab-advance": return labAdvance(a)
        case "lab-client": return labClient(a)
        case "lab-at": return labAt(a)
        case "lab-speed": return labSpeed(a)
        case "lab-pause", "lab-resume": return labPause(p.id == "lab-pause")
        case "lab-seed": return labSeed(a)
        case "lab-restart": return labRestart()
        case "lab-status": return labStatusView()
        case "expect": return expect(a)
        default:
            return .failure("'\(p.id)' is not implemented yet")
        }
    }

    private func addAssociation(_ p: ParsedCommand, kind: AssociationConfiguration.Kind, line: String) -> Output {
        let a = p.arguments
        let host = a.string("host") ?? ""
        var c = AssociationConfiguration(kind: kind, host: host)
        c.iburst = a.flag("iburst")
        c.burst = a.flag("burst")
        c.xleave = a.flag("xleave")
        c.prefer = a.flag("prefer") || a.flag("true")
        c.noselect = a.flag("noselect")
        if let v = a.int("minpoll") { c.minPoll = Int8(v) }
        if let v = a.int("maxpoll") { c.maxPoll = Int8(v) }
        if c.maxPoll < c.minPoll { c.maxPoll = c.minPoll }
        if let v = a.int("version") { c.version = UInt8(v) }
        if let v = a.int("port") { c.port = UInt16(v) }
        if let key = a.int("key") { c.key = UInt32(key) }
        _ = admin.replaceAssociation(c)
        running.set(id: p.id, key: host, line: canonical(line), origin: currentOrigin)
        return Output()
    }

    /// `keys FILE`: read and parse here (as `includefile`), the keys handed to the engine. A file
    /// that cannot be read, or bad lines in it, are warnings naming it: authentication with the
    /// keys it lacks then fails, and says so.
    private func loadKeys(_ file: String) -> Output {
        guard let readFile, let text = readFile(file) else {
            admin.setKeys([], file: file)
            return Output(text: "warning: keys \(file): cannot read it; no symmetric keys loaded\n")
        }
        let parsed = KeyFile.parse(text, file: file)
        admin.setKeys(parsed.keys, file: file)
        return Output(text: (parsed.errors.map { "warning: \($0); line ignored\n" } + parsed.notes.map { "note: \($0)\n" }).joined())
    }

    /// The `interface`/`nic` rules in force, in order.
    private(set) var interfaceRules: [InterfaceRule] = []

    /// `interface|nic ACTION WHICH` adds a rule (replacing one for the same WHICH, which moves
    /// to the end); `no interface …` removes it. The server's sockets follow at once.
    private func interface(_ a: Arguments, remove: Bool, line: String) -> Output {
        let which = a.string("which") ?? ""
        guard let rule = InterfaceRule(action: a.string("action") ?? "", which: which) else {
            return .failure("interface: '\(which)' is not all, ipv4, ipv6, wildcard, an interface name, an address or ADDRESS/LEN")
        }
        let key = "interface " + rule.which
        if remove {
            guard interfaceRules.contains(rule) else { return .failure("no rule '\(rule)'") }
            interfaceRules.removeAll { $0 == rule }
            running.remove(id: "interface", key: key)
        } else {
            interfaceRules.removeAll { $0.target == rule.target }
            interfaceRules.append(rule)
            running.remove(id: "interface", key: key)
            running.set(id: "interface", key: key, line: canonical(line), origin: currentOrigin)
        }
        do {
            let report = try admin.setInterfaceRules(interfaceRules)
            return Output(text: recordsOrigins ? "" : report)
        } catch {
            return .failure(error.description)
        }
    }

    /// `metrics listen ENDPOINT` (PORT alone: on 127.0.0.1, loopback unless an address is given);
    /// `no metrics` (nil). The engine's endpoint follows at once.
    private func metrics(_ endpoint: String?, line: String) -> Output {
        var address: SocketAddress?
        if let endpoint {
            if let port = UInt16(endpoint), port > 0 {
                address = SocketAddress(ip: IPAddress.loopbackIPv4, port: port)
            } else if endpoint.contains(":"), let parsed = SocketAddress(parsing: endpoint, defaultPort: 0), parsed.port > 0 {
                address = parsed
            } else {
                return .failure("metrics listen: '\(endpoint)' is not PORT, ADDRESS:PORT or [IPv6]:PORT")
            }
        }
        do {
            let note = try admin.setMetrics(address)
            if address != nil {
                running.set(id: "metrics", key: "", line: canonical(line), origin: currentOrigin)
            } else {
                running.remove(id: "metrics", key: "")
            }
            return Output(text: note)
        } catch {
            return .failure(error.description)
        }
    }

    /// `unrestrict TARGET [FLAG…]` (NTPsec): turns the flags off in the entry; with no flags,
    /// removes the entry, as `no restrict`.
    private func unrestrict(_ a: Arguments) -> Output {
        let names = a.strings("flags")
        guard !names.isEmpty else {
            guard let p = grammar.match("no restrict " + restrictKey(a)).command else { return .failure("bad restrict target") }
            return execute(p, line: "no restrict " + restrictKey(a))
        }
        var off = RestrictFlags()
        for name in names { if let f = RestrictFlags(name: name) { off.insert(f) } }
        if a.flag("source") {
            guard var flags = sourceFlags else { return .failure("no restrict entry for source") }
            flags.subtract(off)
            sourceFlags = flags
            _ = admin.setSourceRestriction(flags)
            running.set(id: "restrict", key: "source", line: "restrict source" + (flags.isEmpty ? "" : " " + flags.text), origin: currentOrigin)
            return Output()
        }
        guard case .success(let targets) = restrictTargets(a) else { return .failure("bad restrict target") }
        let entries = admin.restrictions()
        var changed = false
        var remaining = RestrictFlags()
        for (network, length) in targets {
            let (key, length) = RestrictEntry.key(network, length)
            guard var e = entries.first(where: { $0.network == key && $0.prefixLength == length }) else { continue }
            e.flags.subtract(off)
            remaining = e.flags
            admin.setRestriction(RestrictEntry(network: e.network, prefixLength: e.prefixLength, flags: e.flags))
            changed = true
        }
        guard changed else { return .failure("no restrict entry for \(restrictKey(a))") }
        let flags = remaining.isEmpty ? "" : " " + remaining.text
        running.set(id: "restrict", key: restrictKey(a), line: "restrict \(restrictKey(a))\(flags)", origin: currentOrigin)
        return Output()
    }

    /// `show keys`: each key's id, type, whether it is trusted and who uses it; never a secret.
    private func keysView(json: Bool) -> Output {
        let store = admin.keyStore()
        let users = Dictionary(grouping: admin.peerReports().filter { $0.keyID != nil }, by: { $0.keyID! })
        let ids = Set(store.keys.keys).union(store.trusted).union(store.controlKey.map { [$0] } ?? []).sorted()
        func use(_ id: UInt32) -> [String] {
            (users[id] ?? []).map { "\($0.kind == .symmetricActive ? "peer" : "server") \($0.host)" }
                + (store.controlKey == id ? ["controlkey"] : [])
        }
        if json {
            return jsonOut(.object([
                ("file", store.file.map { .string($0) } ?? .null),
                ("keys", .array(ids.map { id in
                    .object([("id", .uint(UInt64(id))), ("type", store.key(id).map { .string($0.algorithm.description) } ?? .null),
                             ("trusted", .bool(store.trusted.contains(id))), ("used_by", .array(use(id).map { .string($0) }))])
                })),
            ]))
        }
        var out = "keys file: \(store.file ?? "(none)")\n"
        out += "  keyid  type        trusted  used by\n"
        for id in ids {
            let type = store.key(id)?.algorithm.description ?? "(missing)"
            let trusted = store.trusted.contains(id) ? "yes" : "no"
            out += CFormat.pad(String(id), 7) + "  " + CFormat.pad(type, 10, left: true) + "  "
                + CFormat.pad(trusted, 7, left: true) + "  " + use(id).joined(separator: ", ") + "\n"
        }
        return Output(text: out)
    }

    /// `write [FILE] [force]`: the running configuration merged into the file it came from
    /// (or FILE), atomically, the old file kept as FILE.bak; refused when the file changed on
    /// disk since it was read, unless `force`. A file that is a symbolic link is refused unless
    /// `follow` (then the file it points to is replaced).
    private func write(file: String?, force: Bool, follow: Bool) -> Output {
        guard let writeFile else { return .failure("write is not available here") }
        let target = file ?? configFile?.path
        guard let target else { return .failure("write: no configuration file was read; name one (write FILE)") }
        var base = ""
        if let config = configFile, config.path == target {
            let onDisk = readFile?(target)
            if onDisk != config.text && !force {
                return .failure("write: \(target) changed on disk since it was read; 'write force' overwrites it")
            }
            base = config.text
        }
        let text = base.isEmpty ? running.text : running.merged(into: base, file: target)
        // Included files whose entries were edited or removed are written too (only when the
        // configuration goes back to its own file; `write FILE` writes one file).
        var included: [(index: Int, path: String, text: String)] = []
        if !base.isEmpty {
            for (i, f) in includedFiles.enumerated() {
                let merged = running.merged(into: f.text, file: f.path, additions: false)
                guard merged != f.text else { continue }
                if readFile?(f.path) != f.text && !force {
                    return .failure("write: \(f.path) (included) changed on disk since it was read; 'write force' overwrites it")
                }
                included.append((i, f.path, merged))
            }
        }
        do { try writeFile(target, text, follow) } catch { return .failure("write \(target): \(error)") }
        if target == configFile?.path { configFile = (target, text) }
        var report = "wrote \(target)\n"
        for f in included {
            do { try writeFile(f.path, f.text, follow) } catch { return .failure("write \(f.path): \(error)") }
            includedFiles[f.index].text = f.text
            report += "wrote \(f.path)\n"
        }
        return Output(text: report)
    }

    private func include(_ file: String) -> Output {
        let path = Self.resolve(file, from: currentFile)
        if includeStack.contains(path) || currentFile == path {
            let chain = (includeStack.isEmpty ? [currentFile ?? "?"] : includeStack) + [path]
            return .failure(Self.locate("includefile cycle: \(chain.joined(separator: " → "))", column: 1,
                                   origin: currentFile.map { .file($0, line: currentLine) } ?? .prompt,
                                   shell: "% includefile cycle: \(chain.joined(separator: " → "))"))
        }
        guard includeStack.count < Self.maxIncludeDepth else {
            let message = "includefile \(file): nested more than \(Self.maxIncludeDepth) deep"
            return .failure(Self.locate(message, column: 1, origin: currentFile.map { .file($0, line: currentLine) } ?? .prompt,
                                   shell: "% " + message))
        }
        guard let readFile, let text = readFile(path) else {
            running.set(id: "includefile", key: file, line: "includefile " + Self.quoted(file), origin: currentOrigin)
            return Output(text: "warning: includefile \(path): cannot read it; ignored\n")
        }
        running.set(id: "includefile", key: file, line: "includefile " + Self.quoted(file), origin: currentOrigin)
        let outer = (currentFile, currentLine, currentOrigin)
        if includeStack.isEmpty, let f = currentFile { includeStack.append(f) }
        includeStack.append(path)
        defer {
            includeStack.removeLast()
            if includeStack.count == 1 { includeStack.removeAll() }
            (currentFile, currentLine, currentOrigin) = outer
        }
        // Entries read from an included file keep where they came from, even when the
        // `includefile` was typed at the prompt: `write` leaves them in that file.
        let recorded = recordsOrigins
        recordsOrigins = true
        defer { recordsOrigins = recorded }
        if let i = includedFiles.firstIndex(where: { $0.path == path }) { includedFiles[i].text = text } else {
            includedFiles.append((path, text))
        }
        var out = Output()
        for (i, line) in text.configurationLines.enumerated() {
            let r = run(String(line), from: .file(path, line: i + 1))
            out.text += r.text
            if let e = r.error { out.error = (out.error.map { $0 + "\n" } ?? "") + e; out.status = 1 }
        }
        return out
    }

    /// A relative `includefile` path is taken from the directory of the file that names it.
    static func resolve(_ file: String, from including: String?) -> String {
        guard !file.hasPrefix("/"), let including, let slash = including.lastIndex(of: "/") else { return file }
        return String(including[...slash]) + file
    }

    private func readvar(_ a: Arguments, json: Bool) -> Output {
        var names = a.strings("names")
        var wantsJSON = json
        if names.contains("json") { wantsJSON = true; names.removeAll { $0 == "json" } }
        let selected = names.isEmpty ? nil : names.flatMap { $0.split(separator: ",").map(String.init) }
        let assoc = a.int("assoc") ?? 0
        if assoc == 0 {
            let subject = systemSubject()
            return wantsJSON ? jsonOut(ReadVarView.systemJSON(subject, names: selected, events: admin.events()))
                : Output(text: ReadVarView.system(subject, names: selected, events: admin.events(), terminalWidth: terminalWidth))
        }
        guard let peer = admin.peerReports().first(where: { Int($0.id.rawValue) == assoc }) else {
            return .failure("***Association ID \(assoc) unknown to server")
        }
        let subject = PeerVariableSubject(report: peer, now: admin.systemReport().now)
        return wantsJSON ? jsonOut(ReadVarView.peerJSON(subject, names: selected, events: admin.events()))
            : Output(text: ReadVarView.peer(subject, names: selected, events: admin.events(), terminalWidth: terminalWidth))
    }

    private func statisticsSubject() -> StatisticsSubject {
        StatisticsSubject(server: admin.systemReport().server, uptime: admin.uptime(), monitor: admin.monitorReport())
    }

    private func systemSubject() -> SystemVariableSubject {
        SystemVariableSubject(report: admin.systemReport(), host: host)
    }

    private func jsonOut(_ value: JSONValue) -> Output { Output(text: value.rendered() + "\n") }

    /// The network(s) a restrict line names: `default` is both families (as ntpd 4.2.8), `-4`/`-6`
    /// one; an address alone is a host; `mask` must be contiguous.
    private func restrictTargets(_ a: Arguments) -> Result<[(IPAddress, Int)], AdminError> {
        let family = a.string("family")
        if a.flag("default") {
            switch family {
            case "-4": return .success([(.anyIPv4, 0)])
            case "-6": return .success([(.anyIPv6, 0)])
            default: return .success([(.anyIPv4, 0), (.anyIPv6, 0)])
            }
        }
        if let p = a.prefix("prefix"), let ip = IPAddress(p.address) { return .success([(ip, p.length)]) }
        guard let text = a.string("address"), let ip = IPAddress(text) else { return .failure(AdminError("restrict needs an address")) }
        guard let maskText = a.string("mask") else { return .success([(ip, ip.bitWidth)]) }
        guard let mask = IPAddress(maskText), mask.isIPv4 == ip.isIPv4 else {
            return .failure(AdminError("mask \(maskText) is not a \(ip.isIPv4 ? "IPv4" : "IPv6") mask"))
        }
        guard let length = mask.maskPrefixLength else { return .failure(AdminError("mask \(maskText) is not contiguous")) }
        return .success([(ip, length)])
    }

    private func restrictionsView(_ a: Arguments, json: Bool) -> Output {
        let entries = admin.restrictions()
        if let text = a.string("match") {
            guard let ip = IPAddress(text) else { return .failure("\(text) is not an address") }
            var list = RestrictList()
            for e in entries.reversed() { list.set(e) }
            guard let i = list.match(ip) else {
                return json ? jsonOut(.object([("address", .string(text)), ("entry", .null), ("flags", .array([]))]))
                    : Output(text: "\(text): no restrict entry applies; nothing is restricted\n")
            }
            let e = list.entries[i]
            if json {
                return jsonOut(.object([("address", .string(text)), ("entry", .string(e.target)),
                                        ("flags", .array(e.flags.text.split(separator: " ").map { .string(String($0)) }))]))
            }
            return Output(text: "\(text): restrict \(e.target)\(e.flags.isEmpty ? "" : " " + e.flags.text)\n")
        }
        if json {
            return jsonOut(.array(entries.map { e in
                .object([("entry", .string(e.target)), ("hits", .uint(e.hits)),
                         ("flags", .array(e.flags.text.split(separator: " ").map { .string(String($0)) }))])
            }))
        }
        var out = "      hits  entry                                      flags\n"
        for e in entries {
            let hits = String(e.hits)
            let target = e.target
            out += String(repeating: " ", count: max(0, 10 - hits.count)) + hits + "  " + target
                + String(repeating: " ", count: max(1, 43 - target.count)) + e.flags.text + "\n"
        }
        return Output(text: out)
    }

    private func restrictKey(_ a: Arguments) -> String {
        let family = a.string("family").map { $0 + " " } ?? ""
        if a.flag("default") { return family + "default" }
        if a.flag("source") { return "source" }
        if let p = a.prefix("prefix") { return "\(p.address)/\(p.length)" }
        let mask = a.string("mask").map { " mask \($0)" } ?? ""
        return (a.string("address") ?? "") + mask
    }

    /// The command as it would be written in ntp.conf: its words as written (quotes and all),
    /// single-spaced, no comment — text that parses back to the same command.
    func canonical(_ line: String) -> String {
        Tokenizer.tokenize(line).tokens.map { String(line[$0.range]) }.joined(separator: " ")
    }

    /// `word` as one ntp.conf word: as is when it can be, else double-quoted with escapes.
    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && !word.hasPrefix("#") && !word.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" || $0.isNewline }
        if plain { return word }
        var out = "\""
        for c in word {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// `2026-11-21 12:00:00` (UTC): NTPWire's ``CivilTime``.
func formatUTC(_ t: UnixTime) -> String { CivilTime(t).description }
