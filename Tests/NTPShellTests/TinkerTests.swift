import NTPLab
import NTPEngine
import NTPWire
import NTPSimulation
import Testing
@testable import NTPShell

/// `tinker` as ntpd reads it (numbers with exponents) and `tinker maxslewrate` down to the clock
/// driver.
@Suite struct TinkerTests {
    @Test("tinker step 1e-2 is read as ntpd reads it (the issue's example)")
    func stepWithExponent() {
        let admin = SimulationAdmin.lab(seed: 1)
        let runner = CommandRunner(admin: admin)
        #expect(runner.run("tinker step 1e-2").error == nil)
        #expect(admin.engineConfiguration().stepThreshold == Seconds(0.01))
        #expect(runner.run("tinker panic 1.e3 stepout .5e3").error == nil)
        #expect(admin.engineConfiguration().panicThreshold == Seconds(1000))
        #expect(admin.engineConfiguration().stepout == Seconds(500))
        let refused = runner.run("tinker step 1e").error ?? ""
        #expect(refused.contains("Expected an offset"), "\(refused)")
    }

    @Test("tinker maxslewrate sets the clock driver's slew rate; the running configuration keeps it")
    func maxSlewRate() throws {
        let admin = SimulationAdmin.lab(seed: 1)
        let runner = CommandRunner(admin: admin)
        #expect(admin.host.clock.maxSlewRate == KernelClockDriver.defaultMaxSlewRate)
        #expect(runner.run("tinker maxslewrate 500").error == nil)
        #expect(admin.engineConfiguration().maxSlewRate == PPM(500))
        #expect(admin.host.clock.maxSlewRate == PPM(500))
        #expect(runner.run("show running-config").text.contains("tinker maxslewrate 500"))
        // A 0.1 s slew now takes 200 s, as with ntpd's adjtime().
        #expect(try admin.host.engine.slew(by: Seconds(0.1)) == Seconds(200))
        #expect(runner.run("tinker maxslewrate 100000").error != nil)
        #expect(runner.run("tinker maxslewrate 0").error != nil)
    }
}
