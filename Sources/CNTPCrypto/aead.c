#include "CNTPCrypto.h"
#include "contexts.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#define SIV_TAG 16

/// This thread's contexts with the cipher context made.
static struct ntpsh_contexts *thread_contexts(void) {
    struct ntpsh_contexts *c = ntpsh_thread_contexts();
    if (c != NULL && c->cipher_context == NULL && (c->cipher_context = EVP_CIPHER_CTX_new()) == NULL) return NULL;
    return c;
}

/// The cipher for `algorithm` (fetched once per thread), or NULL.
static EVP_CIPHER *cipher_for(struct ntpsh_contexts *c, int algorithm) {
    switch (algorithm) {
    case NTPSH_AEAD_AES_SIV_CMAC_256:
        if (c->siv256 == NULL) c->siv256 = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
        return c->siv256;
    case NTPSH_AEAD_AES_SIV_CMAC_512:
        if (c->siv512 == NULL) c->siv512 = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL);
        return c->siv512;
    default: return NULL;
    }
}

size_t ntpsh_aead_key_length(int algorithm) {
    struct ntpsh_contexts *c = thread_contexts();
    if (c == NULL) return 0;
    EVP_CIPHER *cipher = cipher_for(c, algorithm);
    return cipher == NULL ? 0 : (size_t)EVP_CIPHER_get_key_length(cipher);
}

static int feed_ad(EVP_CIPHER_CTX *context, int encrypt, const void *const *ad, const size_t *ad_lengths,
                   size_t ad_count) {
    for (size_t i = 0; i < ad_count; i++) {
        int n = 0;
        if (ad_lengths[i] > INT32_MAX) return 0;
        int ok = encrypt ? EVP_EncryptUpdate(context, NULL, &n, ad[i], (int)ad_lengths[i])
                         : EVP_DecryptUpdate(context, NULL, &n, ad[i], (int)ad_lengths[i]);
        if (ok != 1) return 0;
    }
    return 1;
}

/// AES-CMAC of `length` bytes under the first half of an SIV key (S2V's K1).
static int cmac(struct ntpsh_contexts *c, int algorithm, const unsigned char *key, size_t key_length,
                const void *data, size_t length, unsigned char out[SIV_TAG]) {
    if (c->cmac == NULL && (c->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL) return 0;
    if (c->cmac_context == NULL && (c->cmac_context = EVP_MAC_CTX_new(c->cmac)) == NULL) return 0;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(
        OSSL_MAC_PARAM_CIPHER, algorithm == NTPSH_AEAD_AES_SIV_CMAC_256 ? "AES-128-CBC" : "AES-256-CBC", 0);
    params[1] = OSSL_PARAM_construct_end();
    size_t n = 0;
    return EVP_MAC_init(c->cmac_context, key, key_length / 2, params) == 1
        && EVP_MAC_update(c->cmac_context, data, length) == 1
        && EVP_MAC_final(c->cmac_context, out, &n, SIV_TAG) == 1 && n == SIV_TAG;
}

/// RFC 5297's doubling in GF(2^128).
static void dbl(unsigned char d[SIV_TAG]) {
    unsigned char carry = d[0] >> 7;
    for (int i = 0; i < SIV_TAG - 1; i++) d[i] = (unsigned char)(d[i] << 1 | d[i + 1] >> 7);
    d[SIV_TAG - 1] = (unsigned char)(d[SIV_TAG - 1] << 1 ^ (carry ? 0x87 : 0));
}

/// The synthetic IV of an empty plaintext: S2V(K1, AD..., "") (RFC 5297 §2.4). OpenSSL's SIV
/// finishes only after a non-empty plaintext, and NTS clients authenticate empty ones.
static int s2v_empty(struct ntpsh_contexts *c, int algorithm, const unsigned char *key, size_t key_length,
                     const void *const *ad, const size_t *ad_lengths, size_t ad_count, unsigned char v[SIV_TAG]) {
    static const unsigned char zero[SIV_TAG];
    unsigned char d[SIV_TAG], t[SIV_TAG];
    if (!cmac(c, algorithm, key, key_length, zero, SIV_TAG, d)) return 0;
    for (size_t i = 0; i < ad_count; i++) {
        if (!cmac(c, algorithm, key, key_length, ad[i], ad_lengths[i], t)) return 0;
        dbl(d);
        for (int j = 0; j < SIV_TAG; j++) d[j] ^= t[j];
    }
    dbl(d);
    d[0] ^= 0x80;
    return cmac(c, algorithm, key, key_length, d, SIV_TAG, v);
}

int ntpsh_aead_seal(int algorithm, const void *key, size_t key_length, const void *const *ad,
                    const size_t *ad_lengths, size_t ad_count, const void *plain, size_t plain_length,
                    void *out, size_t out_capacity) {
    struct ntpsh_contexts *c = thread_contexts();
    if (c == NULL || plain_length > INT32_MAX - SIV_TAG || out_capacity < plain_length + SIV_TAG) return -1;
    EVP_CIPHER *cipher = cipher_for(c, algorithm);
    if (cipher == NULL || key_length != (size_t)EVP_CIPHER_get_key_length(cipher)) return -1;
    EVP_CIPHER_CTX *context = c->cipher_context;
    unsigned char *o = out;
    int n = 0, m = 0;
    if (plain_length == 0) return s2v_empty(c, algorithm, key, key_length, ad, ad_lengths, ad_count, o) ? SIV_TAG : -1;
    if (EVP_EncryptInit_ex2(context, cipher, key, NULL, NULL) != 1
        || !feed_ad(context, 1, ad, ad_lengths, ad_count)
        || EVP_EncryptUpdate(context, o + SIV_TAG, &n, plain, (int)plain_length) != 1
        || EVP_EncryptFinal_ex(context, o + SIV_TAG + n, &m) != 1
        || EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, SIV_TAG, o) != 1) return -1;
    return SIV_TAG + n + m;
}

int ntpsh_aead_open(int algorithm, const void *key, size_t key_length, const void *const *ad,
                    const size_t *ad_lengths, size_t ad_count, const void *sealed, size_t sealed_length,
                    void *out, size_t out_capacity) {
    struct ntpsh_contexts *c = thread_contexts();
    if (c == NULL || sealed_length < SIV_TAG || sealed_length > INT32_MAX
        || out_capacity < sealed_length - SIV_TAG) return -1;
    EVP_CIPHER *cipher = cipher_for(c, algorithm);
    if (cipher == NULL || key_length != (size_t)EVP_CIPHER_get_key_length(cipher)) return -1;
    EVP_CIPHER_CTX *context = c->cipher_context;
    const unsigned char *s = sealed;
    size_t length = sealed_length - SIV_TAG;
    int n = 0, m = 0;
    unsigned char tag[SIV_TAG];
    memcpy(tag, s, SIV_TAG);
    if (length == 0) {
        unsigned char v[SIV_TAG];
        return s2v_empty(c, algorithm, key, key_length, ad, ad_lengths, ad_count, v)
            && CRYPTO_memcmp(v, tag, SIV_TAG) == 0 ? 0 : -1;
    }
    if (EVP_DecryptInit_ex2(context, cipher, key, NULL, NULL) != 1
        || EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, SIV_TAG, tag) != 1
        || !feed_ad(context, 0, ad, ad_lengths, ad_count)
        || EVP_DecryptUpdate(context, out, &n, s + SIV_TAG, (int)length) != 1
        || EVP_DecryptFinal_ex(context, (unsigned char *)out + n, &m) != 1) {
        if (out_capacity > 0) memset(out, 0, length < out_capacity ? length : out_capacity);
        return -1;
    }
    return n + m;
}
