/*
 * loadgen.c - NTP (mode 3, v4) load generator for ntpsh benchmarks.
 *
 * Requests are 48-byte NTPv4 client packets whose transmit timestamp is a
 * random 64-bit cookie; a reply counts only if it is mode 4, at least 48
 * bytes long, and its origin timestamp equals a cookie still outstanding
 * (with -e, for the echo ceiling, the transmit field of the echoed packet is
 * matched instead and the mode is not checked).
 *
 * Modes (one machine-readable line per result on stdout):
 *   flood            responses/s over -t seconds with -w requests in flight
 *   rate R           paced at R req/s for -t seconds: RTT p50/p99/p999, loss
 *   precision        -n sequential requests, -i µs apart; client receive time
 *                    from SO_TIMESTAMPNS, T1 = clock_gettime just before send;
 *                    median |offset|, median delay, median server T3-T2;
 *                    the spread: sd of the offset, p99 of |offset|.
 *                    With -x, interleaved mode (RFC 9769): T1 is the kernel's
 *                    transmit stamp (SO_TIMESTAMPING), each request carries the
 *                    server's last receive stamp as origin and ours of its reply,
 *                    and an interleaved reply completes the previous exchange
 *                    with the server's kernel transmit stamp; the statistics
 *                    are of the interleaved samples alone (interleaved=N;
 *                    basic=N counts the basic replies, not measured)
 *   probe            one request every 50 ms until a reply, at most -t s
 *                    (exit 0 on reply, 1 on timeout): readiness check
 *
 * Build: gcc -O2 -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#define PKT 48
#define BATCH 64
#define NTP_UNIX_DELTA 2208988800ULL

static const char *opt_addr = "127.0.0.1";
static int opt_port = 123;
static double opt_secs = 3.0;
static int opt_window = 256;
static int opt_count = 500;
static int opt_interval_us = 2000;
static int opt_echo = 0;
static int opt_sync = 0;
static int opt_xleave = 0;
static double opt_warmup = 0.5;
static const char *opt_label = "-";

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static inline uint64_t rnd(void)
{
    /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}
/* NTP 64-bit timestamp -> ns since the Unix epoch (era 0, fine until 2036) */
static inline int64_t ntp_to_ns(uint64_t t)
{
    int64_t sec = (int64_t)(t >> 32) - (int64_t)NTP_UNIX_DELTA;
    int64_t frac = (int64_t)(((t & 0xffffffffULL) * 1000000000ULL + 0x80000000ULL) >> 32);
    return sec * 1000000000LL + frac;
}

static void make_req(uint8_t *p, uint64_t cookie)
{
    memset(p, 0, PKT);
    p[0] = (0 << 6) | (4 << 3) | 3; /* LI 0, VN 4, mode 3 */
    p[2] = 6;                       /* poll */
    p[3] = (uint8_t)-20;            /* precision */
    put64(p + 40, cookie);
}

/* returns the cookie echoed by a reply, or 0 if the packet is not a reply */
static inline uint64_t reply_cookie(const uint8_t *p, int len)
{
    if (len < PKT) return 0;
    if (opt_echo) return get64(p + 40);
    if ((p[0] & 7) != 4) return 0;
    return get64(p + 24);
}

/* kiss-o'-death: stratum 0 and a kiss code that tells the client to stop */
static inline int is_kod(const uint8_t *p)
{
    if (opt_echo || p[1] != 0) return 0;
    return !memcmp(p + 12, "RATE", 4) || !memcmp(p + 12, "DENY", 4) || !memcmp(p + 12, "RSTR", 4);
}

static int open_socket(int timestamps)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); exit(2); }
    int big = 8 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (timestamps) {
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
            perror("SO_TIMESTAMPNS"); exit(2);
        }
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(opt_port) };
    if (inet_pton(AF_INET, opt_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", opt_addr); exit(2);
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("connect"); exit(2); }
    return fd;
}

