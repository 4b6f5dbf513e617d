public import CNTPPlatform
import Glibc

/// Signals caught by a handler that only records them, for a process with one thread (the
/// daemon's single-threaded mode). They stay blocked except inside ``poll(_:timeoutMilliseconds:)``
/// (ppoll), which a signal ends with EINTR, so one that comes between ``take()`` and the next
/// wait is not lost; ``take()`` says what came. The multi-threaded daemon waits for signals on
/// a thread of its own instead (``TerminationSignals``).
public enum CaughtSignals {
    /// Catches `signals` from now on (no SA_RESTART) and blocks them in the calling thread.
    public static func install(_ signals: [Int32]) {
        for sig in signals { ntpsh_catch_signal(sig) }
    }

    /// The signal caught since the last call (the last one if several came), or nil.
    public static func take() -> Int32? {
        let sig = ntpsh_take_signal()
        return sig == 0 ? nil : sig
    }

    /// `poll` with the caught signals let through for its duration; -1 with EINTR when one came.
    public static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) -> Int32 {
        ntpsh_poll_catching(&fds, nfds_t(fds.count), timeoutMilliseconds)
    }
}
