public import NTPEngine
import CNTPCrypto

/// The MACs of symmetric-key NTP through OpenSSL's libcrypto (CNTPCrypto): MD5, SHA-1, SHA-256
/// and SHA-512 as DIGEST(key ‖ message), AES-128/256-CMAC. libcrypto is what NTPsec's ntpd uses
/// for the same MACs, so both compute them with the same code.
public struct OpenSSLMAC: MACProvider {
    public init() {}

    public func computeMAC(_ algorithm: MACAlgorithm, key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer,
                           into mac: UnsafeMutableRawBufferPointer) -> Bool {
        let n = ntpsh_mac(algorithm.rawValue, key.baseAddress, key.count, message.baseAddress, message.count,
                          mac.baseAddress, mac.count)
        return n == mac.count
    }
}
