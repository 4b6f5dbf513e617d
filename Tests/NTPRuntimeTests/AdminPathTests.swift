import NTPAdmin
import NTPEngine
import NTPWire
import Testing
@testable import NTPRuntime
@testable import NTPShell

/// The in-process path carries the same requests as the socket: changes made through
/// `LocalAdmin.perform` and through the control socket's generic handler (over another
/// daemon's LocalAdmin) leave the two daemons' nodes alike.
@Suite struct AdminPathTests {
    @Test("a change in-process and the same change over the socket: the same node afterwards")
    func inProcessAndSocketAgree() throws {
        let local = LocalAdmin(daemon: try LoopOwnershipTests.daemon())
        let served = LocalAdmin(daemon: try LoopOwnershipTests.daemon())
        let runner = CommandRunner(admin: served)
        let session = ControlSession(admin: served, readsOnly: CommandRunner.isView) { line, origin in runner.run(line, from: origin) }
        var monitor = MonitorSettings()
        monitor.minAge = 128
        var configuration = EngineConfiguration()
        configuration.stepThreshold = Seconds(0.5)
        let changes: [AdminChange] = [
            .addAssociation(AssociationConfiguration(kind: .server, host: "127.127.1.0")), .setLocalClockStratum(7),
            .setEngineConfiguration(configuration), .setMonitorSettings(monitor),
            .setRestriction(RestrictEntry(network: .v4(0x0A00_0000), prefixLength: 8, flags: [.noquery])),
            .setKeys([SymmetricKey(id: 3, algorithm: .md5, secret: Array("k".utf8))], file: nil), .setTrusted([3], trusted: true),
            .setControlKey(3),
        ]
        for (n, change) in changes.enumerated() {
            let request = AdminRequest.change(change)
            let here = try local.perform(request)
            let frame = ControlProtocol.encode(WireRequest(id: UInt64(n), request: request))
            let there = try WireAnswer.read(try ControlCalls.answer(request: frame, session: session, privileged: true).get(),
                                            answering: request).get().get()
            #expect(ControlProtocol.encode(WireAnswer(id: 0, request: request, answer: here))
                    == ControlProtocol.encode(WireAnswer(id: 0, request: request, answer: there)), "\(request.call)")
        }
        #expect(local.engineConfiguration() == served.engineConfiguration())
        #expect(local.engineConfiguration().stepThreshold == Seconds(0.5))
        #expect(local.restrictions() == served.restrictions() && local.restrictions().contains { $0.flags == [.noquery] })
        #expect(local.monitorSettings() == served.monitorSettings() && served.monitorSettings().minAge == 128)
        #expect(local.peerReports().map(\.host) == served.peerReports().map(\.host) && served.peerReports().count == 1)
        let keys = served.keyStore()
        #expect(keys.trusted == [3] && keys.controlKey == 3 && keys.keys[3] != nil)
        #expect(local.removeAssociations(host: "127.127.1.0") == 1 && local.peerReports().isEmpty)
    }
}
