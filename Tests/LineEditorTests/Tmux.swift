import Foundation
import TestSupport

/// The demo program, built beside the test bundle.
func demoBinary() throws -> String {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let path = exe.deletingLastPathComponent().appendingPathComponent("line-editor-demo").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TmuxFailure(description: "\(path) is missing: build it first (swift build --build-tests builds every product)")
    }
    return path
}

/// A fresh directory for one test (history file, gate files, HOME without an .editrc).
func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("line-editor-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

