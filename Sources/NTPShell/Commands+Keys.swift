// Symmetric keys: `keys`, `trustedkey`, `controlkey`, `requestkey`, their `no`, and the
// `show keys` view. Each declaration carries its syntax, handler and attributes; the handlers
// follow.
import CommandGrammar
import NTPAdmin
import NTPEngine

enum KeyCommands {
    /// One entry per trusted key (`no trustedkey N` removes exactly it); a line with several
    /// keys is keyed by all of them.
    static let trustedIdentity = RunningIdentity(kind: "trustedkey") { a, _ in
        trustedIDs(a).map(String.init).joined(separator: " ")
    }

    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("keys", help: "Symmetric key file: KEYID TYPE KEY lines (MD5, SHA1, AES128CMAC…; ASCII or hex keys)", .directive,
                identity: .single("keys"), run: { r, i in r.record(i); return r.loadKeys(i.arguments.string("file") ?? "") }) {
            Argument(.path, name: "FILE", help: "Key file (keyid type key)", key: "file", completion: "path")
        }
        Command("no keys", help: "Forget the symmetric keys", id: "no-keys", .directive, identity: .single("keys"), run: { r, i in
            r.admin.setKeys([], file: nil)
            r.forget(i)
            return CommandRunner.Output()
        })
        Command("trustedkey", help: "Key ids trusted for authentication", .directive, identity: trustedIdentity,
                run: { $0.trust($1, true) }) {
            keyIDs()
        }
        Command("no trustedkey", help: "Stop trusting key ids", id: "no-trustedkey", .directive, identity: trustedIdentity,
                run: { $0.trust($1, false) }) {
            keyIDs()
        }
        Command("controlkey", help: "Key id for mode 6 (ntpq) changes", .directive, identity: .single("controlkey"),
                run: { $0.controlKey($1) }) {
            Argument(.integer(1...65535), name: "KEYID", help: "Key id", key: "keyid", completion: "keyid")
        }
        Command("no controlkey", help: "No key for mode 6 changes (they are refused)", id: "no-controlkey", .directive,
                identity: .single("controlkey"), run: { $0.controlKey($1) })
        Command("requestkey", help: "Key id for mode 7 requests (mode 7 is never answered)", .directive,
                identity: .single("requestkey"), run: { $0.recordOnly($1) }) {
            Argument(.integer(1...65535), name: "KEYID", help: "Key id", key: "keyid", completion: "keyid")
        }
    }

    @CommandBuilder static var views: [GrammarDeclaration] {
        Command("show keys", help: "The symmetric keys: id, type, trusted, used by (never the secrets)", id: "show-keys", .report,
                json: true, run: { $0.keysView(json: $1.wantsJSON) }) {
            Optionally { Flag("json", help: "Machine-readable output") }
        }
    }

    /// `KEYID… (FIRST ... LAST)…`: key ids and NTPsec's ranges, for `trustedkey` and its `no`.
    static func keyIDs() -> Syntax {
        OneOrMore {
            OneOf {
                Argument(.integer(1...65535), name: "KEYID", help: "Key id", key: "keyids", completion: "keyid")
                Argument(.word, name: "RANGE", help: "A range of key ids: (FIRST ... LAST)", key: "ranges")
            }
        }.syntax
    }

    /// The key ids of a `trustedkey` line's arguments: ids, then the ids of its ranges.
    static func trustedIDs(_ a: Arguments) -> [UInt32] {
        a.strings("keyids").compactMap { UInt32($0) } + (keyRanges(a.strings("ranges")) ?? [])
    }

    /// The key ids of NTPsec's ranges, `(3 ... 5)` however the words fall (`(3...5)`, `( 3 ... 5 )`);
    /// nil when they are not ranges of ids 1–65535, first ≤ last.
    static func keyRanges(_ words: [String]) -> [UInt32]? {
        var text = Substring(words.joined())
        var ids: [UInt32] = []
        while !text.isEmpty {
            guard text.first == "(", let close = text.firstIndex(of: ")") else { return nil }
            let bounds = text[text.index(after: text.startIndex)..<close].split(separator: "...", omittingEmptySubsequences: false)
            guard bounds.count == 2, let first = UInt32(bounds[0]), let last = UInt32(bounds[1]),
                  first >= 1, first <= last, last <= 65535 else { return nil }
            ids += Array(first...last)
            text = text[text.index(after: close)...]
        }
        return ids
    }

    /// The key ids a `trustedkey` line's words name (ids and ranges), in order.
    static func keyIDs(_ words: [String]) -> [UInt32] {
        var ids: [UInt32] = []
        var range: [String] = []
        for word in words {
            if range.isEmpty, let id = UInt32(word) { ids.append(id); continue }
            range.append(word)
            if word.hasSuffix(")") { ids += keyRanges(range) ?? []; range = [] }
        }
        return ids
    }
}

