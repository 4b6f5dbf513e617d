// The per-thread OpenSSL contexts CNTPCrypto.c and aead.c share (internal).
#pragma once

#include <openssl/evp.h>
#include <stdint.h>

/// One AES-SIV key's state (RFC 5297 built from AES-CBC and AES-ECB): an AES-CBC context keyed
/// with K1 (CMAC is computed as CBC-MAC on it, its chaining carried across calls), CMAC's
/// subkeys of K1, and an AES-ECB context keyed with K2 (the CTR keystream is the ECB encryption
/// of the counter blocks). Once keyed, an operation sets up no key and no IV: OpenSSL 3.0's
/// EVP init looks up parameters by name (strcmp, OSSL_PARAM_locate) at every key or IV set.
struct ntpsh_siv {
    EVP_CIPHER_CTX *cbc_context;
    EVP_CIPHER_CTX *ecb_context;
    unsigned char chain[16];     // the CBC context's chaining value (its last output block)
    unsigned char subkey1[16], subkey2[16]; // CMAC's K1 and K2 (RFC 4493) of the current K1
    /// For a kept key (a cookie master key): its bytes, to find it again; 0 length when unused.
    unsigned char key[64];
    size_t key_length;
    uint64_t last_used;
};

/// A kept key's schedules are reused while it is among the last few used on this thread
/// (the server's master keys: three kept, the newest sealing).
#define NTPSH_KEPT_KEYS 4

struct ntpsh_contexts {
    EVP_MD_CTX *digest;
    EVP_MAC *cmac;
    EVP_MAC_CTX *cmac_context;
    /// The AES ciphers for each key size, fetched once: [0] AES-128 (AEAD_AES_SIV_CMAC_256),
    /// [1] AES-256 (-512).
    EVP_CIPHER *cbc[2], *ecb[2];
    /// Per-operation keys (the C2S and S2C keys of a session), re-keyed at each use.
    struct ntpsh_siv siv[2];
    /// Long-lived keys, found by their bytes; the least recently used is replaced.
    struct ntpsh_siv kept[NTPSH_KEPT_KEYS];
    uint64_t uses;
};

/// This thread's contexts (fields made lazily by their users), or NULL when out of memory.
struct ntpsh_contexts *ntpsh_thread_contexts(void);

/// Frees a key's contexts and wipes its key material (the thread's end).
void ntpsh_siv_free(struct ntpsh_siv *s);
