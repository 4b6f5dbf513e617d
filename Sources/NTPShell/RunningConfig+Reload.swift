// Owns what re-reading the configuration file (SIGHUP) does to the running configuration.

extension RunningConfig {
    /// What re-reading the configuration file (SIGHUP) does to the running configuration.
    public struct Reload: Sendable, Equatable {
        /// Entries the file no longer has: to undo in the engine.
        public var undo: [Entry] = []
        /// Entries new in the file, or whose line changed there: to run.
        public var apply: [Entry] = []
        /// The running configuration afterwards: the new file's entries (with their new file
        /// lines, for `write`), the shell's edits of entries the file left alone, and the
        /// shell's additions the file does not name.
        public var running = RunningConfig()
    }

    /// The difference between the file as it was read (`read`) and as it is now (`reread`),
    /// applied to the running configuration `live` (`read` plus what the shells changed since).
    /// Only what changed in the file is applied: a server added at the prompt stays, a server
    /// removed from the file goes, a line changed in the file wins over the shell's version.
    public static func reload(live: RunningConfig, read: RunningConfig, reread: RunningConfig) -> Reload {
        func find(_ c: RunningConfig, _ e: Entry) -> Entry? { c.entries.first { $0.id == e.id && $0.key == e.key } }
        var r = Reload()
        for e in read.entries where find(reread, e) == nil && find(live, e) != nil { r.undo.append(e) }
        for e in reread.entries {
            let before = find(read, e)
            if before?.line == e.line {
                // Unchanged in the file: the shell's state of it stands (edited, or removed).
                guard let now = find(live, e) else { continue }
                r.running.set(id: e.id, key: e.key, line: e.line, origin: e.origin)
                if now.line != e.line { r.running.set(id: e.id, key: e.key, line: now.line) }
            } else {
                if e.id != "includefile" { r.apply.append(e) }
                r.running.set(id: e.id, key: e.key, line: e.line, origin: e.origin)
            }
        }
        for e in live.entries where find(read, e) == nil && find(reread, e) == nil {
            r.running.set(id: e.id, key: e.key, line: e.line)
        }
        return r
    }
}
