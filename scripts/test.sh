#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds once, runs every test
# (unit, simulation, end-to-end against real chronyd/NTPsec/tshark), a subset of chrony's
# simulation scenarios under clknetsim, the end-to-end tests again under the seccomp sandbox (scripts/clknetsim.sh --ci), the fuzzers, and the
# suite again under AddressSanitizer.
#   scripts/test.sh            everything
#   QUICK=1 scripts/test.sh    skip the sanitizer pass and shorten fuzzing (local iteration)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export SWIFT_BACKTRACE=enable=no

echo "== build and test (debug)"
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
swift build --build-tests -q
swift test --skip-build

echo "== end-to-end again with every daemon under --sandbox (NTPSH_SANDBOX=1): the filter kills nothing in normal work"
NTPSH_SANDBOX=1 swift test --skip-build --filter EndToEndTests --skip DocsTests

echo "== chrony's simulation scenarios under clknetsim (CI subset; the full table: scripts/clknetsim.sh)"
# The debug build just made (no release build in CI); the subset takes about 20 s.
bash scripts/clknetsim.sh --ci --ntpsh "$(swift build --show-bin-path)/ntpsh"

echo "== fuzz"
fuzz_seconds=60; [ "${QUICK:-0}" = 1 ] && fuzz_seconds=10
for f in scripts/fuzz*.sh; do [ -e "$f" ] && bash "$f" "$fuzz_seconds"; done

if [ "${QUICK:-0}" != 1 ]; then
  echo "== test under AddressSanitizer"
  export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
  swift build --build-tests -q --sanitize=address --scratch-path .build-asan
  swift test --skip-build --sanitize=address --scratch-path .build-asan
fi
echo "== all tests passed"
