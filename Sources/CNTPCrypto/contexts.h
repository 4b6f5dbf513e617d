// The per-thread OpenSSL contexts CNTPCrypto.c and aead.c share (internal).
#pragma once

#include <openssl/evp.h>

/// One AES-SIV key size's contexts (RFC 5297 built from OpenSSL's CMAC and AES-CTR): made
/// once per thread, then only re-keyed per operation, so no fetch (a method-store lookup
/// under a lock in OpenSSL 3) and no allocation happens per packet. OpenSSL's own
/// "AES-128-SIV" cipher fetches its CBC and CTR ciphers and CMAC again at every key set.
struct ntpsh_siv {
    EVP_CIPHER *cbc;        // AES-CBC, fetched once: CMAC is computed as CBC-MAC on it
    EVP_CIPHER_CTX *cbc_context; // keyed with K1 once per operation, never re-initialised within it
    unsigned char chain[16];     // the CBC context's chaining value (its last output block)
    unsigned char subkey1[16], subkey2[16]; // CMAC's K1 and K2 (RFC 4493) of the current K1
    EVP_CIPHER *ctr;        // AES-CTR, fetched once
    EVP_CIPHER_CTX *ctr_context; // initialised with `ctr` once; keyed with K2 and the IV per operation
};

struct ntpsh_contexts {
    EVP_MD_CTX *digest;
    EVP_MAC *cmac;
    EVP_MAC_CTX *cmac_context;
    /// [0]: AEAD_AES_SIV_CMAC_256 (AES-128), [1]: AEAD_AES_SIV_CMAC_512 (AES-256).
    struct ntpsh_siv siv[2];
};

/// This thread's contexts (fields made lazily by their users), or NULL when out of memory.
struct ntpsh_contexts *ntpsh_thread_contexts(void);
