import NTPPlatform
import Testing

/// `-u USER[:GROUP]` resolution; the drop itself runs in the daemon (EndToEndTests), never in
/// the test process.
@Suite("-u USER[:GROUP]: resolution")
struct PrivilegeDropTests {
    @Test("names and numbers, the user's primary group by default, an explicit group")
    func resolves() throws {
        let root = try RunAsUser.resolve("root")
        #expect(root.uid == 0 && root.gid == 0 && root.groupName == "root")
        let nobody = try RunAsUser.resolve("nobody")
        #expect(nobody.uid == 65534 && nobody.userName == "nobody")
        let numeric = try RunAsUser.resolve("65534:0")
        #expect(numeric.userName == "nobody" && numeric.gid == 0 && numeric.groupName == "root")
        let named = try RunAsUser.resolve("nobody:nogroup")
        #expect(named.gid == 65534 && named.groupName == "nogroup")
    }

    @Test("unknown users and groups and malformed specs are refused with a message naming them")
    func refuses() {
        for (spec, says) in [("no-such-user-x", "no such user no-such-user-x"), ("nobody:no-such-group-x", "no such group no-such-group-x"),
                             ("", "expected USER"), (":root", "expected USER"), ("nobody:", "expected a group")] {
            do {
                _ = try RunAsUser.resolve(spec)
                Issue.record("\(spec) accepted")
            } catch {
                #expect(error.description.contains(says), "\(spec): \(error)")
            }
        }
    }

    @Test("the capability mask the test process holds is readable (capget)")
    func capabilitiesReadable() {
        #expect(RunAsUser.effectiveCapabilities() != nil)
    }
}
