import NTPLab
import CommandGrammar
import Glibc
import NTPEngine
import NTPSimulation
import NTPWire
import Synchronization
import Testing
@testable import NTPShell
@testable import NTPControl

/// Issue 19: what ntpq's `:config` may run, replies over the protocol's limits, output filters
/// that cannot hang, included files that do not leak, and refusals that cost no snapshot.
@Suite struct ModeSixSecurityTests {
    /// A MAC that is a keyed sum: enough to sign and verify requests in a test (no OpenSSL here).
    struct SumMAC: MACProvider {
        func computeMAC(_ algorithm: MACAlgorithm, key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer,
                        into mac: UnsafeMutableRawBufferPointer) -> Bool {
            var sum: UInt8 = key.reduce(0, &+)
            for i in 0..<mac.count {
                for (j, b) in message.enumerated() where j % mac.count == i { sum = sum &* 31 &+ b }
                mac[i] = sum
            }
            return true
        }
    }

    static var keys: KeyStore {
        var keys = KeyStore(provider: SumMAC())
        keys.replaceKeys([SymmetricKey(id: 1, algorithm: .sha1, secret: Array("secret".utf8))], file: nil)
        keys.trusted = [1]
        keys.controlKey = 1
        return keys
    }

    static func signed(_ m: ControlMessage) -> [UInt8] {
        var padded = m.bytes
        while padded.count % 8 != 0 { padded.append(0) }
        return keys.sign(padded, keyID: 1)!
    }

    static func context(restrictions: [RestrictEntry] = [], configurable: Bool = true) -> ControlContext {
        var c = ControlResponderTests.context(source: SocketAddress("127.0.0.1", port: 40000)!)
        c.keys = keys
        c.acceptsConfiguration = configurable
        c.restrictions = { restrictions }
        return c
    }

    static func decoded(_ replies: [[UInt8]]) -> [ControlMessage] { replies.map { try! ControlMessage(decoding: $0) } }

    // MARK: :config is handed back, never run inside the responder

