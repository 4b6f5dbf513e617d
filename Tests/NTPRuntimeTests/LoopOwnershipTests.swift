import Glibc
import NTPPlatform
import Synchronization
import Testing
@testable import NTPRuntime

/// Who may touch the engine: the loop thread while it runs, one caller at a time after it ended.
@Suite struct LoopOwnershipTests {
    static func daemon() throws -> Daemon {
        try Daemon(settings: DaemonSettings(port: 0), clock: ObserveClock(), log: Log(name: "test", quiet: true, journal: false))
    }

    @Test("start(): calls from the caller's thread run on the loop thread, not beside it")
    func callsRunOnTheLoop() throws {
        let daemon = try Self.daemon()
        try daemon.start()
        defer { daemon.stop() }
        let caller = pthread_self()
        #expect(!daemon.isShuttingDown)
        #expect(daemon.onLoop { _ in pthread_equal(pthread_self(), caller) } == 0)
    }

    /// After stop() nothing runs posted calls; before, such calls ran directly on every caller's
    /// thread at once (a control client after the drain beside the SIGHUP re-read and saveDrift).
    @Test("after the loop ended, calls from two threads do not run at the same time")
    func afterTheLoopOneAtATime() throws {
        let daemon = try Self.daemon()
        try daemon.start()
        daemon.stop()
        #expect(daemon.isShuttingDown)
        let firstInside = Gate(), secondInside = Gate(), secondDone = Gate()
        let overlapped = Mutex(false)
        let first = try PlatformThread(name: "first") {
            daemon.onLoop { _ in
                firstInside.open()
                // Bounded: the second call must not get in while this one is inside.
                let inside = secondInside.wait(seconds: 0.5)
                overlapped.withLock { $0 = inside }
            }
        }
        #expect(firstInside.wait(seconds: 10))
        let second = try PlatformThread(name: "second") {
            daemon.onLoop { _ in secondInside.open() }
            secondDone.open()
        }
        first.join()
        #expect(!overlapped.withLock { $0 }, "the second call ran while the first was inside")
        #expect(secondDone.wait(seconds: 10), "the second call runs once the first is done")
        second.join()
    }
}

/// A one-way gate with a bounded wait.
final class Gate: Sendable {
    private let isOpen = Mutex(false)
    func open() { isOpen.withLock { $0 = true } }
    func wait(seconds: Double) -> Bool {
        let deadline = OSClock.monotonicNanoseconds() + Int64(seconds * 1e9)
        while !isOpen.withLock({ $0 }) {
            if OSClock.monotonicNanoseconds() > deadline { return false }
            usleep(1000)
        }
        return true
    }
}
