// CNTPPlatform: a thin, prefixed C shim for the Linux calls and types Swift's Glibc module lacks.
//
// What it owns: `struct timex` and its constants (through <sys/timex.h>), `clock_adjtime`,
// a layout-identical `struct mmsghdr` with `recvmmsg`/`sendmmsg`, a layout-identical
// `struct in6_pktinfo`, and the CMSG_* macros as functions. Nothing here keeps state.
// The layouts are checked against the real `_GNU_SOURCE` definitions in CNTPPlatform.c.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <netinet/in.h>

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

/// recvmmsg(2); returns what it returns and leaves errno set.
int ntpsh_recvmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags,
                   struct timespec *timeout);
/// sendmmsg(2).
int ntpsh_sendmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags);

/// ntp_adjtime(3) (adjtimex(2) on CLOCK_REALTIME). Returns the clock state (TIME_*) or -1.
int ntpsh_ntp_adjtime(struct timex *tx);
/// clock_adjtime(2). Returns the clock state (TIME_*) or -1.
int ntpsh_clock_adjtime(clockid_t clock, struct timex *tx);

// Constants whose glibc macros are not simple literals, or which Swift wants with one type.
static const int ntpsh_ipv6_pktinfo = IPV6_PKTINFO;
static const int ntpsh_ipv6_recvpktinfo = IPV6_RECVPKTINFO;

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
