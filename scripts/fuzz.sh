#!/usr/bin/env bash
# Fuzzes the NTP packet decoder with libFuzzer for SECONDS (default 60), seeded with the golden
# fixtures. Exits non-zero if the fuzzer finds a crash (the input is kept in .build-fuzz/).
#   bash scripts/fuzz.sh [SECONDS]
# Built with swiftc outside SwiftPM (see PLATFORM.md): NTPWire's sources and the harness are one module.
set -euo pipefail
source "$(dirname "$0")/lib/fuzz.sh"
seconds=${1:-60}
fuzz_build wire WireFuzz "$here"/Sources/NTPWire/*.swift "$here/Fuzz/WireFuzz.swift"

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$here"/Tests/NTPWireTests/Fixtures/*.bin "$corpus/"
fuzz_run wire "$seconds" 4096 "$corpus"
