import NTPAdmin
import NTPEngine
import NTPMetrics
import NTPPlatform

/// Owns the daemon's `metrics listen`: the /metrics endpoint (``MetricsServer``, its own
/// thread) and the text it serves, taken from the node on the loop thread.
extension Daemon {
    /// `metrics listen ADDRESS:PORT` (nil: `no metrics`): stops the endpoint there was, starts
    /// one at `address`. Runs on the loop thread.
    func setMetrics(_ address: SocketAddress?) -> Result<String, AdminError> {
        if let address, let current = metrics, current.listener.localAddress == address { return .success("") }
        if let old = metrics {
            old.stop()
            metrics = nil
            log.notice("metrics on \(old.listener.localAddress.ip) port \(old.listener.localAddress.port) stopped")
        }
        guard let address else { return .success("") }
        if settings.singleThreaded {
            return .failure(AdminError("metrics listen: the single-threaded daemon (NTPSH_SINGLE_THREAD=1) serves no metrics"))
        }
        let this = DaemonReference(daemon: self)
        do {
            let server = try MetricsServer(address: address, log: log) { this.daemon.metricsFromAnyThread() }
            try server.start()
            metrics = server
            log.notice("metrics on \(server.listener.localAddress.ip) port \(server.listener.localAddress.port)")
            return .success("")
        } catch {
            return .failure(AdminError("metrics listen \(address.ip) port \(address.port): \(error)"))
        }
    }

    /// The Prometheus text for the node now: its `metrics` answer rendered. On the loop thread
    /// (or under ``afterLoop``).
    func metricsText() -> String {
        guard case .metrics(let snapshot)? = try? node.answer(.query(.metrics), host: adminHost) else { return "" }
        return PrometheusText.render(snapshot)
    }

    /// What the daemon tells its node's `metrics` answers: uptime and version.
    var adminHost: AdminHost {
        AdminHost(uptime: Double(OSClock.monotonicNanoseconds() - started) / 1e9, version: settings.version)
    }

    /// From the metrics thread: nil before the loop runs (nobody owns the engine to ask yet).
    func metricsFromAnyThread() -> String? {
        let started = loopState.withLock { state -> Bool in
            if case .notStarted = state { return false }
            return true
        }
        return started ? onLoop { $0.metricsText() } : nil
    }
}

/// The daemon as the metrics thread holds it: every use goes through ``Daemon/onLoop(_:)``.
struct DaemonReference: @unchecked Sendable {
    let daemon: Daemon
}
