# Shared by scripts/fuzz*.sh: build a libFuzzer harness with swiftc (outside SwiftPM, see
# PLATFORM.md: the module's sources and the harness compile as one module) and run it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$here/.build-fuzz"
mkdir -p "$out"
export SWIFT_BACKTRACE=enable=no

# fuzz_build NAME MODULE SOURCE...: builds $out/fuzz-NAME.
fuzz_build() {
  local name=$1 module=$2; shift 2
  swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -package-name ntpsh \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    -module-name "$module" "$@" -o "$out/fuzz-$name"
}

# fuzz_sources DIR: copies the sources of the modules a runner and a lab need ($fuzz_modules)
# under DIR/src with their imports of each other removed,
# so that they compile as one module with a harness: pass "$DIR"/src/*/*.swift to fuzz_build.
fuzz_modules="CommandGrammar NTPWire NTPEngine NTPAdmin NTPControl NTPMetrics NTPShell NTPNTS NTPSimulation NTPLab"
fuzz_sources() {
  local dir=$1 module f
  for module in $fuzz_modules; do
    mkdir -p "$dir/src/$module"
    for f in "$here/Sources/$module"/*.swift; do
      sed -E "s/^(public |internal )?import (${fuzz_modules// /|})\$//" "$f" > "$dir/src/$module/$(basename "$f")"
    done
  done
}

# fuzz_build_with_runner NAME MODULE HARNESS: in $work (a temporary directory removed on exit),
# builds HARNESS over the runner's modules (fuzz_sources), suppresses LeakSanitizer's reports of
# what one-time global initializers allocate (the grammar lives until exit; see
# scripts/fuzz-grammar.sh), and leaves an empty $work/corpus for the seeds.
fuzz_build_with_runner() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  fuzz_sources "$work"
  fuzz_c_modules "$work"
  fuzz_build "$1" "$2" -I "$work/cmod" "$work"/src/*/*.swift "$work"/c/*.o -lssl -lcrypto "$3"
  printf 'leak:swift::threading_impl::once_slow\n' > "$work/lsan.supp"
  export LSAN_OPTIONS="suppressions=$work/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  mkdir -p "$work/corpus"
}

# fuzz_c_modules DIR: the C modules NTPNTS imports (CNTPCrypto, CNTPTLS; the simulation's NTS
# is the real one) compiled with the sanitizers as DIR/c/*.o, their module maps in DIR/cmod.
fuzz_c_modules() {
  local dir=$1 m c
  mkdir -p "$dir/c" "$dir/cmod"
  : > "$dir/cmod/module.modulemap"
  for m in CNTPCrypto CNTPTLS; do
    printf 'module %s {\n  header "%s/Sources/%s/include/%s.h"\n  export *\n}\n' "$m" "$here" "$m" "$m" >> "$dir/cmod/module.modulemap"
    for c in "$here/Sources/$m"/*.c; do
      clang -c -O1 -fsanitize=fuzzer-no-link,address -I "$here/Sources/$m/include" "$c" -o "$dir/c/$m-$(basename "$c" .c).o"
    done
  done
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

# fuzz_nts_sources DIR: NTPNTS's I/O-free sources under DIR/src (their NTPWire import removed),
# CNTPCrypto's C compiled with the sanitizers as DIR/*.o, and its module map in DIR/cmod:
# pass -I DIR/cmod, "DIR"/src/*.swift, "DIR"/*.o and -lcrypto to fuzz_build.
fuzz_nts_sources() {
  local dir=$1 f c
  mkdir -p "$dir/src" "$dir/cmod"
  for f in AEAD NTSCookie NTSCookieKeys NTSServer NTSClientState; do
    sed -E 's/^(public |internal )?import NTPWire$//' "$here/Sources/NTPNTS/$f.swift" > "$dir/src/$f.swift"
  done
  printf 'module CNTPCrypto {\n  header "%s/Sources/CNTPCrypto/include/CNTPCrypto.h"\n  link "crypto"\n  export *\n}\n' "$here" > "$dir/cmod/module.modulemap"
  for c in "$here"/Sources/CNTPCrypto/*.c; do
    clang -c -O1 -fsanitize=fuzzer-no-link,address -I "$here/Sources/CNTPCrypto/include" "$c" -o "$dir/$(basename "$c" .c).o"
  done
}
