#!/usr/bin/env bash
# Shell benchmarks (issue: start to first prompt, Tab latency, a 10,000-line batch).
#   Benchmarks/shell.sh [NTPSH_BINARY]     (default: a release build, made if missing)
# Prints medians of repeated runs. No network traffic: --port 0 and no associations.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/ntpsh}
[ -x "$bin" ] || swift build -c release -q
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }

# 1. Start-up to the first command's output (the batch path shares everything with the prompt
#    but the line editor): `ntpsh -e echo` from exec to exit.
for i in $(seq 21); do ms "$bin" --clock observe --port 0 -e 'echo ready'; done | median > "$tmp/start"
echo "start to first output (ntpsh -e echo), median of 21: $(( $(cat "$tmp/start") / 1000 )).$(( $(cat "$tmp/start") % 1000 / 100 )) ms"

# 2. A 10,000-line configuration batch: restrict entries, tinker/tos, comments.
{
  for i in $(seq 0 9999); do
    case $((i % 4)) in
      0) echo "restrict 10.$((i / 256 % 256)).$((i % 256)).0 mask 255.255.255.0 nomodify notrap" ;;
      1) echo "# comment $i" ;;
      2) echo "restrict 2001:db8:$i::/48 kod limited" ;;
      3) echo "tinker step 0.$((i % 9 + 1))" ;;
    esac
  done
} > "$tmp/big.conf"
for i in $(seq 5); do ms "$bin" --clock observe --port 0 -c "$tmp/big.conf" -e 'echo done'; done | median > "$tmp/batch"
echo "10,000-line configuration applied (start to exit), median of 5: $(( $(cat "$tmp/batch") / 1000 )) ms"
