// Temporary until NTPWire's layout scanner lands (branch `wire`).
enum NTPPacketLayout {
    static func scan(_ bytes: UnsafeRawBufferPointer) throws -> Int { bytes.count }
}
