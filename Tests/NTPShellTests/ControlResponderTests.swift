import NTPEngine
import NTPWire
import Synchronization
import Testing
@testable import NTPShell
@testable import NTPControl

@Suite struct ControlResponderTests {
    static func snapshot() -> ControlResponder.Snapshot {
        ControlResponder.Snapshot(
            system: Scenario.subject,
            peers: Scenario.peers.map { PeerVariableSubject(report: $0, now: Scenario.now) },
            events: Scenario.events)
    }

    static func ask(_ opcode: UInt8, assoc: UInt16 = 0, data: String = "", version: UInt8 = 2) -> [ControlMessage] {
        let request = ControlMessage(version: version, opcode: opcode, sequence: 7, associationID: assoc, data: Array(data.utf8))
        return ControlResponder.respond(to: request.bytes, snapshot: snapshot).map { bytes in
            #expect(bytes.count % 4 == 0)
            return try! ControlMessage(decoding: bytes)
        }
    }

    static func reassembled(_ replies: [ControlMessage]) -> String {
        var data: [UInt8] = []
        for r in replies {
            #expect(Int(r.offset) == data.count)
            data += r.data
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The daemon and `--lab --port` share this rule: a larger answer to an unproven, non-local
    /// source is a permission error no larger than the request; loopback gets the whole answer.
    @Test func noAmplificationToUnprovenSources() throws {
        let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readVariables, sequence: 9).bytes
        let remote = ControlResponder.answer(to: request, from: .v4(0xC000_0201), context: nil, snapshot: Self.snapshot)
        #expect(remote.refusedAmplification)
        #expect(remote.replies.count == 1 && remote.replies[0].count <= request.count)
        let error = try ControlMessage(decoding: remote.replies[0])
        #expect(error.isError && error.sequence == 9 && error.status >> 8 == UInt16(ControlMessage.ErrorCode.permission))
        let local = ControlResponder.answer(to: request, from: .v4(0x7F00_0001), context: nil, snapshot: Self.snapshot)
        #expect(!local.refusedAmplification)
        #expect(local.replies.reduce(0) { $0 + $1.count } > request.count)
        #expect(Self.reassembled(local.replies.map { try! ControlMessage(decoding: $0) }).contains("stratum="))
    }

    @Test func readStatusListsAssociations() {
        let replies = Self.ask(ControlMessage.Opcode.readStatus)
        #expect(replies.count == 1)
        let r = replies[0]
        #expect(r.isResponse && !r.isError && !r.hasMore && r.sequence == 7 && r.version == 2)
        #expect(r.status == SystemStatusWord(Scenario.system, events: EventTally.system(Scenario.events)).rawValue)
        #expect(r.data.count == 4 * Scenario.peers.count)
        let first = Scenario.peers[0]
        let word = PeerStatusWord(first, events: EventTally.peer(first.id, Scenario.events)).rawValue
        #expect(Array(r.data[0..<4]) == [UInt8(first.id.rawValue >> 8), UInt8(first.id.rawValue & 0xFF), UInt8(word >> 8), UInt8(word & 0xFF)])
    }

    @Test("an NTS association's status word: authentication enabled, authentic once a checked reply came; ntpq's auth column ok")
    func ntsStatusWord() throws {
        var p = try #require(Scenario.peers.first)
        p.keyID = nil
        p.ntsKEPort = 4460
        p.authenticated = false
        var word = PeerStatusWord(p)
        #expect(word.statusBits & 0x60 == 0x40 && word.auth == "bad")
        p.authenticated = true
        word = PeerStatusWord(p)
        #expect(word.statusBits & 0x60 == 0x60 && word.auth == "ok ")
        p.ntsKEPort = nil
        #expect(PeerStatusWord(p).auth == "none")
    }

    @Test func readVariablesSystemDefaults() {
        let replies = Self.ask(ControlMessage.Opcode.readVariables)
        let text = Self.reassembled(replies)
        let expected = SystemVariableTable.values(Scenario.subject).values.map { "\($0.0)=\($0.1)" }
        #expect(text.hasSuffix("\r\n"))
        // Line breaks replace the blank after a comma; the text ends with one. ("\r\n" is one
        // Character in Swift: work on scalars.)
        var scalars = Array(text.unicodeScalars)
        #expect(scalars.suffix(2) == ["\r", "\n"])
        scalars.removeLast(2)
        let flat = String(String.UnicodeScalarView(scalars.filter { $0 != "\r" }.map { $0 == "\n" ? " " : $0 }))
        #expect(flat == expected.joined(separator: ", "))
        #expect(text.unicodeScalars.contains("\n"))
        for line in text.unicodeScalars.split(separator: "\n") { #expect(line.count <= 73) }  // 72 + the \r
        #expect(replies.allSatisfy { $0.data.count <= 468 })
    }

    @Test func readVariablesNamed() {
        let text = Self.reassembled(Self.ask(ControlMessage.Opcode.readVariables, data: "stratum, rootdisp= ,leap"))
        #expect(text == "stratum=\(Scenario.system.variables.stratum), rootdisp=\(SystemVariableTable.values(Scenario.subject, names: ["rootdisp"]).values[0].1), leap=0\r\n")
    }

    @Test func readVariablesPeer() {
        let p = Scenario.peers[1]
        let replies = Self.ask(ControlMessage.Opcode.readVariables, assoc: p.id.rawValue)
        #expect(replies[0].associationID == p.id.rawValue)
        #expect(replies[0].status == PeerStatusWord(p, events: EventTally.peer(p.id, Scenario.events)).rawValue)
        let text = Self.reassembled(replies)
        #expect(text.hasPrefix("srcadr=127.127.1.0, srcport=123"))
        #expect(text.contains("stratum=10"))
    }

    @Test func longRepliesAreFragmented() {
        let replies = Self.ask(ControlMessage.Opcode.readVariables, assoc: Scenario.peers[0].id.rawValue)
        #expect(replies.count >= 2)
        #expect(replies.dropLast().allSatisfy { $0.hasMore && $0.data.count == 468 })
        #expect(!replies.last!.hasMore)
        #expect(Self.reassembled(replies).contains("filtdisp="))
    }

    @Test func errors() {
        let unknownAssoc = Self.ask(ControlMessage.Opcode.readVariables, assoc: 999)
        #expect(unknownAssoc.count == 1 && unknownAssoc[0].isError && unknownAssoc[0].status == 4 << 8)
        let unknownVar = Self.ask(ControlMessage.Opcode.readVariables, data: "nosuchvar")
        #expect(unknownVar[0].isError && unknownVar[0].status == 5 << 8 && unknownVar[0].data.isEmpty)
        let badOp = Self.ask(17)
        #expect(badOp[0].isError && badOp[0].status == 3 << 8 && badOp[0].opcode == 17)
        let write = Self.ask(ControlMessage.Opcode.writeVariables, data: "leap=1")
        #expect(write[0].isError && write[0].status == 1 << 8)
    }

    @Test func neverAnswered() {
        var response = ControlMessage(isResponse: true, opcode: 1)
        #expect(ControlResponder.respond(to: response.bytes, snapshot: Self.snapshot).isEmpty)
        response = ControlMessage(hasMore: true, opcode: 1)
        #expect(ControlResponder.respond(to: response.bytes, snapshot: Self.snapshot).isEmpty)
        response = ControlMessage(opcode: 1, offset: 4)
        #expect(ControlResponder.respond(to: response.bytes, snapshot: Self.snapshot).isEmpty)
        #expect(Self.ask(1, version: 0).isEmpty && Self.ask(1, version: 5).isEmpty)
        var mode7 = ControlMessage(opcode: 1).bytes
        mode7[0] = 0x17
        #expect(ControlResponder.respond(to: mode7, snapshot: Self.snapshot).isEmpty)
        #expect(ControlResponder.respond(to: [0x16, 0x01], snapshot: Self.snapshot).isEmpty)
    }

    // MARK: Nonce, READ_MRU, statistics

    static let client = SocketAddress("192.0.2.77", port: 40123)!

    static func context(at time: UnixTime = Scenario.now, source: SocketAddress = client, restrict: RestrictFlags = [],
                        entries: [MRUEntry] = mruEntries) -> ControlContext {
        ControlContext(
            source: source, restrict: restrict, receiveTime: time, nonceKey: 42,
            statistics: { StatisticsSubject(server: ServerCounters(), uptime: 100, monitor: MRUList().report(at: time)) },
            mru: MRUSource(entries))
    }

    /// Twenty clients, oldest first, one a second up to now.
    static let mruEntries: [MRUEntry] = (0..<20).map { i in
        let last = Scenario.now.adding(seconds: Double(i - 20))
        return MRUEntry(source: SocketAddress(ip: .v4(0xC000_0200 | UInt32(i + 1)), port: UInt16(1000 + i)),
                        first: last.adding(seconds: -60), last: last, count: UInt64(i + 1), mode: 3, version: 4,
                        flags: i == 5 ? [.limited, .kod] : [])
    }

    static func pairs(_ answer: ControlResponder.Answer) -> [(String, String)] {
        let text = reassembled(answer.replies.map { try! ControlMessage(decoding: $0) })
        return ControlResponder.requestedPairs(Array(text.utf8))
    }

    static func mru(_ data: String, context c: ControlContext = context()) -> ControlResponder.Answer {
        let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readMRU, sequence: 3, data: Array(data.utf8))
        return ControlResponder.answer(to: request.bytes, context: c, snapshot: snapshot)
    }

    @Test func nonceHandshakeThenMRUList() throws {
        let nonceRequest = ControlMessage(version: 2, opcode: ControlMessage.Opcode.requestNonce, sequence: 1)
        let a = ControlResponder.answer(to: nonceRequest.bytes, context: Self.context(), snapshot: Self.snapshot)
        #expect(a.isNonce && !a.proven)
        let nonce = try #require(Self.pairs(a).first { $0.0 == "nonce" }?.1)
        #expect(nonce.count == 24)
        // The same nonce from another address, or too late, gets nothing.
        let other = SocketAddress("192.0.2.78", port: 40123)!
        #expect(Self.mru("nonce=\(nonce), frags=32", context: Self.context(source: other)).replies.isEmpty)
        #expect(Self.mru("nonce=\(nonce), frags=32", context: Self.context(at: Scenario.now.adding(seconds: 17))).replies.isEmpty)
        #expect(Self.mru("frags=32").replies.isEmpty)
        // The whole list, oldest first, in one answer.
        let all = Self.mru("nonce=\(nonce), frags=32")
        #expect(all.proven)
        let p = Self.pairs(all)
        #expect(p.first?.0 == "nonce")
        #expect(p.filter { $0.0.hasPrefix("addr.") }.map(\.1) == Self.mruEntries.map(\.source.description))
        #expect(p.contains { $0.0 == "ct.19" && $0.1 == "20" })
        #expect(p.contains { $0.0 == "mv.0" && $0.1 == "35" })
        #expect(p.contains { $0.0 == "rs.5" && $0.1 == "0x420" })
        #expect(p.contains { $0.0 == "now" })
        #expect(p.last?.0 == "last.newest")
        // Paging: after entry 9 (unchanged), the rest; an unknown starting point is refused.
        let e9 = Self.mruEntries[9]
        let last9 = "0x" + String(NTPTimestamp(e9.last).rawValue >> 32, radix: 16) + "." + String(format8(UInt32(truncatingIfNeeded: NTPTimestamp(e9.last).rawValue)))
        let page = Self.pairs(Self.mru("nonce=\(nonce), limit=5, addr.0=\(e9.source), last.0=\(last9)"))
        #expect(page.contains { $0.0 == "addr.older" && $0.1 == e9.source.description })
        #expect(page.filter { $0.0.hasPrefix("addr.") && $0.0 != "addr.older" }.map(\.1) == Self.mruEntries[10..<15].map(\.source.description))
        #expect(!page.contains { $0.0 == "now" })
        let stale = Self.mru("nonce=\(nonce), limit=5, addr.0=\(e9.source), last.0=0x00000001.00000000")
        #expect(try ControlMessage(decoding: stale.replies[0]).isError)
        // Filters: mincount, resany (ntpd's RES_KOD).
        let busy = Self.pairs(Self.mru("nonce=\(nonce), frags=32, mincount=18"))
        #expect(busy.filter { $0.0.hasPrefix("addr.") }.count == 3)
        let kissed = Self.pairs(Self.mru("nonce=\(nonce), frags=32, resany=0x400"))
        #expect(kissed.filter { $0.0.hasPrefix("addr.") }.map(\.1) == [Self.mruEntries[5].source.description])
        // nomrulist refuses.
        let refused = Self.mru("nonce=\(nonce), frags=32", context: Self.context(restrict: [.nomrulist]))
        let r = try ControlMessage(decoding: refused.replies[0])
        #expect(r.isError && r.status >> 8 == UInt16(ControlMessage.ErrorCode.permission))
    }

    @Test func frameLimitsHoldForLongLists() {
        let many: [MRUEntry] = (0..<2000).map { i in
            MRUEntry(source: SocketAddress(ip: .v4(0x0A00_0000 | UInt32(i)), port: 123), first: Scenario.now, last: Scenario.now,
                     count: 1, mode: 3, version: 4)
        }
        let c = Self.context(entries: many)
        let nonce = c.nonce()
        let a = Self.mru("nonce=\(nonce), frags=4", context: c)
        #expect(a.replies.count <= 4)
        #expect(!Self.pairs(a).contains { $0.0 == "now" })
        #expect(Self.mru("nonce=\(nonce), frags=500", context: c).replies.count == 1, "frags beyond 128: bad value")
    }

    /// Filters that match almost nothing: each request examines a bounded number of entries
    /// and ends its page (no now=) with the last one examined, which ntpq sends back as where
    /// to go on; the pages reach the end of the list.
    @Test func readMRUExaminesABoundedNumberPerRequest() throws {
        let many: [MRUEntry] = (0..<10_000).map { i in
            MRUEntry(source: SocketAddress(ip: .v4(0x0A00_0000 | UInt32(i)), port: 123), first: Scenario.now, last: Scenario.now,
                     count: i == 9_000 ? 50 : 1, mode: 3, version: 4)
        }
        var c = Self.context(entries: many)
        let examined = Mutex(0)
        let walk = c.mru.walk
        c.mru.walk = { after, skip, body in walk(after, skip) { e in examined.withLock { $0 += 1 }; return body(e) } }
        var resume = ""
        var matched: [String] = []
        var complete = false
        for _ in 0..<10 where !complete {
            examined.withLock { $0 = 0 }
            let p = Self.pairs(Self.mru("nonce=\(c.nonce()), frags=32, mincount=10" + resume, context: c))
            #expect(examined.withLock { $0 } <= ControlResponder.mruExamineLimit + 1)
            complete = p.contains { $0.0 == "now" }
            let addresses = p.filter { $0.0.hasPrefix("addr.") && $0.0 != "addr.older" }
            let counts = p.filter { $0.0.hasPrefix("ct.") }.map(\.1)
            matched += zip(addresses, counts).filter { $0.1 == "50" }.map(\.0.1)
            guard let newest = addresses.last, let last = p.first(where: { $0.0 == "last." + newest.0.dropFirst(5) }) else { continue }
            resume = ", addr.0=\(newest.1), last.0=\(last.1)"
        }
        #expect(complete, "the pages reach the end of the list")
        #expect(matched == [many[9_000].source.description])
    }

    @Test func statisticsOverReadvar() {
        let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readVariables, sequence: 9,
                                     data: Array("ss_uptime, ss_kodsent_r, mru_maxdepth, stratum".utf8))
        let a = ControlResponder.answer(to: request.bytes, context: Self.context(), snapshot: Self.snapshot)
        let p = Self.pairs(a).map { "\($0.0)=\($0.1)" }
        #expect(p == ["ss_uptime=100", "ss_kodsent_r=0", "mru_maxdepth=\(MonitorSettings().maxDepth)", "stratum=3"])
        let unknown = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readVariables, data: Array("nosuch".utf8))
        let e = try! ControlMessage(decoding: ControlResponder.answer(to: unknown.bytes, context: Self.context(), snapshot: Self.snapshot).replies[0])
        #expect(e.isError)
        // The refusal for amplification is no larger than the request.
        let refusal = ControlResponder.refusal(for: request.bytes)!
        #expect(refusal.count <= request.bytes.count)
        #expect(try! ControlMessage(decoding: refusal).isError)
    }
}

