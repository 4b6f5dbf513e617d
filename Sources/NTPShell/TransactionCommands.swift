import NTPAdmin
import CommandGrammar

/// Owns the shell's side of transactional configuration: the `archive` directive, and (with
/// the `configure` mode) the candidate this shell edits and what it asks of the engine host.
public struct TransactionState {
    /// `archive directory DIR`.
    public var archiveDirectory: String?
    /// `archive keep N`.
    public var archiveKeep: Int?
    public init() {}
}

extension CommandRunner {
    /// The transaction commands' one entry from ``execute``.
    func transactionCommand(_ p: ParsedCommand, line: String) -> Output {
        let a = p.arguments
        switch p.id {
        case "archive":
            if let dir = a.string("directory") { transaction.archiveDirectory = dir }
            if let keep = a.int("keep") { transaction.archiveKeep = keep }
            running.set(id: "archive", key: "", line: canonical(line), origin: currentOrigin)
            return Output()
        default:
            return .failure("'\(p.id)' is not implemented yet")
        }
    }
}
