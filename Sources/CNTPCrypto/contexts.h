// The per-thread OpenSSL contexts CNTPCrypto.c and aead.c share (internal).
#pragma once

#include <openssl/evp.h>

struct ntpsh_contexts {
    EVP_MD_CTX *digest;
    EVP_MAC *cmac;
    EVP_MAC_CTX *cmac_context;
    EVP_CIPHER_CTX *cipher_context;
    EVP_CIPHER *siv256;
    EVP_CIPHER *siv512;
};

/// This thread's contexts (fields made lazily by their users), or NULL when out of memory.
struct ntpsh_contexts *ntpsh_thread_contexts(void);
