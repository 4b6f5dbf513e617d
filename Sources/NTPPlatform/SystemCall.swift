public import SystemPackage
import Glibc

/// A failed system call: which call (and on what, where that helps) and the `Errno`.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call, e.g. `"bind"`, with its object where known, e.g. `"bind(0.0.0.0:123)"`.
    public var call: String
    public var errno: Errno

    public init(_ call: String, errno: Errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(errno.description)" }
}

/// The one funnel for system calls returning `-1` and setting `errno`: retries on `EINTR`,
/// throws ``SystemCallError`` naming `call` otherwise. `call` stays a `StaticString` so the
/// success path builds no string.
@inline(__always)
func systemCall<R: FixedWidthInteger>(
    _ call: StaticString, _ body: () -> R
) throws(SystemCallError) -> R {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemCallError(call.description, errno: Errno(rawValue: code))
    }
}

/// Like ``systemCall(_:_:)``, but `EAGAIN`/`EWOULDBLOCK` (nothing to do on a nonblocking
/// descriptor) returns nil instead of throwing.
@inline(__always)
func systemCallUnlessWouldBlock<R: FixedWidthInteger>(
    _ call: StaticString, _ body: () -> R
) throws(SystemCallError) -> R? {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return nil }
        throw SystemCallError(call.description, errno: Errno(rawValue: code))
    }
}

extension SystemCallError {
    /// The same failure with its object named: `bind` → `bind(0.0.0.0:123)`.
    func on(_ object: String) -> SystemCallError {
        SystemCallError("\(call)(\(object))", errno: errno)
    }
}
