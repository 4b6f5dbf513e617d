import Foundation
import Testing

@Suite("installation and shell completion", .serialized)
struct InstallTests {
    @Test("make install DESTDIR=… PREFIX=/usr lays out binary, man pages, completions, unit, example; uninstall removes them")
    func installLayout() throws {
        let stage = try temporaryDirectory()
        let make = try run("/usr/bin/make", ["-C", packageRoot.path, "install", "DESTDIR=\(stage)", "PREFIX=/usr",
                                             "NTPSH_BINARY=\(ntpshBinary())"])
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        let expected = [
            "usr/bin/ntpsh", "usr/share/man/man1/ntpsh.1", "usr/share/man/man5/ntpsh.conf.5",
            "usr/share/man/man7/ntpsh-commands.7", "usr/share/bash-completion/completions/ntpsh",
            "usr/share/zsh/site-functions/_ntpsh", "usr/share/fish/vendor_completions.d/ntpsh.fish",
            "usr/lib/systemd/system/ntpsh.service", "usr/lib/sysusers.d/ntpsh.conf",
            "usr/share/doc/ntpsh/ntp.conf.example", "etc/ntpsh/ntp.conf",
        ]
        for path in expected {
            #expect(FileManager.default.fileExists(atPath: "\(stage)/\(path)"), "missing \(path)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: "\(stage)/usr/bin/ntpsh"))
        let unit = try String(contentsOfFile: "\(stage)/usr/lib/systemd/system/ntpsh.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/ntpsh --daemon -c /etc/ntpsh/ntp.conf --control-socket /run/ntpsh/ntpsh.sock"))
        #expect(unit.contains("Type=notify\n") && unit.contains("RuntimeDirectory=ntpsh\n") && unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(unit.contains("CapabilityBoundingSet=CAP_SYS_TIME CAP_NET_BIND_SERVICE"))
        #expect(unit.contains("User=ntpsh"))
        // The example configuration is valid.
        let check = try run("\(stage)/usr/bin/ntpsh", ["--check-config", "-c", "\(stage)/etc/ntpsh/ntp.conf"])
        #expect(check.status == 0, "\(check.stderr)")
        // systemd accepts the unit: no unknown keys or unparsable values (the binary is staged, not in /usr/bin).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let verify = try run("/usr/bin/systemd-analyze", ["verify", "--man=no", "\(stage)/usr/lib/systemd/system/ntpsh.service"])
            let complaints = (verify.stdout + verify.stderr).split(separator: "\n")
                .filter { $0.contains("Unknown") || $0.contains("Failed to parse") || $0.contains("Invalid") || $0.contains("ignoring") }
            #expect(complaints.isEmpty, "\(complaints)")
        }
        let uninstall = try run("/usr/bin/make", ["-C", packageRoot.path, "uninstall", "DESTDIR=\(stage)", "PREFIX=/usr"])
        #expect(uninstall.status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(stage)/usr/bin/ntpsh"))
        #expect(FileManager.default.fileExists(atPath: "\(stage)/etc/ntpsh/ntp.conf"), "the admin's configuration stays")
    }

    /// Runs the bash completion function the way bash does for `ntpsh WORDS…`.
    private func bashComplete(_ words: [String]) throws -> [String] {
        let script = """
            source '\(packageRoot.path)/Completions/ntpsh.bash'
            COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _ntpsh "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try run("/bin/bash", ["-c", script, "bash", ntpshBinary()] + words)
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test("bash completion: options, their values, and shell commands after -e")
    func bashCompletion() throws {
        #expect(try bashComplete(["--con"]) == ["--config", "--control-socket"])
        #expect(try bashComplete(["--clock", "ob"]) == ["observe"])
        #expect(try bashComplete(["-e", "pe"]) == ["peer", "peers"], "the peer directive and the peers view")
        #expect(try bashComplete(["-e", "peers -"]) == ["peers -n"])
        #expect(try bashComplete(["-e", "show ru"]) == ["show running-config"])
    }
}
