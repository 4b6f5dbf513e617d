// NTS (RFC 8915) as the admin contract carries it: the server's settings (NTPsec's `nts …`
// words) and what the views show (`show nts`, `ntsinfo`, the per-association NTS state).

/// `nts enable`, `nts cert FILE`, `nts key FILE`, `nts cookie FILE`, `nts ca FILE`,
/// `nts mintls|maxtls`, `nts tlsciphersuites`, `nts tlsecdhcurves`, `nts aead`, `nts port`: the NTS server (and the client's trust anchor) as
/// configured. The runner keeps them and hands the whole value to the engine after each word.
public struct NTSSettings: Sendable, Equatable, Codable {
    /// `nts enable` / `nts disable`: serve NTS-KE and NTS-protected NTP.
    public var enabled = false
    /// `nts cert FILE`: the server's certificate chain (PEM).
    public var certificate: String?
    /// `nts key FILE`: the certificate's private key (PEM).
    public var key: String?
    /// `nts cookie FILE`: where the cookie master keys are kept across restarts (nil: in memory only).
    public var cookieFile: String?
    /// `nts ca FILE`: the CA bundle `server HOST nts` verifies servers against (nil: the system's store).
    public var ca: String?
    /// `nts mintls`: the lowest TLS version; only TLS 1.3 is allowed (RFC 8915 §3).
    public var minTLS = "TLS1.3"
    /// `nts maxtls`: the highest TLS version (only TLS1.3; nil: not given).
    public var maxTLS: String?
    /// `nts tlsciphersuites LIST`: the TLS 1.3 cipher suites NTS-KE allows, OpenSSL's
    /// colon-separated list (nil: OpenSSL's default); a server then prefers its own order.
    public var tlsCipherSuites: String?
    /// `nts tlsecdhcurves LIST`: the key-exchange groups NTS-KE allows (e.g. X25519:P-256).
    public var tlsCurves: String?
    /// `nts aead`: the AEAD algorithms in preference order (IANA names).
    public var aead: [String] = ["AES_SIV_CMAC_256"]
    /// `nts port N`: the NTS-KE server's TCP port (4460, RFC 8915).
    public var port: UInt16 = 4460
    /// `nts listen ADDRESS`: where the NTS-KE server listens (default 0.0.0.0).
    public var listen = "0.0.0.0"
    /// `nts rotate SECONDS`: how often a new cookie master key is made (a day, as chrony).
    public var rotationInterval: Double = 86400

    public init() {}

    /// The AEAD algorithms this build offers, by their IANA names and numbers (RFC 5297, RFC 8915 §5.1).
    public static let aeadNames: [(name: String, number: UInt16)] = [("AES_SIV_CMAC_256", 15), ("AES_SIV_CMAC_512", 17)]

    /// What is missing for the server to run, or nil when it can.
    public var missing: String? {
        if certificate == nil { return "no certificate (nts cert FILE)" }
        if key == nil { return "no private key (nts key FILE)" }
        return nil
    }
}

/// The counters NTPsec's `ntpq -c ntsinfo` reads (its mode 6 system variables), kept by the
/// server and client sides of NTS.
public struct NTSCounters: Sendable, Equatable, Codable {
    /// Client: NTS requests sent, authentic responses, refused ones (forged, not ours).
    public var clientSend: UInt64 = 0
    public var clientReceiveGood: UInt64 = 0
    public var clientReceiveBad: UInt64 = 0
    /// Server: NTS requests that verified, those that did not (NAK or dropped), responses sent.
    public var serverReceiveGood: UInt64 = 0
    public var serverReceiveBad: UInt64 = 0
    public var serverSend: UInt64 = 0
    /// Cookies made (KE and NTP), opened, opened under the master key one, two, or more
    /// rotations back, too old (no key kept), failing to open (forged or damaged).
    public var cookieMake: UInt64 = 0
    public var cookieDecode: UInt64 = 0
    public var cookieDecodeOld: UInt64 = 0
    public var cookieDecodeOld2: UInt64 = 0
    public var cookieDecodeOlder: UInt64 = 0
    public var cookieDecodeTooOld: UInt64 = 0
    public var cookieDecodeError: UInt64 = 0
    /// Server: requests with a good cookie but a forged or damaged authenticator.
    public var authenticatorFailures: UInt64 = 0
    /// Server: NTS NAKs sent.
    public var naksSent: UInt64 = 0
    /// NTS-KE served (good, bad) and run as a client (good, bad).
    public var keServeGood: UInt64 = 0
    public var keServeBad: UInt64 = 0
    public var keProbeGood: UInt64 = 0
    public var keProbeBad: UInt64 = 0

