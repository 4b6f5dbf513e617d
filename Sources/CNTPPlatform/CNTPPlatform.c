#define _GNU_SOURCE
#include "CNTPPlatform.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>

// The mirrored types must be the real ones, byte for byte.
_Static_assert(sizeof(struct ntpsh_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(_Alignof(struct ntpsh_mmsghdr) == _Alignof(struct mmsghdr), "mmsghdr alignment");
_Static_assert(offsetof(struct ntpsh_mmsghdr, msg_hdr) == offsetof(struct mmsghdr, msg_hdr),
               "mmsghdr.msg_hdr offset");
_Static_assert(offsetof(struct ntpsh_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
               "mmsghdr.msg_len offset");
_Static_assert(sizeof(((struct ntpsh_mmsghdr *)0)->msg_len) == sizeof(((struct mmsghdr *)0)->msg_len),
               "mmsghdr.msg_len size");

_Static_assert(sizeof(struct ntpsh_in6_pktinfo) == sizeof(struct in6_pktinfo), "in6_pktinfo size");
_Static_assert(offsetof(struct ntpsh_in6_pktinfo, ipi6_addr) == offsetof(struct in6_pktinfo, ipi6_addr),
               "in6_pktinfo.ipi6_addr offset");
_Static_assert(offsetof(struct ntpsh_in6_pktinfo, ipi6_ifindex) ==
                   offsetof(struct in6_pktinfo, ipi6_ifindex),
               "in6_pktinfo.ipi6_ifindex offset");

// Set once recvmmsg/sendmmsg answered ENOSYS (a kernel or sandbox without them, or an
// interposer such as clknetsim that has none): from then on one recvmsg/sendmsg per datagram.
static atomic_int recvmmsg_missing;
static atomic_int sendmmsg_missing;

int ntpsh_recvmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags,
                   struct timespec *timeout) {
    if (!atomic_load_explicit(&recvmmsg_missing, memory_order_relaxed)) {
        int n = recvmmsg(fd, (struct mmsghdr *)vec, vlen, flags, timeout);
        if (n >= 0 || errno != ENOSYS) return n;
        atomic_store_explicit(&recvmmsg_missing, 1, memory_order_relaxed);
    }
    if (vlen == 0) return 0;
    ssize_t length = recvmsg(fd, &vec[0].msg_hdr, flags);
    if (length < 0) return -1;
    vec[0].msg_len = (unsigned int)length;
    return 1;
}

int ntpsh_sendmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags) {
    if (!atomic_load_explicit(&sendmmsg_missing, memory_order_relaxed)) {
        int n = sendmmsg(fd, (struct mmsghdr *)vec, vlen, flags);
        if (n >= 0 || errno != ENOSYS) return n;
        atomic_store_explicit(&sendmmsg_missing, 1, memory_order_relaxed);
    }
    // As sendmmsg does: the count sent, or -1 when the first datagram fails.
    for (unsigned int i = 0; i < vlen; i++) {
        ssize_t length = sendmsg(fd, &vec[i].msg_hdr, flags);
        if (length < 0) return i > 0 ? (int)i : -1;
        vec[i].msg_len = (unsigned int)length;
    }
    return (int)vlen;
}

int ntpsh_ntp_adjtime(struct timex *tx) {
    return ntp_adjtime(tx);
}

int ntpsh_clock_adjtime(clockid_t clock, struct timex *tx) {
    return clock_adjtime(clock, tx);
}

int ntpsh_peer_credentials(int fd, int *pid, unsigned int *uid, unsigned int *gid) {
    struct ucred cred;
    socklen_t length = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int ntpsh_peer_groups(int fd, unsigned int *groups, int *count) {
#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif
    _Static_assert(sizeof(gid_t) == sizeof(unsigned int), "gid_t size");
    socklen_t length = (socklen_t)(*count * sizeof(gid_t));
    int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &length);
    *count = (int)(length / sizeof(gid_t));
    return rc;
}

// The last signal caught by ntpsh_catch_signal's handler, 0 for none.
// Lock-free, so safe in a handler; taken with one exchange, so none is lost between look and clear.
static atomic_int caught_signal;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic int is lock-free");
// The signals ntpsh_catch_signal caught: blocked except inside ntpsh_poll_catching.
static sigset_t caught_set;
static atomic_int caught_set_ready;

static void record_signal(int sig) { atomic_store(&caught_signal, sig); }

int ntpsh_catch_signal(int sig) {
    if (!atomic_exchange(&caught_set_ready, 1)) sigemptyset(&caught_set);
    sigaddset(&caught_set, sig);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocking poll returns EINTR
    if (sigaction(sig, &action, NULL) != 0) return -1;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    return pthread_sigmask(SIG_BLOCK, &one, NULL) == 0 ? 0 : -1;
}

int ntpsh_take_signal(void) {
    return atomic_exchange(&caught_signal, 0);
}

int ntpsh_poll_catching(struct pollfd *fds, nfds_t count, int timeout_ms) {
    sigset_t during;
    pthread_sigmask(SIG_BLOCK, NULL, &during);
    if (atomic_load(&caught_set_ready)) {
        for (int sig = 1; sig < NSIG; sig++)
            if (sigismember(&caught_set, sig) == 1) sigdelset(&during, sig);
    }
    struct timespec timeout = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    return ppoll(fds, count, timeout_ms < 0 ? NULL : &timeout, &during);
}

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int capability_set(unsigned long long effective, unsigned long long permitted) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int word = 0; word < 2; word++) {
        data[word].effective = (__u32)(effective >> (32 * word));
        data[word].permitted = (__u32)(permitted >> (32 * word));
    }
    return (int)syscall(SYS_capset, &header, data);
}

