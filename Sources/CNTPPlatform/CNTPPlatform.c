#define _GNU_SOURCE
#include "CNTPPlatform.h"

#include <netinet/in.h>
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

int ntpsh_recvmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags,
                   struct timespec *timeout) {
    return recvmmsg(fd, (struct mmsghdr *)vec, vlen, flags, timeout);
}

int ntpsh_sendmmsg(int fd, struct ntpsh_mmsghdr *vec, unsigned int vlen, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)vec, vlen, flags);
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
