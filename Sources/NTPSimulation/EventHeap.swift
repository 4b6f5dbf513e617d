public import NTPWire

/// A binary min-heap of timed events: pops the earliest time first and, among equal times, the
/// one pushed first (a sequence number breaks ties), so a simulation's order never depends on
/// the heap's internal layout.
public struct EventHeap<Payload> {
    private struct Entry {
        var time: UnixTime
        var sequence: UInt64
        var payload: Payload

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The earliest time in the heap.
    public var nextTime: UnixTime? { entries.first?.time }

    /// Adds `payload` at `time`, after everything already at that time.
    public mutating func push(_ payload: Payload, at time: UnixTime) {
        entries.append(Entry(time: time, sequence: nextSequence, payload: payload))
        nextSequence &+= 1
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest event (first pushed among equal times).
    public mutating func pop() -> (time: UnixTime, payload: Payload)? {
        guard !entries.isEmpty else { return nil }
        let last = entries.count - 1
        entries.swapAt(0, last)
        let top = entries.removeLast()
        var parent = 0
        let n = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { break }
            let right = left + 1
            let child = right < n && entries[right].precedes(entries[left]) ? right : left
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            parent = child
        }
        return (top.time, top.payload)
    }

    /// Removes every event.
    public mutating func removeAll() { entries.removeAll() }
}