int ntpsh_capabilities(unsigned long long *effective, unsigned long long *permitted) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    *effective = (unsigned long long)data[0].effective | ((unsigned long long)data[1].effective << 32);
    *permitted = (unsigned long long)data[0].permitted | ((unsigned long long)data[1].permitted << 32);
    return 0;
}

int ntpsh_drop_privileges(unsigned int uid, unsigned int gid, unsigned long long keep, const char **step) {
    gid_t groups[1] = { gid };
    *step = "prctl";
    if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) return -1;
    *step = "setgroups";
    if (setgroups(1, groups) != 0) return -1;
    *step = "setgid";
    if (setresgid(gid, gid, gid) != 0) return -1;
    *step = "setuid";
    if (setresuid(uid, uid, uid) != 0) return -1;
    *step = "capset";
    if (capability_set(keep, keep) != 0) return -1;
    *step = "prctl";
    if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0) return -1;
    return 0;
}

#include <seccomp.h>

int ntpsh_sandbox(const char *const *allowed, int allowed_count, const char *const *refused, int refused_count,
                  const char **unknown) {
    *unknown = NULL;
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (filter == NULL) { errno = ENOMEM; return -1; }
    int rules = 0, rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1);
    for (int i = 0; rc == 0 && i < allowed_count + refused_count; i++) {
        const char *name = i < allowed_count ? allowed[i] : refused[i - allowed_count];
        int number = seccomp_syscall_resolve_name(name);
        if (number == __NR_SCMP_ERROR) continue;
        rc = seccomp_rule_add(filter, i < allowed_count ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM), number, 0);
        if (rc != 0) *unknown = name; else rules++;
    }
    if (rc == 0) rc = seccomp_load(filter);
    seccomp_release(filter);
    if (rc != 0) { errno = -rc; return -1; }
    return rules;
}

int ntpsh_read_tx_timestamp(int fd, uint32_t *key, struct timespec *stamp, struct timespec *hardware) {
    // With OPT_TSONLY the entry carries no packet; the buffer only gives recvmsg somewhere to point.
    char data[64];
    union { char bytes[256]; struct cmsghdr align; } control;
    struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    int have_stamp = 0, have_key = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct scm_timestamping))) {
            struct scm_timestamping ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            *stamp = ts.ts[0];
            *hardware = ts.ts[2];
            have_stamp = ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0 || ts.ts[2].tv_sec != 0 || ts.ts[2].tv_nsec != 0;
        } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
                   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
            if (c->cmsg_len < CMSG_LEN(sizeof(struct sock_extended_err))) continue;
            struct sock_extended_err err;
            memcpy(&err, CMSG_DATA(c), sizeof err);
            if (err.ee_errno == ENOMSG && err.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
                *key = err.ee_data;
                have_key = 1;
            }
        }
    }
    return have_stamp && have_key ? 1 : 2;
}

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

