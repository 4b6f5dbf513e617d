/// Why bytes are not a valid NTP packet, or why a packet value cannot be encoded so that it
/// decodes back to itself.
public enum NTPWireError: Error, Hashable, Sendable {
    /// Fewer bytes than the header (or a fixed part) needs.
    case truncated(length: Int, needed: Int)
    /// A version number outside 1…4.
    case unsupportedVersion(UInt8)
    /// An extension field whose length is too small, not a multiple of 4, or runs past the end.
    case badExtensionField(offset: Int)
    /// Trailing bytes that are neither extension fields nor a MAC of a known size.
    case badTrailer(offset: Int, length: Int)
    /// Encoding: extension fields exist only in NTPv4 packets.
    case extensionFieldsNeedVersion4(version: UInt8)
    /// Encoding: the last extension field plus the trailer after it is shorter than 28
    /// bytes, so a receiver would read it as (part of) a MAC (RFC 7822 §7.5).
    case lastExtensionFieldTooShort(length: Int)
    /// Encoding: a MAC digest that is neither 16 (MD5, AES-CMAC) nor 20 (SHA-1) bytes.
    case badDigestLength(Int)
    /// A control message decoder was given a packet whose mode is not 6.
    case notControl(mode: UInt8)
}
