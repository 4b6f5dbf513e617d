import Testing
@testable import NTPWire

@Suite struct KissCodeTests {
    @Test func everyCodeMapsToItsFourLetters() {
        let names = ["ACST", "AUTH", "AUTO", "BCST", "CRYP", "DENY", "DROP", "RSTR", "INIT", "MCST", "NKEY",
                     "NTSN", "RATE", "RMOT", "STEP"]
        #expect(KissCode.known.count == names.count)
        for (code, name) in zip(KissCode.known, names) {
            #expect(code.referenceID == ReferenceID(ascii: name))
            #expect(KissCode(ReferenceID(ascii: name)) == code)
            #expect(code.description == name)
        }
    }

    @Test func unknownCodesAreKept() {
        let x = KissCode(ReferenceID(ascii: "XYZW"))
        #expect(x == .other(ReferenceID(ascii: "XYZW")))
        #expect(x.referenceID == ReferenceID(ascii: "XYZW"))
    }

    @Test func headerKissCode() {
        var h = NTPHeader(mode: .server, stratum: 0, referenceID: ReferenceID(ascii: "RATE"))
        #expect(h.kissCode == .RATE)
        #expect(h.kissCode?.isActionable == true)
        h.referenceID = ReferenceID(rawValue: 0)  // a client request's stratum 0
        #expect(h.kissCode == nil)
        h.referenceID = ReferenceID(ipv4: 10, 1, 2, 3)  // not ASCII
        #expect(h.kissCode == nil)
        h.stratum = 1
        h.referenceID = ReferenceID(ascii: "GPS")
        #expect(h.kissCode == nil)
        h.stratum = 0
        #expect(h.kissCode == .other(ReferenceID(ascii: "GPS")))
        #expect(KissCode.INIT.isActionable == false)
    }
}
