import ArgumentParser

@main
struct NTPSH: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ntpsh",
        abstract: "An NTP engine and its administration shell.",
        version: "0.1.0")

    mutating func run() throws {}
}
