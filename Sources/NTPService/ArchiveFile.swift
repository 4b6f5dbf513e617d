public import NTPAdmin
import NTPPlatform
import FoundationEssentials

/// Owns the archive of running configurations on disk: one JSON file in the state directory
/// (`DIR/ntpsh-archive.json`: the entries, newest first), replaced whole with each commit as
/// `write` replaces a file (temporary, fsync, rename, directory fsync), so after a crash it
/// holds the archive from before the commit or from after it, never a mixture.
/// `NTPSH_ATOMIC_PAUSE` stops the write before or after its rename, as for `write`.
public struct ArchiveFile: Sendable {
    public let path: String
    public static let name = "ntpsh-archive.json"
    /// The archive larger than this is refused when read (50 configurations of 80 KiB).
    public static let limit = 4 << 20

    public init(directory: String) { path = (directory.hasSuffix("/") ? directory : directory + "/") + Self.name }

    /// The entries, newest first; none when the file does not exist yet.
    public func load() -> Result<[ArchivedConfiguration], AdminError> {
        let text: String
        do { text = try TextFile.read(path, limit: Self.limit, regularOnly: true) } catch {
            if error.errno == .noSuchFileOrDirectory { return .success([]) }
            return .failure(AdminError("\(path): \(error)"))
        }
        do {
            return .success(try JSONDecoder().decode([ArchivedConfiguration].self, from: Data(text.utf8)))
        } catch {
            return .failure(AdminError("\(path): not an archive: \(error)"))
        }
    }

    /// Replaces the file with `entries`.
    public func save(_ entries: [ArchivedConfiguration]) throws(AdminError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(entries) } catch { throw AdminError("cannot encode the archive: \(error)") }
        do { try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: path) } catch {
            throw AdminError("\(path): \(error)")
        }
    }
}
