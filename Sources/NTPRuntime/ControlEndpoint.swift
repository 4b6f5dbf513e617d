public import NTPPlatform

/// What the daemon needs of its control socket (NTPService's `ControlServer`, which serves the
/// shell's runner and codec): started beside the loop, shut down and drained with it. The
/// daemon knows no shell; the socket is handed to it.
public protocol ControlEndpoint: AnyObject, Sendable {
    /// The socket file's path, for the log.
    var path: String { get }
    /// Threads still running (the acceptor and one per client).
    var activeThreads: Int { get }
    /// Starts accepting on a thread of its own.
    func start() throws(SystemCallError)
    /// Stops accepting and disconnects every client; threads end once their calls return.
    func shutdown()
    /// Closes the listening socket once the threads have ended.
    func close()
}