struct ntpsh_release_state {
    uintptr_t page;
    long long bytes;
    int error;
};

static int ntpsh_release_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct ntpsh_release_state *state = data;
    if (info->dlpi_name != NULL && strncmp(info->dlpi_name, "linux-vdso", 10) == 0) return 0;
    // An object with text relocations has written its read-only segments: leave it as it is.
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_DYNAMIC) continue;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_TEXTREL) return 0;
            if (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)) return 0;
        }
    }
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_memsz == 0) continue;
        // Only the pages wholly inside the segment: a page it shares with another is left alone.
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        uintptr_t end = start + ph->p_memsz;
        start = (start + state->page - 1) & ~(state->page - 1);
        end &= ~(state->page - 1);
        if (end <= start) continue;
        if (madvise((void *)start, end - start, MADV_DONTNEED) != 0) {
            state->error = errno;
            return 1;
        }
        state->bytes += (long long)(end - start);
    }
    return 0;
}

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>

// Releases the pages of [start, end) that are not anonymous (never written nor relocated: the
// file's pages, or none), read from /proc/self/pagemap; anonymous or swapped pages stay.
static long long ntpsh_release_unwritten(uintptr_t start, uintptr_t end, uintptr_t page, int *error) {
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) { *error = errno; return 0; }   // EACCES after -u: the caller decides
    long long bytes = 0;
    uint64_t entries[512];
    uintptr_t run = 0;   // start of the current run of releasable pages (0: none)
    for (uintptr_t at = start; at < end && *error == 0;) {
        size_t count = (end - at) / page < 512 ? (end - at) / page : 512;
        ssize_t n = pread(fd, entries, count * 8, (off_t)(at / page * 8));
        if (n != (ssize_t)(count * 8)) { *error = n < 0 ? errno : EIO; break; }
        for (size_t i = 0; i < count; i++, at += page) {
            uint64_t e = entries[i];
            int anonymous = ((e >> 63) & 1 && !((e >> 61) & 1)) || ((e >> 62) & 1);
            if (!anonymous) { if (run == 0) run = at; continue; }
            if (run != 0) {
                if (madvise((void *)run, at - run, MADV_DONTNEED) != 0) { *error = errno; break; }
                bytes += (long long)(at - run);
                run = 0;
            }
        }
    }
    if (run != 0 && *error == 0) {
        if (madvise((void *)run, end - run, MADV_DONTNEED) != 0) *error = errno;
        else bytes += (long long)(end - run);
    }
    close(fd);
    return bytes;
}

// The executable's `.rodata` when the linker put it in a writable segment (some objects mark
// their `.rodata` input sections writable, so the output is): constants nothing writes once
// the loader has relocated them, so its pages still the file's (pagemap) can go as the
// read-only segments' do. Found from the section headers of /proc/self/exe.
static long long ntpsh_release_writable_rodata(uintptr_t bias, uintptr_t page, int *error) {
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != EACCES && errno != EPERM) *error = errno;   // not dumpable after -u, as below
        return 0;
    }
    long long bytes = 0;
    ElfW(Ehdr) eh;
    ElfW(Shdr) *sh = NULL;
    char *names = NULL;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0
        || eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum) goto done;
    sh = malloc((size_t)eh.e_shnum * sizeof *sh);
    if (sh == NULL || pread(fd, sh, (size_t)eh.e_shnum * sizeof *sh, (off_t)eh.e_shoff)
                          != (ssize_t)((size_t)eh.e_shnum * sizeof *sh)) goto done;
    ElfW(Shdr) *strings = &sh[eh.e_shstrndx];
    if (strings->sh_size == 0 || strings->sh_size > (1 << 20)) goto done;
    names = malloc(strings->sh_size + 1);
    if (names == NULL || pread(fd, names, strings->sh_size, (off_t)strings->sh_offset) != (ssize_t)strings->sh_size) goto done;
    names[strings->sh_size] = 0;
    for (int i = 0; i < eh.e_shnum; i++) {
        if (sh[i].sh_name >= strings->sh_size || strcmp(names + sh[i].sh_name, ".rodata") != 0) continue;
        if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_ALLOC) || !(sh[i].sh_flags & SHF_WRITE)) break;
        uintptr_t start = (bias + sh[i].sh_addr + page - 1) & ~(page - 1);
        uintptr_t end = (bias + sh[i].sh_addr + sh[i].sh_size) & ~(page - 1);
        // Not readable (a process that changed its user, -u, is not dumpable: /proc/self's
        // files are root's): the section stays resident, as it did before this release.
        int unreadable = 0;
        if (end > start) bytes = ntpsh_release_unwritten(start, end, page, &unreadable);
        if (unreadable != EACCES && unreadable != EPERM) *error = unreadable;
        break;
    }
