import NTPEngine
import NTPWire
import NTPPlatform
import Glibc

/// Owns the daemon's drift file: read at start and on `driftfile`, written hourly and on exit.
extension Daemon {
    /// `driftfile`: remember the path; read it now when the clock was never corrected.
    func setDriftFile(_ path: String?) -> String? {
        settings.driftFile = path
        guard let path, engine.system.updates == 0 else { return nil }
        guard let ppm = Self.readDrift(path, log: log) else { return nil }
        engine.loadDrift(ppm)
        return nil
    }

    // MARK: - Drift file

    static func readDrift(_ path: String, log: Log) -> PPM? {
        guard let text = try? TextFile.read(path) else {
            log.notice("drift file \(path) not found; frequency starts at 0 ppm")
            return nil
        }
        switch DriftFile.frequency(in: text) {
        case .success(let ppm): return ppm
        case .failure(let bad):
            log.warning("drift file \(path): '\(bad.word)' is not a frequency in ppm; ignored")
            return nil
        }
    }

    func saveDrift() {
        guard let path = settings.driftFile, let text = DriftFile.text(for: engine) else { return }
        do {
            try AtomicFile.write(text, to: path)
        } catch {
            log.warning("cannot write drift file \(path): \(error)")
        }
    }
}