static int64_t rx_stamp(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        }
    }
    return 0;
}

static void drain(int fd)
{
    uint8_t b[2048];
    while (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0) {}
}

/* ------------------------------------------------------------------ flood */

static int do_flood(void)
{
    int fd = open_socket(0);
    int W = opt_window;
    if (W < 1 || W > 65536) { fprintf(stderr, "window 1..65536\n"); return 2; }
    uint64_t *cookie = calloc(65536, sizeof *cookie);
    int64_t *sent_at = calloc(65536, sizeof *sent_at);
    int *freel = malloc(65536 * sizeof *freel);
    int nfree = 0;
    for (int i = W - 1; i >= 0; i--) freel[nfree++] = i;

    static uint8_t txb[BATCH][PKT], rxb[BATCH][256];
    struct mmsghdr txm[BATCH], rxm[BATCH];
    struct iovec txv[BATCH], rxv[BATCH];
    memset(txm, 0, sizeof txm); memset(rxm, 0, sizeof rxm);
    for (int i = 0; i < BATCH; i++) {
        txv[i].iov_base = txb[i]; txv[i].iov_len = PKT;
        txm[i].msg_hdr.msg_iov = &txv[i]; txm[i].msg_hdr.msg_iovlen = 1;
        rxv[i].iov_base = rxb[i]; rxv[i].iov_len = sizeof rxb[i];
        rxm[i].msg_hdr.msg_iov = &rxv[i]; rxm[i].msg_hdr.msg_iovlen = 1;
    }
    drain(fd);

    const int64_t expire_ns = 200000000LL; /* a request unanswered for 200 ms is lost */
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int64_t tmeas = t0 + (int64_t)(opt_warmup * 1e9);
    int64_t tend = tmeas + (int64_t)(opt_secs * 1e9);
    int64_t now = t0, last_scan = t0;
    uint64_t sent = 0, valid = 0, invalid = 0, lost = 0, kod = 0;
    uint64_t sent_m = 0, valid_m = 0;
    int measuring = 0;

    while (now < tend) {
        /* fill the window */
        while (nfree > 0) {
            int n = nfree < BATCH ? nfree : BATCH;
            int slots[BATCH];
            for (int i = 0; i < n; i++) {
                int s = freel[--nfree];
                slots[i] = s;
                uint64_t c = (rnd() & ~0xffffULL) | (uint64_t)s;
                cookie[s] = c;
                sent_at[s] = now;
                make_req(txb[i], c);
            }
            int r = sendmmsg(fd, txm, n, MSG_DONTWAIT);
            if (r < 0) r = 0;
            for (int i = n - 1; i >= r; i--) { cookie[slots[i]] = 0; freel[nfree++] = slots[i]; }
            sent += r;
            if (measuring) sent_m += r;
            if (r < n) break;
        }
        int r = recvmmsg(fd, rxm, BATCH, MSG_DONTWAIT, NULL);
        if (r <= 0) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            poll(&p, 1, 10);
        } else {
            for (int i = 0; i < r; i++) {
                uint64_t c = reply_cookie(rxb[i], rxm[i].msg_len);
                int s = (int)(c & 0xffff);
                if (c != 0 && s < W && cookie[s] == c) {
                    if (is_kod(rxb[i])) kod++;
                    else { valid++; if (measuring) valid_m++; }
                    cookie[s] = 0;
                    freel[nfree++] = s;
                } else {
                    invalid++;
                }
            }
        }
        now = now_ns(CLOCK_MONOTONIC);
        if (!measuring && now >= tmeas) { measuring = 1; tmeas = now; }
        if (now - last_scan > 20000000LL) {
            last_scan = now;
            for (int s = 0; s < W; s++) {
                if (cookie[s] && now - sent_at[s] > expire_ns) {
                    cookie[s] = 0; freel[nfree++] = s; lost++;
                }
            }
        }
    }
    double el = (now - tmeas) / 1e9;
    printf("result label=%s test=flood window=%d secs=%.3f rps=%.0f sent=%" PRIu64
           " valid=%" PRIu64 " lost=%" PRIu64 " invalid=%" PRIu64 " kod=%" PRIu64 "\n",
           opt_label, W, el, valid_m / el, sent, valid, lost, invalid, kod);
    (void)sent_m;
    close(fd);
    return valid_m > 0 ? 0 : 1;
}

