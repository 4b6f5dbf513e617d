#include "CNTPCrypto.h"
#include "contexts.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

#define SIV_TAG 16

/// The AES ciphers of `algorithm` for this thread (fetched on first use): index 0 or 1, or -1
/// (unknown algorithm, or this OpenSSL lacks AES-CBC or AES-ECB). `*key_length` is the
/// algorithm's whole key length (two AES keys).
static int ciphers_for(struct ntpsh_contexts *c, int algorithm, size_t *key_length) {
    int index;
    const char *cbc, *ecb;
    switch (algorithm) {
    case NTPSH_AEAD_AES_SIV_CMAC_256: index = 0; cbc = "AES-128-CBC"; ecb = "AES-128-ECB"; *key_length = 32; break;
    case NTPSH_AEAD_AES_SIV_CMAC_512: index = 1; cbc = "AES-256-CBC"; ecb = "AES-256-ECB"; *key_length = 64; break;
    default: return -1;
    }
    if (c->cbc[index] == NULL && (c->cbc[index] = EVP_CIPHER_fetch(NULL, cbc, NULL)) == NULL) return -1;
    if (c->ecb[index] == NULL && (c->ecb[index] = EVP_CIPHER_fetch(NULL, ecb, NULL)) == NULL) return -1;
    return index;
}

/// An encryption context for `cipher` without padding, or NULL.
static EVP_CIPHER_CTX *new_context(const EVP_CIPHER *cipher) {
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (x == NULL || EVP_EncryptInit_ex2(x, cipher, NULL, NULL, NULL) != 1 || EVP_CIPHER_CTX_set_padding(x, 0) != 1) {
        EVP_CIPHER_CTX_free(x);
        return NULL;
    }
    return x;
}

/// Makes a key state's contexts (once).
static int siv_contexts(struct ntpsh_contexts *c, int index, struct ntpsh_siv *s) {
    if (s->cbc_context == NULL && (s->cbc_context = new_context(c->cbc[index])) == NULL) return 0;
    if (s->ecb_context == NULL && (s->ecb_context = new_context(c->ecb[index])) == NULL) return 0;
    return 1;
}

void ntpsh_siv_free(struct ntpsh_siv *s) {
    EVP_CIPHER_CTX_free(s->cbc_context);
    EVP_CIPHER_CTX_free(s->ecb_context);
    s->cbc_context = NULL;
    s->ecb_context = NULL;
    OPENSSL_cleanse(s->chain, sizeof s->chain);
    OPENSSL_cleanse(s->subkey1, sizeof s->subkey1);
    OPENSSL_cleanse(s->subkey2, sizeof s->subkey2);
    OPENSSL_cleanse(s->key, sizeof s->key);
    s->key_length = 0;
}

