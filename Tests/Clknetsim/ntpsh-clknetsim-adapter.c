// ntpsh-clknetsim-adapter: an LD_PRELOAD library loaded BEFORE clknetsim.so when ntpsh runs
// under clknetsim (scripts/clknetsim.sh). Test tooling only; never linked into ntpsh.
//
// What it fixes, and why here rather than in ntpsh:
//  - syscall(SYS_futex) and syscall(SYS_gettid) go straight to glibc. clknetsim interposes
//    syscall() and forwards these through a pointer its constructor sets; libswiftCore makes a
//    futex call before that constructor has run and would jump through a null pointer.
//    Every other number goes on to clknetsim's syscall() (clock_adjtime, getrandom).
//  - sendmmsg answers ENOSYS. clknetsim has no sendmmsg, so glibc's would reach the kernel
//    with one of clknetsim's made-up descriptors; ENOSYS makes ntpsh take its own fallback
//    (one sendmsg per datagram, which clknetsim interposes), the same path a kernel or
//    sandbox without sendmmsg takes.
//  - ppoll waits in poll, which clknetsim interposes (it has no ppoll; the kernel's would see
//    clknetsim's made-up descriptors), with the caller's signal mask set around it. Between
//    setting the mask and clknetsim's wait a signal can slip by; in a simulation the only
//    signal is the harness's final SIGTERM, and clknetsim ends the process anyway.
//  - A guard: its constructor aborts the process unless clknetsim.so is loaded too, so a
//    daemon given this adapter never runs on the real clock and network.
//
// Build: gcc -shared -fPIC -O2 -o ntpsh-clknetsim-adapter.so ntpsh-clknetsim-adapter.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef long (*syscall_fn)(long number, ...);

// glibc's own syscall(), found in libc.so.6 itself (RTLD_NEXT would find clknetsim's).
static syscall_fn glibc_syscall(void) {
    static syscall_fn fn;
    if (!fn) {
        void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        if (libc) fn = (syscall_fn)dlsym(libc, "syscall");
        if (!fn) {
            static const char message[] = "ntpsh-clknetsim-adapter: glibc's syscall() not found\n";
            (void)!write(2, message, sizeof message - 1);
            abort();
        }
    }
    return fn;
}

// The next syscall() in the lookup order: clknetsim's.
static syscall_fn next_syscall(void) {
    static syscall_fn fn;
    if (!fn) fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
    return fn ? fn : glibc_syscall();
}

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    // Up to six arguments, as the kernel takes; reading unused ones is harmless on the
    // System V ABIs this runs on (they are registers or stack slots the caller owns).
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    switch (number) {
    case SYS_futex:
    case SYS_gettid:
        return glibc_syscall()(number, a1, a2, a3, a4, a5, a6);
    default:
        return next_syscall()(number, a1, a2, a3, a4, a5, a6);
    }
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags) {
    (void)fd; (void)vec; (void)vlen; (void)flags;
    errno = ENOSYS;
    return -1;
}

int ppoll(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask) {
    int milliseconds = timeout ? (int)(timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000) : -1;
    sigset_t saved;
    if (mask) sigprocmask(SIG_SETMASK, mask, &saved);
    int n = poll(fds, count, milliseconds);
    int error = errno;
    if (mask) sigprocmask(SIG_SETMASK, &saved, NULL);
    errno = error;
    return n;
}

static int is_clknetsim(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size; (void)data;
    return info->dlpi_name && strstr(info->dlpi_name, "clknetsim.so") != NULL;
}

__attribute__((constructor))
static void require_clknetsim(void) {
    if (!dl_iterate_phdr(is_clknetsim, NULL)) {
        static const char message[] = "ntpsh-clknetsim-adapter: clknetsim.so is not loaded; refusing to run\n";
        (void)!write(2, message, sizeof message - 1);
        _exit(111);
    }
}
