#!/usr/bin/env bash
# Fuzzes the daemon's NTS server path with libFuzzer for SECONDS (default 60): NTS fields found,
# restrict and rate limit by the engine's ServerResponder, then cookie, authenticator and the
# sealed reply or NAK in one buffer (Fuzz/NTSServerFuzz.swift says what it checks). Exits non-zero
# on a crash or a failed check; the input is kept in .build-fuzz/.
#   bash scripts/fuzz-nts-server.sh [SECONDS]
# Built with swiftc outside SwiftPM like scripts/fuzz-nts.sh: NTPWire's, NTPEngine's and NTPNTS's
# I/O-free sources and the harness are one module; CNTPCrypto's C is compiled with clang.
set -euo pipefail
source "$(dirname "$0")/lib/fuzz.sh"
seconds=${1:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/engine"
fuzz_nts_sources "$work"
for f in "$here"/Sources/NTPEngine/*.swift; do
  sed -E 's/^(public |internal )?import NTPWire$//' "$f" > "$work/engine/$(basename "$f")"
done
fuzz_build nts-server NTSServerFuzz -I "$work/cmod" "$here"/Sources/NTPWire/*.swift "$work"/engine/*.swift "$work"/src/*.swift \
  "$here/Fuzz/NTSFuzzSupport.swift" "$here/Fuzz/NTSServerFuzz.swift" "$work"/*.o -lcrypto
# Seeds: the valid request from each source (empty masks), and a plain header as a packet.
for s in 0 1 2 3; do printf "\\x0$s\\x00" > "$work/corpus/request-$s"; done
{ printf '\x00\x01\x23'; head -c 47 /dev/zero; } > "$work/corpus/packet"
fuzz_run nts-server "$seconds" 4096 "$work/corpus"
