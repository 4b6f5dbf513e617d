// Sandbox: `--sandbox`, a seccomp allow-list of the system calls the daemon makes (as chrony's
// -F). Built from what the daemon was traced doing (serving, the client side, mode 6, the
// control socket, DNS, drift and statistics files, SIGHUP re-reads, interface re-scans) plus
// what the Swift runtime and glibc may call; dangerous calls fail with EPERM, any other call
// kills the process.
import CNTPPlatform
import Glibc

public enum Sandbox {
    /// Calls the daemon makes, by purpose.
    public static let allowed: [String] = [
        // memory and the Swift runtime
        "brk", "mmap", "munmap", "mprotect", "madvise", "mremap", "arch_prctl", "prctl", "prlimit64", "getrlimit",
        "sched_getaffinity", "sched_yield", "membarrier", "uname", "sysinfo", "getrandom",
        // threads
        "clone", "clone3", "futex", "set_robust_list", "get_robust_list", "rseq", "gettid", "set_tid_address", "exit", "exit_group",
        // signals (the signal thread, crash reports)
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "tgkill", "getpid", "getppid",
        // OpenSSL's TLS (NTS-KE) checks for a pending SIGPIPE around its socket writes
        "rt_sigpending",
        // time and the clock (steps are ADJ_SETOFFSET through clock_adjtime)
        "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep", "adjtimex", "clock_adjtime",
        // files: configuration, keys, drift, statistics, `write`
        "openat", "open", "read", "readv", "pread64", "write", "writev", "pwrite64", "close", "lseek", "fstat", "newfstatat",
        "stat", "lstat", "statx", "fsync", "fdatasync", "rename", "renameat", "renameat2", "unlink", "unlinkat", "link",
        "linkat", "fchmod", "fchown", "chmod", "umask", "readlink", "readlinkat", "getdents64", "access", "faccessat",
        "faccessat2", "fcntl", "ioctl", "getcwd", "mkdir", "mkdirat", "dup", "dup2", "dup3", "ftruncate",
        // sockets: NTP, mode 6, the control socket, DNS, netlink (interfaces), /metrics
        "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername", "setsockopt",
        "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "poll", "ppoll",
        "select", "pselect6", "pipe", "pipe2", "eventfd2", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
        // identity (privilege checks of control-socket clients, the log)
        "getuid", "geteuid", "getgid", "getegid", "getgroups",
    ]

    /// Calls refused with EPERM: the daemon never makes them, and an attacker wants them.
    public static let refused: [String] = [
        "execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2",
        "init_module", "finit_module", "delete_module", "kexec_load", "reboot", "swapon", "swapoff", "setuid", "setgid",
        "setresuid", "setresgid", "setgroups", "capset", "chroot", "pivot_root", "personality", "bpf", "perf_event_open",
        "keyctl", "add_key", "request_key", "userfaultfd", "kill",
    ]

    /// Installs the filter on every thread; from now on ``refused`` calls fail and unknown ones
    /// kill the process. Returns the number of rules. Then checks itself: execve of a path that
    /// does not exist must fail with EPERM (without the filter it would be ENOENT).
    public static func install() throws(SandboxError) -> Int {
        let rules = withCStrings(allowed) { a in
            withCStrings(refused) { r -> (Int32, String?, Int32) in
                var unknown: UnsafePointer<CChar>? = nil
                let n = ntpsh_sandbox(a.baseAddress, Int32(a.count), r.baseAddress, Int32(r.count), &unknown)
                return (n, unknown.map { String(cString: $0) }, errno)
            }
        }
        guard rules.0 >= 0 else {
            throw SandboxError("--sandbox: seccomp: \(String(cString: strerror(rules.2)))" + (rules.1.map { " (at \($0))" } ?? ""))
        }
        var noArguments: [UnsafeMutablePointer<CChar>?] = [nil]
        let probe = execve("/nonexistent/ntpsh-sandbox-probe", &noArguments, &noArguments)
        guard probe == -1, errno == EPERM else {
            throw SandboxError("--sandbox: the filter does not hold (execve: \(String(cString: strerror(errno))))")
        }
        return Int(rules.0)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer(body)
    }
}

public struct SandboxError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
