#!/usr/bin/env bash
# Fuzzes the NTP packet decoder with libFuzzer for SECONDS (default 60), seeded with the golden
# fixtures. Exits non-zero if the fuzzer finds a crash (the input is kept in .build-fuzz/).
#   bash scripts/fuzz.sh [SECONDS]
# Built with swiftc outside SwiftPM (see PLATFORM.md): NTPWire's sources and the harness are one module.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out="$here/.build-fuzz"
mkdir -p "$out"
export SWIFT_BACKTRACE=enable=no

swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 \
  -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
  -module-name WireFuzz \
  "$here"/Sources/NTPWire/*.swift "$here/Fuzz/WireFuzz.swift" -o "$out/fuzz-wire"

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$here"/Tests/NTPWireTests/Fixtures/*.bin "$corpus/"

status=0
"$out/fuzz-wire" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$out/" "$corpus" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: crash or failure (exit $status); reproducer in $out/ (crash-*), run: $out/fuzz-wire FILE" >&2
  exit "$status"
fi
echo "fuzz: no crash in ${seconds}s"
