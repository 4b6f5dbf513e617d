#include "CNTPTLS.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <string.h>


static const unsigned char ntske[] = {7, 'n', 't', 's', 'k', 'e', '/', '1'};

/// OpenSSL writes to the socket with write(2): a peer that has closed would raise SIGPIPE and
/// kill the process. Each call that may write runs with SIGPIPE blocked in the calling thread,
/// and a SIGPIPE it raised is taken before unblocking (the error comes back as EPIPE).
struct sigpipe_guard { sigset_t old; int was_pending; };

static void sigpipe_enter(struct sigpipe_guard *g) {
    sigset_t pipe_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void sigpipe_leave(struct sigpipe_guard *g) {
    if (!g->was_pending) {
        sigset_t pipe_set, pending;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigemptyset(&pending);
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE)) {
            struct timespec zero = {0, 0};
            while (sigtimedwait(&pipe_set, NULL, &zero) == -1 && errno == EINTR) {}
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static void set_error(char *error, size_t capacity, const char *what) {
    if (error == NULL || capacity == 0) return;
    unsigned long e = ERR_get_error();
    char reason[256] = "";
    if (e != 0) ERR_error_string_n(e, reason, sizeof reason);
    snprintf(error, capacity, "%s%s%s", what, e ? ": " : "", reason);
    ERR_clear_error();
}

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, ntske, sizeof ntske, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

void *ntpsh_tls_server_context(const char *certificate_file, const char *key_file, char *error, size_t error_capacity) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) { set_error(error, error_capacity, "cannot make a TLS context"); return NULL; }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
        set_error(error, error_capacity, "TLS 1.3 unavailable"); SSL_CTX_free(ctx); return NULL;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, certificate_file) != 1) {
        set_error(error, error_capacity, "cannot load the certificate"); SSL_CTX_free(ctx); return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        set_error(error, error_capacity, "cannot load the key (or it does not match the certificate)");
        SSL_CTX_free(ctx); return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    return ctx;
}

void *ntpsh_tls_client_context(const char *ca_file, char *error, size_t error_capacity) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) { set_error(error, error_capacity, "cannot make a TLS context"); return NULL; }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
        set_error(error, error_capacity, "TLS 1.3 unavailable"); SSL_CTX_free(ctx); return NULL;
    }
    int ok = ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) { set_error(error, error_capacity, "cannot load the trusted certificates"); SSL_CTX_free(ctx); return NULL; }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_alpn_protos(ctx, ntske, sizeof ntske) != 0) {
        set_error(error, error_capacity, "cannot set ALPN"); SSL_CTX_free(ctx); return NULL;
    }
    return ctx;
}

void ntpsh_tls_context_free(void *context) { SSL_CTX_free(context); }

void *ntpsh_tls_connection(void *context, int fd, int server, const char *host) {
    SSL *ssl = SSL_new(context);
    if (ssl == NULL) return NULL;
    if (SSL_set_fd(ssl, fd) != 1) { SSL_free(ssl); return NULL; }
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (host != NULL) {
            unsigned char address[16];
            int literal = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
            if (!literal && SSL_set_tlsext_host_name(ssl, host) != 1) { SSL_free(ssl); return NULL; }
            X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            int set = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host) : SSL_set1_host(ssl, host);
            if (set != 1) { SSL_free(ssl); return NULL; }
        }
    }
    return ssl;
}

void ntpsh_tls_connection_free(void *connection) { SSL_free(connection); }

static int classify(SSL *ssl, int ret) {
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ: return NTPSH_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return NTPSH_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return NTPSH_TLS_CLOSED;
    default: return NTPSH_TLS_ERROR;
    }
}

int ntpsh_tls_handshake(void *connection, char *error, size_t error_capacity) {
    SSL *ssl = connection;
    ERR_clear_error();
    struct sigpipe_guard guard;
    sigpipe_enter(&guard);
    int ret = SSL_do_handshake(ssl);
    sigpipe_leave(&guard);
    if (ret != 1) {
        int r = classify(ssl, ret);
        if (r == NTPSH_TLS_WANT_READ || r == NTPSH_TLS_WANT_WRITE) return r;
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) {
            char what[300];
            snprintf(what, sizeof what, "certificate refused: %s", X509_verify_cert_error_string(verify));
            set_error(error, error_capacity, what);
        } else {
            set_error(error, error_capacity, "TLS handshake failed");
        }
        return NTPSH_TLS_ERROR;
    }
    const unsigned char *proto = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &proto, &length);
    if (length != sizeof ntske - 1 || memcmp(proto, ntske + 1, length) != 0) {
        snprintf(error, error_capacity, "the peer did not agree on ALPN ntske/1");
        return NTPSH_TLS_ERROR;
    }
    if (SSL_version(ssl) != TLS1_3_VERSION) {
        snprintf(error, error_capacity, "not TLS 1.3 (%s)", SSL_get_version(ssl));
        return NTPSH_TLS_ERROR;
    }
    return NTPSH_TLS_OK;
}

int ntpsh_tls_read(void *connection, void *buffer, size_t capacity) {
    size_t n = 0;
    ERR_clear_error();
    struct sigpipe_guard guard;
    sigpipe_enter(&guard);
    int ret = SSL_read_ex(connection, buffer, capacity, &n);
    sigpipe_leave(&guard);
    return ret == 1 ? (int)n : classify(connection, ret);
}

int ntpsh_tls_write(void *connection, const void *buffer, size_t length) {
    size_t n = 0;
    ERR_clear_error();
    struct sigpipe_guard guard;
    sigpipe_enter(&guard);
    int ret = SSL_write_ex(connection, buffer, length, &n);
    sigpipe_leave(&guard);
    return ret == 1 ? (int)n : classify(connection, ret);
}

void ntpsh_tls_shutdown(void *connection) {
    ERR_clear_error();
    struct sigpipe_guard guard;
    sigpipe_enter(&guard);
    (void)SSL_shutdown(connection);
    sigpipe_leave(&guard);
    ERR_clear_error();
}

int ntpsh_tls_export_nts_key(void *connection, uint16_t aead, int s2c, void *out, size_t length) {
    static const char label[] = "EXPORTER-network-time-security";
    unsigned char context[5] = {0, 0, (unsigned char)(aead >> 8), (unsigned char)aead, s2c ? 1 : 0};
    return SSL_export_keying_material(connection, out, length, label, sizeof label - 1, context, sizeof context, 1) == 1;
}

const char *ntpsh_tls_version(void *connection) { return SSL_get_version(connection); }

int ntpsh_tls_context_restrict(void *context, int server, const char *ciphersuites, const char *groups,
                               char *error, size_t error_capacity) {
    SSL_CTX *ctx = context;
    SSL_CTX *scratch = NULL;
    if (ctx == NULL && (ctx = scratch = SSL_CTX_new(TLS_method())) == NULL) {
        set_error(error, error_capacity, "cannot make a TLS context");
        return 0;
    }
    int ok = 1;
    if (ciphersuites != NULL && SSL_CTX_set_ciphersuites(ctx, ciphersuites) != 1) {
        set_error(error, error_capacity, "no TLS 1.3 cipher suite OpenSSL knows in the list");
        ok = 0;
    } else if (groups != NULL && SSL_CTX_set1_groups_list(ctx, groups) != 1) {
        set_error(error, error_capacity, "a key-exchange group OpenSSL does not know in the list");
        ok = 0;
    } else if (server && ciphersuites != NULL) {
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    }
    SSL_CTX_free(scratch);
    return ok;
}
