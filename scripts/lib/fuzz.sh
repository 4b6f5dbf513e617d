# Shared by scripts/fuzz*.sh: build a libFuzzer harness with swiftc (outside SwiftPM, see
# PLATFORM.md: the module's sources and the harness compile as one module) and run it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$here/.build-fuzz"
mkdir -p "$out"
export SWIFT_BACKTRACE=enable=no

# fuzz_build NAME MODULE SOURCE...: builds $out/fuzz-NAME.
fuzz_build() {
  local name=$1 module=$2; shift 2
  swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    -module-name "$module" "$@" -o "$out/fuzz-$name"
}

# fuzz_run NAME SECONDS MAX_LEN CORPUS: runs it; exits non-zero (keeping the reproducer) on a crash.
fuzz_run() {
  local name=$1 seconds=$2 max_len=$3 corpus=$4 status=0
  "$out/fuzz-$name" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
    -artifact_prefix="$out/" "$corpus" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz: crash or failure (exit $status); reproducer in $out/ (crash-*), run: $out/fuzz-$name FILE" >&2
    exit "$status"
  fi
  echo "fuzz: no crash in ${seconds}s"
}
