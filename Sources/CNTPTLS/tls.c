#include "CNTPTLS.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
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

/// What every NTS-KE end needs: TLS 1.3 only and ALPN ntske/1 (a server selects it, keeps no
/// sessions and sends no tickets; a client offers it and verifies its peer).
static SSL_CTX *new_context(int server, char *error, size_t error_capacity) {
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL) { set_error(error, error_capacity, "cannot make a TLS context"); return NULL; }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
        set_error(error, error_capacity, "TLS 1.3 unavailable"); SSL_CTX_free(ctx); return NULL;
    }
    if (server) {
        SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(ctx, 0);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (SSL_CTX_set_alpn_protos(ctx, ntske, sizeof ntske) != 0) {
            set_error(error, error_capacity, "cannot set ALPN"); SSL_CTX_free(ctx); return NULL;
        }
    }
    return ctx;
}

void *ntpsh_tls_server_context(const char *certificate_file, const char *key_file, char *error, size_t error_capacity) {
    SSL_CTX *ctx = new_context(1, error, error_capacity);
    if (ctx == NULL) return NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, certificate_file) != 1) {
        set_error(error, error_capacity, "cannot load the certificate"); SSL_CTX_free(ctx); return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        set_error(error, error_capacity, "cannot load the key (or it does not match the certificate)");
        SSL_CTX_free(ctx); return NULL;
    }
    return ctx;
}

void *ntpsh_tls_client_context(const char *ca_file, char *error, size_t error_capacity) {
    SSL_CTX *ctx = new_context(0, error, error_capacity);
    if (ctx == NULL) return NULL;
    int ok = ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) { set_error(error, error_capacity, "cannot load the trusted certificates"); SSL_CTX_free(ctx); return NULL; }
    return ctx;
}

void ntpsh_tls_context_free(void *context) { SSL_CTX_free(context); }

void *ntpsh_tls_connection(void *context, int fd, int server, const char *host) {
    SSL *ssl = SSL_new(context);
    if (ssl == NULL) return NULL;
    if (fd < 0) {
        // In memory (ntpsh_tls_memory_transfer moves the bytes): reads of an empty buffer ask to retry.
        BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
        if (in == NULL || out == NULL) { BIO_free(in); BIO_free(out); SSL_free(ssl); return NULL; }
        BIO_set_mem_eof_return(in, -1);
        BIO_set_mem_eof_return(out, -1);
        SSL_set_bio(ssl, in, out);
    } else if (SSL_set_fd(ssl, fd) != 1) { SSL_free(ssl); return NULL; }
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

int ntpsh_tls_memory_transfer(void *from, void *to) {
    BIO *out = SSL_get_wbio(from), *in = SSL_get_rbio(to);
    // Only between two memory connections: a socket's BIO would read the network.
    if (out == NULL || in == NULL || BIO_method_type(out) != BIO_TYPE_MEM || BIO_method_type(in) != BIO_TYPE_MEM) return -1;
    char buffer[4096];
    int moved = 0, n;
    while ((n = BIO_read(out, buffer, sizeof buffer)) > 0) {
        if (BIO_write(in, buffer, n) != n) return -1;
        moved += n;
    }
    return moved;
}

/// A fresh P-256 key and a self-signed certificate for `name` (subjectAltName DNS:name, or
/// IP:name for an address),
/// valid from an hour ago for `days`.
static int make_self_signed(const char *name, int days, EVP_PKEY **key_out, X509 **certificate_out) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_EXTENSION *san = NULL, *basic = NULL;
    int ok = 0;
    if (key == NULL || x == NULL) goto done;
    unsigned char serial[8];
    if (RAND_bytes(serial, sizeof serial) != 1) goto done;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) { BN_free(bn); goto done; }
    BN_free(bn);
    X509_NAME *subject = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(x), 86400L * days) == NULL || X509_set_pubkey(x, key) != 1
        || X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0) != 1
        || X509_set_issuer_name(x, subject) != 1) goto done;
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    char alt[300];
    unsigned char address[16];
    int literal = inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
    snprintf(alt, sizeof alt, "%s:%s", literal ? "IP" : "DNS", name);
    san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, alt);
    basic = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
    if (san == NULL || basic == NULL || X509_add_ext(x, san, -1) != 1 || X509_add_ext(x, basic, -1) != 1) goto done;
    if (X509_sign(x, key, EVP_sha256()) == 0) goto done;
    ok = 1;
done:
    X509_EXTENSION_free(san);
    X509_EXTENSION_free(basic);
    if (!ok) { EVP_PKEY_free(key); X509_free(x); return 0; }
    *key_out = key;
    *certificate_out = x;
    return 1;
}

void *ntpsh_tls_memory_contexts(const char *name, int days, void **client_context, char *error, size_t error_capacity) {
    EVP_PKEY *key = NULL;
    X509 *certificate = NULL;
    ERR_clear_error();  // the reason set_error reports is this call's, not an earlier one's
    if (name == NULL || client_context == NULL || days < 1 || days > 3650) {
        set_error(error, error_capacity, "a certificate needs a name and 1 to 3650 days of validity");
        return NULL;
    }
    if (!make_self_signed(name, days, &key, &certificate)) {
        set_error(error, error_capacity, "cannot make the certificate");
        return NULL;
    }
    SSL_CTX *server = new_context(1, error, error_capacity);
    SSL_CTX *client = server != NULL ? new_context(0, error, error_capacity) : NULL;
    int ok = client != NULL && SSL_CTX_use_certificate(server, certificate) == 1 && SSL_CTX_use_PrivateKey(server, key) == 1
        && SSL_CTX_check_private_key(server) == 1 && X509_STORE_add_cert(SSL_CTX_get_cert_store(client), certificate) == 1;
    EVP_PKEY_free(key);
    X509_free(certificate);
    if (!ok) {
        if (server != NULL && client != NULL) set_error(error, error_capacity, "cannot make the TLS contexts");
        SSL_CTX_free(server); SSL_CTX_free(client);
        return NULL;
    }
    *client_context = client;
    return server;
}

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
