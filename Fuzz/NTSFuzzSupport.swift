// Shared by the NTS fuzz targets (NTSFuzz.swift, NTSServerFuzz.swift; compiled into each by
// scripts/fuzz-nts.sh and scripts/fuzz-nts-server.sh): a fixed generator and the failed check.

#if canImport(Glibc)
import Glibc
#endif

/// A fixed generator: the fixture is the same on every run.
struct FixedRandom: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}

/// The fixed session keys of the fixtures (C2S 00 01 …, S2C ff fe …).
func fixedSession() -> NTSSessionKeys {
    try! NTSSessionKeys(c2s: NTSAEAD(algorithm: .aesSIVCMAC256, key: (0 ..< 32).map { UInt8($0) }),
                        s2c: NTSAEAD(algorithm: .aesSIVCMAC256, key: (0 ..< 32).map { UInt8(255 - $0) }))
}

func require(_ condition: Bool, _ message: String) {
    if !condition { fail(message) }
}

/// Writes the failed check to stderr and traps: libFuzzer keeps the input.
func fail(_ message: String) -> Never {
    let text = "NTS fuzz: check failed: \(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    fatalError()
}