size_t ntpsh_aead_key_length(int algorithm) {
    size_t key_length = 0;
    struct ntpsh_contexts *c = ntpsh_thread_contexts();
    return c == NULL || ciphers_for(c, algorithm, &key_length) < 0 ? 0 : key_length;
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

/// Keys a state: the CBC context with K1 and CMAC's subkeys, L = AES(K1, 0), K1' = dbl(L),
/// K2' = dbl(K1') (RFC 4493 §2.3); the ECB context with K2.
static int siv_key(struct ntpsh_siv *s, const unsigned char *key, size_t key_length) {
    static const unsigned char zero[SIV_TAG];
    size_t half = key_length / 2;
    if (EVP_EncryptInit_ex2(s->cbc_context, NULL, key, zero, NULL) != 1
        || EVP_EncryptInit_ex2(s->ecb_context, NULL, key + half, NULL, NULL) != 1) return 0;
    memset(s->chain, 0, SIV_TAG);
    if (!cbc(s, zero, SIV_TAG)) return 0;
    memcpy(s->subkey1, s->chain, SIV_TAG);
    dbl(s->subkey1);
    memcpy(s->subkey2, s->subkey1, SIV_TAG);
    dbl(s->subkey2);
    return 1;
}

/// The keyed state for `key`: a kept key's (found by its bytes, or keyed into the least recently
/// used slot) or the per-operation slot re-keyed. NULL on failure.
static struct ntpsh_siv *siv_for(int algorithm, const void *key, size_t key_length, int keep) {
    struct ntpsh_contexts *c = ntpsh_thread_contexts();
    size_t expected = 0;
    if (c == NULL) return NULL;
    int index = ciphers_for(c, algorithm, &expected);
    if (index < 0 || key_length != expected) return NULL;
    struct ntpsh_siv *s;
    if (keep) {
        c->uses++;
        struct ntpsh_siv *oldest = &c->kept[0];
        for (int i = 0; i < NTPSH_KEPT_KEYS; i++) {
            struct ntpsh_siv *k = &c->kept[i];
            if (k->key_length == key_length && CRYPTO_memcmp(k->key, key, key_length) == 0) {
                k->last_used = c->uses;
                return k;
            }
            if (k->last_used < oldest->last_used) oldest = k;
        }
        s = oldest;
        s->key_length = 0;
    } else {
        s = &c->siv[index];
    }
    // A kept slot's contexts may be of the other key size: re-made when the size differs.
    if (keep && s->cbc_context != NULL && EVP_CIPHER_CTX_get_key_length(s->cbc_context) != (int)(key_length / 2)) {
        ntpsh_siv_free(s);
    }
    if (!siv_contexts(c, index, s)) return NULL;
    if (!siv_key(s, key, key_length)) return NULL;
    if (keep) {
        memcpy(s->key, key, key_length);
        s->key_length = key_length;
        s->last_used = c->uses;
    }
    return s;
}

/// S2V(K1, AD..., P) (RFC 5297 §2.4): the synthetic IV.
static int s2v(struct ntpsh_siv *s, const void *const *ad,
               const size_t *ad_lengths, size_t ad_count, const unsigned char *plain, size_t plain_length,
               unsigned char v[SIV_TAG]) {
    static const unsigned char zero[SIV_TAG];
    unsigned char d[SIV_TAG], t[SIV_TAG];
    if (!cmac(s, zero, SIV_TAG, d)) return 0;
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

/// AES-CTR under K2 from the synthetic IV with bits 63 and 31 cleared (RFC 5297 §2.6): the
/// counter blocks (a 128-bit big-endian count) encrypted on the ECB context and XORed in. `in`
/// and `out` may be the same.
static int ctr(struct ntpsh_siv *s, const unsigned char v[SIV_TAG], const unsigned char *in, size_t length,
               unsigned char *out) {
    unsigned char q[SIV_TAG], counters[256], stream[256];
    memcpy(q, v, SIV_TAG);
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    int ok = 1;
    while (length > 0 && ok) {
        size_t chunk = length < sizeof stream ? length : sizeof stream;
        size_t blocks = (chunk + SIV_TAG - 1) / SIV_TAG;
        for (size_t b = 0; b < blocks; b++) {
            memcpy(counters + b * SIV_TAG, q, SIV_TAG);
            for (int j = SIV_TAG - 1; j >= 0 && ++q[j] == 0; j--) {}
        }
        int n = 0;
        ok = EVP_EncryptUpdate(s->ecb_context, stream, &n, counters, (int)(blocks * SIV_TAG)) == 1
            && (size_t)n == blocks * SIV_TAG;
        for (size_t j = 0; ok && j < chunk; j++) out[j] = in[j] ^ stream[j];
        in += chunk;
        out += chunk;
        length -= chunk;
    }
    OPENSSL_cleanse(stream, sizeof stream);
    return ok;
}

int ntpsh_aead_seal(int algorithm, const void *key, size_t key_length, int keep,
                    const void *const *ad, const size_t *ad_lengths, size_t ad_count,
                    const void *plain, size_t plain_length, void *out, size_t out_capacity) {
    if (plain_length > INT32_MAX - SIV_TAG || out_capacity < plain_length + SIV_TAG) return -1;
    struct ntpsh_siv *s = siv_for(algorithm, key, key_length, keep);
    if (s == NULL) return -1;
    unsigned char *o = out;
    // The synthetic IV goes to a local first: `plain` may be `out + 16`.
    unsigned char v[SIV_TAG];
    if (!s2v(s, ad, ad_lengths, ad_count, plain, plain_length, v)
        || !ctr(s, v, plain, plain_length, o + SIV_TAG)) return -1;
    memcpy(o, v, SIV_TAG);
    return (int)(SIV_TAG + plain_length);
}

int ntpsh_aead_open(int algorithm, const void *key, size_t key_length, int keep,
                    const void *const *ad, const size_t *ad_lengths, size_t ad_count,
                    const void *sealed, size_t sealed_length, void *out, size_t out_capacity) {
    if (sealed_length < SIV_TAG || sealed_length > INT32_MAX || out_capacity < sealed_length - SIV_TAG) return -1;
    struct ntpsh_siv *s = siv_for(algorithm, key, key_length, keep);
    if (s == NULL) return -1;
    const unsigned char *tag = sealed;
    size_t length = sealed_length - SIV_TAG;
    unsigned char v[SIV_TAG];
    if (!ctr(s, tag, tag + SIV_TAG, length, out)
        || !s2v(s, ad, ad_lengths, ad_count, out, length, v)
        || CRYPTO_memcmp(v, tag, SIV_TAG) != 0) {
        if (length > 0) OPENSSL_cleanse(out, length);
        return -1;
    }
    return (int)length;
}

int ntpsh_random_bytes(void *out, size_t length) {
    return length <= INT32_MAX && RAND_bytes(out, (int)length) == 1 ? 0 : -1;
}
