// An interactive line editor over libedit: emacs keys, persistent bounded history, Tab
// completion, `?` help, Ctrl-C to drop a line, and messages from other threads printed above the
// prompt. Generic: the caller supplies the prompt, the completer and the describer.
//
// Threads: every method except `printAbove` must be called on one thread (the one that calls
// `readLine`); all libedit calls happen there. `printAbove` may be called from any thread: it
// queues the message under a lock and wakes the reader through a self-pipe.
//
// How it reads: libedit calls our reader (EL_GETCFN) for each character. The reader polls fd 0
// and the self-pipe; input bytes are decoded with mbrtowc (the init calls setlocale(LC_CTYPE, "")).
// A pipe wake-up prints the queued messages at the start of the input ("\r\e[J" after moving up
// over a wrapped line), then EL_REFRESH redraws prompt and line below them.
//
// While a line is edited the terminal's ISIG is off, so Ctrl-C arrives as a key: it ends the line
// (shown with "^C") and `readLine` starts a fresh one. Between lines Ctrl-C is the caller's signal.

import Synchronization
import CEditLine

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class LineEditor: @unchecked Sendable {
    /// What Tab does at the cursor.
    public struct Completion: Sendable {
        /// Text to insert at the cursor (may be empty).
        public var insertion: String
        /// What could come at the cursor, with one line of help each (help may be empty).
        public var candidates: [(word: String, help: String)]
        /// The word at the cursor is now whole and the only one possible: Tab ends it with a
        /// space, as bash and vtysh do, so the next word can be typed (or `?` asked) at once.
        public var endsWord: Bool

        public init(insertion: String = "", candidates: [(word: String, help: String)] = [], endsWord: Bool = false) {
            self.insertion = insertion
            self.candidates = candidates
            self.endsWord = endsWord
        }
    }

    /// The prompt shown before each line; it may change between lines. Text between two `\u{1}`
    /// takes no columns (wrap colour escapes in them).
    public var prompt: String {
        didSet { setPromptBuffer() }
    }

    /// Tab: the line and the cursor (in Characters from the start of the line).
    public var complete: ((_ line: String, _ cursor: Int) -> Completion)?

    /// `?`: the text to print below the line; the line is then redrawn unchanged. Inside a
    /// double-quoted string, or with no describer, `?` is inserted as typed.
    public var describe: ((_ line: String, _ cursor: Int) -> String)?
    /// Work done while waiting for a key, on the reading thread: called when no input came for
    /// `idleInterval` seconds, and when a descriptor in `watchedDescriptors` is readable. It may
    /// call `printAbove`. Nil: the reader just waits.
    public var idle: (() -> Void)?
    public var idleInterval: Double = 0.1
    /// Descriptors polled with the input (a lab's UDP socket); `idle` handles them.
    public var watchedDescriptors: [Int32] = []
    /// When `idle` last ran (monotonic seconds).
    private var lastIdle = 0.0

    private let el: OpaquePointer
    private let history: OpaquePointer
    private var historyFile: HistoryFile?
    private let files: [UnsafeMutablePointer<FILE>]
    private let inputFD: Int32
    private let outputFD: Int32
    private let wakeRead: Int32
    private var promptBuffer: UnsafeMutablePointer<wchar_t>
    /// Wide strings handed to libedit that it keeps pointers to (EL_ADDFN names and help).
    private var kept: [UnsafeMutablePointer<wchar_t>] = []

    /// Bytes read from the terminal and not yet decoded.
    private var pending: [UInt8] = []
    /// The previous key was a Tab that left several candidates: the next Tab lists them.
    private var tabArmed = false
    /// Ctrl-C ended the line being read: drop it and read another.
    private var interrupted = false

    private struct Shared {
        var reading = false
        var queue: [String] = []
        var wakeWrite: Int32 = -1
        var outputFD: Int32 = 1
    }
    private let shared = Mutex(Shared())

    private static let wakeMessage: UInt8 = UInt8(ascii: "m")
    private static let wakeResize: UInt8 = UInt8(ascii: "w")

    /// - Parameters:
    ///   - programName: the name `~/.editrc` lines may be prefixed with (`name:bind …`).
    ///   - historyFile: where history persists (plain text, one entry a line); nil keeps none.
    ///   - historySize: the most entries kept, in memory and in the file.
    public init(programName: String, historyFile: String?, historySize: Int = 1000) {
        setlocale(LC_CTYPE, "")
        inputFD = dup(0)
        outputFD = dup(1)
        let errorFD = dup(2)
        files = [fdopen(inputFD, "r"), fdopen(outputFD, "w"), fdopen(errorFD, "w")]
        el = el_init(programName, files[0], files[1], files[2])
        history = history_winit()
        var fds: [Int32] = [-1, -1]
        _ = ntpsh_pipe_nonblocking(&fds)
        wakeRead = fds[0]
        promptBuffer = Self.wideCString("")
        prompt = ""
        shared.withLock { $0.wakeWrite = fds[1]; $0.outputFD = self.outputFD }

        ntpsh_history_set_size(history, Int32(clamping: max(1, historySize)))
        if let historyFile {
            let file = HistoryFile(path: historyFile, limit: historySize)
            for entry in (try? file.load()) ?? [] { Self.withWide(entry) { _ = ntpsh_history_enter(history, $0) } }
            lastEntry = try? HistoryFile.readLines(historyFile).last
            self.historyFile = file
        }

        ntpsh_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        Self.withWide("emacs") { _ = ntpsh_el_set_editor(el, $0) }
        ntpsh_el_set_history(el, history)
        ntpsh_el_set_prompt(el, { el in LineEditor.from(el)?.promptBuffer }, 1)
        ntpsh_el_set_getcfn(el, { el, ch in
            guard let editor = LineEditor.from(el), let ch else { return -1 }
            return editor.readCharacter(ch)
        })
        addFunction("le-complete", "Complete the word at the cursor") { el, _ in
            LineEditor.from(el)?.tab() ?? UInt8(CC_ERROR)
        }
        addFunction("le-describe", "Describe what may come at the cursor") { el, _ in
            LineEditor.from(el)?.question() ?? UInt8(CC_ERROR)
        }
        addFunction("le-interrupt", "Drop the line and start a new one") { el, _ in
            LineEditor.from(el)?.interrupt() ?? UInt8(CC_ERROR)
        }
        bind("^I", "le-complete")
        bind("?", "le-describe")
        bind("^C", "le-interrupt")
        Self.withWide("-isig") { _ = ntpsh_el_setty_edit(el, $0) }
        // The user's ~/.editrc (or $EDITRC) last, so it may rebind keys.
        el_source(el, nil)
        ntpsh_el_notify_winch(fds[1], Self.wakeResize)
    }

    deinit {
        ntpsh_el_notify_winch(-1, 0)
        el_end(el)
        history_wend(history)
        for f in files { fclose(f) }
        shared.withLock { s in
            if s.wakeWrite >= 0 { close(s.wakeWrite) }
            s.wakeWrite = -1
            s.outputFD = -1
        }
        close(wakeRead)
        promptBuffer.deallocate()
        for p in kept { p.deallocate() }
    }

    /// Reads one line (without its line break). Nil at end of input: Ctrl-D on an empty line.
    public func readLine() -> String? {
        shared.withLock { $0.reading = true }
        defer { finishReading() }
        while true {
            interrupted = false
            tabArmed = false
            var count: Int32 = 0
            guard let buffer = el_wgets(el, &count), count > 0 else {
                writeOut("\r\n")
                return nil
            }
            if interrupted { continue }
            var scalars = (0..<Int(count)).map { Unicode.Scalar(UInt32(bitPattern: buffer[$0])) ?? "\u{FFFD}" }
            while let last = scalars.last, last == "\n" || last == "\r" { scalars.removeLast() }
            return String(String.UnicodeScalarView(scalars))
        }
    }

    /// Adds a line to the history (Up recalls it) and to the history file. Lines that are blank
    /// or equal to the previous entry are not added.
    public func addHistory(_ line: String) {
        let entry = HistoryFile.sanitize(line)
        guard !entry.allSatisfy(\.isWhitespace), entry != lastEntry else { return }
        lastEntry = entry
        Self.withWide(entry) { _ = ntpsh_history_enter(history, $0) }
        try? historyFile?.append(entry)
    }
    private var lastEntry: String?

    /// Prints a message above the prompt without disturbing the line being typed. Any thread.
    public func printAbove(_ message: String) {
        shared.withLock { s in
            if s.reading {
                s.queue.append(message)
                if s.queue.count == 1, s.wakeWrite >= 0 {
                    var b = Self.wakeMessage
                    _ = write(s.wakeWrite, &b, 1)
                }
            } else if s.outputFD >= 0 {
                Self.writeAll(s.outputFD, Layout.terminalText(message) + "\r\n")
            }
        }
    }

    // MARK: - Reading

    private func finishReading() {
        shared.withLock { s in
            s.reading = false
            for m in s.queue { Self.writeAll(s.outputFD, Layout.terminalText(m) + "\r\n") }
            s.queue.removeAll()
        }
    }

    /// The EL_GETCFN reader: one wide character, 1; end of file, 0; error, -1.
    fileprivate func readCharacter(_ out: UnsafeMutablePointer<wchar_t>) -> Int32 {
        while true {
            if let wc = decodeOne() {
                out.pointee = wc
                if wc != 9 { tabArmed = false }
                return 1
            }
            var fds = [pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
                + watchedDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let timeout: Int32 = idle == nil ? -1 : Int32(max(1, min(idleInterval * 1000, 60_000)))
            let r = poll(&fds, nfds_t(fds.count), timeout)
            if r < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if let idle {
                // On a timeout, a watched descriptor, or input arriving faster than the interval.
                var ts = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts)
                let now = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
                if r == 0 || fds.dropFirst(2).contains(where: { $0.revents != 0 }) || now - lastIdle >= idleInterval {
                    lastIdle = now
                    idle()
                }
            }
            if fds[1].revents != 0 { wakeUp() }
            if fds[0].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 256)
                let n = chunk.withUnsafeMutableBytes { read(inputFD, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return -1
                }
                if n == 0 { out.pointee = 0; return 0 }
                pending.append(contentsOf: chunk[0..<n])
            }
        }
    }

    /// Decodes the next character of `pending` with the locale's multibyte rules.
    private func decodeOne() -> wchar_t? {
        while !pending.isEmpty {
            var wc: wchar_t = 0
            var state = mbstate_t()
            let r = pending.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { mbrtowc(&wc, $0.baseAddress, $0.count, &state) }
            }
            switch r {
            case -2:
                if pending.count < 16 { return nil }  // incomplete: wait for more bytes
                pending.removeFirst()
            case -1:
                pending.removeFirst()  // not a character here: drop the byte
            case 0:
                pending.removeFirst()
                return 0
            default:
                pending.removeFirst(Int(r))
                return wc
            }
        }
        return nil
    }

    /// The self-pipe woke the reader: print queued messages, follow a terminal resize.
    private func wakeUp() {
        var bytes = [UInt8](repeating: 0, count: 64)
        var resized = false
        while true {
            let n = bytes.withUnsafeMutableBytes { read(wakeRead, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            if bytes[0..<n].contains(Self.wakeResize) { resized = true }
        }
        if resized { el_resize(el) }
        let messages = shared.withLock { s in
            defer { s.queue.removeAll() }
            return s.queue
        }
        guard !messages.isEmpty else { return }
        var text = moveToInputStart()
        for m in messages { text += Layout.terminalText(m) + "\r\n" }
        writeOut(text)
        ntpsh_el_refresh(el)
    }

    // MARK: - Bound functions

    private func tab() -> UInt8 {
        let armed = tabArmed
        tabArmed = false
        guard let complete else { return UInt8(CC_ERROR) }
        let (line, cursor) = lineAndCursor()
        let c = complete(line, cursor)
        let (scalars, at) = lineScalars()
        let space = c.endsWord && (at == scalars.count || scalars[at] != " ") ? " " : ""
        if !c.insertion.isEmpty || !space.isEmpty {
            guard insert(c.insertion + space) else { return UInt8(CC_ERROR) }
            tabArmed = c.candidates.count > 1
            return UInt8(CC_REFRESH)
        }
        guard c.candidates.count > 1 else { return UInt8(CC_ERROR) }
        tabArmed = true
        guard armed else { return UInt8(CC_ERROR) }  // first Tab beeps; the second lists
        let lines = Layout.candidateLines(c.candidates, columns: columns)
        writeOut(moveBelowInput() + lines.joined(separator: "\r\n") + "\r\n")
        ntpsh_el_refresh(el)
        return UInt8(CC_NORM)
    }

    private func question() -> UInt8 {
        let (line, cursor) = lineAndCursor()
        guard let describe, !Layout.insideDoubleQuotes(String(line.prefix(cursor))) else {
            return insert("?") ? UInt8(CC_REFRESH) : UInt8(CC_ERROR)
        }
        let text = describe(line, cursor)
        guard !text.isEmpty else { return UInt8(CC_ERROR) }
        writeOut(moveBelowInput() + Layout.terminalText(text) + "\r\n")
        ntpsh_el_refresh(el)
        return UInt8(CC_NORM)
    }

    private func interrupt() -> UInt8 {
        if let info = el_wline(el) {
            el_cursor(el, Int32(info.pointee.lastchar - info.pointee.cursor))
        }
        _ = insert("^C")
        interrupted = true
        Self.withWide("\n") { el_wpush(el, $0) }  // ed-newline ends the line; readLine drops it
        return UInt8(CC_REFRESH)
    }

    // MARK: - Helpers

    /// The line and the cursor in Characters.
    private func lineAndCursor() -> (String, Int) {
        let (scalars, cursor) = lineScalars()
        let before = String(String.UnicodeScalarView(scalars[..<cursor]))
        return (String(String.UnicodeScalarView(scalars)), before.count)
    }

    /// The line as scalars and the cursor as a scalar index.
    private func lineScalars() -> ([Unicode.Scalar], Int) {
        guard let info = el_wline(el)?.pointee, let start = info.buffer else { return ([], 0) }
        let count = info.lastchar - start
        let cursor = info.cursor - start
        let scalars = (0..<count).map { Unicode.Scalar(UInt32(bitPattern: start[$0])) ?? "\u{FFFD}" }
        return (scalars, max(0, min(cursor, count)))
    }

    private func insert(_ text: String) -> Bool {
        Self.withWide(text) { el_winsertstr(el, $0) } == 0
    }

    private var columns: Int {
        let c = Int(ntpsh_el_columns(el))
        return c > 0 ? c : 80
    }

    /// Rows of the input (prompt + line, wrapped) above the cursor and below it.
    private func rowsAroundCursor() -> (above: Int, below: Int) {
        let (scalars, cursor) = lineScalars()
        let p = Layout.promptWidth(prompt)
        let cols = columns
        let cursorRow = (p + Layout.width(scalars[..<cursor])) / cols
        let lastRow = (p + Layout.width(scalars)) / cols
        return (cursorRow, max(0, lastRow - cursorRow))
    }

    /// From the cursor to the start of a new row under the input.
    private func moveBelowInput() -> String {
        String(repeating: "\r\n", count: rowsAroundCursor().below + 1)
    }

    /// From the cursor to the first column of the input's first row, clearing what follows.
    private func moveToInputStart() -> String {
        let above = rowsAroundCursor().above
        return "\r" + (above > 0 ? "\u{1b}[\(above)A" : "") + "\u{1b}[J"
    }

    private func writeOut(_ text: String) {
        Self.writeAll(outputFD, text)
    }

    private static func writeAll(_ fd: Int32, _ text: String) {
        guard fd >= 0 else { return }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { usleep(1000); continue }
                return
            }
            done += n
        }
    }

    private func setPromptBuffer() {
        promptBuffer.deallocate()
        promptBuffer = Self.wideCString(prompt)
    }

    /// EL_ADDFN keeps the name and help pointers: they live as long as the editor.
    private func addFunction(_ name: String, _ help: String, _ fn: ntpsh_el_func_t) {
        let n = Self.wideCString(name), h = Self.wideCString(help)
        kept += [n, h]
        ntpsh_el_addfn(el, n, h, fn)
    }

    private func bind(_ key: String, _ function: String) {
        Self.withWide(key) { k in Self.withWide(function) { f in _ = ntpsh_el_bind(el, k, f) } }
    }

    fileprivate static func from(_ el: OpaquePointer?) -> LineEditor? {
        guard let el, let data = ntpsh_el_clientdata(el) else { return nil }
        return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue()
    }

    private static func wideArray(_ s: String) -> [wchar_t] {
        s.unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]
    }

    private static func wideCString(_ s: String) -> UnsafeMutablePointer<wchar_t> {
        let a = wideArray(s)
        let p = UnsafeMutablePointer<wchar_t>.allocate(capacity: a.count)
        p.initialize(from: a, count: a.count)
        return p
    }

    private static func withWide<R>(_ s: String, _ body: (UnsafePointer<wchar_t>) -> R) -> R {
        wideArray(s).withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