done:
    free(names);
    free(sh);
    close(fd);
    return bytes;
}

long long ntpsh_release_unwritten_pages(void *start, size_t length) {
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t size = page > 0 ? (uintptr_t)page : 4096;
    uintptr_t from = ((uintptr_t)start + size - 1) & ~(size - 1);
    uintptr_t to = ((uintptr_t)start + length) & ~(size - 1);
    int error = 0;
    long long bytes = to > from ? ntpsh_release_unwritten(from, to, size, &error) : 0;
    if (error != 0) {
        errno = error;
        return -1;
    }
    return bytes;
}

static int ntpsh_main_bias(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    *(uintptr_t *)data = info->dlpi_addr;   // the first object is the executable
    return 1;
}

long long ntpsh_release_read_only_pages(void) {
    long page = sysconf(_SC_PAGESIZE);
    struct ntpsh_release_state state = {.page = page > 0 ? (uintptr_t)page : 4096, .bytes = 0, .error = 0};
    dl_iterate_phdr(ntpsh_release_object, &state);
    if (state.error == 0) {
        uintptr_t bias = 0;
        dl_iterate_phdr(ntpsh_main_bias, &bias);
        state.bytes += ntpsh_release_writable_rodata(bias, state.page, &state.error);
    }
    malloc_trim(0);   // and the heap's free pages (what starting allocated and freed)
    if (state.error != 0) {
        errno = state.error;
        return -1;
    }
    return state.bytes;
}

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <fcntl.h>

