import Glibc
import NTPEngine
import NTPPlatform
import NTPShell
import NTPWire
import Synchronization
import Testing
@testable import NTPRuntime
@testable import NTPService

/// Issue 19: `:config` work never runs on the loop thread, and a client's output filter never
/// runs in the engine (under the configuration lock).
@Suite(.serialized) struct ModeSixConfigTests {
    /// A keyed sum standing in for a MAC (the daemon only needs the key store to agree with itself).
    struct SumMAC: MACProvider {
        func computeMAC(_ algorithm: MACAlgorithm, key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer,
                        into mac: UnsafeMutableRawBufferPointer) -> Bool {
            var sum: UInt8 = key.reduce(0, &+)
            for (j, b) in message.enumerated() { sum = sum &* 31 &+ b; mac[j % mac.count] ^= sum }
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

    static func receive(_ socket: UDPSocket, seconds: Double) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let deadline = OSClock.monotonicNanoseconds() + Int64(seconds * 1e9)
        while OSClock.monotonicNanoseconds() < deadline {
            guard try socket.waitReadable(timeoutMilliseconds: 50) else { continue }
            if let d = try buffer.withUnsafeMutableBytes({ b throws(SystemCallError) in try socket.receive(into: b) }) {
                return Array(buffer[0..<d.length])
            }
        }
        return nil
    }

    /// On main `:config` ran on the loop thread: `sleep 6 | count` stopped mode 3 service for
    /// 5.5 s. Here the configuration work blocks until the test lets it go; meanwhile the loop
    /// answers a client request, then sends the :config reply once the work is done.
    @Test(":config runs off the loop: mode 3 is answered while it runs; its reply follows from the loop")
    func configurationRunsOffTheLoop() throws {
        let probe = try UDPSocket(bindingTo: SocketAddress("127.0.0.1", port: 0)!)
        let port = probe.localAddress.port
        probe.close()
        var settings = DaemonSettings(port: port)
        settings.listen = [SocketAddress("127.0.0.1", port: port)!]
        let daemon = try Daemon(settings: settings, clock: ObserveClock(), log: Log(name: "test", quiet: true, journal: false))
        daemon.node.keys = Self.keys
        let release = Gate(), inside = Gate()
        let ranOnLoop = Mutex<Bool?>(nil)
        daemon.configure = { text in
            // onLoop from the loop thread runs directly; from elsewhere it is posted and waited for.
            let loopThread = daemon.onLoop { _ in pthread_self() }
            ranOnLoop.withLock { $0 = pthread_equal(loopThread, pthread_self()) != 0 }
            inside.open()
            _ = release.wait(seconds: 20)
            return (true, "Config Succeeded (\(text))")
        }
        try daemon.start()
        defer { daemon.stop() }

        let client = try UDPSocket(bindingTo: SocketAddress("127.0.0.1", port: 0)!)
        defer { client.close() }
        let server = SocketAddress("127.0.0.1", port: port)!
        var padded = ControlMessage(version: 2, opcode: ControlMessage.Opcode.configure, sequence: 11,
                                    data: Array("discard average 4".utf8)).bytes
        while padded.count % 8 != 0 { padded.append(0) }
        _ = try client.send(Self.keys.sign(padded, keyID: 1)!, to: server)
        #expect(inside.wait(seconds: 10), "the :config work started")
        #expect(ranOnLoop.withLock { $0 } == false, ":config work ran on the loop thread")

        var request = [UInt8](repeating: 0, count: 48)
        request[0] = 0x23  // NTPv4, mode 3
        request[40] = 0xAB
        _ = try client.send(request, to: server)
        let reply = try Self.receive(client, seconds: 5)
        #expect(reply?.count == 48 && reply.map { $0[0] & 7 } == 4, "mode 3 answered while :config runs")

        release.open()
        let config = try #require(try Self.receive(client, seconds: 10))
        let m = try ControlMessage(decoding: config)
        #expect(m.isResponse && m.opcode == ControlMessage.Opcode.configure && m.sequence == 11)
        #expect(String(decoding: m.data, as: UTF8.self) == "Config Succeeded (discard average 4)")
    }

    /// On main the keeper ran `show running-config | include REGEX` (a view: any user who may
    /// connect) with the filter, under its lock: a catastrophic pattern held it, and with it
    /// every configure, SIGHUP and SIGTERM.
    @Test("the keeper refuses output filters: the shell that asked applies them")
    func keeperRefusesFilters() throws {
        let daemon = try Daemon(settings: DaemonSettings(port: 0), clock: ObserveClock(), log: Log(name: "test", quiet: true, journal: false))
        let runner = CommandRunner(admin: LocalAdmin(daemon: daemon))
        _ = runner.loadConfiguration("server 127.127.1.0 iburst minpoll 4 maxpoll 6 prefer true noselect burst\n", path: "/dev/null")
        let keeper = ConfigurationKeeper(runner: runner, log: Log(name: "test", quiet: true, journal: false))
        let start = OSClock.monotonicNanoseconds()
        let out = keeper.run(#"show running-config | include (\S+\s?)*!"#, from: .option(1))
        #expect(Double(OSClock.monotonicNanoseconds() - start) / 1e9 < 30, "a blow-up guard: backtracking takes hours")
        #expect(out.error?.contains("output filters") == true, "\(out)")
        #expect(keeper.run("show running-config", from: .prompt).text.contains("server 127.127.1.0"))
    }
}
