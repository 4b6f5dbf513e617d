#include "CNTPCrypto.h"
#include "contexts.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <pthread.h>
#include <stdlib.h>

/// One thread's OpenSSL contexts (MACs here, AEAD in aead.c), made on first use and freed
/// when the thread ends.
static pthread_key_t contexts_key;
static pthread_once_t contexts_once = PTHREAD_ONCE_INIT;

static void free_contexts(void *p) {
    struct ntpsh_contexts *c = p;
    EVP_MD_CTX_free(c->digest);
    EVP_MAC_CTX_free(c->cmac_context);
    EVP_MAC_free(c->cmac);
    for (int i = 0; i < 2; i++) {
        ntpsh_siv_free(&c->siv[i]);
        EVP_CIPHER_free(c->cbc[i]);
        EVP_CIPHER_free(c->ecb[i]);
    }
    for (int i = 0; i < NTPSH_KEPT_KEYS; i++) ntpsh_siv_free(&c->kept[i]);
    free(c);
}

static void make_key(void) { (void)pthread_key_create(&contexts_key, free_contexts); }

struct ntpsh_contexts *ntpsh_thread_contexts(void) {
    (void)pthread_once(&contexts_once, make_key);
    struct ntpsh_contexts *c = pthread_getspecific(contexts_key);
    if (c == NULL) {
        if ((c = calloc(1, sizeof *c)) == NULL) return NULL;
        if (pthread_setspecific(contexts_key, c) != 0) { free(c); return NULL; }
    }
    return c;
}

static int digest_mac(const EVP_MD *md, const void *key, size_t key_length, const void *message,
                      size_t message_length, unsigned char *out, size_t out_capacity) {
    struct ntpsh_contexts *c = ntpsh_thread_contexts();
    if (c == NULL) return -1;
    if (c->digest == NULL && (c->digest = EVP_MD_CTX_new()) == NULL) return -1;
    EVP_MD_CTX *digest_context = c->digest;
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestInit_ex(digest_context, md, NULL) != 1
        || EVP_DigestUpdate(digest_context, key, key_length) != 1
        || EVP_DigestUpdate(digest_context, message, message_length) != 1
        || EVP_DigestFinal_ex(digest_context, full, &length) != 1) return -1;
    size_t n = length < out_capacity ? length : out_capacity;
    memcpy(out, full, n);
    return (int)n;
}

static int cmac_mac(const char *cipher, size_t cipher_key_length, const void *key, size_t key_length,
                    const void *message, size_t message_length, unsigned char *out, size_t out_capacity) {
    if (key_length != cipher_key_length) return -1;
    struct ntpsh_contexts *c = ntpsh_thread_contexts();
    if (c == NULL) return -1;
    if (c->cmac == NULL && (c->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL) return -1;
    if (c->cmac_context == NULL && (c->cmac_context = EVP_MAC_CTX_new(c->cmac)) == NULL) return -1;
    EVP_MAC_CTX *cmac_context = c->cmac_context;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cipher, 0);
    params[1] = OSSL_PARAM_construct_end();
    unsigned char full[EVP_MAX_MD_SIZE];
    size_t length = 0;
    if (EVP_MAC_init(cmac_context, key, key_length, params) != 1
        || EVP_MAC_update(cmac_context, message, message_length) != 1
        || EVP_MAC_final(cmac_context, full, &length, sizeof full) != 1) return -1;
    size_t n = length < out_capacity ? length : out_capacity;
    memcpy(out, full, n);
    return (int)n;
}

int ntpsh_mac(int algorithm, const void *key, size_t key_length, const void *message, size_t message_length,
              void *out, size_t out_capacity) {
    switch (algorithm) {
    case NTPSH_MAC_MD5: return digest_mac(EVP_md5(), key, key_length, message, message_length, out, out_capacity);
    case NTPSH_MAC_SHA1: return digest_mac(EVP_sha1(), key, key_length, message, message_length, out, out_capacity);
    case NTPSH_MAC_SHA256: return digest_mac(EVP_sha256(), key, key_length, message, message_length, out, out_capacity);
    case NTPSH_MAC_SHA512: return digest_mac(EVP_sha512(), key, key_length, message, message_length, out, out_capacity);
    case NTPSH_MAC_AES128_CMAC: return cmac_mac("AES-128-CBC", 16, key, key_length, message, message_length, out, out_capacity);
    case NTPSH_MAC_AES256_CMAC: return cmac_mac("AES-256-CBC", 32, key, key_length, message, message_length, out, out_capacity);
    default: return -1;
    }
}
