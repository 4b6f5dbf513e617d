// The whole command table (NTPShell's commands and the labs') and the runners over it: what the
// ntpsh executable and the tests run commands with; and the lab's state kept for a runner.
public import NTPAdmin
public import NTPShell
public import CommandGrammar
import NTPWire

public enum LabShell {
    /// Every command: NTPShell's and the lab's, in the order `help` lists them.
    public static let grammar = Grammar(declarations: NTPCommands.declarations(adding: LabCommandTable.declarations))
    /// `help lab` lists the shipped labs after the commands.
    public static let helpNotes: [[String]: String] = [["lab"]: LabScenarios.helpText]

    /// A runner over the whole table; in the lab world `lab` when one is given.
    public static func runner(admin: any AdminAPI, json: Bool = false, lab: (any LabControl)? = nil) -> CommandRunner {
        let runner = CommandRunner(admin: admin, grammar: grammar, json: json)
        runner.helpNotes = helpNotes
        runner.lab = lab
        if let lab { attachTransactions(runner, admin: admin, lab: lab) }
        return runner
    }

    /// `configure` in a lab: candidates checked against a lab of their own, `commit confirmed`
    /// reverting on lab time, the revert an event of the lab's engine; the archive in memory.
    static func attachTransactions(_ runner: CommandRunner, admin: any AdminAPI, lab: any LabControl) {
        let scratch: () throws(AdminError) -> any AdminAPI = { SimulationAdmin.lab() }
        runner.transaction.host = ConfigurationTransactions(
            runner: runner, archive: ConfigurationArchive(),
            check: ConfigurationTransactions.checking(with: scratch, grammar: runner.grammar, readFile: { [weak runner] in runner?.readFile?($0) }),
            schedule: { [weak lab, weak admin] seconds, action in
                guard let lab, let admin else { return }
                try? lab.schedule(atElapsed: admin.uptime().value + seconds, action)
            },
            now: { [weak admin] in admin?.systemReport().now ?? UnixTime(nanoseconds: 0) },
            announce: { [weak admin] in admin?.announce($0) })
        runner.transaction.scratch = scratch
    }
}

/// The lab world a runner's lab commands act on, and what `lab at` printed while time passed.
final class LabSession: RunnerContext {
    let lab: any LabControl
    var scheduled: [CommandRunner.Output] = []

    init(lab: any LabControl) { self.lab = lab }

    func takePendingOutput() -> [CommandRunner.Output] {
        defer { scheduled.removeAll() }
        return scheduled
    }
}

extension CommandRunner {
    /// The lab world (`ntpsh --lab`): `lab …` commands and `expect offset` need it.
    public var lab: (any LabControl)? {
        get { (context as? LabSession)?.lab }
        set { context = newValue.map(LabSession.init) }
    }

    var labSession: LabSession? { context as? LabSession }
}
