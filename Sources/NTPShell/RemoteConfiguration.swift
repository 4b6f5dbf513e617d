// Owns ntpq's `:config` at the shell: which remotely sent ntp.conf lines may run, and the
// answer ntpq expects.
import CommandGrammar

extension CommandRunner {
    /// Runs the text of ntpq's `:config` (mode 6 CTL_OP_CONFIGURE, authenticated with the
    /// controlkey): one or more ntp.conf lines. Only configuration directives run, and of
    /// those none that names a file (``CommandGrammar/Command/namesFile``: `driftfile`,
    /// `keys`, `includefile`, `statsdir`, `filegen … file`, `logfile`, `leapfile`; ntpd refuses
    /// a remote driftfile since CVE-2015-7703); output filters (`| …`) are refused, so what is
    /// checked is exactly what runs. "Config Succeeded" when every line ran (ntpq looks for
    /// exactly that), else the errors, one a line.
    public func runRemoteConfiguration(_ text: String) -> (ok: Bool, message: String) {
        var errors: [String] = []
        for (i, raw) in text.configurationLines.enumerated() {
            let line = String(raw.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
            if line.isEmpty || line.hasPrefix("#") { continue }
            let origin = Origin.file(":config", line: i + 1)
            if let refusal = remoteRefusal(line) {
                errors.append(Self.locate(refusal.message, column: refusal.column, origin: origin, shell: refusal.message))
                continue
            }
            let out = run(line, from: origin)
            if let e = out.error { errors.append(e) }
        }
        return errors.isEmpty ? (true, "Config Succeeded") : (false, errors.joined(separator: "\n"))
    }

    /// Why `line` may not run from ntpq's `:config` (nil: it may): it carries an output filter,
    /// does not parse, is not a configuration directive, or names a file.
    func remoteRefusal(_ line: String) -> (message: String, column: Int)? {
        let (command, filters) = Self.splitFilters(line)
        if !filters.isEmpty {
            return ("output filters ('| ...') are not accepted from :config", command.count + 1)
        }
        let match = grammar.match(line)
        guard case .ok(let parsed) = match else {
            return (match.message ?? "invalid input", match.column ?? 1)
        }
        guard parsed.binding?.role == .directive else {
            return ("'\(parsed.command.words.joined(separator: " "))' is not a configuration directive", 1)
        }
        if parsed.command.namesFile {
            return ("'\(parsed.command.words.joined(separator: " "))' names a file; files are configured on the server itself, never over mode 6", 1)
        }
        return nil
    }
}
