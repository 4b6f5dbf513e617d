// CNTPPlatform: a thin, prefixed C shim for the Linux calls and types Swift's Glibc module lacks.
//
// What it owns: `struct timex` and its constants (through <sys/timex.h>), `clock_adjtime`,
// a layout-identical `struct mmsghdr` with `recvmmsg`/`sendmmsg` (falling back to one
// `recvmsg`/`sendmsg` at a time where they are missing), a layout-identical
// `struct in6_pktinfo`, SO_TIMESTAMPING's constants, the CMSG_* macros as functions, and a
// signal handler that only records the signal (the single-threaded daemon's).
// State kept: whether recvmmsg/sendmmsg are missing, and the last signal caught.
// The layouts are checked against the real `_GNU_SOURCE` definitions in CNTPPlatform.c.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/net_tstamp.h>

/// `struct mmsghdr` (which needs _GNU_SOURCE), layout-identical.
struct ntpsh_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// `struct in6_pktinfo` (which needs _GNU_SOURCE), layout-identical.
struct ntpsh_in6_pktinfo {
    struct in6_addr ipi6_addr;
    unsigned int ipi6_ifindex;
};

/// recvmmsg(2); returns what it returns and leaves errno set. Where recvmmsg is missing
/// (ENOSYS), one recvmsg(2): at most one datagram (`timeout` is then not used).
int ntpsh_recvmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags,
                   struct timespec *timeout);
/// sendmmsg(2). Where sendmmsg is missing (ENOSYS), one sendmsg(2) per datagram, with
/// sendmmsg's result: the count sent, or -1 with errno when the first one fails.
int ntpsh_sendmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags);

/// ntp_adjtime(3) (adjtimex(2) on CLOCK_REALTIME). Returns the clock state (TIME_*) or -1.
int ntpsh_ntp_adjtime(struct timex *tx);
/// clock_adjtime(2). Returns the clock state (TIME_*) or -1.
int ntpsh_clock_adjtime(clockid_t clock, struct timex *tx);

// Constants whose glibc macros are not simple literals, or which Swift wants with one type.
static const int ntpsh_ipv6_pktinfo = IPV6_PKTINFO;
static const int ntpsh_ipv6_recvpktinfo = IPV6_RECVPKTINFO;
/// SO_TIMESTAMPING and its control message SCM_TIMESTAMPING (struct scm_timestamping).
static const int ntpsh_so_timestamping = SO_TIMESTAMPING;
static const int ntpsh_scm_timestamping = SCM_TIMESTAMPING;
/// Software receive stamps through SO_TIMESTAMPING.
static const int ntpsh_timestamping_rx_software = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
/// Software transmit stamps: asked for per socket (every datagram) or per datagram (a
/// control message of this type, SO_TIMESTAMPING, carrying it).
static const int ntpsh_timestamping_tx_software = SOF_TIMESTAMPING_TX_SOFTWARE;
/// Reporting for transmit stamps read from the error queue: the software stamp, a per-socket
/// counter of stamped datagrams (OPT_ID) and no copy of the packet (OPT_TSONLY).
static const int ntpsh_timestamping_tx_report =
    SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
/// The OPT_ID bit alone: turned off and on again, it restarts the socket's key count at 0.
static const int ntpsh_timestamping_opt_id = SOF_TIMESTAMPING_OPT_ID;
/// SOF_TIMESTAMPING_OPT_RX_FILTER (Linux 6.7; older headers lack it): no SCM_TIMESTAMPING on
/// received datagrams unless RX_SOFTWARE is asked for (SO_TIMESTAMPNS gives those).
static const int ntpsh_timestamping_opt_rx_filter = 1 << 17;

/// Reads one entry of the socket's error queue (MSG_ERRQUEUE, nonblocking): a transmit
/// timestamp and its OPT_ID key. Returns 1 with *key, *stamp (the software stamp, ts[0]) and
/// *hardware (the NIC's raw stamp, ts[2]) set, either zero when not taken; 2 for an entry that
/// carries no timestamp (skip it), 0 when the queue is empty, -1 with errno on failure.
int ntpsh_read_tx_timestamp(int fd, uint32_t *key, struct timespec *stamp, struct timespec *hardware);

// CMSG_* as functions (the macros do not import into Swift).
static inline struct cmsghdr *ntpsh_cmsg_firsthdr(struct msghdr *msg) {
    return CMSG_FIRSTHDR(msg);
}
static inline struct cmsghdr *ntpsh_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg) {
    return CMSG_NXTHDR(msg, cmsg);
}
static inline unsigned char *ntpsh_cmsg_data(struct cmsghdr *cmsg) {
    return CMSG_DATA(cmsg);
}
static inline size_t ntpsh_cmsg_space(size_t length) {
    return CMSG_SPACE(length);
}
static inline size_t ntpsh_cmsg_len(size_t length) {
    return CMSG_LEN(length);
}

