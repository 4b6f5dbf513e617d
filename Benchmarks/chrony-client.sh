#!/usr/bin/env bash
# Benchmarks/chrony-client.sh - chronyd 4.3 as a client of a server under load, basic and
# interleaved (`xleave`): the spread of the offsets chronyd measures, from its raw
# measurements log. One server at a time on loopback, never touching the clock.
#
#   sudo NTPSH_BIN=$PWD/.build/release/ntpsh Benchmarks/chrony-client.sh
#
# Environment: NTPSH_BIN (required), CHRONYD_BIN [chronyd from PATH], SECS [15] per client run,
#   LOAD [10000] requests/s alongside (Benchmarks/bin/loadgen rate), SERVER_CPU [0],
#   LOADGEN_CPU [1], PORT [12320], SERVERS ["chronyd ntpsh"].
# The client polls every 1/64 s (minpoll -6); a sample is one line of measurements.log of the
# mode asked for (B, or I with xleave), the first 10 skipped; the summary gives, per server and
# mode, the samples, how many lines chronyd logged B and I, the mean and sd of the offset and the
# p99 of |offset|, µs. Safety as run.sh: chronyd -x and ntpsh --clock observe,
# both without CAP_SYS_TIME; traffic to 127.0.0.1 only; every process stopped by PID on exit.
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
SECS=${SECS:-15}; LOAD=${LOAD:-10000}; SERVER_CPU=${SERVER_CPU:-0}; LOADGEN_CPU=${LOADGEN_CPU:-1}
PORT=${PORT:-12320}; SERVERS=${SERVERS:-"chronyd ntpsh"}
CHRONYD_BIN=${CHRONYD_BIN:-$(command -v chronyd || echo /usr/sbin/chronyd)}
NTPSH_BIN=${NTPSH_BIN:?NTPSH_BIN: the ntpsh executable}
TMP=$(mktemp -d /tmp/ntpsh-chrony-client.XXXXXX); chmod 755 "$TMP"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$DIR/bin"
gcc -O2 -Wall -o "$DIR/bin/loadgen" "$DIR/loadgen.c" -lm || exit 1
CAPDROP=(setpriv --inh-caps=-sys_time --bounding-set=-sys_time)
[ "$(id -u)" = 0 ] || CAPDROP=()

for server in $SERVERS; do
    d=$TMP/$server; mkdir -p "$d"; chmod 777 "$d"
    case $server in
    chronyd)
        printf 'port %s\nbindaddress 127.0.0.1\ncmdport 0\nbindcmdaddress /\nlocal stratum 3\nallow\npidfile %s/server.pid\n' \
            "$PORT" "$d" >"$d/server.conf"
        "${CAPDROP[@]}" taskset -c "$SERVER_CPU" "$CHRONYD_BIN" -x -d -f "$d/server.conf" >"$d/server.log" 2>&1 & ;;
    ntpsh)
        printf 'server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n' >"$d/ntp.conf"
        "${CAPDROP[@]}" taskset -c "$SERVER_CPU" "$NTPSH_BIN" --daemon --clock observe --listen 127.0.0.1 \
            --port "$PORT" -c "$d/ntp.conf" >"$d/server.log" 2>&1 & ;;
    esac
    server_pid=$!; PIDS+=("$server_pid")
    timeout 12 "$DIR/bin/loadgen" -a 127.0.0.1 -p "$PORT" -t 10 probe >/dev/null || { echo "# $server: no reply" >&2; continue; }
    for mode in basic xleave; do
        c=$d/$mode; mkdir -p "$c"; chmod 777 "$c"
        opt=""; [ "$mode" = xleave ] && opt=xleave
        printf 'server 127.0.0.1 port %s %s minpoll -6 maxpoll -6\nport 0\ncmdport 0\npidfile %s/chronyd.pid\nlogdir %s\nlog rawmeasurements\n' \
            "$PORT" "$opt" "$c" "$c" >"$c/chrony.conf"
        timeout $((SECS + 10)) taskset -c "$LOADGEN_CPU" "$DIR/bin/loadgen" -a 127.0.0.1 -p "$PORT" -t $((SECS + 2)) rate "$LOAD" >"$c/load" 2>&1 &
        load_pid=$!
        "${CAPDROP[@]}" taskset -c "$LOADGEN_CPU" "$CHRONYD_BIN" -x -d -f "$c/chrony.conf" >"$c/log" 2>&1 &
        client_pid=$!
        sleep "$SECS"
        kill -TERM "$client_pid" 2>/dev/null; wait "$client_pid" 2>/dev/null
        wait "$load_pid" 2>/dev/null
        awk -v server="$server" -v mode="$mode" -v load="$LOAD" '
            $3 == "127.0.0.1" && $18 ~ /^4[BI]$/ { m[substr($18, 2)]++ }
            # the samples of the mode asked for: B basic, I interleaved (the first replies are basic)
            $3 == "127.0.0.1" && $18 == (mode == "xleave" ? "4I" : "4B") { n++; o[n] = $12 * 1e6 }
            END {
                if (n < 10) { printf "server=%s mode=%s samples=%d\n", server, mode, n; exit }
                s = 0; for (i = 11; i <= n; i++) s += o[i]; k = n - 10; mean = s / k
                v = 0; for (i = 11; i <= n; i++) { v += (o[i] - mean) ^ 2; a[i - 10] = o[i] < 0 ? -o[i] : o[i] }
                for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                printf "server=%s mode=%s load=%s samples=%d B=%d I=%d offset_mean_us=%.3f offset_sd_us=%.3f absoff_p99_us=%.3f\n",
                    server, mode, load, k, m["B"], m["I"], mean, sqrt(v / (k - 1)), a[int(0.99 * (k - 1) + 1.5)]
            }' "$c/measurements.log"
    done
    kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
done
