#!/usr/bin/env bash
# Fuzzes NTS with libFuzzer for SECONDS (default 60): the NTS-KE record parser, the NTS
# extension-field scan, the server's verifier and the client's response check (Fuzz/NTSFuzz.swift
# says what each checks). Exits non-zero on a crash or a failed check; the input is kept in .build-fuzz/.
#   bash scripts/fuzz-nts.sh [SECONDS]
# Built with swiftc outside SwiftPM like scripts/fuzz.sh: NTPWire's sources, NTPNTS's I/O-free
# sources and the harness are one module; CNTPCrypto's C is compiled with clang and linked with libcrypto.
set -euo pipefail
source "$(dirname "$0")/lib/fuzz.sh"
seconds=${1:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
fuzz_nts_sources "$work"
fuzz_build nts NTSFuzz -I "$work/cmod" "$here"/Sources/NTPWire/*.swift "$work"/src/*.swift "$here/Fuzz/NTSFuzzSupport.swift" "$here/Fuzz/NTSFuzz.swift" \
  "$work"/*.o -lcrypto
# Seeds: a client's KE request, a KE response with a cookie, and the NTP request/response (empty masks).
printf '\x00\x80\x01\x00\x02\x00\x00\x80\x04\x00\x02\x00\x0f\x80\x00\x00\x00' > "$work/corpus/ke-request"
printf '\x00\x80\x01\x00\x02\x00\x00\x00\x04\x00\x02\x00\x0f\x00\x05\x00\x04\xde\xad\xbe\xef\x80\x00\x00\x00' > "$work/corpus/ke-response"
printf '\x02' > "$work/corpus/request"
printf '\x03' > "$work/corpus/response"
{ printf '\x01\x23'; head -c 47 /dev/zero; } > "$work/corpus/packet"
fuzz_run nts "$seconds" 4096 "$work/corpus"