/// The credentials of the process at the other end of a Unix stream socket (SO_PEERCRED,
/// taken when it connected). Returns 0, or -1 with errno set.
int ntpsh_peer_credentials(int fd, int *pid, unsigned int *uid, unsigned int *gid);
/// Its supplementary groups (SO_PEERGROUPS, Linux 4.13): fills up to *count ids and sets
/// *count to how many there are. Returns 0, or -1 with errno set (ERANGE: *count too small).
int ntpsh_peer_groups(int fd, unsigned int *groups, int *count);

/// Catches `sig` with a handler that only records it, and blocks it in the calling thread: it
/// is delivered only inside ntpsh_poll_catching. Returns 0, or -1 with errno set.
int ntpsh_catch_signal(int sig);
/// The signal recorded since the last call (the latest if several came), 0 for none; clears it.
int ntpsh_take_signal(void);
/// poll(2) during which the caught signals are unblocked (ppoll(2)): one that came before the
/// call, or comes during it, ends it with EINTR; none is lost between a look and the wait.
/// `timeout_ms` < 0 waits forever.
int ntpsh_poll_catching(struct pollfd *fds, nfds_t count, int timeout_ms);

/// Privilege drop (ntpd's `-u USER[:GROUP]`): becomes `uid`/`gid` with `gid` as the only
/// group, keeping exactly the capabilities in the bit mask `keep` (bit N = capability N, e.g.
/// CAP_SYS_TIME = 25) permitted and effective, none inheritable (PR_SET_KEEPCAPS across the
/// setuid, then capset). Capabilities are per thread: call it before any other thread starts
/// (threads started later inherit them). Returns 0, or -1 with errno set and *step naming the
/// call that failed ("setgroups", "setgid", "setuid", "capset", "prctl").
int ntpsh_drop_privileges(unsigned int uid, unsigned int gid, unsigned long long keep, const char **step);
/// The calling thread's effective and permitted capability masks (capget). Returns 0 or -1.
int ntpsh_capabilities(unsigned long long *effective, unsigned long long *permitted);

/// `--sandbox`: a seccomp filter for every thread of the process (TSYNC, no_new_privs): the
/// system calls named in `allowed` run, those in `refused` fail with EPERM, any other kills the
/// process (a call the daemon was never seen to make is a bug or an attack, not a fallback).
/// Names unknown to this kernel's table are skipped. Returns how many rules were added, or -1
/// with errno set (and *unknown the first name libseccomp could not add, if that was the cause).
int ntpsh_sandbox(const char *const *allowed, int allowed_count, const char *const *refused, int refused_count,
                  const char **unknown);

/// Unmaps this process's resident pages of every loaded object's read-only PT_LOAD segments
/// (the program's and the libraries' code and constants): madvise(MADV_DONTNEED). The pages stay
/// in the page cache; a page used again is mapped back by a minor fault. For the daemon once it
/// has started, so that its resident set is what serving touches, not what starting touched (the
/// argument parser, the configuration, the relocation tables; with the kernel's fault-around,
/// 64 kB per page touched). Writable segments (and so RELRO) are never touched, nor an object
/// with text relocations, nor the vDSO; except the executable's `.rodata` when the linker put it
/// in a writable segment (Swift's objects mark theirs writable): constants, of which the pages
/// /proc/self/pagemap shows still the file's (not relocated, never written) go too. Then
/// malloc_trim(0): the heap's free pages go too.
/// Returns the bytes advised, or -1 with errno set.
long long ntpsh_release_read_only_pages(void);

/// Unmaps the pages wholly inside [start, start + length) of a private file mapping that are
/// still the file's (per /proc/self/pagemap: not present, or a page-cache page): what the
/// process wrote (copied on write) or the loader relocated stays. Only for memory nothing
/// writes meanwhile (constants): a page written between the check and the unmapping would be
/// lost. Returns the bytes unmapped, or -1 with errno set.
long long ntpsh_release_unwritten_pages(void *start, size_t length);

