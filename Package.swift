// swift-tools-version: 6.0
// ntpsh: an NTP engine and its administration shell in one program.
// Targets point down only: ntpsh → NTPLab → NTPShell → NTPAdmin → NTPEngine → NTPWire;
// ntpsh → NTPService → NTPShell, NTPRuntime; NTPShell → NTPControl → NTPAdmin; NTPRuntime →
// NTPControl, NTPPlatform → NTPEngine (NTPRuntime imports no shell); NTPSimulation → NTPEngine
// and NTPNTS (no shell, no OS); NTPNTSNetwork → NTPNTS, NTPPlatform; NTPShell → CommandGrammar → NTPWire (addresses only); NTPMetrics → NTPControl.
// README's layout section lists every arrow; Docs/architecture.md draws them.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ntpsh",
    products: [
        .executable(name: "ntpsh", targets: ["ntpsh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // Packet codec and NTP's value types. Pure, no Foundation, no I/O.
        .target(name: "NTPWire", swiftSettings: strict),
        // Sans-IO core: time and randomness are parameters; it returns actions.
        .target(name: "NTPEngine", dependencies: ["NTPWire"], swiftSettings: strict),
        // OpenSSL's libcrypto behind prefixed functions: the MACs of symmetric-key NTP, NTS's AES-SIV.
        .target(name: "CNTPCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        // The engine's MACProvider over CNTPCrypto (the engine core links no crypto library).
        .target(name: "NTPCrypto", dependencies: ["NTPEngine", "CNTPCrypto"], swiftSettings: strict),
        // OpenSSL 3's libssl for NTS-KE: TLS 1.3, ALPN ntske/1, key export.
        .target(name: "CNTPTLS", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // Network Time Security without I/O: AEAD, cookies and their master keys, the server's
        // request processing, the client's cookie jar and checks, NTS-KE's records and key export
        // (over TCP below, or over memory for the labs). Never imported by the engine core.
        .target(name: "NTPNTS", dependencies: ["NTPWire", "CNTPCrypto", "CNTPTLS"], swiftSettings: strict),
        // NTS over the OS: the NTS-KE client and server on TCP sockets, the cookie key file.
        .target(name: "NTPNTSNetwork", dependencies: ["NTPNTS", "NTPWire", "NTPPlatform", "CNTPTLS"], swiftSettings: strict),
        // C shim: the Linux calls Swift's Glibc module lacks (timex, mmsghdr, CMSG helpers, capabilities, libseccomp).
        .target(name: "CNTPPlatform", linkerSettings: [.linkedLibrary("seccomp")]),
        // The only place that talks to the OS: clocks, sockets, files.
        .target(
            name: "NTPPlatform",
            dependencies: [
                "NTPWire", "NTPEngine", "CNTPPlatform",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        // The mode 6 (ntpq) responder, its variable tables and status words, and the statistics
        // files' formats: below the shell, so the daemon serves ntpq without the command table.
        .target(name: "NTPControl", dependencies: ["NTPEngine", "NTPWire", "NTPAdmin"], swiftSettings: strict),
        // The engine's reports as Prometheus's text exposition format (/metrics, `show metrics`);
        // the selection states by NTPControl's names (those ntpq shows).
        .target(name: "NTPMetrics", dependencies: ["NTPEngine", "NTPAdmin", "NTPControl"], swiftSettings: strict),
        // The admin contract as data: requests, answers, the one dispatcher over a node's parts,
        // AdminAPI (the typed calls over them) and the control socket's codec.
        .target(name: "NTPAdmin", dependencies: ["NTPEngine", "NTPWire"], swiftSettings: strict),
        // The engine in virtual time: clocks, links, the scheduler, the engine as a host. No shell.
        .target(name: "NTPSimulation", dependencies: ["NTPEngine", "NTPNTS"], swiftSettings: strict),
        // Generic command grammar: typed tokens, matcher, completion, help. Knows no NTP word.
        // It imports NTPWire (internally, not in its API) for one thing: `IPAddress.parse(numeric:)`,
        // so a word the grammar accepts as an address is exactly one the engine accepts. NTPWire
        // is pure and depends on nothing, so the grammar still links no engine, I/O or Foundation;
        // a separate address module would be a third home for one type that belongs with the
        // wire's value types.
        .target(name: "CommandGrammar", dependencies: ["NTPWire"], swiftSettings: strict),
        // The shell's commands as declarations (one file per topic) and their runner; the views
        // (report structs to text and JSON). Knows no lab.
        .target(name: "NTPShell", dependencies: ["NTPWire", "NTPEngine", "NTPAdmin", "NTPControl", "NTPMetrics", "CommandGrammar"], swiftSettings: strict),
        // The labs: a simulated world behind AdminAPI and LabControl, the lab commands, scenarios
        // and teacher, and the whole command table (`ntpsh` and the tests run it).
        .target(name: "NTPLab", dependencies: ["NTPEngine", "NTPAdmin", "NTPControl", "NTPShell", "NTPSimulation"], swiftSettings: strict),
        // Runs the engine for real: one event-loop thread, sockets, timers, the clock. No shell.
        .target(name: "NTPRuntime", dependencies: ["NTPWire", "NTPEngine", "NTPAdmin", "NTPControl", "NTPPlatform", "NTPCrypto", "NTPMetrics", "NTPNTS", "NTPNTSNetwork"], swiftSettings: strict),
        // The engine served to shells: the control socket (server and client) and the one running
        // configuration, over the shell's runner and NTPAdmin's codec.
        .target(name: "NTPService", dependencies: ["NTPWire", "NTPEngine", "NTPAdmin", "NTPPlatform", "NTPShell", "NTPRuntime", "NTPMetrics"], swiftSettings: strict),
        // libedit through prefixed, non-variadic wrappers (el_set, el_get and history are variadic).
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("edit")]),
        // Generic interactive line editor: emacs keys, history file, Tab, ?, printing above the prompt.
        .target(name: "LineEditor", dependencies: ["CEditLine"], swiftSettings: strict),
        // A tiny program over LineEditor, driven in a real terminal (tmux) by LineEditorTests.
        .executableTarget(name: "line-editor-demo", dependencies: ["LineEditor"], swiftSettings: strict),
        .executableTarget(
            name: "ntpsh",
            dependencies: [
                "NTPWire", "NTPRuntime", "NTPService", "NTPAdmin", "NTPControl", "NTPShell", "CommandGrammar", "NTPSimulation", "NTPLab", "NTPCrypto", "LineEditor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict,
            // Less to read at start (BENCHMARKS.md, "Memory"): lld's packed relative relocations
            // (RELR: 9 kB instead of a 1 MB .rela.dyn the loader reads), and no dynamic symbol
            // table of the whole static Swift runtime (the static stdlib's link arguments export
            // every symbol; every library's symbol lookup then searched its 10,000 names).
            // Release only: the debug and sanitizer builds link as SwiftPM does by default.
            linkerSettings: [.unsafeFlags(
                ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                .when(platforms: [.linux], configuration: .release))]),

        .testTarget(name: "NTPWireTests", dependencies: ["NTPWire"], exclude: ["Fixtures"]),
        .testTarget(name: "NTPEngineTests", dependencies: ["NTPEngine", "NTPWire"]),
        .testTarget(name: "NTPPlatformTests", dependencies: ["NTPPlatform", "NTPWire"]),
        .testTarget(name: "NTPCryptoTests", dependencies: ["NTPCrypto", "NTPEngine", "NTPWire"]),
        .testTarget(name: "NTPNTSTests", dependencies: ["NTPNTS", "NTPNTSNetwork", "NTPWire", "NTPCrypto"]),
        .testTarget(name: "NTPMetricsTests", dependencies: ["NTPMetrics", "NTPAdmin", "NTPEngine", "NTPWire"]),
        .testTarget(name: "NTPSimulationTests", dependencies: ["NTPAdmin", "NTPSimulation", "NTPLab", "NTPCrypto"]),
        .testTarget(name: "CommandGrammarTests", dependencies: ["CommandGrammar", "NTPWire"]),
        // Drives programs in a real terminal (tmux) for the terminal tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LineEditorTests", dependencies: ["LineEditor", "TestSupport"]),
        .testTarget(name: "NTPShellTests", dependencies: ["NTPAdmin", "NTPControl", "NTPShell", "NTPSimulation", "NTPLab", "NTPMetrics"], exclude: ["Fixtures", "Transcripts"]),
        .testTarget(name: "EndToEndTests", dependencies: ["NTPWire", "NTPNTS", "NTPNTSNetwork", "TestSupport"]),
        .testTarget(name: "NTPRuntimeTests", dependencies: ["NTPAdmin", "NTPRuntime", "NTPService", "NTPPlatform"]),
    ],
    swiftLanguageModes: [.v6]
)
