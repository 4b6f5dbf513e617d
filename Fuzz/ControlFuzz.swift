// libFuzzer target for the control protocol (the engine's side of `--control-socket`): frames
// and the arguments of every call, answered by ControlCalls.answer as ControlServer answers
// them, against the simulated engine (two lab servers, two associations), which then runs for
// 200 virtual seconds with whatever was configured. Built by scripts/fuzz-control.sh with the
// sources of the modules the runner and the lab need (scripts/lib/fuzz.sh's list) as one module.
//
// Input: first byte's bit 0 picks the form, bit 1 whether the session is privileged.
// - bit 0 clear, "stream": the rest is what a client sends, frame after frame (4-byte length,
//   payload); the first is the hello. A refused length or a cut-short frame ends it, as the
//   engine closes the connection.
// - bit 0 set, "calls": the rest is NUL-separated `NAME ARGS` pairs, each sent as
//   `{"id":N,"call":"NAME","args":ARGS}` after a valid hello (arguments, not framing).
// Besides not crashing: every answer is a response with the request's id, and an unprivileged
// session's changes are refused and leave the engine's configuration as it was.

#if canImport(Glibc)
import Glibc
#endif

/// Commands `configure` may not run here: they spend (virtual) time or leave the process.
let timeSpenders: Set<String> = [
    "sleep", "wait-sync", "step", "slew", "watch", "write", "quit", "exit", "expect",
    "lab-advance", "lab-at", "lab-restart",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func controlFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let privileged = mode & 2 != 0
    let admin = SimulationAdmin.lab(seed: 1)
    let runner = LabShell.runner(admin: admin, lab: admin)
    for line in ["lab server add 10.0.0.1", "lab server add 10.0.0.2", "server 10.0.0.1 iburst", "server 10.0.0.2 iburst"] {
        require(runner.run(line).error == nil, line)
    }
    let session = ControlSession(admin: admin, readsOnly: CommandRunner.isView) { line, origin in
        if let id = runner.grammar.match(line).command?.id, timeSpenders.contains(id) || id.hasPrefix("lab") {
            return CommandRunner.Output(error: "not in the fuzzer", status: 1)
        }
        return runner.run(line, from: origin)
    }
    // Transactions (`transaction`): the lab's (candidates checked against a lab of their own,
    // commit confirmed on lab time, the archive in memory).
    let transactions = runner.transaction.host
    session.transact = { request throws(AdminError) in
        guard let transactions else { throw AdminError("no transactions") }
        return try transactions.transact(request)
    }
    let before = (admin.engineConfiguration(), admin.restrictions(), admin.peerReports().map(\.host), admin.monitorSettings())

    if mode & 1 == 0 {
        var frames: [[UInt8]] = []
        var at = 1
        while at + 4 <= bytes.count {
            guard case .success(let length) = ControlProtocol.length(ofHeader: Array(bytes[at..<at + 4])),
                  at + 4 + length <= bytes.count else { break }
            frames.append(Array(bytes[(at + 4)..<(at + 4 + length)]))
            at += 4 + length
        }
        guard let hello = frames.first,
              case .success = ControlCalls.answer(hello: hello, engine: "ntpsh fuzz", privileged: privileged) else { return 0 }
        for payload in frames.dropFirst() {
            guard exchange(payload, session: session, privileged: privileged) else { break }
        }
    } else {
        let hello = ControlProtocol.encode(ControlProtocol.Hello(client: "fuzz"))
        guard case .success = ControlCalls.answer(hello: hello, engine: "ntpsh fuzz", privileged: privileged) else {
            require(false, "a valid hello refused"); return 0
        }
        for (i, part) in bytes.dropFirst().split(separator: 0, omittingEmptySubsequences: true).enumerated() {
            let text = String(decoding: part, as: UTF8.self)
            let space = text.firstIndex(of: " ") ?? text.endIndex
            let name = String(text[..<space])
            let args = space < text.endIndex ? String(text[text.index(after: space)...]) : "{}"
            guard !name.contains("\""), !name.contains("\\") else { continue }
            let payload = Array(#"{"id":\#(i),"call":"\#(name)","args":\#(args)}"#.utf8)
            guard exchange(payload, session: session, privileged: privileged) else { break }
        }
    }
    if !privileged {
        let after = (admin.engineConfiguration(), admin.restrictions(), admin.peerReports().map(\.host), admin.monitorSettings())
        require(after == before, "an unprivileged session changed the engine")
    }
    admin.sleep(Seconds(200))
    _ = admin.peerReports()
    _ = admin.systemReport()
    return 0
}

/// Calls the fuzzer does not make: they wait (virtual) time of the client's choosing.
let waiting: Set<String> = ["waitForSync"]

/// Answers one request as the engine would; false when the engine would close the connection.
func exchange(_ payload: [UInt8], session: ControlSession, privileged: Bool) -> Bool {
    if case .success(let head) = ControlProtocol.decode(ControlProtocol.RequestHead.self, from: payload), waiting.contains(head.call) {
        return true
    }
    switch ControlCalls.answer(request: payload, session: session, privileged: privileged) {
    case .failure:
        return false
    case .success(let response):
        guard case .success(let head) = ControlProtocol.decode(ControlProtocol.RequestHead.self, from: payload) else {
            require(false, "answered a request whose head does not decode"); return false
        }
        guard case .success(let envelope) = ControlProtocol.decode(Envelope.self, from: response) else {
            require(false, "an answer that is not a response: \(String(decoding: response, as: UTF8.self))"); return false
        }
        require(envelope.id == head.id, "answered id \(envelope.id) to request \(head.id)")
        require(envelope.refused != true || !privileged, "a privileged session refused")
        return true
    }
}

/// A response's envelope: what every response has whatever its call (keys not named here,
/// `result` among them, are skipped by the decoder).
struct Envelope: Decodable { var id: UInt64; var error: String?; var refused: Bool? }

/// `precondition` that also says what failed in -O builds, where the message would be dropped.
func require(_ condition: Bool, _ message: @autoclosure () -> String = "", line: UInt = #line) {
    if !condition {
        let text = "ControlFuzz.swift:\(line): check failed \(message())\n"
        _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        fatalError()
    }
}
