// The AEAD of Network Time Security (RFC 8915): AES-SIV-CMAC (RFC 5297) through OpenSSL 3's
// libcrypto, behind prefixed functions (included by CNTPCrypto.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

/// AEAD algorithms, numbered as the IANA "AEAD Algorithms" registry (RFC 5116, RFC 5297) that
/// NTS-KE negotiates: 15 is AEAD_AES_SIV_CMAC_256 (32-byte key), 17 AEAD_AES_SIV_CMAC_512 (64).
enum {
    NTPSH_AEAD_AES_SIV_CMAC_256 = 15,
    NTPSH_AEAD_AES_SIV_CMAC_512 = 17,
};

/// The key length of an AEAD algorithm, or 0 when this OpenSSL lacks it.
size_t ntpsh_aead_key_length(int algorithm);

/// `keep`: the key is long-lived (a cookie master key): its key schedules are kept for this
/// thread (the last few such keys) instead of set up again; 0 for a key used once or twice (a
/// session's C2S and S2C keys). Key material kept is wiped when the thread ends.
///
/// Seals `plain` under `key` with `ad_count` associated-data pieces in order (RFC 5297's
/// vector S2V input; for NTS the nonce is the last piece). Writes the 16-byte synthetic IV then
/// the ciphertext (16 + plain_length bytes) to `out` and returns that count, or -1 (unknown
/// algorithm, wrong key length, `out` too small, OpenSSL failure). `plain` may be `out + 16`
/// (sealing in place).
int ntpsh_aead_seal(int algorithm, const void *key, size_t key_length, int keep,
                    const void *const *ad, const size_t *ad_lengths, size_t ad_count,
                    const void *plain, size_t plain_length, void *out, size_t out_capacity);

/// Opens `sealed` (synthetic IV then ciphertext, at least 16 bytes): writes the plaintext
/// (sealed_length - 16 bytes) to `out` and returns that count; -1 when it is not authentic or
/// on any error. Nothing is left in `out` on failure.
int ntpsh_aead_open(int algorithm, const void *key, size_t key_length, int keep,
                    const void *const *ad, const size_t *ad_lengths, size_t ad_count,
                    const void *sealed, size_t sealed_length, void *out, size_t out_capacity);

/// Fills `out` with `length` bytes from OpenSSL's per-thread CSPRNG (seeded from the kernel,
/// reseeded by OpenSSL; no system call per draw). 0, or -1 on failure.
int ntpsh_random_bytes(void *out, size_t length);
