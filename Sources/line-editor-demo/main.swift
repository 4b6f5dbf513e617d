// line-editor-demo: LineEditor over a fixed word list, for the tmux tests (and for trying it).
//   line-editor-demo [HISTORY-FILE]
// Each line is echoed as `ran: LINE`. `tick` prints a message from a background thread 200 ms
// later; `tick PATH` prints it once PATH exists (tests create it when they are ready).
import LineEditor

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

let words: [(word: String, help: String)] = [
    ("peers", "Show the peers"),
    ("ping", "Send a ping"),
    ("show running-config", "Show the configuration"),
    ("server", "Add a server"),
]

let args = CommandLine.arguments
let editor = LineEditor(programName: "line-editor-demo", historyFile: args.count > 1 ? args[1] : nil)
editor.prompt = "demo> "
editor.complete = { line, cursor in
    let typed = String(line.prefix(cursor))
    let matches = words.filter { $0.word.hasPrefix(typed) }
    guard var common = matches.first?.word else { return .init() }
    for m in matches.dropFirst() {
        while !m.word.hasPrefix(common) { common.removeLast() }
    }
    return .init(insertion: String(common.dropFirst(typed.count)), candidates: matches)
}
editor.describe = { line, cursor in
    let typed = String(line.prefix(cursor))
    let matches = words.filter { $0.word.hasPrefix(typed) }
    if matches.isEmpty { return "% nothing matches \"\(typed)\"" }
    return matches.map { "  \($0.word)  \($0.help)" }.joined(separator: "\n")
}

/// Runs `body` on a new detached thread.
func detach(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    pthread_create(&thread, nil, { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    pthread_detach(thread)
}

var ticks = 0
while let line = editor.readLine() {
    editor.addHistory(line)
    print("ran: \(line)")
    let parts = line.split(separator: " ").map(String.init)
    if parts.first == "tick" {
        ticks += 1
        let n = ticks
        let gate = parts.count > 1 ? parts[1] : nil
        detach {
            if let gate {
                while access(gate, F_OK) != 0 { usleep(10_000) }
            } else {
                usleep(200_000)
            }
            editor.printAbove("tick \(n) from a background thread")
        }
    }
}
print("bye")
