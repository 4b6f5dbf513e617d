// Owns what NTPHeader says about kiss-o'-death packets (RFC 5905 §7.4): the kiss code, when it is one.

extension NTPHeader {
    /// The kiss code, if this is a kiss-o'-death packet: stratum 0 with a reference ID of one
    /// to four printable ASCII characters (RFC 5905 §7.4). A client request with stratum 0
    /// and a zero reference ID has none.
    public var kissCode: KissCode? {
        guard stratum == 0, referenceID.rawValue != 0, referenceID.asciiText != nil else { return nil }
        return KissCode(referenceID)
    }
}