/* ------------------------------------------------------------------- rate */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}
static double pct(const int64_t *v, size_t n, double p)
{
    if (n == 0) return 0;
    size_t i = (size_t)(p * (n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static int do_rate(double R)
{
    int fd = open_socket(1);
    uint64_t total = (uint64_t)(R * opt_secs);
    if (R <= 0 || total == 0 || total >= (1u << 24)) {
        fprintf(stderr, "rate*secs must be in 1..16M\n"); return 2;
    }
    uint64_t *cookie = calloc(total, sizeof *cookie);
    int64_t *t1 = calloc(total, sizeof *t1);
    int64_t *rtt = malloc(total * sizeof *rtt);
    size_t nrtt = 0;

    static uint8_t txb[BATCH][PKT], rxb[BATCH][256];
    static char ctl[BATCH][256];
    struct mmsghdr txm[BATCH], rxm[BATCH];
    struct iovec txv[BATCH], rxv[BATCH];
    memset(txm, 0, sizeof txm); memset(rxm, 0, sizeof rxm);
    for (int i = 0; i < BATCH; i++) {
        txv[i].iov_base = txb[i]; txv[i].iov_len = PKT;
        txm[i].msg_hdr.msg_iov = &txv[i]; txm[i].msg_hdr.msg_iovlen = 1;
        rxv[i].iov_base = rxb[i]; rxv[i].iov_len = sizeof rxb[i];
        rxm[i].msg_hdr.msg_iov = &rxv[i]; rxm[i].msg_hdr.msg_iovlen = 1;
    }
    drain(fd);

    uint64_t sent = 0, invalid = 0, kod = 0, dup = 0, nostamp = 0, stalls = 0;
    int64_t maxlag = 0;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int64_t tsendend = t0 + (int64_t)(opt_secs * 1e9);
    int64_t tend = tsendend + 500000000LL; /* drain replies for 0.5 s */
    int64_t hard = tend + (int64_t)(opt_secs * 1e9); /* bound despite stalls */
    double per = 1e9 / R;
    for (;;) {
        int64_t mnow = now_ns(CLOCK_MONOTONIC);
        if (mnow >= tend || mnow >= hard || (sent == total && nrtt + kod >= total)) break;
        if (sent < total) {
            uint64_t due = (uint64_t)((mnow - t0) / per) + 1;
            if (due > total) due = total;
            if (due > sent) {
                int n = (int)(due - sent < BATCH ? due - sent : BATCH);
                int64_t lag = mnow - (t0 + (int64_t)(sent * per));
                if (lag > maxlag) maxlag = lag;
                if (lag > 1000000LL) {
                    /* the generator itself was stalled (> 1 ms behind): do not
                     * burst to catch up, move the schedule instead */
                    stalls++;
                    t0 += lag;
                    tsendend += lag;
                    tend += lag;
                    due = sent + 1;
                }
                for (int i = 0; i < n; i++) {
                    uint64_t seq = sent + i;
                    uint64_t c = (rnd() & ~0xffffffULL) | seq;
                    cookie[seq] = c;
                    make_req(txb[i], c);
                }
                int64_t ts = now_ns(CLOCK_REALTIME);
                int r = sendmmsg(fd, txm, n, MSG_DONTWAIT);
                if (r < 0) r = 0;
                for (int i = 0; i < r; i++) t1[sent + i] = ts;
                for (int i = r; i < n; i++) cookie[sent + i] = 0;
                sent += r;
            }
        }
        for (int i = 0; i < BATCH; i++) {
            rxm[i].msg_hdr.msg_control = ctl[i];
            rxm[i].msg_hdr.msg_controllen = sizeof ctl[i];
        }
        int r = recvmmsg(fd, rxm, BATCH, MSG_DONTWAIT, NULL);
        for (int i = 0; i < r; i++) {
            uint64_t c = reply_cookie(rxb[i], rxm[i].msg_len);
            uint64_t seq = c & 0xffffff;
            if (c == 0 || seq >= sent || cookie[seq] != c) {
                if (c != 0 && seq < sent && t1[seq] < 0) dup++; else invalid++;
                continue;
            }
            cookie[seq] = 0;
            if (is_kod(rxb[i])) { kod++; t1[seq] = -1; continue; }
            int64_t t4 = rx_stamp(&rxm[i].msg_hdr);
            if (t4 == 0) { nostamp++; t4 = now_ns(CLOCK_REALTIME); }
            rtt[nrtt++] = t4 - t1[seq];
            t1[seq] = -1;
        }
        if (sent == total && r <= 0) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            poll(&p, 1, 5);
        }
    }
    qsort(rtt, nrtt, sizeof *rtt, cmp_i64);
    uint64_t lost = sent - nrtt - kod;
    printf("result label=%s test=rate rate=%.0f secs=%.3f sent=%" PRIu64 " recv=%zu lost=%" PRIu64
           " kod=%" PRIu64 " invalid=%" PRIu64 " dup=%" PRIu64 " p50_us=%.1f p99_us=%.1f p999_us=%.1f"
            " max_us=%.1f maxlag_us=%.1f stalls=%" PRIu64 " nostamp=%" PRIu64 "\n",
           opt_label, R, opt_secs, sent, nrtt, lost, kod, invalid, dup,
           pct(rtt, nrtt, 0.5) / 1e3, pct(rtt, nrtt, 0.99) / 1e3, pct(rtt, nrtt, 0.999) / 1e3,
           nrtt ? rtt[nrtt - 1] / 1e3 : 0.0, maxlag / 1e3, stalls, nostamp);
    close(fd);
    return nrtt > 0 ? 0 : 1;
}

/* -------------------------------------------------------------- precision */

/* the kernel's transmit stamp of the datagram just sent (SO_TIMESTAMPING), 0 if none in 10 ms */
static int64_t tx_stamp(int fd)
{
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + 10000000LL;
    for (;;) {
        char data[64], ctl[256];
        struct iovec v = { data, sizeof data };
        struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
        if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                    struct timespec ts[3];
                    memcpy(ts, CMSG_DATA(c), sizeof ts);
                    return (int64_t)ts[0].tv_sec * 1000000000LL + ts[0].tv_nsec;
                }
            }
            continue;
        }
        int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
        if (left <= 0) return 0;
        struct pollfd p = { .fd = fd, .events = 0 };
        poll(&p, 1, (int)(left / 1000000) + 1);
    }
}