/// What an interface's driver offers for timestamping (ETHTOOL_GET_TS_INFO).
struct ntpsh_timestamping_info {
    /// SOF_TIMESTAMPING_* bits the driver supports.
    uint32_t so_timestamping;
    /// The PTP hardware clock's index (/dev/ptpN), -1 for none.
    int32_t phc_index;
    /// Bit masks of HWTSTAMP_TX_* and HWTSTAMP_FILTER_* values.
    uint32_t tx_types;
    uint32_t rx_filters;
};
/// Queries `interface` (SIOCETHTOOL, ETHTOOL_GET_TS_INFO). Returns 0, or -1 with errno
/// (ENODEV: no such interface; EOPNOTSUPP: a driver without ethtool).
int ntpsh_timestamping_info(const char *interface, struct ntpsh_timestamping_info *info);
static const uint32_t ntpsh_sof_tx_hardware = SOF_TIMESTAMPING_TX_HARDWARE;
static const uint32_t ntpsh_sof_rx_hardware = SOF_TIMESTAMPING_RX_HARDWARE;
static const uint32_t ntpsh_sof_raw_hardware = SOF_TIMESTAMPING_RAW_HARDWARE;
static const uint32_t ntpsh_sof_tx_software = SOF_TIMESTAMPING_TX_SOFTWARE;
static const uint32_t ntpsh_sof_rx_software = SOF_TIMESTAMPING_RX_SOFTWARE;
/// The receive filters that stamp NTP packets: all packets, or (Linux 5.x+) NTP's.
static const uint32_t ntpsh_hwtstamp_filter_all = 1u << HWTSTAMP_FILTER_ALL;
static const uint32_t ntpsh_hwtstamp_filter_ntp_all = 1u << 15;  // HWTSTAMP_FILTER_NTP_ALL
static const uint32_t ntpsh_hwtstamp_tx_on = 1u << HWTSTAMP_TX_ON;

// Hardware timestamping (`hwtimestamp` on a NIC with a PTP clock; see HardwareTimestamping.swift).
static const int ntpsh_scm_timestamping_pktinfo = SCM_TIMESTAMPING_PKTINFO;
/// SO_TIMESTAMPING flags for a socket on a hardware-stamping interface: raw hardware stamps
/// both ways, software ones beside them (the fallback, and for packets on other interfaces),
/// the interface and frame length of hardware-stamped packets (OPT_PKTINFO), and transmit
/// stamps keyed and without the packet (OPT_ID, OPT_TSONLY) as the software path has them.
static const uint32_t ntpsh_timestamping_hardware =
    SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE |
    SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
    SOF_TIMESTAMPING_OPT_PKTINFO | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
static const int ntpsh_hwtstamp_tx_on_value = HWTSTAMP_TX_ON;
static const int ntpsh_hwtstamp_filter_none_value = HWTSTAMP_FILTER_NONE;
static const int ntpsh_hwtstamp_filter_all_value = HWTSTAMP_FILTER_ALL;
static const int ntpsh_hwtstamp_filter_ntp_all_value = 15;  // HWTSTAMP_FILTER_NTP_ALL
static const int ntpsh_hwtstamp_filter_ptp_v2_event_value = HWTSTAMP_FILTER_PTP_V2_EVENT;
/// SIOCSHWTSTAMP on `interface`: turns its transmit stamping to `tx_type` and its receive
/// filter to `rx_filter`. Returns 0 with *granted_filter set to the filter the driver chose
/// (it may widen the one asked), or -1 with errno (EPERM: no CAP_NET_ADMIN; EOPNOTSUPP: a
/// driver without hardware stamping; ERANGE: a mode it does not support; ENODEV).
int ntpsh_hwtstamp_set(const char *interface, int tx_type, int rx_filter, int *granted_filter);
/// ETHTOOL_GLINKSETTINGS (ETHTOOL_GSET on older drivers): the link speed in Mb/s, 0 when the
/// driver does not know it, or -1 with errno.
int ntpsh_link_speed(const char *interface);

/// One reading of a PTP clock between two of CLOCK_REALTIME, nanoseconds.
struct ntpsh_phc_reading {
    int64_t system_before;
    int64_t device;
    int64_t system_after;
};
/// How a PTP clock was read against the system clock.
enum { ntpsh_phc_precise = 1, ntpsh_phc_extended = 2, ntpsh_phc_basic = 3 };
/// Reads the PTP clock open at `fd`: PTP_SYS_OFFSET_PRECISE (one cross-timestamp, delay 0)
/// when `method` is ntpsh_phc_precise, PTP_SYS_OFFSET_EXTENDED, or PTP_SYS_OFFSET, `count`
/// readings (at most 25) into `out`. Returns the readings written, or -1 with errno
/// (EOPNOTSUPP/ENOTTY: the driver lacks that method).
int ntpsh_phc_read(int fd, int method, int count, struct ntpsh_phc_reading *out);
/// unshare(CLONE_NEWNET) for the calling thread only (unshare needs _GNU_SOURCE): a network
/// namespace of its own, with only `lo`, where tests make their veth pairs. Returns 0 or -1
/// with errno (EPERM without CAP_SYS_ADMIN).
int ntpsh_unshare_network(void);
