import NTPPlatform

/// Owns the loop's one-shot timers: work the engine host schedules on the daemon's own time
/// (`commit confirmed`'s revert), so it happens whether or not any shell is connected.
extension Daemon {
    /// Runs `job` once `seconds` have passed (monotonic), on a thread of its own: the job may
    /// call back into the engine (through ``onLoop(_:)``) and take locks that callers of the
    /// loop hold, which the loop thread itself must never wait for.
    public func after(seconds: Double, _ job: @escaping @Sendable () -> Void) {
        // Bounded (about 31 years) so no value can overflow the deadline.
        let bounded = seconds.isFinite ? min(max(0, seconds), 1e9) : 0
        let deadline = OSClock.monotonicNanoseconds() + Int64(bounded * 1e9)
        onLoop { d in d.loopTimers.append((deadline, job)) }
    }

    /// Starts the jobs of the timers that are due.
    func fireLoopTimers() {
        let now = OSClock.monotonicNanoseconds()
        let due = loopTimers.filter { $0.deadline <= now }
        guard !due.isEmpty else { return }
        loopTimers.removeAll { $0.deadline <= now }
        for timer in due {
            do { try PlatformThread(name: "ntpsh-timer") { timer.job() }.detach() } catch {
                log.error("timer: cannot start a thread: \(error); running the job on the loop")
                timer.job()
            }
        }
    }
}
