// CNTPCrypto: the symmetric-key MACs of NTP (RFC 5905 §7.3 legacy digests, RFC 8573
// AES-CMAC) and NTS's AES-SIV-CMAC (CNTPCryptoAEAD.h) through OpenSSL's libcrypto, behind
// prefixed functions. The OpenSSL contexts are kept per thread, so nothing of ours is
// allocated per packet after the first (OpenSSL's SIV allocates its CMAC states per call).
#pragma once

#include <stddef.h>
#include <stdint.h>

/// MAC algorithms, numbered as NTPEngine's `MACAlgorithm` raw values.
enum {
    NTPSH_MAC_MD5 = 1,
    NTPSH_MAC_SHA1 = 2,
    NTPSH_MAC_SHA256 = 3,
    NTPSH_MAC_SHA512 = 4,
    NTPSH_MAC_AES128_CMAC = 10,
    NTPSH_MAC_AES256_CMAC = 11,
};

/// Computes the MAC of `message` under `key`: for digests, DIGEST(key || message) (ntpd's and
/// chrony's construction); for CMAC, AES-CMAC(key, message) with a key of the cipher's length.
/// Writes at most `out_capacity` bytes of it (longer MACs are truncated, as NTP does) and
/// returns the bytes written, or -1 when the algorithm is unavailable or the key is unusable.
int ntpsh_mac(int algorithm, const void *key, size_t key_length,
              const void *message, size_t message_length,
              void *out, size_t out_capacity);

#include "CNTPCryptoAEAD.h"
