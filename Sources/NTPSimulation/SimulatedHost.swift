public import NTPEngine
public import NTPWire

/// A host of the simulated network that runs NTP on a simulated clock (the engine under test, via an adapter).
public protocol SimulatedHost: AnyObject {
    /// The host's clock; the world advances it to the current true time before every call.
    var clock: SimulatedClock { get }
    /// The local (host clock) time at which the host wants `wake` called, or nil.
    func nextWakeup() -> UnixTime?
    /// Called at (or just after) the local time it asked for. It may send through `network`.
    func wake(network: SimulatedNetwork)
    /// A datagram arrived; `receiveTime` is the host clock's reading at arrival (served scale).
    func receive(_ bytes: [UInt8], from source: SocketAddress, to destination: SocketAddress, receiveTime: UnixTime, network: SimulatedNetwork)
}
