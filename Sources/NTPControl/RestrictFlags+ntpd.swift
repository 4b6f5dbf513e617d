public import NTPEngine

// ntpd's RES_* bits: how mode 6 carries a restriction (mrulist's `rs.N`, `resall`/`resany`).
extension RestrictFlags {
    /// ntpd's RES_* bits, as mode 6 carries them (`rs.N` of mrulist, `resall`/`resany`).
    static let ntpdBits: [(RestrictFlags, UInt16)] = [
        (.ignore, 0x0001), (.noserve, 0x0002), (.notrust, 0x0004), (.version, 0x0008), (.nopeer, 0x0010),
        (.limited, 0x0020), (.noquery, 0x0040), (.nomodify, 0x0080), (.notrap, 0x0100), (.lowpriotrap, 0x0200),
        (.kod, 0x0400), (.nomrulist, 0x2000),
    ]

    /// The flags as ntpd's RES_* bits.
    public var ntpdValue: UInt16 {
        Self.ntpdBits.reduce(0) { contains($1.0) ? $0 | $1.1 : $0 }
    }

    /// The flags from ntpd's RES_* bits (unknown bits ignored).
    public init(ntpdValue: UInt16) {
        self = Self.ntpdBits.reduce(into: RestrictFlags()) { if ntpdValue & $1.1 != 0 { $0.insert($1.0) } }
    }
}
