import SystemPackage
import Glibc

/// A joinable OS thread running one closure (the engine's event loop). Swift concurrency is
/// not used for the loop: it owns blocking calls (poll) and must never hop threads.
public final class PlatformThread {
    private var handle = pthread_t()

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread.
    public init(name: String, _ body: @escaping () -> Void) throws(SystemCallError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemCallError("pthread_create", errno: Errno(rawValue: rc))
        }
    }

    /// Waits for the thread to finish.
    public func join() { pthread_join(handle, nil) }

    /// Nobody will join it: its resources go back to the system when it ends.
    public func detach() { pthread_detach(handle) }
}

/// Termination signals taken synchronously: blocked in every thread (call ``block()`` before
/// starting any) and received with `sigwait` on the thread that waits, so no handler runs in
/// signal context.
public enum TerminationSignals {
    public static let stop: [Int32] = [SIGTERM, SIGINT]

    private static func set(_ signals: [Int32]) -> sigset_t {
        var s = sigset_t()
        sigemptyset(&s)
        for sig in signals { sigaddset(&s, sig) }
        return s
    }

    /// Blocks `signals` in the calling thread; threads started afterwards inherit the mask.
    public static func block(_ signals: [Int32] = stop) {
        var s = set(signals)
        pthread_sigmask(SIG_BLOCK, &s, nil)
    }

    /// Waits for one of `signals` (which must be blocked) and returns it.
    public static func wait(_ signals: [Int32] = stop) -> Int32 {
        var s = set(signals)
        var sig: Int32 = 0
        while sigwait(&s, &sig) != 0 {}
        return sig
    }

    /// The signal's name, e.g. "SIGTERM".
    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(sig)"
        }
    }
}
