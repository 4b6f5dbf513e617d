// CEditLine: prefixed, non-variadic wrappers over libedit's native histedit API.
//
// `el_set`, `el_get` and `history` are variadic and do not import into Swift; each wrapper here
// fixes one of their operations. Everything is the wide-character flavour (el_wset, history_w),
// so Swift passes Unicode scalars and no locale conversion happens on strings we own.
// `el_init`, `el_end`, `el_wgets`, `el_wline`, `el_winsertstr`, `el_deletestr`, `el_cursor`,
// `el_wpush`, `el_beep`, `el_source`, `history_winit`, `history_wend` import directly.
// Nothing here keeps state except the SIGWINCH notifier (one write end, set by the caller).
#pragma once

#include <stdio.h>
#include <wchar.h>
#include <histedit.h>

/// A bound editor function (EL_ADDFN): returns one of the CC_* codes.
typedef unsigned char (*ntpsh_el_func_t)(EditLine *el, int ch);
/// A wide prompt function (EL_PROMPT_ESC).
typedef wchar_t *(*ntpsh_el_wprompt_t)(EditLine *el);
/// A character reader (EL_GETCFN): 1 with *ch set, 0 at end of file, -1 on error.
typedef int (*ntpsh_el_rfunc_t)(EditLine *el, wchar_t *ch);

/// EL_EDITOR: "emacs" or "vi".
int ntpsh_el_set_editor(EditLine *el, const wchar_t *mode);
/// EL_PROMPT_ESC: the prompt function; characters between two `esc` take no columns (colours).
int ntpsh_el_set_prompt(EditLine *el, ntpsh_el_wprompt_t fn, wchar_t esc);
/// EL_CLIENTDATA, set and get.
int ntpsh_el_set_clientdata(EditLine *el, void *data);
void *ntpsh_el_clientdata(EditLine *el);
/// EL_GETCFN: the character reader.
int ntpsh_el_set_getcfn(EditLine *el, ntpsh_el_rfunc_t fn);
/// EL_ADDFN: a named editor function with its help text.
int ntpsh_el_addfn(EditLine *el, const wchar_t *name, const wchar_t *help, ntpsh_el_func_t fn);
/// EL_BIND: binds `key` (e.g. L"^I", L"?") to the editor function `name`.
int ntpsh_el_bind(EditLine *el, const wchar_t *key, const wchar_t *name);
/// EL_SETTY: sets or clears one terminal flag while editing (edit mode), e.g. L"-isig".
int ntpsh_el_setty_edit(EditLine *el, const wchar_t *flag);
/// EL_HIST: attaches a wide history to the editor (Up/Down, searches).
int ntpsh_el_set_history(EditLine *el, HistoryW *h);
/// EL_REFRESH: forgets what is on the screen and redraws the prompt and line at the cursor.
int ntpsh_el_refresh(EditLine *el);
/// EL_GETTC "co": the terminal's width in columns, or 0 if unknown.
int ntpsh_el_columns(EditLine *el);

/// history_w(H_SETSIZE).
int ntpsh_history_set_size(HistoryW *h, int size);
/// history_w(H_GETSIZE): the number of entries.
int ntpsh_history_count(HistoryW *h);
/// history_w(H_ENTER): adds an entry (the oldest goes when the size is reached).
int ntpsh_history_enter(HistoryW *h, const wchar_t *line);
/// history_w(H_SETUNIQUE): 1 to refuse an entry equal to the previous one.
int ntpsh_history_set_unique(HistoryW *h, int unique);

/// wcwidth(3) (needs _XOPEN_SOURCE, so not in Swift's Glibc module): columns of `wc`, -1 if unprintable.
int ntpsh_wcwidth(wchar_t wc);
/// pipe2(2) with O_CLOEXEC | O_NONBLOCK on both ends (needs _GNU_SOURCE).
int ntpsh_pipe_nonblocking(int fds[2]);

/// Installs a SIGWINCH handler that writes the byte `byte` to `fd` (non-blocking self-pipe);
/// fd -1 restores the default action.
int ntpsh_el_notify_winch(int fd, unsigned char byte);
