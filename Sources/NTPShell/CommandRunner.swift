// Running a line: output filters, one match, dispatch by the command's binding, errors placed
// by origin; configuration files and `includefile`, `write`, and the running configuration they
// keep; Tab's completion hooks over the engine.
public import NTPAdmin
public import CommandGrammar
import NTPEngine
import NTPWire
public import NTPControl

/// What a module that declares commands of its own keeps for a runner (NTPLab's world).
public protocol RunnerContext: AnyObject {
    /// Output produced while no command ran (`lab at`), shown after the next command; taken.
    func takePendingOutput() -> [CommandRunner.Output]
}

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
    public internal(set) var monitor = false
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
    var sourceFlags: RestrictFlags?
    /// The `interface`/`nic` rules in force, in order.
    var interfaceRules: [InterfaceRule] = []
    /// Where `includefile` paths resolve from and how files are read (the runtime supplies it).
    public var readFile: ((String) -> String?)?
    /// Lists a directory for file-name completion (entries, directories ending in `/`).
    public var listDirectory: (@Sendable (String) -> [String]?)?
    /// Host facts for `rv` and `sysinfo`.
    public var host = HostInfo()
    /// Whether the admin pressed Ctrl-C while this command runs (the interactive shell sets
    /// it; long commands — `sleep`, `wait sync` — check it between steps).
    public var isInterrupted: () -> Bool = { false }
    /// What a module that declares commands of its own keeps for this runner (NTPLab's world
    /// and what `lab at` printed): its handlers find it here.
    public var context: (any RunnerContext)?
    /// Text added after `help WORDS` (the shipped labs after `help lab`), from whoever composes
    /// the table.
    public var helpNotes: [[String]: String] = [:]
    /// `statsdir`, `statistics`, `filegen` as given so far.
    var statistics = StatisticsSettings()
    /// Where configuration commands run when the running configuration lives elsewhere: an
    /// attached shell (`ntpsh --attach`) hands them (and `show running-config`, `write`) to the
    /// engine's own runner, so every shell shares one running configuration and the engine
    /// writes its own file. Nil: they run here.
    public var configurationOwner: ((_ line: String, _ origin: Origin) -> Output)?

    /// The binding of `line`'s command when it is one the engine's runner owns
    /// (``CommandBinding/isEngineOwned``: the directives, and what reads or writes the running
    /// configuration).
    public static func engineOwnedCommand(_ line: String) -> CommandBinding? {
        let (command, _) = splitFilters(line)
        guard let binding = NTPCommands.grammar.match(command).command?.binding, binding.isEngineOwned else { return nil }
        return binding
    }

    /// Whether `line` (an engine-owned command) only reads: `show running-config`.
    public static func isView(_ line: String) -> Bool { engineOwnedCommand(line)?.role == .view }

    /// What a command produced (the admin contract's type: `configure` carries it).
    public typealias Output = ShellOutput

    public init(admin: any AdminAPI, grammar: Grammar = NTPCommands.grammar, json: Bool = false) {
        self.admin = admin
        self.grammar = grammar
        self.json = json
    }

    /// Where a line came from (the admin contract's type: `configure` carries it).
    public typealias Origin = LineOrigin

    /// Runs one line. `command | include REGEX`, `| exclude REGEX` or `| count` filters its output
    /// (one filter; the regular expression is the rest of the line, bars included). `matched`:
    /// the grammar's match of the whole line when the caller already has it (the interactive
    /// shell looks at the command before running it), so a line is matched once.
    public func run(_ line: String, from origin: Origin = .prompt, matched: MatchResult? = nil) -> Output {
        let (command, filters) = Self.splitFilters(line)
        var out = runCommand(command, from: origin, matched: filters.isEmpty ? matched : nil)
        if let pending = context?.takePendingOutput(), !pending.isEmpty { out = Self.output(pending, before: out) }
        guard !filters.isEmpty else { return out }
        for filter in filters {
            switch Self.applyFilter(filter, to: out.text) {
            case .success(let text): out.text = text
            case .failure(let e): return .failure(Self.locate(e.description, column: 1, origin: origin, shell: "% " + e.description))
            }
        }
        return out
    }

    /// What the context produced between commands (an interactive lab's `lab at` while the
    /// shell waited), taken.
    public func takePendingOutput() -> Output? {
        guard let pending = context?.takePendingOutput(), !pending.isEmpty else { return nil }
        return Self.output(pending, before: Output())
    }

    /// `out` preceded by what was produced meanwhile; a failing one fails it.
    static func output(_ pending: [Output], before out: Output) -> Output {
        var combined = out
        combined.text = pending.map(\.text).joined() + out.text
        let errors = pending.compactMap(\.error)
        if !errors.isEmpty {
            combined.error = (errors + [out.error].compactMap { $0 }).joined(separator: "\n")
            combined.status = 1
        }
        return combined
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

    func runCommand(_ line: String, from origin: Origin, matched: MatchResult? = nil) -> Output {
        if case .file(let name, let n) = origin { currentFile = name; currentLine = n } else { currentFile = nil }
        if recordsOrigins, case .file(let name, let n) = origin {
            currentOrigin = RunningConfig.Origin(file: name, line: n)
        } else {
            currentOrigin = nil
        }
        defer { currentOrigin = nil }
        let match = matched ?? grammar.match(line)
        switch match {
        case .empty:
            return Output()
        case .ok(let parsed):
            guard let binding = parsed.binding else { return .failure("'\(parsed.id)' is not implemented yet") }
            if let owner = configurationOwner, binding.isEngineOwned { return owner(line, origin) }
            var out = execute(parsed, binding: binding, line: line)
            // Errors from an included file already name their own file and line.
            if let error = out.error, !binding.placesOwnErrors {
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

    /// Runs a matched command: its declaration's handler.
    private func execute(_ p: ParsedCommand, binding: CommandBinding, line: String) -> Output {
        binding.run(self, Invocation(parsed: p, binding: binding, line: line, wantsJSON: json || p.arguments.flag("json")))
    }

    /// Records the invocation's line in the running configuration under its declaration's
    /// identity (`line`: a different text than the command as typed).
    func record(_ i: Invocation, line: String? = nil) {
        guard let identity = i.binding.identity else { return }
        running.set(id: identity.kind, key: i.runningKey, line: line ?? i.canonicalLine, origin: currentOrigin)
    }

    /// Removes the invocation's entry from the running configuration; how many there were.
    @discardableResult
    func forget(_ i: Invocation) -> Int {
        guard let identity = i.binding.identity else { return 0 }
        return running.remove(id: identity.kind, key: i.runningKey)
    }

    /// `write [FILE] [force]`: the running configuration merged into the file it came from
    /// (or FILE), atomically, the old file kept as FILE.bak; refused when the file changed on
    /// disk since it was read, unless `force`. A file that is a symbolic link is refused unless
    /// `follow` (then the file it points to is replaced).
    func write(file: String?, force: Bool, follow: Bool) -> Output {
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

    /// `includefile FILE`: its lines run here, each error naming the file and line.
    func include(_ i: Invocation) -> Output {
        let file = i.arguments.string("file") ?? ""
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
            record(i, line: "includefile " + Self.quoted(file))
            return Output(text: "warning: includefile \(path): cannot read it; ignored\n")
        }
        record(i, line: "includefile " + Self.quoted(file))
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

    /// The command as it would be written in ntp.conf: its words as written (quotes and all),
    /// single-spaced, no comment — text that parses back to the same command.
    public static func canonical(_ line: String) -> String {
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
