import CNTPTLS
import NTPWire

/// NTS-KE over memory, for the labs: a real TLS 1.3 handshake between two in-process ends
/// (OpenSSL, ALPN ntske/1, the server's certificate verified for the name the client asked
/// for), the client's request and the server's response as RFC 8915 §4 records
/// (``NTSKEClient`` and ``NTSKEExchange``, as the daemon sends and answers them), and the keys
/// exported as §4.3 says from each end. What is simulated: the TCP path (the bytes move in
/// memory, at one instant of virtual time) and the certificate (a fresh key and a self-signed
/// certificate per server, made at start; the lab's clients trust exactly it).
public final class NTSKEInMemory {
    /// The name (or address) the certificate is for.
    public let name: String
    private let serverContext: UnsafeMutableRawPointer
    private let clientContext: UnsafeMutableRawPointer

    /// A key and certificate for `name`, valid `days` days.
    public init(name: String, days: Int32 = 30) throws(NTSKEFailure) {
        var error = [CChar](repeating: 0, count: 512)
        var client: UnsafeMutableRawPointer?
        guard let server = ntpsh_tls_memory_contexts(name, days, &client, &error, error.count), let client else {
            throw .setup(cText(error))
        }
        self.name = name
        serverContext = server
        clientContext = client
    }

    deinit {
        ntpsh_tls_context_free(serverContext)
        ntpsh_tls_context_free(clientContext)
    }

    /// One NTS-KE session of a client asking for `host` (checked against the certificate),
    /// offering `algorithms`, with a server whose cookies are sealed under `keys` and that
    /// allows `serverAlgorithms`. Returns what the client takes away (keys, 8 cookies).
    public func establish(host: String, algorithms: [NTSAEADAlgorithm] = [.aesSIVCMAC256], keys: NTSCookieKeys,
                          serverAlgorithms: [NTSAEADAlgorithm] = NTSAEADAlgorithm.allCases,
                          ntpServer: String? = nil, ntpPort: UInt16? = nil,
                          using random: inout some RandomNumberGenerator) throws(NTSKEFailure) -> NTSKEResult {
        guard let server = ntpsh_tls_connection(serverContext, -1, 1, nil) else { throw .setup("cannot make a TLS connection") }
        defer { ntpsh_tls_connection_free(server) }
        guard let client = ntpsh_tls_connection(clientContext, -1, 0, host) else { throw .setup("cannot make a TLS connection") }
        defer { ntpsh_tls_connection_free(client) }
        try handshake(client: client, server: server)
        try send(NTSKEClient.request(algorithms: algorithms), on: client, to: server)
        let request = try receive(on: server, from: client)
        let serverTLS = OpaquePointer(server)
        let reply = NTSKEExchange.response(to: request, keys: keys, ntpServer: ntpServer, ntpPort: ntpPort,
                                           algorithms: serverAlgorithms, export: { exportSession(serverTLS, $0) }, using: &random)
        try send(reply.bytes, on: server, to: client)
        let records: [NTSKERecord]
        switch try receive(on: client, from: server) {
        case .success(let r): records = r
        case .failure(let e): throw .protocolError("bad response: \(e)")
        }
        let clientTLS = OpaquePointer(client)
        return try NTSKEClient.interpret(records, offered: algorithms) { exportSession(clientTLS, $0) }
    }

    /// Both ends' handshakes, the bytes moved between them after every step; TLS 1.3 needs
    /// three flights, so a handshake not done in a few rounds has failed.
    private func handshake(client: UnsafeMutableRawPointer, server: UnsafeMutableRawPointer) throws(NTSKEFailure) {
        var error = [CChar](repeating: 0, count: 512)
        var clientDone = false, serverDone = false
        for _ in 0 ..< 8 where !(clientDone && serverDone) {
            if !clientDone {
                let r = ntpsh_tls_handshake(client, &error, error.count)
                if r == NTPSH_TLS_OK { clientDone = true } else if r == NTPSH_TLS_ERROR { throw .tls(cText(error)) }
            }
            guard ntpsh_tls_memory_transfer(client, server) >= 0 else { throw .setup("memory transfer failed") }
            if !serverDone {
                let r = ntpsh_tls_handshake(server, &error, error.count)
                if r == NTPSH_TLS_OK { serverDone = true } else if r == NTPSH_TLS_ERROR { throw .tls("the server: " + cText(error)) }
            }
            guard ntpsh_tls_memory_transfer(server, client) >= 0 else { throw .setup("memory transfer failed") }
        }
        guard clientDone && serverDone else { throw .tls("the handshake did not finish") }
    }

    private func send(_ bytes: [UInt8], on from: UnsafeMutableRawPointer, to: UnsafeMutableRawPointer) throws(NTSKEFailure) {
        let n = bytes.withUnsafeBytes { ntpsh_tls_write(from, $0.baseAddress, $0.count) }
        guard n == Int32(bytes.count) else { throw .tls("write failed") }
        guard ntpsh_tls_memory_transfer(from, to) >= 0 else { throw .setup("memory transfer failed") }
    }

    /// The whole message waiting on `connection` (everything was moved before): its records,
    /// or why they do not parse.
    private func receive(on connection: UnsafeMutableRawPointer, from peer: UnsafeMutableRawPointer)
        throws(NTSKEFailure) -> Result<[NTSKERecord], NTSKEError> {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            do throws(NTSKEError) {
                if case .complete(let r, let length) = try NTSKEMessage.scan(received) {
                    return length == received.count ? .success(r) : .failure(.trailingBytes(count: received.count - length))
                }
            } catch { return .failure(error) }
            let n = buffer.withUnsafeMutableBytes { ntpsh_tls_read(connection, $0.baseAddress, $0.count) }
            guard n > 0 else { throw .protocolError("the message ended before End of Message") }
            received += buffer[0 ..< Int(n)]
            _ = ntpsh_tls_memory_transfer(connection, peer)  // TLS 1.3 may answer a read (key update, tickets)
        }
    }
}
