// Text files the engine and the shell read line by line (ntp.conf, included files, the keys file).

extension StringProtocol {
    /// The lines of a configuration or keys file: split at LF and at CRLF (a file edited on
    /// Windows), the count matching what an editor shows, so FILE:LINE stays right.
    public var configurationLines: [SubSequence] {
        split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }
}
