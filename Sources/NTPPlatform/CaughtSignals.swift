import CNTPPlatform
import Glibc

/// Signals caught by a handler that only records them, for a process with one thread (the
/// daemon's single-threaded mode): a blocking call such as `poll` returns EINTR and the caller
/// asks ``take()`` what came. The multi-threaded daemon waits for signals on a thread of its
/// own instead (``TerminationSignals``).
public enum CaughtSignals {
    /// Catches `signals` from now on (SA_RESTART off, so `poll` returns EINTR) and unblocks them
    /// in the calling thread.
    public static func install(_ signals: [Int32]) {
        for sig in signals { ntpsh_catch_signal(sig) }
        var set = sigset_t()
        sigemptyset(&set)
        for sig in signals { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal caught since the last call (the last one if several came), or nil.
    public static func take() -> Int32? {
        let sig = ntpsh_take_signal()
        return sig == 0 ? nil : sig
    }
}
