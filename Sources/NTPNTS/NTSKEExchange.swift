import CNTPTLS
public import NTPWire

// NTS-KE's records and keys without I/O (RFC 8915 §4): what a client sends and how it reads the
// answer, what a server answers, and the key export of a finished TLS 1.3 handshake. The
// daemon's KE over TCP (NTPNTSNetwork) and the lab's KE over memory (NTSKEInMemory) both run these.

/// What an NTS-KE session gives a client: the session keys, the cookies, and where to send NTP.
public struct NTSKEResult: Sendable, Hashable {
    public var session: NTSSessionKeys
    public var cookies: [[UInt8]]
    /// From the server and port negotiation records, if the server sent them.
    public var server: String?
    public var port: UInt16?
}

/// Why an NTS-KE session failed, in words an administrator can act on.
public enum NTSKEFailure: Error, Hashable, Sendable, CustomStringConvertible {
    case resolve(String)
    case connect(String)
    case timeout(String)
    case tls(String)
    case protocolError(String)
    case serverError(UInt16)
    case setup(String)

    public var description: String {
        switch self {
        case .resolve(let s): "cannot resolve \(s)"
        case .connect(let s): "cannot connect: \(s)"
        case .timeout(let s): "timed out \(s)"
        case .tls(let s): "TLS: \(s)"
        case .protocolError(let s): "NTS-KE: \(s)"
        case .serverError(let code):
            "NTS-KE server error \(code) (" + (code == 0 ? "unrecognized critical record" : code == 1 ? "bad request" : code == 2 ? "internal server error" : "unknown") + ")"
        case .setup(let s): s
        }
    }
}

/// A NUL-terminated C buffer as text.
package func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Exports the session keys of a finished NTS-KE handshake (RFC 8915 §4.3).
package func exportSession(_ tls: OpaquePointer, _ algorithm: NTSAEADAlgorithm) -> NTSSessionKeys? {
    func key(_ s2c: Int32) -> NTSAEAD? {
        var bytes = [UInt8](repeating: 0, count: algorithm.keyLength)
        let ok = bytes.withUnsafeMutableBytes { ntpsh_tls_export_nts_key(UnsafeMutableRawPointer(tls), algorithm.rawValue, s2c, $0.baseAddress, $0.count) }
        return ok == 1 ? try? NTSAEAD(algorithm: algorithm, key: bytes) : nil
    }
    guard let c2s = key(0), let s2c = key(1) else { return nil }
    return NTSSessionKeys(c2s: c2s, s2c: s2c)
}

/// The NTS-KE client's side of the exchange (its TCP session: NTPNTSNetwork's `establish`).
public enum NTSKEClient {
    /// The client's request: NTPv4, the AEAD algorithms in preference order, End of Message.
    public static func request(algorithms: [NTSAEADAlgorithm]) -> [UInt8] {
        NTSKEMessage.encode([
            NTSKERecord(critical: true, .nextProtocols([NTSKERecord.protocolNTPv4])),
            NTSKERecord(critical: true, .aeadAlgorithms(algorithms.map(\.rawValue))),
            NTSKERecord(critical: true, .endOfMessage),
        ])
    }

    /// The client's reading of a server response (pure but for the key export it is given).
    public static func interpret(_ records: [NTSKERecord], offered: [NTSAEADAlgorithm],
                                 export: (NTSAEADAlgorithm) -> NTSSessionKeys?) throws(NTSKEFailure) -> NTSKEResult {
        var protocols: [UInt16]?, aead: [UInt16]?, cookies: [[UInt8]] = [], server: String?, port: UInt16?
        for record in records {
            switch record.content {
            case .error(let code): throw .serverError(code)
            case .nextProtocols(let p):
                guard protocols == nil else { throw .protocolError("two next-protocol records") }
                protocols = p
            case .aeadAlgorithms(let a):
                guard aead == nil else { throw .protocolError("two AEAD records") }
                aead = a
            case .newCookie(let c): if cookies.count < NTSClientState.maximumCookies { cookies.append(c) }
            case .server(let s): server = s
            case .port(let p): port = p
            case .warning, .endOfMessage, .other: break
            }
        }
        guard protocols == [NTSKERecord.protocolNTPv4] else { throw .protocolError("the server did not agree on NTPv4") }
        guard let a = aead, a.count == 1, let algorithm = NTSAEADAlgorithm(rawValue: a[0]), offered.contains(algorithm) else {
            throw .protocolError("the server chose no AEAD algorithm we offered")
        }
        guard !cookies.isEmpty else { throw .protocolError("no cookies") }
        guard let session = export(algorithm) else { throw .tls("key export failed") }
        return NTSKEResult(session: session, cookies: cookies, server: server, port: port)
    }
}

