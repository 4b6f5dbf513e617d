/*
 * echo.c - trivial batched UDP echo: the machine's ceiling for a UDP
 * request/response server on one core. recvmmsg(64) then sendmmsg of the
 * same buffers back to their senders; the payload is returned unchanged
 * (first 48 bytes). No timestamps, no parsing.
 *
 * usage: echo [-a ADDR] [-p PORT]     (runs until SIGTERM/SIGINT)
 * Build: gcc -O2 -o echo echo.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define PKT 48

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    int port = 12300, o;
    while ((o = getopt(argc, argv, "a:p:")) != -1) {
        if (o == 'a') addr = optarg;
        else if (o == 'p') port = atoi(optarg);
        else { fprintf(stderr, "usage: echo [-a ADDR] [-p PORT]\n"); return 2; }
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("bind"); return 1; }

    static char buf[BATCH][2048];
    struct sockaddr_in from[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr m[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = buf[i]; iov[i].iov_len = sizeof buf[i];
            memset(&m[i].msg_hdr, 0, sizeof m[i].msg_hdr);
            m[i].msg_hdr.msg_name = &from[i]; m[i].msg_hdr.msg_namelen = sizeof from[i];
            m[i].msg_hdr.msg_iov = &iov[i]; m[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("recvmmsg");
            return 1;
        }
        for (int i = 0; i < n; i++) iov[i].iov_len = PKT;
        int done = 0;
        while (done < n) {
            int r = sendmmsg(fd, m + done, n - done, 0);
            if (r <= 0) break;
            done += r;
        }
    }
}