    @Test(":config is answered later: the responder hands the text back, and the reply is signed")
    func configurationIsDeferred() throws {
        let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.configure, sequence: 5,
                                     data: Array("restrict 192.0.2.0 mask 255.255.255.0 kod".utf8))
        let a = ControlResponder.answer(to: Self.signed(request), context: Self.context(), snapshot: ControlResponderTests.snapshot)
        #expect(a.replies.isEmpty)
        let pending = try #require(a.configuration)
        #expect(pending.text == "restrict 192.0.2.0 mask 255.255.255.0 kod")
        let replies = pending.replies("Config Succeeded")
        #expect(replies.count == 1)
        let m = try ControlMessage(decoding: replies[0])
        #expect(m.isResponse && m.sequence == 5 && String(decoding: m.data, as: UTF8.self) == "Config Succeeded")
        // Signed with the request's key: key id 1 after the data padded to 8 bytes.
        let end = (ControlMessage.headerSize + m.data.count + 7) & ~7
        #expect(Array(replies[0][end..<end + 4]) == [0, 0, 0, 1])
        // Refused without the key, or when the server takes no :config.
        let unsigned = ControlResponder.answer(to: request.bytes, context: Self.context(), snapshot: ControlResponderTests.snapshot)
        #expect(unsigned.configuration == nil && Self.decoded(unsigned.replies).first?.isError == true)
        let off = ControlResponder.answer(to: Self.signed(request), context: Self.context(configurable: false), snapshot: ControlResponderTests.snapshot)
        #expect(off.configuration == nil && Self.decoded(off.replies).first?.isError == true)
    }

    // MARK: Replies over 65,535 bytes (defect 3)

    /// On main, `UInt16(offset)` trapped past 65,535 bytes (the whole daemon died).
    @Test("a reply of any size is fragmented within the protocol's limits, never trapped on")
    func hugeRepliesAreCapped() throws {
        let header = ControlMessage(version: 2, isResponse: true, opcode: ControlMessage.Opcode.readVariables, sequence: 1)
        let replies = Self.decoded(ControlResponder.fragments(header, [UInt8](repeating: 65, count: 200_000), text: true))
        #expect(replies.count <= ControlResponder.maxFragments)
        var offset = 0
        for r in replies {
            #expect(Int(r.offset) == offset)
            offset += r.data.count
        }
        #expect(replies.last?.hasMore == false)

        // 2,000 restrict entries: reslist is cut at a whole entry, within what ntpq collects.
        let entries = (0..<2000).map { i in
            RestrictEntry(network: .v4(0x0A00_0000 | UInt32(i) << 8), prefixLength: 24, flags: [.kod, .limited, .nomodify])
        }
        let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readOrderedList, sequence: 2,
                                     data: Array("addr_restrictions".utf8))
        let a = ControlResponder.answer(to: Self.signed(request), context: Self.context(restrictions: entries),
                                        snapshot: ControlResponderTests.snapshot)
        let list = Self.decoded(a.replies)
        #expect(list.count <= ControlResponder.maxTextFragments)
        let pairs = ControlResponder.requestedPairs(Array(ControlResponderTests.reassembled(list).utf8))
        let shown = pairs.filter { $0.0.hasPrefix("addr.") }.count
        #expect(shown > 100 && shown < 2000)
        #expect(pairs.filter { $0.0.hasPrefix("flags.") }.count == shown, "no entry is cut in the middle")
        #expect(pairs.last?.0 == "truncated" && pairs.last?.1 == String(2000 - shown))

        // :config errors as long as you like: cut with a note.
        let config = ControlMessage(version: 2, opcode: ControlMessage.Opcode.configure, sequence: 3, data: Array("x".utf8))
        let pending = try #require(ControlResponder.answer(to: Self.signed(config), context: Self.context(),
                                                           snapshot: ControlResponderTests.snapshot).configuration)
        let long = Self.decoded(pending.replies(String(repeating: ":config:1:1: unknown command\n", count: 5000)))
        #expect(long.count <= ControlResponder.maxTextFragments)
        #expect(ControlResponderTests.reassembled(long).contains("more bytes cut"))
    }

    /// Fuzz: lists of every size from empty to 3,000 entries (IPv4 and IPv6), `:config` messages
    /// from empty to 70 KB of lines of any length: every reply decodes, fragments are contiguous
    /// and within the limits, and nothing traps.
    @Test("fuzz: random list sizes and :config messages stay within the reply limits")
    func fuzzReplySizes() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(n, 1)))
        }
        func check(_ replies: [[UInt8]], limit: Int) {
            let decoded = Self.decoded(replies)
            #expect(decoded.count >= 1 && decoded.count <= limit)
            var offset = 0
            for (i, r) in decoded.enumerated() {
                #expect(Int(r.offset) == offset && r.data.count <= ControlMessage.maxDataPerFragment)
                #expect(r.hasMore == (i < decoded.count - 1))
                offset += r.data.count
            }
        }
        for round in 0..<25 {
            let count = round == 0 ? 0 : next(3000)
            let entries = (0..<count).map { i in
                i % 3 == 0
                    ? RestrictEntry(network: IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + (0..<12).map { _ in UInt8(next(256)) })!,
                                    prefixLength: 128, flags: [.nomodify])
                    : RestrictEntry(network: .v4(UInt32(truncatingIfNeeded: next(Int(UInt32.max)))), prefixLength: 32, flags: [.kod, .limited])
            }
            let which = ["addr_restrictions", "ifstats", ""][next(3)]
            let request = ControlMessage(version: 2, opcode: ControlMessage.Opcode.readOrderedList, sequence: UInt16(round),
                                         data: Array(which.utf8))
            let a = ControlResponder.answer(to: Self.signed(request), context: Self.context(restrictions: entries),
                                            snapshot: ControlResponderTests.snapshot)
            check(a.replies, limit: ControlResponder.maxTextFragments)
            let config = ControlMessage(version: 2, opcode: ControlMessage.Opcode.configure, sequence: 1, data: Array("tos minclock 3".utf8))
            let pending = try #require(ControlResponder.answer(to: Self.signed(config), context: Self.context(),
                                                               snapshot: ControlResponderTests.snapshot).configuration)
            let letters = Array("abcdefgh")
            let message = String((0..<next(70_000)).map { _ in next(40) == 0 ? "\n" : letters[next(8)] })
            check(pending.replies(message), limit: ControlResponder.maxTextFragments)
            check(ControlResponder.fragments(request, [UInt8](repeating: 7, count: next(200_000)), text: next(2) == 0),
                  limit: ControlResponder.maxFragments)
        }
    }

    // MARK: Refusals that cost nothing

    @Test("READVAR from an unproven remote source is refused before any snapshot is taken")
    func refusalTakesNoSnapshot() {
        let snapshots = Mutex(0)
        for opcode in [ControlMessage.Opcode.readVariables, ControlMessage.Opcode.readStatus, ControlMessage.Opcode.readClock] {
            let request = ControlMessage(version: 2, opcode: opcode, sequence: 9).bytes
            let a = ControlResponder.answer(to: request, from: .v4(0xC000_0201), context: ControlResponderTests.context()) {
                snapshots.withLock { $0 += 1 }
                return ControlResponderTests.snapshot()
            }
            #expect(a.refusedAmplification)
            #expect(a.replies.count == 1 && a.replies[0].count <= request.count)
        }
        #expect(snapshots.withLock { $0 } == 0)
    }

    // MARK: What :config may run (defects 1 and 2)

    final class Touched: Sendable {
        let files = Mutex<[String]>([])
        func append(_ s: String) { files.withLock { $0.append(s) } }
        var isEmpty: Bool { files.withLock { $0.isEmpty } }
    }

    static func runner() -> (CommandRunner, Touched) {
        let runner = CommandRunner(admin: SimulationAdmin.lab(seed: 1))
        let touched = Touched()
        runner.writeFile = { path, _, _ in touched.append("write " + path) }
        runner.readFile = { path in touched.append("read " + path); return "server 192.0.2.1\n" }
        return (runner, touched)
    }

    /// On main the directive check matched the raw line: `write … | count` did not parse, so it
    /// was not refused, and the runner then ran `write` without the filter.
    @Test(":config refuses filters, commands that are not directives, and directives that name a file")
    func remoteConfigurationRunsDirectivesOnly() {
        let (runner, touched) = Self.runner()
        let refused = [
            ("write /tmp/ntpsh-victim | count", "output filters"),
            ("sleep 6 | count", "output filters"),
            ("step 5", "not a configuration directive"),
            ("write /tmp/ntpsh-victim", "not a configuration directive"),
            ("driftfile /tmp/ntpsh-victim", "names a file"),
            ("includefile /etc/shadow", "names a file"),
            ("keys /etc/ntpsec/ntp.keys", "names a file"),
            ("logfile /tmp/log", "names a file"),
            ("leapfile /tmp/leap", "names a file"),
            ("statsdir /tmp/", "names a file"),
            ("filegen loopstats file evil enable", "names a file"),
        ]
        for (line, why) in refused {
            let r = runner.runRemoteConfiguration(line)
            #expect(!r.ok, "\(line)")
            #expect(r.message.hasPrefix(":config:1:") && r.message.contains(why), "\(line): \(r.message)")
        }
        #expect(touched.isEmpty, "no file was read or written")
        #expect(runner.runRemoteConfiguration("restrict 192.0.2.0 mask 255.255.255.0 kod\nno driftfile\n").message == "Config Succeeded")
        #expect(runner.runRemoteConfiguration("mru maxdepth 100000000").message.contains("expected"))
    }

    /// Every directive with a path argument names a file: the grammar says so, not a list.
    @Test("the grammar marks every command with a FILE argument as naming a file")
    func namesFileComesFromTheGrammar() {
        let named = Set(NTPCommands.grammar.commands.filter(\.namesFile).map(\.id))
        #expect(named.isSuperset(of: ["driftfile", "includefile", "keys", "logfile", "leapfile", "statsdir", "filegen", "write"]))
        #expect(!named.contains("restrict") && !named.contains("server") && !named.contains("no-driftfile"))
    }

    // MARK: Included files do not leak (defect 2)

    /// On main each line that did not parse was echoed (`unknown command: "root:$6$…"`).
    @Test("errors about an included file name FILE:LINE:COL and what was expected, never its words")
    func includedFilesDoNotLeak() {
        let runner = CommandRunner(admin: SimulationAdmin.lab(seed: 1))
        let secret = "root:$6$SECRETSALT$SECRETHASH:19000:0:99999:7:::\nserver SECRET2 SECRET3\nrestrict SECRET4\n"
        runner.readFile = { _ in secret }
        let out = runner.run("includefile /etc/shadow")
        let error = out.error ?? ""
        #expect(error.contains("/etc/shadow:1:1: unknown command"))
        #expect(error.contains("/etc/shadow:2:"))
        #expect(error.contains("/etc/shadow:3:"))
        #expect(!error.contains("SECRET") && !error.contains("root"), "\(error)")
    }

    // MARK: Output filters in linear time (defect 4)

    /// On main the filter was a backtracking Regex: this pattern on a 28-word line took
    /// exponential time (the engine held the configuration lock meanwhile).
    @Test("| include with a catastrophic pattern answers at once")
    func filtersMatchInLinearTime() throws {
        let line = (0..<28).map { "w\($0)" }.joined(separator: " ")
        let text = String(repeating: line + "\n", count: 20)
        let start = OSClockForTests.now()
        let r = CommandRunner.applyFilter(#"include (\S+\s?)*!"#, to: text)
        #expect(try r.get() == "")
        #expect(OSClockForTests.now() - start < 30, "a blow-up guard: backtracking takes hours")
        #expect(try CommandRunner.applyFilter(#"include (\S+\s?)*w27$"#, to: text).get().split(separator: "\n").count == 20)
    }
}

/// Wall-clock seconds (monotonic) for bounds on how long something took.
enum OSClockForTests {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