static uint64_t ns_to_ntp(int64_t ns)
{
    int64_t sec = ns / 1000000000LL, sub = ns % 1000000000LL;
    return ((uint64_t)(sec + NTP_UNIX_DELTA) << 32) | (uint64_t)(((uint64_t)sub << 32) / 1000000000ULL);
}

static int do_precision(void)
{
    int fd = open_socket(1);
    if (opt_xleave) {
        int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) < 0) { perror("SO_TIMESTAMPING"); exit(2); }
    }
    int N = opt_count;
    int64_t *off = malloc(N * sizeof *off), *aoff = malloc(N * sizeof *aoff);
    int64_t *dly = malloc(N * sizeof *dly), *srv = malloc(N * sizeof *srv);
    int n = 0, timeouts = 0, bad = 0, consecutive = 0, interleaved = 0, basic = 0;
    int li = -1, stratum = -1;
    uint8_t tx[PKT], rx[256];
    char ctl[256];
    /* interleaved mode: the last exchange (0: none) */
    uint64_t prev_remote_rx = 0;
    int64_t prev_T1 = 0, prev_T4 = 0;
    drain(fd);
    for (int k = 0; k < N && consecutive < 5; k++) {
        if (k > 0 && opt_interval_us > 0) {
            struct timespec d = { opt_interval_us / 1000000, (opt_interval_us % 1000000) * 1000L };
            nanosleep(&d, NULL);
        }
        uint64_t c = rnd();
        if (c == 0) c = 1;
        make_req(tx, c);
        uint64_t rx_field = 0;
        if (opt_xleave && prev_remote_rx) {
            rx_field = ns_to_ntp(prev_T4);
            if (rx_field == c) rx_field ^= 1;
            put64(tx + 24, prev_remote_rx);
            put64(tx + 32, rx_field);
        }
        int64_t T1 = now_ns(CLOCK_REALTIME);
        if (send(fd, tx, PKT, 0) != PKT) { bad++; continue; }
        if (opt_xleave) { int64_t k1 = tx_stamp(fd); if (k1) T1 = k1; }
        int64_t deadline = now_ns(CLOCK_MONOTONIC) + 200000000LL;
        for (;;) {
            int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
            if (left <= 0) { timeouts++; consecutive++; prev_remote_rx = 0; break; }
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, (int)(left / 1000000) + 1) <= 0) continue;
            struct iovec v = { rx, sizeof rx };
            struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1,
                                 .msg_control = ctl, .msg_controllen = sizeof ctl };
            ssize_t len = recvmsg(fd, &mh, MSG_DONTWAIT);
            if (len < 0) continue;
            uint64_t org = len >= PKT ? get64(rx + 24) : 0;
            int xl = opt_xleave && rx_field && (rx[0] & 7) == 4 && org == rx_field;
            if (!xl && reply_cookie(rx, (int)len) != c) { bad++; continue; }
            int64_t T4 = rx_stamp(&mh);
            if (T4 == 0) T4 = now_ns(CLOCK_REALTIME);
            int64_t T2, T3, t1 = T1, t4 = T4;
            if (opt_echo) { T2 = T3 = T1 + (T4 - T1) / 2; }
            else if (xl) {
                /* the previous exchange, completed by the server's kernel transmit stamp */
                T2 = ntp_to_ns(prev_remote_rx); T3 = ntp_to_ns(get64(rx + 40));
                t1 = prev_T1; t4 = prev_T4;
                interleaved++;
            } else { T2 = ntp_to_ns(get64(rx + 32)); T3 = ntp_to_ns(get64(rx + 40)); }
            li = rx[0] >> 6; stratum = rx[1];
            consecutive = 0;
            prev_remote_rx = get64(rx + 32); prev_T1 = T1; prev_T4 = T4;
            /* -x: the spread of the interleaved samples alone (the first replies are basic) */
            if (opt_xleave && !xl) { basic++; break; }
            off[n] = ((T2 - t1) + (T3 - t4)) / 2;
            aoff[n] = off[n] < 0 ? -off[n] : off[n];
            dly[n] = (t4 - t1) - (T3 - T2);
            srv[n] = T3 - T2;
            n++;
            break;
        }
    }
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += off[i];
    mean = n ? mean / n : 0;
    for (int i = 0; i < n; i++) var += (off[i] - mean) * (off[i] - mean);
    double sd = n > 1 ? sqrt(var / (n - 1)) : 0;
    qsort(off, n, sizeof *off, cmp_i64);
    qsort(aoff, n, sizeof *aoff, cmp_i64);
    qsort(dly, n, sizeof *dly, cmp_i64);
    qsort(srv, n, sizeof *srv, cmp_i64);
    printf("result label=%s test=precision count=%d ok=%d timeouts=%d bad=%d li=%d stratum=%d"
           " absoff_med_us=%.3f absoff_p90_us=%.3f absoff_p99_us=%.3f off_med_us=%.3f off_sd_us=%.3f"
           " delay_med_us=%.3f delay_p90_us=%.3f srv_med_us=%.3f srv_p90_us=%.3f xleave=%d interleaved=%d basic=%d\n",
           opt_label, N, n, timeouts, bad, li, stratum,
           pct(aoff, n, 0.5) / 1e3, pct(aoff, n, 0.9) / 1e3, pct(aoff, n, 0.99) / 1e3, pct(off, n, 0.5) / 1e3,
           sd / 1e3, pct(dly, n, 0.5) / 1e3, pct(dly, n, 0.9) / 1e3,
           pct(srv, n, 0.5) / 1e3, pct(srv, n, 0.9) / 1e3, opt_xleave, interleaved, basic);
    close(fd);
    return n > 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ probe */