/// The NTS-KE server's side of the exchange (its TCP server: NTPNTSNetwork's `NTSKEServer`).
public enum NTSKEExchange {
    /// The response to a request (pure but for the key export): NTPv4, the first AEAD of the
    /// client's list that we support and `algorithms` allows (`nts aead`), eight cookies, the server and port when configured; an
    /// Error record for a bad request.
    public static func response(to request: Result<[NTSKERecord], NTSKEError>, keys: NTSCookieKeys,
                                ntpServer: String?, ntpPort: UInt16?, algorithms: [NTSAEADAlgorithm] = NTSAEADAlgorithm.allCases,
                                export: (NTSAEADAlgorithm) -> NTSSessionKeys?,
                                using random: inout some RandomNumberGenerator) -> (bytes: [UInt8], cookies: Int, ok: Bool) {
        func error(_ code: UInt16) -> ([UInt8], Int, Bool) {
            (NTSKEMessage.encode([NTSKERecord(critical: true, .error(code)), NTSKERecord(critical: true, .endOfMessage)]), 0, false)
        }
        let records: [NTSKERecord]
        switch request {
        case .failure(.unrecognizedCritical): return error(NTSKERecord.errorUnrecognizedCritical)
        case .failure: return error(NTSKERecord.errorBadRequest)
        case .success(let r): records = r
        }
        var protocols: [UInt16]?, offered: [UInt16]?
        for record in records {
            switch record.content {
            case .nextProtocols(let p): if protocols != nil { return error(NTSKERecord.errorBadRequest) }; protocols = p
            case .aeadAlgorithms(let a): if offered != nil { return error(NTSKERecord.errorBadRequest) }; offered = a
            case .error, .newCookie, .server, .port: return error(NTSKERecord.errorBadRequest)
            default: break
            }
        }
        guard let protocols, let offered else { return error(NTSKERecord.errorBadRequest) }
        guard protocols.contains(NTSKERecord.protocolNTPv4) else {
            return (NTSKEMessage.encode([NTSKERecord(critical: true, .nextProtocols([])), NTSKERecord(critical: true, .endOfMessage)]), 0, false)
        }
        guard let algorithm = offered.lazy.compactMap({ NTSAEADAlgorithm(rawValue: $0) }).first(where: { $0.isAvailable && algorithms.contains($0) }) else {
            return (NTSKEMessage.encode([NTSKERecord(critical: true, .nextProtocols([0])), NTSKERecord(critical: true, .aeadAlgorithms([])),
                                         NTSKERecord(critical: true, .endOfMessage)]), 0, false)
        }
        guard let session = export(algorithm) else { return error(NTSKERecord.errorInternal) }
        var out: [NTSKERecord] = [NTSKERecord(critical: true, .nextProtocols([NTSKERecord.protocolNTPv4])),
                                  NTSKERecord(critical: true, .aeadAlgorithms([algorithm.rawValue]))]
        for _ in 0 ..< NTSClientState.maximumCookies {
            out.append(NTSKERecord(critical: false, .newCookie(NTSCookie.make(session, keys: keys, using: &random))))
        }
        if let ntpServer { out.append(NTSKERecord(critical: true, .server(ntpServer))) }
        if let ntpPort { out.append(NTSKERecord(critical: true, .port(ntpPort))) }
        out.append(NTSKERecord(critical: true, .endOfMessage))
        return (NTSKEMessage.encode(out), NTSClientState.maximumCookies, true)
    }
}
