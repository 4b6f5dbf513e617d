// Clock actions: `step`, `slew`, `wait sync`. Each declaration carries its syntax, handler and
// attributes (`step` and `slew` ask first with the system clock); the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPWire

enum ClockCommands {
    @CommandBuilder static var declarations: [GrammarDeclaration] {
        Command("step", help: "Step the clock now", .clockAction, confirms: true, schedulable: false, run: { $0.step($1) }) {
            OneOf {
                Keyword("now", help: "To the servers' consensus after a fresh burst (as ntpdate -b)", key: "now")
                Argument(.offset(-1e9...1e9), name: "OFFSET", help: "Seconds to add to the clock (e.g. 0.5s, -20ms)", key: "offset")
            }
        }
        Command("slew", help: "Slew the clock gradually", .clockAction, confirms: true, run: { $0.slew($1) }) {
            Argument(.offset(-1e6...1e6), name: "OFFSET", help: "Seconds to add to the clock (e.g. 0.5s, -20ms)", key: "offset")
        }
        Command("wait sync", help: "Wait until synchronised (status 1 on timeout)", id: "wait-sync", .clockAction, schedulable: false,
                run: { $0.waitSync($1) }) {
            Optionally { Argument(.duration(0...1e6), name: "TIMEOUT", help: "Give up after this long (default 60 s)", key: "timeout") }
        }
    }
}

extension CommandRunner {
    func step(_ i: Invocation) -> Output {
        if i.arguments.flag("now") {
            do {
                let offset = try admin.stepNow()
                return Output(text: "stepped by \(formatFixed(offset.value, 6)) s\n")
            } catch {
                return .failure(error.description)
            }
        }
        do { try admin.step(by: i.arguments.seconds("offset") ?? .zero) } catch { return .failure(error.description) }
        return Output()
    }

    func slew(_ i: Invocation) -> Output {
        do {
            let duration = try admin.slew(by: i.arguments.seconds("offset") ?? .zero)
            return Output(text: "slewing; done in \(formatFixed(duration.value, 1)) s\n")
        } catch {
            return .failure(error.description)
        }
    }

    /// In steps of at most a second, so Ctrl-C at the prompt (``isInterrupted``) ends it.
    func waitSync(_ i: Invocation) -> Output {
        let timeout = i.arguments.double("timeout") ?? 60
        var left = timeout
        while true {
            let step = min(left, 1)
            if admin.waitForSync(timeout: Seconds(step)) { return Output() }
            left -= step
            if left <= 0 { break }
            if isInterrupted() { return Output(error: "% interrupted", status: 1) }
        }
        return Output(error: "not synchronised after \(formatFixed(timeout, 0)) s", status: 1)
    }
}
