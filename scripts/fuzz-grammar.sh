#!/usr/bin/env bash
# Fuzzes the command-line parser (CommandGrammar: tokenizer, matcher, completer, describer, error
# rendering) with libFuzzer for SECONDS (default 60): raw bytes and random token sequences against
# the sample grammar declared in Fuzz/GrammarFuzz.swift. Exits non-zero on a crash or a failed
# consistency check (the input is kept in .build-fuzz/).
#   bash scripts/fuzz-grammar.sh [SECONDS]
# Built with swiftc outside SwiftPM, like scripts/fuzz.sh: the sources (CommandGrammar and the
# NTPWire it reads addresses with, its import removed) and the harness are one module.
set -euo pipefail
source "$(dirname "$0")/lib/fuzz.sh"
seconds=${1:-60}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
mkdir -p "$corpus.src"
for f in "$here"/Sources/CommandGrammar/*.swift "$here"/Sources/NTPWire/*.swift; do
  sed -E 's/^(public |internal )?import NTPWire$//' "$f" > "$corpus.src/$(basename "$(dirname "$f")")-$(basename "$f")"
done
fuzz_build grammar GrammarFuzz "$corpus.src"/*.swift "$here/Fuzz/GrammarFuzz.swift"
# The harness's grammar is a global, built once by Swift's lazy global initializer and alive
# until exit; its enums keep pointers in spare bits, which LeakSanitizer cannot follow. Memory a
# one-time global initializer allocates is not a leak, so those stacks (and only those) are
# suppressed; anything allocated while handling an input is still checked.
printf 'leak:swift::threading_impl::once_slow\n' > "$corpus.supp"
trap 'rm -rf "$corpus" "$corpus.supp" "$corpus.src"' EXIT
export LSAN_OPTIONS="suppressions=$corpus.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Seeds: mode byte 0 (raw line) followed by typical lines.
i=0
while IFS= read -r seed; do
  printf '\0%s' "$seed" > "$corpus/seed-$i"; i=$((i + 1))
done <<'SEEDS'
server 192.0.2.1 iburst minpoll 4 maxpoll 10 key 7 offset -20ms
server ntp.example.com prefer
no server ::1
sh run
show peers -n
restrict 10.0.0.0 mask 255.0.0.0 kod nomodify
restrict default kod
step now
wait sync 10m
drift -15ppm
trust 1 2 3
nest a b c end
comment "quoted \" text" # with a comment
driftfile "/tmp/a b
SEEDS
printf '\1\0\1\2\3\4' > "$corpus/seed-tokens"

fuzz_run grammar "$seconds" 8192 "$corpus"
