public import NTPWire

/// Owns the transactional configuration's part of the admin contract: what a shell asks of the
/// engine host's running configuration (candidate sessions, commit, the archive), and what it
/// gets back. These are not the node's: the running configuration is ntp.conf text kept by the
/// process that owns the engine (NTPShell's `ConfigurationTransactions`), which turns a commit
/// into the node's changes. Carried on the control socket as one call, `transaction`, whose
/// `args` is the request and whose `result` is the answer, with no code per case.
public enum ConfigurationRequest: Sendable, Equatable, Codable {
    /// `configure [exclusive]`: this session opens a candidate (exclusive: no other session may
    /// have one until it closes). Answers the running configuration.
    case open(exclusive: Bool)
    /// `discard`, `end`, `exit` (or the shell went away): the session's candidate is closed
    /// and its lock, if any, dropped.
    case close
    /// The running configuration as ntp.conf text.
    case running
    /// `commit check`: validates the candidate with the checks `--check-config` runs.
    case check(ConfigurationCandidate)
    /// `commit [comment TEXT]`, `commit confirmed DURATION`: applies the whole candidate or
    /// nothing. A plain commit also confirms a pending `commit confirmed`.
    case commit(ConfigurationCandidate, comment: String?, confirmWithin: Seconds?)
    /// `show configuration history`: the archive, newest first.
    case history
    /// `rollback N`, `show configuration compare rollback N`: archive entry N (1: the running
    /// configuration before the last commit).
    case archived(Int)
}

/// A candidate configuration as the shell sends it: ntp.conf text, and for each of its lines
/// where it came from (`FILE:LINE` of a batch line, nil: typed), so an error names that line.
public struct ConfigurationCandidate: Sendable, Equatable, Codable {
    public var text: String
    public var origins: [String?]
    public init(text: String, origins: [String?] = []) { self.text = text; self.origins = origins }

    /// How line `n` (1-based) of the candidate is named in an error: its batch line, or
    /// `candidate:N`.
    public func location(ofLine n: Int) -> String {
        (n >= 1 && n <= origins.count ? origins[n - 1] : nil) ?? "candidate:\(n)"
    }
}

/// What the engine host answers to a ``ConfigurationRequest``.
public enum ConfigurationAnswer: Sendable, Equatable, Codable {
    case done
    /// ntp.conf text (the running configuration, an archived one).
    case text(String)
    case committed(CommitReport)
    case history([ArchivedConfiguration])
}

/// What a commit did.
public struct CommitReport: Sendable, Equatable, Codable {
    /// Lines run (new or changed) and entries removed.
    public var applied: Int, removed: Int
    /// A `commit confirmed`: the engine reverts at this time unless a plain commit confirms.
    public var revertAt: UnixTime?
    /// A plain commit that confirmed a pending `commit confirmed`.
    public var confirmed: Bool
    /// Said alongside (an archive that could not be written).
    public var warnings: [String]
    public init(applied: Int = 0, removed: Int = 0, revertAt: UnixTime? = nil, confirmed: Bool = false, warnings: [String] = []) {
        self.applied = applied; self.removed = removed; self.revertAt = revertAt; self.confirmed = confirmed; self.warnings = warnings
    }
}

/// One entry of the archive: a running configuration as it was before a commit replaced it.
public struct ArchivedConfiguration: Sendable, Equatable, Codable {
    /// Its ntp.conf text.
    public var text: String
    /// Who made the commit that replaced it (the shell's user and process, or the engine itself
    /// for a revert).
    public var who: String
    /// When that commit was made.
    public var when: UnixTime
    /// The commit's comment (`commit comment TEXT`), if any.
    public var comment: String?
    public init(text: String, who: String, when: UnixTime, comment: String? = nil) {
        self.text = text; self.who = who; self.when = when; self.comment = comment
    }
}

/// The engine host's side of ``ConfigurationRequest``: the in-process runner's transactions,
/// or the control socket's `transaction` call.
public protocol ConfigurationHost: AnyObject {
    func transact(_ request: ConfigurationRequest) throws(AdminError) -> ConfigurationAnswer
}
