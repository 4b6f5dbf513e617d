import NTPEngine
import NTPPlatform
import NTPWire
import Glibc
import Synchronization

/// Owns the daemon's name resolution: a thread per lookup (or inline, single-threaded), the
/// results queued for the loop thread.
extension Daemon {
    func startResolving(_ id: AssociationID, _ host: String) {
        if settings.singleThreaded {
            // Taken by the loop after this pass's actions (a numeric address returns at once).
            resolved.put(id, Resolver.resolve(host))
            return
        }
        let writeEnd = wake.write
        let box = resolved
        do {
            _ = try PlatformThread(name: "ntpsh-dns") {
                let addresses = Resolver.resolve(host)
                box.put(id, addresses)
                var zero: UInt8 = 0
                _ = write(writeEnd, &zero, 1)
            }
        } catch {
            log.warning("cannot resolve \(host): \(error)")
        }
    }
}

/// DNS answers handed from resolver threads to the event loop.
final class ResolvedQueue: Sendable {
    private let items = Mutex<[(AssociationID, [IPAddress])]>([])
    func put(_ id: AssociationID, _ addresses: [IPAddress]) { items.withLock { $0.append((id, addresses)) } }
    func take() -> [(AssociationID, [IPAddress])] { items.withLock { r in defer { r.removeAll() }; return r } }
}