extension ControlResponderTests {
    /// Random and half-valid requests (every opcode, random association ids, READ_MRU with a
    /// valid nonce and random parameters): never a trap, every reply a well-formed response
    /// within the fragment limits, nothing answered without a valid nonce for READ_MRU.
    @Test func randomRequestsAreAnsweredSafely() throws {
        var rng = SystemRandomNumberGenerator()
        let c = Self.context()
        let nonce = c.nonce()
        let words = ["nonce=\(nonce)", "frags=", "limit=", "mincount=", "resall=0x", "resany=0x", "laddr=", "recent=",
                     "addr.0=", "last.0=0x", "addr.15=", "last.16=", "maxlstint=", "minscore=", "junk", "=", ",,", "nonce="]
        for i in 0..<20_000 {
            var m = ControlMessage(version: UInt8.random(in: 0...7, using: &rng), opcode: UInt8.random(in: 0...31, using: &rng),
                                   sequence: UInt16(truncatingIfNeeded: i), associationID: UInt16.random(in: 0...4, using: &rng))
            if i % 2 == 0 {
                m.opcode = ControlMessage.Opcode.readMRU
                m.version = 2
                let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
                    words.randomElement(using: &rng)! + (Int.random(in: 0...9, using: &rng) == 0
                        ? String([Int.min, Int.max, Int.min + 1, -1].randomElement(using: &rng)!)
                        : String(Int.random(in: -5...70_000, using: &rng)))
                }.joined(separator: ", ")
                m.data = Array(text.utf8)
            } else {
                m.data = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            var bytes = m.bytes
            if i % 7 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))) }
            let a = ControlResponder.answer(to: bytes, context: c, snapshot: Self.snapshot)
            #expect(a.replies.count <= 129)
            for r in a.replies {
                let reply = try ControlMessage(decoding: r)
                #expect(reply.isResponse && reply.data.count <= ControlMessage.maxDataPerFragment)
            }
            if m.opcode == ControlMessage.Opcode.readMRU && !m.data.starts(with: Array("nonce=\(nonce)".utf8)) && !bytes.isEmpty {
                #expect(a.replies.isEmpty || !a.proven || String(decoding: m.data, as: UTF8.self).contains("nonce=\(nonce)"))
            }
        }
    }
}

private func format8(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
