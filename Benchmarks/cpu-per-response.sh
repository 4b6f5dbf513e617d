#!/bin/bash
# Benchmarks/cpu-per-response.sh - A/B of two ntpsh binaries, alternated three times in one run:
# each serves (--clock observe, loopback, the local clock) on CPU 0 while loadgen floods it from
# CPU 1 for 3 s; prints the server's CPU time (utime+stime, /proc/PID/stat) per answered request.
#   A=old/ntpsh B=new/ntpsh Benchmarks/cpu-per-response.sh   (Benchmarks/bin/loadgen: run.sh builds it)
A=${A:?set A and B to the two ntpsh binaries} B=${B:?set A and B to the two ntpsh binaries}
conf=$(mktemp); printf "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n" >"$conf"
for round in 1 2 3; do for bin in "$A" "$B"; do b=$(basename "$bin")
  taskset -c 0 "$bin" --daemon --clock observe --listen 127.0.0.1 --port 12430 -c $conf >/dev/null 2>&1 & P=$!
  for i in $(seq 50); do timeout 2 "$(dirname "$0")/bin/loadgen" -a 127.0.0.1 -p 12430 -t 1 probe >/dev/null 2>&1 && break; sleep 0.1; done
  t0=$(awk '{print $14+$15}' /proc/$P/stat)
  out=$(timeout 10 taskset -c 1 "$(dirname "$0")/bin/loadgen" -a 127.0.0.1 -p 12430 -t 3 -w 128 flood 2>&1 | grep '^result')
  t1=$(awk '{print $14+$15}' /proc/$P/stat)
  kill $P; wait $P
  echo "$b ticks=$((t1-t0)) $out" | awk -v hz="$(getconf CLK_TCK)" '{ split($0, f, /valid=/); v = f[2] + 0
      sub(/ticks=/, "", $2); printf "%-12s %6.2f µs CPU per response  %s\n", $1, v ? $2 * 1e6 / hz / v : 0, $0 }'
done; done
rm -f "$conf"
