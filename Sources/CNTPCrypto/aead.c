#include "CNTPCrypto.h"
#include "contexts.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

#define SIV_TAG 16

/// This thread's SIV contexts for `algorithm` (made on first use), or NULL (unknown algorithm,
/// or this OpenSSL lacks CMAC or AES-CTR). `*key_length` is the algorithm's whole key length.
static struct ntpsh_siv *siv_for(int algorithm, size_t *key_length) {
    int index;
    const char *cbc, *ctr;
    switch (algorithm) {
    case NTPSH_AEAD_AES_SIV_CMAC_256: index = 0; cbc = "AES-128-CBC"; ctr = "AES-128-CTR"; *key_length = 32; break;
    case NTPSH_AEAD_AES_SIV_CMAC_512: index = 1; cbc = "AES-256-CBC"; ctr = "AES-256-CTR"; *key_length = 64; break;
    default: return NULL;
    }
    struct ntpsh_contexts *c = ntpsh_thread_contexts();
    if (c == NULL) return NULL;
    struct ntpsh_siv *s = &c->siv[index];
    if (s->ctr_context != NULL) return s;
    if (c->cmac == NULL && (c->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL) return NULL;
    if (s->cmac == NULL) {
        EVP_MAC_CTX *m = EVP_MAC_CTX_new(c->cmac);
        OSSL_PARAM params[2];
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cbc, 0);
        params[1] = OSSL_PARAM_construct_end();
        if (m == NULL || EVP_MAC_CTX_set_params(m, params) != 1) { EVP_MAC_CTX_free(m); return NULL; }
        s->cmac = m;
    }
    if (s->ctr == NULL && (s->ctr = EVP_CIPHER_fetch(NULL, ctr, NULL)) == NULL) return NULL;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (x == NULL || EVP_EncryptInit_ex2(x, s->ctr, NULL, NULL, NULL) != 1) { EVP_CIPHER_CTX_free(x); return NULL; }
    s->ctr_context = x;
    return s;
}

size_t ntpsh_aead_key_length(int algorithm) {
    size_t key_length = 0;
    return siv_for(algorithm, &key_length) == NULL ? 0 : key_length;
}

/// CMAC of `length` bytes under the key the context was last initialised with (`key` NULL)
/// or under `key` (K1, `key_length` bytes).
static int cmac(struct ntpsh_siv *s, const unsigned char *key, size_t key_length, const void *data, size_t length,
                unsigned char out[SIV_TAG]) {
    size_t n = 0;
    return EVP_MAC_init(s->cmac, key, key_length, NULL) == 1
        && EVP_MAC_update(s->cmac, data, length) == 1
        && EVP_MAC_final(s->cmac, out, &n, SIV_TAG) == 1 && n == SIV_TAG;
}

/// RFC 5297's doubling in GF(2^128).
static void dbl(unsigned char d[SIV_TAG]) {
    unsigned char carry = d[0] >> 7;
    for (int i = 0; i < SIV_TAG - 1; i++) d[i] = (unsigned char)(d[i] << 1 | d[i + 1] >> 7);
    d[SIV_TAG - 1] = (unsigned char)(d[SIV_TAG - 1] << 1 ^ (carry ? 0x87 : 0));
}

/// S2V(K1, AD..., P) (RFC 5297 §2.4): the synthetic IV.
static int s2v(struct ntpsh_siv *s, const unsigned char *k1, size_t half, const void *const *ad,
               const size_t *ad_lengths, size_t ad_count, const unsigned char *plain, size_t plain_length,
               unsigned char v[SIV_TAG]) {
    static const unsigned char zero[SIV_TAG];
    unsigned char d[SIV_TAG], t[SIV_TAG];
    if (!cmac(s, k1, half, zero, SIV_TAG, d)) return 0;
    for (size_t i = 0; i < ad_count; i++) {
        if (!cmac(s, NULL, 0, ad[i], ad_lengths[i], t)) return 0;
        dbl(d);
        for (int j = 0; j < SIV_TAG; j++) d[j] ^= t[j];
    }
    if (plain_length < SIV_TAG) {
        // T = dbl(D) xor pad(P)
        dbl(d);
        for (size_t j = 0; j < plain_length; j++) d[j] ^= plain[j];
        d[plain_length] ^= 0x80;
        return cmac(s, NULL, 0, d, SIV_TAG, v);
    }
    // T = P xorend D: the last 16 bytes of P with D xored in.
    size_t head = plain_length - SIV_TAG;
    for (int j = 0; j < SIV_TAG; j++) t[j] = plain[head + (size_t)j] ^ d[j];
    size_t n = 0;
    return EVP_MAC_init(s->cmac, NULL, 0, NULL) == 1
        && EVP_MAC_update(s->cmac, plain, head) == 1
        && EVP_MAC_update(s->cmac, t, SIV_TAG) == 1
        && EVP_MAC_final(s->cmac, v, &n, SIV_TAG) == 1 && n == SIV_TAG;
}

/// AES-CTR under K2 from the synthetic IV with bits 63 and 31 cleared (RFC 5297 §2.6).
static int ctr(struct ntpsh_siv *s, const unsigned char *k2, const unsigned char v[SIV_TAG], const unsigned char *in,
               size_t length, unsigned char *out) {
    if (length == 0) return 1;
    unsigned char q[SIV_TAG];
    memcpy(q, v, SIV_TAG);
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    int n = 0;
    return EVP_EncryptInit_ex2(s->ctr_context, NULL, k2, q, NULL) == 1
        && EVP_EncryptUpdate(s->ctr_context, out, &n, in, (int)length) == 1 && (size_t)n == length;
}

int ntpsh_aead_seal(int algorithm, const void *key, size_t key_length, const void *const *ad,
                    const size_t *ad_lengths, size_t ad_count, const void *plain, size_t plain_length,
                    void *out, size_t out_capacity) {
    size_t expected = 0;
    struct ntpsh_siv *s = siv_for(algorithm, &expected);
    if (s == NULL || key_length != expected || plain_length > INT32_MAX - SIV_TAG
        || out_capacity < plain_length + SIV_TAG) return -1;
    const unsigned char *k = key;
    unsigned char *o = out;
    size_t half = key_length / 2;
    if (!s2v(s, k, half, ad, ad_lengths, ad_count, plain, plain_length, o)
        || !ctr(s, k + half, o, plain, plain_length, o + SIV_TAG)) return -1;
    return (int)(SIV_TAG + plain_length);
}

int ntpsh_aead_open(int algorithm, const void *key, size_t key_length, const void *const *ad,
                    const size_t *ad_lengths, size_t ad_count, const void *sealed, size_t sealed_length,
                    void *out, size_t out_capacity) {
    size_t expected = 0;
    struct ntpsh_siv *s = siv_for(algorithm, &expected);
    if (s == NULL || key_length != expected || sealed_length < SIV_TAG || sealed_length > INT32_MAX
        || out_capacity < sealed_length - SIV_TAG) return -1;
    const unsigned char *k = key, *tag = sealed;
    size_t half = key_length / 2, length = sealed_length - SIV_TAG;
    unsigned char v[SIV_TAG];
    if (!ctr(s, k + half, tag, tag + SIV_TAG, length, out)
        || !s2v(s, k, half, ad, ad_lengths, ad_count, out, length, v)
        || CRYPTO_memcmp(v, tag, SIV_TAG) != 0) {
        if (length > 0) memset(out, 0, length);
        return -1;
    }
    return (int)length;
}

int ntpsh_random_bytes(void *out, size_t length) {
    return length <= INT32_MAX && RAND_bytes(out, (int)length) == 1 ? 0 : -1;
}
