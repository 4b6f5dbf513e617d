import Foundation
import Testing

/// Owns the proof that units at the module boundaries are checked by the compiler: a
/// frequency passed where the clock wants an offset (or an offset where it wants a
/// frequency, or a bare number) does not type-check against the built modules, while the
/// same calls with the right units do.
@Suite struct UnitsCompileTests {
    /// The built modules beside the test bundle (`.build/debug/Modules`).
    static var modules: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Modules").path
    }

    static func typecheck(_ body: String) throws -> Finished {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ntpsh-units-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("snippet.swift")
        try "import NTPEngine\nimport NTPAdmin\nimport NTPWire\n\(body)\n".write(to: file, atomically: true, encoding: .utf8)
        return try run("/usr/bin/env", ["swiftc", "-typecheck", "-I", modules, file.path], timeout: 120)
    }

    @Test func rightUnitsCompile() throws {
        #expect(FileManager.default.fileExists(atPath: Self.modules + "/NTPEngine.swiftmodule"), "no modules at \(Self.modules)")
        let ok = try Self.typecheck("""
        func f(_ clock: any ClockDriver, drift: PPM, offset: Seconds) throws {
            try clock.setFrequency(drift); try clock.step(by: offset)
            _ = try clock.slew(by: offset, over: Seconds(16)) + offset
            var c = EngineConfiguration(); c.maxSlewRate = PPM(500); c.stepThreshold = Seconds(0.128)
            _ = AdminChange.step(by: offset)
        }
        """)
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test(arguments: [
        ("try clock.step(by: drift)", "'PPM' to expected argument type 'Seconds'"),
        ("try clock.setFrequency(offset)", "'Seconds' to expected argument type 'PPM'"),
        ("try clock.step(by: 0.5)", "to expected argument type 'Seconds'"),
        ("var c = EngineConfiguration(); c.maxSlewRate = offset", "'Seconds' to type 'PPM"),
        ("_ = AdminChange.slew(by: drift)", "'PPM' to expected argument type 'Seconds'"),
        ("_ = drift + offset", "binary operator '+' cannot be applied"),
    ])
    func wrongUnitsDoNotCompile(line: String, error: String) throws {
        let bad = try Self.typecheck("""
        func f(_ clock: any ClockDriver, drift: PPM, offset: Seconds) throws {
            \(line)
        }
        """)
        #expect(bad.status != 0, "\(line) compiled")
        #expect(bad.stderr.contains(error), "\(line): \(bad.stderr)")
    }
}
