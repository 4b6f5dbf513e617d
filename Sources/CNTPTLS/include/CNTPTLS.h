// CNTPTLS: TLS 1.3 for NTS-KE (RFC 8915 §4) through the machine's OpenSSL 3 (libssl), behind
// prefixed, non-variadic functions over opaque pointers: contexts for a server (certificate,
// key) or a client (trust store or CA file, name check), connections over a caller's
// non-blocking socket, ALPN "ntske/1", and the key export of RFC 8915 §4.3.
#pragma once

#include <stddef.h>
#include <stdint.h>

/// Results of the non-blocking calls.
enum {
    NTPSH_TLS_OK = 1,
    NTPSH_TLS_WANT_READ = -2,
    NTPSH_TLS_WANT_WRITE = -3,
    NTPSH_TLS_CLOSED = 0,
    NTPSH_TLS_ERROR = -1,
};

/// A server context with this certificate chain and key (PEM), TLS 1.3 only, ALPN ntske/1
/// required. NULL on failure, with the reason in `error`.
void *ntpsh_tls_server_context(const char *certificate_file, const char *key_file, char *error, size_t error_capacity);

/// A client context, TLS 1.3 only, offering ALPN ntske/1, verifying the peer against
/// `ca_file` (PEM) or, when NULL, the system trust store.
void *ntpsh_tls_client_context(const char *ca_file, char *error, size_t error_capacity);

void ntpsh_tls_context_free(void *context);

/// A connection over `fd` (already connected or accepted, non-blocking), or over memory when
/// `fd` is -1 (the bytes move with ntpsh_tls_memory_transfer). For a client,
/// `host` is sent as SNI (unless an IP literal) and checked against the certificate.
void *ntpsh_tls_connection(void *context, int fd, int server, const char *host);

void ntpsh_tls_connection_free(void *connection);

/// Drives the handshake: NTPSH_TLS_OK when done (and ALPN agreed on ntske/1), WANT_READ or
/// WANT_WRITE to be called again when the socket is ready, ERROR with the reason in `error`.
int ntpsh_tls_handshake(void *connection, char *error, size_t error_capacity);

/// Reads or writes: the byte count, WANT_READ/WANT_WRITE, CLOSED (clean end), or ERROR.
int ntpsh_tls_read(void *connection, void *buffer, size_t capacity);
int ntpsh_tls_write(void *connection, const void *buffer, size_t length);

/// Sends close_notify (best effort, non-blocking).
void ntpsh_tls_shutdown(void *connection);

/// The NTS keys (RFC 8915 §4.3): exporter label "EXPORTER-network-time-security", context
/// protocol 0 (NTPv4, 2 bytes), `aead` (2 bytes), 0x00 for C2S or 0x01 for S2C.
/// Returns 1 on success.
int ntpsh_tls_export_nts_key(void *connection, uint16_t aead, int s2c, void *out, size_t length);

/// The negotiated protocol version as text ("TLSv1.3").
const char *ntpsh_tls_version(void *connection);

/// A lab's two ends of NTS-KE in memory: a fresh P-256 key and a self-signed certificate for
/// `name`, valid `days`; returns the server context (TLS 1.3, ALPN ntske/1, that certificate)
/// and sets `*client_context` (TLS 1.3, ALPN ntske/1, trusting that certificate only).
void *ntpsh_tls_memory_contexts(const char *name, int days, void **client_context, char *error, size_t error_capacity);

/// Moves what memory connection `from` has written to memory connection `to`'s input: the
/// byte count, or -1.
int ntpsh_tls_memory_transfer(void *from, void *to);

/// Restricts `context`'s TLS 1.3 cipher suites and key-exchange groups (OpenSSL's list
/// syntax, colon-separated, e.g. "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256" and
/// "X25519:P-256"; NULL leaves one as OpenSSL's default). On a server, chosen cipher suites
/// also make the server's order win (as NTPsec). With a NULL context the lists are only
/// checked. 1, or 0 with the reason in `error`.
int ntpsh_tls_context_restrict(void *context, int server, const char *ciphersuites, const char *groups,
                               char *error, size_t error_capacity);
