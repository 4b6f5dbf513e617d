// MetricsServer: `metrics listen`: a minimal HTTP/1.1 responder on its own thread that answers
// GET (and HEAD) /metrics with the engine's Prometheus text and anything else with an error.
// Off the NTP loop: it asks the engine for a snapshot through `render` like any admin call.
// Bounded: one connection at a time, a request head of at most 8 KiB read within 2 s, one
// response per connection (Connection: close); a slow or garbage client costs the endpoint at
// most 2 s and the NTP service nothing.
public import NTPEngine
public import NTPPlatform
import Synchronization

public final class MetricsServer: Sendable {
    /// The largest request head read (request line and headers).
    static let maxRequest = 8192
    /// Seconds a client has to send its whole request head.
    static let requestTimeout = 2.0

    public let listener: TCPListener
    private let render: @Sendable () -> String?
    private let log: Log
    private let counts = Mutex(Counts())

    /// What the endpoint did, by response status.
    public struct Counts: Sendable, Equatable {
        public var served = 0
        public var notFound = 0
        public var badRequest = 0
        public var methodNotAllowed = 0
        public var tooLarge = 0
        public var timedOut = 0
    }

    /// `render` gives the text, or nil while the engine cannot be asked yet (503).
    public init(address: SocketAddress, log: Log, render: @escaping @Sendable () -> String?) throws(SystemCallError) {
        listener = try TCPListener(address)
        self.render = render
        self.log = log
    }

    public var statistics: Counts { counts.withLock { $0 } }

    /// Starts the acceptor thread; ``stop()`` ends it.
    /// The thread closes the listening socket when it stops accepting: closed any earlier, its
    /// descriptor number could be reused by another socket while the thread still accepts on it.
    public func start() throws(SystemCallError) {
        do {
            try PlatformThread(name: "ntpsh-metrics") { [self] in
                while let (stream, _) = try? listener.accept() {
                    serve(stream)
                    stream.close()
                }
                listener.close()
            }.detach()
        } catch {
            listener.close()
            throw error
        }
    }

    /// Stops accepting: the thread ends after the connection in hand and closes the socket.
    public func stop() {
        listener.shutdown()
    }

    private func serve(_ stream: StreamConnection) {
        stream.setSendTimeout(seconds: Self.requestTimeout)
        let response: Response
        switch readHead(stream) {
        case .timedOut:
            counts.withLock { $0.timedOut += 1 }
            return
        case .tooLarge:
            counts.withLock { $0.tooLarge += 1 }
            response = .error(431, "Request Header Fields Too Large")
        case .head(let head):
            response = respond(to: head)
        }
        try? stream.write(Array(response.bytes.utf8))
    }

    enum Head { case head(String), tooLarge, timedOut }

    /// Bytes up to the blank line that ends the head.
    private func readHead(_ stream: StreamConnection) -> Head {
        let deadline = StreamConnection.monotonicNow() + Self.requestTimeout
        var bytes: [UInt8] = []
        while true {
            guard let more = try? stream.readSome(limit: Self.maxRequest + 1 - bytes.count, deadline: deadline), !more.isEmpty else {
                // Closed or silent before the head was complete: a head with no end is a bad request.
                return bytes.isEmpty ? .timedOut : .head(String(decoding: bytes, as: UTF8.self))
            }
            bytes += more
            if let end = Self.endOfHead(bytes) { return .head(String(decoding: bytes[..<end], as: UTF8.self)) }
            if bytes.count > Self.maxRequest { return .tooLarge }
        }
    }

    static func endOfHead(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        // Bare LF line ends, as some clients send them.
        for i in 0...(b.count - 2) where b[i] == 10 && b[i + 1] == 10 { return i }
        return nil
    }

    struct Response {
        var status: Int
        var reason: String
        var contentType = "text/plain; charset=utf-8"
        var body: String
        var extraHeaders = ""
        var headOnly = false

        static func error(_ status: Int, _ reason: String, _ extra: String = "") -> Response {
            Response(status: status, reason: reason, body: "\(status) \(reason)\n", extraHeaders: extra)
        }

        var bytes: String {
            "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
                + extraHeaders + "Connection: close\r\n\r\n" + (headOnly ? "" : body)
        }
    }

    /// The answer to a complete request head.
    func respond(to head: String) -> Response {
        let requestLine = head.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).first ?? ""
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/"),
              parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }), !parts[0].isEmpty else {
            counts.withLock { $0.badRequest += 1 }
            return .error(400, "Bad Request")
        }
        guard parts[0] == "GET" || parts[0] == "HEAD" else {
            counts.withLock { $0.methodNotAllowed += 1 }
            return .error(405, "Method Not Allowed", "Allow: GET, HEAD\r\n")
        }
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/metrics" else {
            counts.withLock { $0.notFound += 1 }
            return .error(404, "Not Found")
        }
        guard let text = render() else { return .error(503, "Service Unavailable") }
        counts.withLock { $0.served += 1 }
        return Response(status: 200, reason: "OK", contentType: "text/plain; version=0.0.4; charset=utf-8",
                        body: text, headOnly: parts[0] == "HEAD")
    }
}
