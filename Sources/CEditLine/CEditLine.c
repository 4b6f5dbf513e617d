// CEditLine: see include/CEditLine.h.
#define _GNU_SOURCE
#include "CEditLine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

int ntpsh_el_set_editor(EditLine *el, const wchar_t *mode) { return el_wset(el, EL_EDITOR, mode); }

int ntpsh_el_set_prompt(EditLine *el, ntpsh_el_wprompt_t fn, wchar_t esc) {
    return el_wset(el, EL_PROMPT_ESC, fn, esc);
}

int ntpsh_el_set_clientdata(EditLine *el, void *data) { return el_wset(el, EL_CLIENTDATA, data); }

void *ntpsh_el_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_wget(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

int ntpsh_el_set_getcfn(EditLine *el, ntpsh_el_rfunc_t fn) { return el_wset(el, EL_GETCFN, fn); }

int ntpsh_el_addfn(EditLine *el, const wchar_t *name, const wchar_t *help, ntpsh_el_func_t fn) {
    return el_wset(el, EL_ADDFN, name, help, fn);
}

int ntpsh_el_bind(EditLine *el, const wchar_t *key, const wchar_t *name) {
    return el_wset(el, EL_BIND, key, name, (const wchar_t *)NULL);
}

int ntpsh_el_setty_edit(EditLine *el, const wchar_t *flag) {
    return el_wset(el, EL_SETTY, L"-d", flag, (const wchar_t *)NULL);
}

int ntpsh_el_set_history(EditLine *el, HistoryW *h) { return el_wset(el, EL_HIST, history_w, h); }

int ntpsh_el_refresh(EditLine *el) { return el_wset(el, EL_REFRESH); }

int ntpsh_el_columns(EditLine *el) {
    int cols = 0;
    if (el_get(el, EL_GETTC, "co", &cols, (void *)NULL) != 0) return 0;
    return cols;
}

int ntpsh_history_set_size(HistoryW *h, int size) {
    HistEventW ev;
    return history_w(h, &ev, H_SETSIZE, size);
}

int ntpsh_history_count(HistoryW *h) {
    HistEventW ev;
    if (history_w(h, &ev, H_GETSIZE) != 0) return 0;
    return ev.num;
}

int ntpsh_history_enter(HistoryW *h, const wchar_t *line) {
    HistEventW ev;
    return history_w(h, &ev, H_ENTER, line);
}

int ntpsh_history_set_unique(HistoryW *h, int unique) {
    HistEventW ev;
    return history_w(h, &ev, H_SETUNIQUE, unique);
}

static volatile sig_atomic_t winch_fd = -1;
static volatile unsigned char winch_byte = 0;

static void winch_handler(int sig) {
    (void)sig;
    int saved = errno;
    int fd = winch_fd;
    unsigned char b = winch_byte;
    if (fd >= 0) (void)!write(fd, &b, 1);
    errno = saved;
}

int ntpsh_el_notify_winch(int fd, unsigned char byte) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    winch_byte = byte;
    winch_fd = fd;
    if (fd >= 0) {
        sa.sa_handler = winch_handler;
        sa.sa_flags = SA_RESTART;
    } else {
        sa.sa_handler = SIG_DFL;
    }
    return sigaction(SIGWINCH, &sa, NULL);
}

int ntpsh_wcwidth(wchar_t wc) { return wcwidth(wc); }

int ntpsh_pipe_nonblocking(int fds[2]) { return pipe2(fds, O_CLOEXEC | O_NONBLOCK); }