static int ntpsh_interface_ioctl(const char *interface, unsigned long request, void *data) {
    struct ifreq ifr;
    if (strlen(interface) >= sizeof ifr.ifr_name) {
        errno = ENODEV;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 && errno == EINVAL) {
        // A socket layer that takes no type flags (clknetsim's, as UDPSocket.openNonblocking).
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (fd < 0) return -1;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, interface, sizeof ifr.ifr_name - 1);
    ifr.ifr_data = data;
    int r = ioctl(fd, request, &ifr);
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

int ntpsh_timestamping_info(const char *interface, struct ntpsh_timestamping_info *info) {
    struct ethtool_ts_info ts;
    memset(&ts, 0, sizeof ts);
    ts.cmd = ETHTOOL_GET_TS_INFO;
    if (ntpsh_interface_ioctl(interface, SIOCETHTOOL, &ts) < 0) return -1;
    info->so_timestamping = ts.so_timestamping;
    info->phc_index = ts.phc_index;
    info->tx_types = ts.tx_types;
    info->rx_filters = ts.rx_filters;
    return 0;
}

#include <linux/ptp_clock.h>
#include <linux/sched.h>

int ntpsh_hwtstamp_set(const char *interface, int tx_type, int rx_filter, int *granted_filter) {
    struct hwtstamp_config config;
    memset(&config, 0, sizeof config);
    config.tx_type = tx_type;
    config.rx_filter = rx_filter;
    if (ntpsh_interface_ioctl(interface, SIOCSHWTSTAMP, &config) < 0) return -1;
    *granted_filter = config.rx_filter;
    return 0;
}

int ntpsh_link_speed(const char *interface) {
    // ETHTOOL_GLINKSETTINGS first asks how many link-mode words the driver uses (a negative
    // count back), then reads with that many; the speed comes either way.
    // The link-mode bit masks follow the struct (three of up to 127 words each).
    union {
        struct ethtool_link_settings req;
        uint32_t words[sizeof(struct ethtool_link_settings) / 4 + 3 * 127];
    } buffer;
    struct ethtool_link_settings *settings = &buffer.req;
    memset(&buffer, 0, sizeof buffer);
    settings->cmd = ETHTOOL_GLINKSETTINGS;
    if (ntpsh_interface_ioctl(interface, SIOCETHTOOL, settings) == 0) {
        if (settings->link_mode_masks_nwords < 0) {
            int8_t words = (int8_t)-settings->link_mode_masks_nwords;
            memset(&buffer, 0, sizeof buffer);
            settings->cmd = ETHTOOL_GLINKSETTINGS;
            settings->link_mode_masks_nwords = words;
            if (ntpsh_interface_ioctl(interface, SIOCETHTOOL, settings) < 0) return -1;
        }
        uint32_t speed = settings->speed;
        return speed == (uint32_t)SPEED_UNKNOWN || speed > INT32_MAX ? 0 : (int)speed;
    }
    // A driver (or simulator) without link settings: the older ETHTOOL_GSET.
    if (errno == ENODEV) return -1;
    struct ethtool_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.cmd = ETHTOOL_GSET;
    if (ntpsh_interface_ioctl(interface, SIOCETHTOOL, &cmd) < 0) return -1;
    uint32_t speed = ethtool_cmd_speed(&cmd);
    return speed == (uint32_t)SPEED_UNKNOWN || speed > INT32_MAX ? 0 : (int)speed;
}

static int64_t ntpsh_ptp_ns(const struct ptp_clock_time *t) {
    return (int64_t)t->sec * 1000000000 + t->nsec;
}

int ntpsh_phc_read(int fd, int method, int count, struct ntpsh_phc_reading *out) {
    if (count < 1 || count > PTP_MAX_SAMPLES) {
        errno = EINVAL;
        return -1;
    }
    if (method == ntpsh_phc_precise) {
        struct ptp_sys_offset_precise precise;
        memset(&precise, 0, sizeof precise);
        if (ioctl(fd, PTP_SYS_OFFSET_PRECISE, &precise) < 0) return -1;
        int64_t system = ntpsh_ptp_ns(&precise.sys_realtime);
        out[0] = (struct ntpsh_phc_reading){system, ntpsh_ptp_ns(&precise.device), system};
        return 1;
    }
    if (method == ntpsh_phc_extended) {
        struct ptp_sys_offset_extended extended;
        memset(&extended, 0, sizeof extended);
        extended.n_samples = (unsigned)count;
        if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &extended) < 0) return -1;
        for (int i = 0; i < count; i++)
            out[i] = (struct ntpsh_phc_reading){ntpsh_ptp_ns(&extended.ts[i][0]), ntpsh_ptp_ns(&extended.ts[i][1]),
                                                ntpsh_ptp_ns(&extended.ts[i][2])};
        return count;
    }
    if (method == ntpsh_phc_basic) {
        // ts[] alternates system, device, system, ..., system: 2n + 1 stamps.
        struct ptp_sys_offset basic;
        memset(&basic, 0, sizeof basic);
        basic.n_samples = (unsigned)count;
        if (ioctl(fd, PTP_SYS_OFFSET, &basic) < 0) return -1;
        for (int i = 0; i < count; i++)
            out[i] = (struct ntpsh_phc_reading){ntpsh_ptp_ns(&basic.ts[2 * i]), ntpsh_ptp_ns(&basic.ts[2 * i + 1]),
                                                ntpsh_ptp_ns(&basic.ts[2 * i + 2])};
        return count;
    }
    errno = EINVAL;
    return -1;
}

int ntpsh_unshare_network(void) {
    return (int)syscall(SYS_unshare, CLONE_NEWNET);
}
