/// The configuration as ntp.conf text: every configuration command accepted, in order, in
/// canonical form. `no …` removes what it undoes. `show running-config` prints it.
public struct RunningConfig: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The command's identity (e.g. `server`, `restrict`).
        public var id: String
        /// What identifies the entry among its kind (the server's address, the restrict target),
        /// so a later command replaces it and `no` removes it.
        public var key: String
        public var line: String
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Adds `line`, replacing an entry of the same id and key.
    public mutating func set(id: String, key: String, line: String) {
        if let i = entries.firstIndex(where: { $0.id == id && $0.key == key }) {
            entries[i].line = line
        } else {
            entries.append(Entry(id: id, key: key, line: line))
        }
    }

    /// Removes the entries of `id` with `key`; returns how many.
    @discardableResult
    public mutating func remove(id: String, key: String) -> Int {
        let before = entries.count
        entries.removeAll { $0.id == id && $0.key == key }
        return before - entries.count
    }

    public func contains(id: String, key: String) -> Bool { entries.contains { $0.id == id && $0.key == key } }

    public var text: String { entries.map { $0.line + "\n" }.joined() }
}
