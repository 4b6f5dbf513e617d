import NTPAdmin
import NTPEngine
import NTPPlatform
import Glibc
import NTPControl

/// Owns the daemon's statistics files: which to write (`statsdir`, `statistics`, `filegen`) and writing them.
extension Daemon {
    // MARK: - Statistics files

    /// `statsdir`/`statistics`/`filegen`: statistics are written from now on.
    func setStatistics(_ settings: StatisticsSettings) -> String? {
        statisticsWriter.configure(settings, history: engine.history)
        guard settings.isActive else { return nil }
        var info = stat()
        guard stat(settings.directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            return "warning: statsdir \(settings.directory) is not a directory; statistics files cannot be written"
        }
        return nil
    }

    func writeStatistics() {
        let failure = statisticsWriter.write(from: engine.history) { path, text in
            do throws(SystemCallError) { try AppendFile.append(text, to: path); return nil } catch { return error.description }
        }
        if let failure { log.warning(failure) }
    }
}