    public init() {}
}

/// One `server HOST nts` association's NTS state (for `associations`, `rv`, `show nts`).
public struct NTSAssociationState: Sendable, Equatable, Codable {
    public var host: String
    /// Cookies held (at most 8).
    public var cookies: Int
    /// Seconds since the last NTS-KE succeeded (nil: never).
    public var lastKE: Double?
    /// NTS-KE failures in a row (a NAK counts: it asks for a fresh KE).
    public var keFailures: Int
    /// The last problem of either kind: a KE failure or NAK, or "reply refused: …".
    public var lastFailure: String?
    /// Why the last KE failed (or the last NAK), and why the last refused reply was refused,
    /// each on its own (newer than ``lastFailure``: an older engine sends neither).
    public var lastKEFailure: String?
    public var lastRefusal: String?
    /// Responses accepted and refused (forged, not ours), NAKs received.
    public var accepted: UInt64
    public var refused: UInt64
    public var naks: UInt64
    /// Where NTP goes (from NTS-KE's server and port records, or the KE host).
    public var ntpServer: String?

    public init(host: String, cookies: Int = 0, lastKE: Double? = nil, keFailures: Int = 0, lastFailure: String? = nil,
                accepted: UInt64 = 0, refused: UInt64 = 0, naks: UInt64 = 0, ntpServer: String? = nil,
                lastKEFailure: String? = nil, lastRefusal: String? = nil) {
        self.host = host; self.cookies = cookies; self.lastKE = lastKE; self.keFailures = keFailures
        self.lastFailure = lastFailure; self.accepted = accepted; self.refused = refused; self.naks = naks
        self.ntpServer = ntpServer; self.lastKEFailure = lastKEFailure; self.lastRefusal = lastRefusal
    }
}

/// `show nts`: the settings, whether the server runs (and why not), its KE port and master
/// keys, the counters, and each NTS association's state.
public struct NTSReport: Sendable, Equatable, Codable {
    public var settings = NTSSettings()
    /// The NTS-KE server runs.
    public var serving = false
    /// Why it does not, when enabled.
    public var problem: String?
    /// The TCP port the KE server is bound to.
    public var kePort: UInt16?
    /// Cookie master keys kept, and the age of the newest, seconds.
    public var masterKeys = 0
    public var newestKeyAge: Double?
    /// KE connections now refused as busy, timed out.
    public var keRefusedBusy: UInt64 = 0
    public var keTimeouts: UInt64 = 0
    public var counters = NTSCounters()
    public var associations: [NTSAssociationState] = []
    /// What `server HOST nts` trusts when `nts ca` is not set, if not the system's store (a
    /// lab: its servers' certificates, made in memory).
    public var clientTrust: String?

    public init() {}
}

extension NTSCounters {
    /// NTPsec's mode 6 system variables for these counters (what `ntpq -c ntsinfo` reads), in
    /// its order.
    public var variables: [(name: String, value: UInt64)] {
        [
            ("nts_client_send", clientSend), ("nts_client_recv_good", clientReceiveGood),
            ("nts_client_recv_bad", clientReceiveBad), ("nts_server_recv_good", serverReceiveGood),
            ("nts_server_recv_bad", serverReceiveBad), ("nts_server_send", serverSend),
            ("nts_cookie_make", cookieMake), ("nts_cookie_decode", cookieDecode),
            ("nts_cookie_decode_old", cookieDecodeOld), ("nts_cookie_decode_old2", cookieDecodeOld2),
            ("nts_cookie_decode_older", cookieDecodeOlder), ("nts_cookie_decode_too_old", cookieDecodeTooOld),
            ("nts_cookie_decode_error", cookieDecodeError), ("nts_ke_probes_good", keProbeGood),
            ("nts_ke_probes_bad", keProbeBad), ("nts_ke_serves_good", keServeGood), ("nts_ke_serves_bad", keServeBad),
        ]
    }
}