static int do_probe(void)
{
    int fd = open_socket(0);
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)(opt_secs * 1e9);
    uint8_t tx[PKT], rx[256];
    int tries = 0;
    while (now_ns(CLOCK_MONOTONIC) < deadline) {
        uint64_t c = rnd() | 1;
        make_req(tx, c);
        send(fd, tx, PKT, 0); /* ECONNREFUSED while nobody listens: ignored */
        tries++;
        int64_t until = now_ns(CLOCK_MONOTONIC) + 50000000LL;
        for (;;) {
            int64_t left = until - now_ns(CLOCK_MONOTONIC);
            if (left <= 0) break;
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, (int)(left / 1000000) + 1) <= 0) continue;
            ssize_t len = recv(fd, rx, sizeof rx, MSG_DONTWAIT);
            if (len < 0) continue;
            if (reply_cookie(rx, (int)len) == c && (!opt_sync || (rx[0] >> 6) != 3)) {
                printf("result label=%s test=probe ok=1 tries=%d li=%d stratum=%d\n",
                       opt_label, tries, rx[0] >> 6, rx[1]);
                close(fd);
                return 0;
            }
        }
    }
    printf("result label=%s test=probe ok=0 tries=%d\n", opt_label, tries);
    close(fd);
    return 1;
}

