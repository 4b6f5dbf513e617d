import NTPEngine
import NTPPlatform
import Glibc
import Synchronization

/// Owns the daemon's cross-thread inbox: how a call from another thread (the shell, a
/// control-socket client, the SIGHUP re-read) reaches the loop thread that owns the node and
/// waits for its result, and the small synchronisation types it uses.
extension Daemon {
    /// Runs `body` where the engine may be touched and returns its result: directly before the
    /// loop runs (configuration at start) and on the loop thread; posted to the loop and waited
    /// for from other threads (the shell, control-socket clients, the SIGHUP re-read); under
    /// ``afterLoop`` once the loop has ended.
    func onLoop<T>(_ body: @escaping (Daemon) -> T) -> T {
        let done = Completion<T>()
        let route = loopState.withLock { state -> LoopRoute in
            switch state {
            case .notStarted: return .direct
            case .running(let owner), .stopping(let owner):
                if pthread_equal(owner, pthread_self()) != 0 { return .direct }
                // Put under the state lock: ``endLoop()`` either runs it or is not reached yet.
                inbox.put { d in done.finish(body(d)) }
                return .posted
            case .ended: return .afterLoop
            }
        }
        switch route {
        case .direct: return body(self)
        case .posted:
            wakeLoop()
            return done.wait()
        case .afterLoop:
            afterLoop.withLock { _ in done.finish(body(self)) }
            return done.wait()
        }
    }

    func post(_ job: @escaping (Daemon) -> Void) {
        inbox.put(job)
        wakeLoop()
    }

    func wakeLoop() {
        var byte: UInt8 = 0
        _ = write(wake.write, &byte, 1)
    }
}

/// Work that runs once at a time: taken, then released (`:config`).
final class Claim: Sendable {
    private let taken = Mutex<Bool>(false)
    /// True when it was free (and is now taken).
    func take() -> Bool { taken.withLock { t in defer { t = true }; return !t } }
    func release() { taken.withLock { $0 = false } }
}

/// Work handed from other threads to the event loop.
final class Inbox: @unchecked Sendable {
    private var jobs: [(Daemon) -> Void] = []
    private let lock = Mutex<Void>(())
    func put(_ job: @escaping (Daemon) -> Void) { lock.withLock { _ in jobs.append(job) } }
    func take() -> [(Daemon) -> Void] {
        lock.withLock { _ in defer { jobs.removeAll() }; return jobs }
    }
}

/// A one-shot result handed back from the loop thread.
final class Completion<T>: @unchecked Sendable {
    private var value: T?
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    init() { pthread_mutex_init(&mutex, nil); pthread_cond_init(&condition, nil) }
    deinit { pthread_mutex_destroy(&mutex); pthread_cond_destroy(&condition) }
    func finish(_ v: T) {
        pthread_mutex_lock(&mutex); value = v; pthread_cond_signal(&condition); pthread_mutex_unlock(&mutex)
    }
    func wait() -> T {
        pthread_mutex_lock(&mutex)
        while value == nil { pthread_cond_wait(&condition, &mutex) }
        let v = value!
        pthread_mutex_unlock(&mutex)
        return v
    }
}
