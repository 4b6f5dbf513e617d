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
    if (s->cbc == NULL && (s->cbc = EVP_CIPHER_fetch(NULL, cbc, NULL)) == NULL) return NULL;
    if (s->cbc_context == NULL) {
        EVP_CIPHER_CTX *b = EVP_CIPHER_CTX_new();
        if (b == NULL || EVP_EncryptInit_ex2(b, s->cbc, NULL, NULL, NULL) != 1 || EVP_CIPHER_CTX_set_padding(b, 0) != 1) {
            EVP_CIPHER_CTX_free(b);
            return NULL;
        }
        s->cbc_context = b;
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

/// RFC 5297's doubling in GF(2^128).
static void dbl(unsigned char d[SIV_TAG]) {
    unsigned char carry = d[0] >> 7;
    for (int i = 0; i < SIV_TAG - 1; i++) d[i] = (unsigned char)(d[i] << 1 | d[i + 1] >> 7);
    d[SIV_TAG - 1] = (unsigned char)(d[SIV_TAG - 1] << 1 ^ (carry ? 0x87 : 0));
}

/// Encrypts whole blocks on the CBC context (its chaining carries on from the last call),
/// keeping the last output block as the chaining value.
static int cbc(struct ntpsh_siv *s, const unsigned char *in, size_t length) {
    unsigned char scratch[512];
    while (length > 0) {
        size_t chunk = length < sizeof scratch ? length : sizeof scratch;
        int n = 0;
        if (EVP_EncryptUpdate(s->cbc_context, scratch, &n, in, (int)chunk) != 1 || (size_t)n != chunk) return 0;
        memcpy(s->chain, scratch + chunk - SIV_TAG, SIV_TAG);
        in += chunk;
        length -= chunk;
    }
    return 1;
}

/// One CMAC (RFC 4493) in progress as CBC-MAC on the context: the last block (full or not) is
/// held back until ``mac_final`` tweaks it with a subkey.
struct mac {
    unsigned char block[SIV_TAG];
    size_t held;
    int fresh; // no block encrypted yet: the first one starts from a zero chain, not the context's
};

static int mac_blocks(struct ntpsh_siv *s, struct mac *m, const unsigned char *in, size_t length) {
    if (m->fresh && length > 0) {
        unsigned char first[SIV_TAG];
        for (int j = 0; j < SIV_TAG; j++) first[j] = in[j] ^ s->chain[j];
        if (!cbc(s, first, SIV_TAG)) return 0;
        m->fresh = 0;
        in += SIV_TAG;
        length -= SIV_TAG;
    }
    return cbc(s, in, length);
}

static int mac_update(struct ntpsh_siv *s, struct mac *m, const unsigned char *in, size_t length) {
    while (length > 0) {
        if (m->held == SIV_TAG) {
            if (!mac_blocks(s, m, m->block, SIV_TAG)) return 0;
            m->held = 0;
        }
        if (m->held == 0 && length > SIV_TAG) {
            size_t bulk = (length - 1) / SIV_TAG * SIV_TAG; // keep at least one byte back
            if (!mac_blocks(s, m, in, bulk)) return 0;
            in += bulk;
            length -= bulk;
            continue;
        }
        size_t take = SIV_TAG - m->held < length ? SIV_TAG - m->held : length;
        memcpy(m->block + m->held, in, take);
        m->held += take;
        in += take;
        length -= take;
    }
    return 1;
}

static int mac_final(struct ntpsh_siv *s, struct mac *m, unsigned char out[SIV_TAG]) {
    const unsigned char *subkey = m->held == SIV_TAG ? s->subkey1 : s->subkey2;
    if (m->held < SIV_TAG) {
        m->block[m->held] = 0x80;
        memset(m->block + m->held + 1, 0, SIV_TAG - m->held - 1);
    }
    for (int j = 0; j < SIV_TAG; j++) m->block[j] ^= subkey[j];
    if (!mac_blocks(s, m, m->block, SIV_TAG)) return 0;
    memcpy(out, s->chain, SIV_TAG);
    return 1;
}

static int cmac(struct ntpsh_siv *s, const void *data, size_t length, unsigned char out[SIV_TAG]) {
    struct mac m = { .held = 0, .fresh = 1 };
    return mac_update(s, &m, data, length) && mac_final(s, &m, out);
}

/// Keys the CBC context with K1 and derives CMAC's subkeys: L = AES(K1, 0), K1 = dbl(L),
/// K2 = dbl(K1) (RFC 4493 §2.3).
static int cmac_key(struct ntpsh_siv *s, const unsigned char *k1) {
    static const unsigned char zero[SIV_TAG];
    if (EVP_EncryptInit_ex2(s->cbc_context, NULL, k1, zero, NULL) != 1) return 0;
    memset(s->chain, 0, SIV_TAG);
    if (!cbc(s, zero, SIV_TAG)) return 0;
    memcpy(s->subkey1, s->chain, SIV_TAG);
    dbl(s->subkey1);
    memcpy(s->subkey2, s->subkey1, SIV_TAG);
    dbl(s->subkey2);
    return 1;
}

/// S2V(K1, AD..., P) (RFC 5297 §2.4): the synthetic IV.
static int s2v(struct ntpsh_siv *s, const unsigned char *k1, const void *const *ad,
               const size_t *ad_lengths, size_t ad_count, const unsigned char *plain, size_t plain_length,
               unsigned char v[SIV_TAG]) {
    static const unsigned char zero[SIV_TAG];
    unsigned char d[SIV_TAG], t[SIV_TAG];
    if (!cmac_key(s, k1) || !cmac(s, zero, SIV_TAG, d)) return 0;
    for (size_t i = 0; i < ad_count; i++) {
        if (!cmac(s, ad[i], ad_lengths[i], t)) return 0;
        dbl(d);
        for (int j = 0; j < SIV_TAG; j++) d[j] ^= t[j];
    }
    if (plain_length < SIV_TAG) {
        // T = dbl(D) xor pad(P)
        dbl(d);
        for (size_t j = 0; j < plain_length; j++) d[j] ^= plain[j];
        d[plain_length] ^= 0x80;
        return cmac(s, d, SIV_TAG, v);
    }
    // T = P xorend D: the last 16 bytes of P with D xored in.
    size_t head = plain_length - SIV_TAG;
    for (int j = 0; j < SIV_TAG; j++) t[j] = plain[head + (size_t)j] ^ d[j];
    struct mac m = { .held = 0, .fresh = 1 };
    return mac_update(s, &m, plain, head) && mac_update(s, &m, t, SIV_TAG) && mac_final(s, &m, v);
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
    if (!s2v(s, k, ad, ad_lengths, ad_count, plain, plain_length, o)
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
        || !s2v(s, k, ad, ad_lengths, ad_count, out, length, v)
        || CRYPTO_memcmp(v, tag, SIV_TAG) != 0) {
        if (length > 0) memset(out, 0, length);
        return -1;
    }
    return (int)length;
}

int ntpsh_random_bytes(void *out, size_t length) {
    return length <= INT32_MAX && RAND_bytes(out, (int)length) == 1 ? 0 : -1;
}