static void usage(void)
{
    fprintf(stderr,
        "usage: loadgen [-a ADDR] [-p PORT] [-t SECS] [-w WINDOW] [-n COUNT] [-i INTERVAL_US]\n"
        "               [-W WARMUP_SECS] [-e] [-s] [-x] [-L LABEL] flood | rate R | precision | probe\n"
        "  -x  precision: interleaved mode (RFC 9769)\n"
        "  -e  echo server: match the cookie in the transmit field, do not require mode 4\n"
        "  -s  probe: wait for a synchronised reply (leap indicator not 3)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int o;
    while ((o = getopt(argc, argv, "a:p:t:w:n:i:W:esxL:h")) != -1) {
        switch (o) {
        case 'a': opt_addr = optarg; break;
        case 'p': opt_port = atoi(optarg); break;
        case 't': opt_secs = atof(optarg); break;
        case 'w': opt_window = atoi(optarg); break;
        case 'n': opt_count = atoi(optarg); break;
        case 'i': opt_interval_us = atoi(optarg); break;
        case 'W': opt_warmup = atof(optarg); break;
        case 'e': opt_echo = 1; break;
        case 's': opt_sync = 1; break;
        case 'x': opt_xleave = 1; break;
        case 'L': opt_label = optarg; break;
        default: usage();
        }
    }
    if (optind >= argc) usage();
    prctl(PR_SET_TIMERSLACK, 1UL);
    rng_state ^= (uint64_t)now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
    for (int i = 0; i < 4; i++) rnd();
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *m = argv[optind];
    if (!strcmp(m, "flood")) return do_flood();
    if (!strcmp(m, "precision")) return do_precision();
    if (!strcmp(m, "probe")) return do_probe();
    if (!strcmp(m, "rate")) {
        if (optind + 1 >= argc) usage();
        return do_rate(atof(argv[optind + 1]));
    }
    usage();
    return 2;
}