extension CommandRunner {
    /// `keys FILE`: read and parse here (as `includefile`), the keys handed to the engine. A file
    /// that cannot be read, or bad lines in it, are warnings naming it: authentication with the
    /// keys it lacks then fails, and says so.
    func loadKeys(_ file: String) -> Output {
        guard let readFile, let text = readFile(file) else {
            admin.setKeys([], file: file)
            return Output(text: "warning: keys \(file): cannot read it; no symmetric keys loaded\n")
        }
        let parsed = KeyFile.parse(text, file: file)
        admin.setKeys(parsed.keys, file: file)
        return Output(text: (parsed.errors.map { "warning: \($0); line ignored\n" } + parsed.notes.map { "note: \($0)\n" }).joined())
    }

    /// `trustedkey KEYID…` (`trusted`) or `no trustedkey KEYID…`.
    func trust(_ i: Invocation, _ trusted: Bool) -> Output {
        let a = i.arguments
        guard KeyCommands.keyRanges(a.strings("ranges")) != nil else {
            return .failure("\(trusted ? "" : "no ")trustedkey: '\(a.strings("ranges").joined(separator: " "))' is not a range (FIRST ... LAST) of key ids 1-65535")
        }
        let ids = KeyCommands.trustedIDs(a)
        admin.setTrusted(ids, trusted)
        for id in ids { running.remove(id: "trustedkey", key: String(id)) }
        if trusted {
            // One entry per key, so `no trustedkey N` removes exactly it; a line read from
            // the file with several keys keeps its place as the first key's entry.
            record(i)
        } else {
            running.untrust(ids)
        }
        return Output()
    }

    /// `controlkey KEYID` or `no controlkey`.
    func controlKey(_ i: Invocation) -> Output {
        let keyID = i.arguments.int("keyid").map(UInt32.init)
        admin.setControlKey(keyID)
        if keyID != nil { record(i) } else { forget(i) }
        return Output()
    }

    /// `show keys`: each key's id, type, whether it is trusted and who uses it; never a secret.
    func keysView(json: Bool) -> Output {
        let store = admin.keyStore()
        let users = Dictionary(grouping: admin.peerReports().filter { $0.keyID != nil }, by: { $0.keyID! })
        let ids = Set(store.keys.keys).union(store.trusted).union(store.controlKey.map { [$0] } ?? []).sorted()
        func use(_ id: UInt32) -> [String] {
            (users[id] ?? []).map { "\($0.kind == .symmetricActive ? "peer" : "server") \($0.host)" }
                + (store.controlKey == id ? ["controlkey"] : [])
        }
        if json {
            return jsonOut(.object([
                ("file", store.file.map { .string($0) } ?? .null),
                ("keys", .array(ids.map { id in
                    .object([("id", .uint(UInt64(id))), ("type", store.key(id).map { .string($0.algorithm.description) } ?? .null),
                             ("trusted", .bool(store.trusted.contains(id))), ("used_by", .array(use(id).map { .string($0) }))])
                })),
            ]))
        }
        var out = "keys file: \(store.file ?? "(none)")\n"
        out += "  keyid  type        trusted  used by\n"
        for id in ids {
            let type = store.key(id)?.algorithm.description ?? "(missing)"
            let trusted = store.trusted.contains(id) ? "yes" : "no"
            out += CFormat.pad(String(id), 7) + "  " + CFormat.pad(type, 10, left: true) + "  "
                + CFormat.pad(trusted, 7, left: true) + "  " + use(id).joined(separator: ", ") + "\n"
        }
        return Output(text: out)
    }
}
