#!/usr/bin/env bash
# Benchmarks/memory.sh - idle resident memory of ntpsh, chronyd and NTPsec ntpd in one run,
# and where ntpsh's goes (per mapping, from /proc/PID/smaps).
#
#   sudo NTPSH_BIN=.build/release/ntpsh Benchmarks/memory.sh
#
# Environment (defaults in brackets):
#   NTPSH_BIN    ntpsh executable [.build/release/ntpsh]
#   NTPD_BIN     NTPsec ntpd [.deps/ntpsec/usr/sbin/ntpd, unpacked by scripts/deps.sh]
#   CHRONYD_BIN  [chronyd from PATH]
#   SERVERS ["chronyd ntpd ntpsh"]   IDLE_SECS [5]   PORT [12350]
#
# Each server idles IDLE_SECS after start (ntpsh with examples/ntp.conf's two lines, the
# local clock at stratum 10), then its VmRSS, RssAnon and RssFile are read, and for ntpsh
# the resident kB of every mapping. Safety as Benchmarks/run.sh: ntpsh --clock observe,
# chronyd -x, ntpd with `disable ntp` in its own network namespace, all without
# CAP_SYS_TIME; loopback only; every process is stopped by PID on exit.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NTPSH_BIN=${NTPSH_BIN:-$ROOT/.build/release/ntpsh}
NTPD_BIN=${NTPD_BIN:-$ROOT/.deps/ntpsec/usr/sbin/ntpd}
CHRONYD_BIN=${CHRONYD_BIN:-$(command -v chronyd || echo /usr/sbin/chronyd)}
SERVERS=${SERVERS:-"chronyd ntpd ntpsh"}
IDLE_SECS=${IDLE_SECS:-5}
PORT=${PORT:-12350}

TMP=$(mktemp -d /tmp/ntpsh-memory.XXXXXX)
chmod 755 "$TMP"
PID=""
NS=""
CAPDROP=(setpriv --inh-caps=-sys_time --bounding-set=-sys_time)
[ "$(id -u)" = 0 ] || CAPDROP=()

stop() {
    local pid=$PID
    PID=""
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    if [ -n "$NS" ]; then ip netns del "$NS" 2>/dev/null; NS=""; fi
}
trap 'stop; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

field() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

start() { # start NAME: sets PID
    local dir=$TMP/$1
    mkdir -p "$dir"; chmod 777 "$dir"
    case $1 in
    ntpsh)
        printf 'server 127.127.1.0\nfudge 127.127.1.0 stratum 10\n' >"$dir/ntp.conf"
        "${CAPDROP[@]}" "$NTPSH_BIN" --daemon --clock observe --listen 127.0.0.1 --port "$PORT" \
            -c "$dir/ntp.conf" >"$dir/log" 2>&1 &
        ;;
    chronyd)
        printf 'port %s\nbindaddress 127.0.0.1\ncmdport 0\nbindcmdaddress /\nlocal stratum 3\nallow\npidfile %s/chronyd.pid\n' \
            "$((PORT + 1))" "$dir" >"$dir/chrony.conf"
        "${CAPDROP[@]}" "$CHRONYD_BIN" -x -d -f "$dir/chrony.conf" >"$dir/log" 2>&1 &
        ;;
    ntpd)
        [ -x "$NTPD_BIN" ] && [ "$(id -u)" = 0 ] || return 1
        NS=ntpshmem$$
        ip netns add "$NS" || { NS=""; return 1; }
        ip netns exec "$NS" ip link set lo up || return 1
        printf 'restrict default\nunrestrict default limited\ndisable ntp\ntos orphan 5 orphanwait 0\nlogfile %s/ntpd.log\n' \
            "$dir" >"$dir/ntp.conf"
        ip netns exec "$NS" "${CAPDROP[@]}" "$NTPD_BIN" -n -c "$dir/ntp.conf" -p "$dir/ntpd.pid" \
            >"$dir/log" 2>&1 &
        ;;
    esac
    PID=$!   # ip netns exec and setpriv exec: this is the server
}

printf '%-8s %8s %8s %8s\n' server "VmRSS" "RssAnon" "RssFile"
for s in $SERVERS; do
    start "$s" || { echo "# $s: cannot start" >&2; stop; continue; }
    sleep "$IDLE_SECS"   # the measured state is "idle for IDLE_SECS after start"
    if ! kill -0 "$PID" 2>/dev/null; then echo "# $s exited; log:" >&2; tail -5 "$TMP/$s/log" >&2; stop; continue; fi
    printf '%-8s %6.1f MB %6.1f MB %6.1f MB\n' "$s" \
        "$(field "$PID" VmRSS | awk '{print $1/1024}')" \
        "$(field "$PID" RssAnon | awk '{print $1/1024}')" \
        "$(field "$PID" RssFile | awk '{print $1/1024}')"
    if [ "$s" = ntpsh ]; then
        # Resident kB per mapping: file mappings by name (and permissions), anonymous ones by kind.
        awk '
            /^[0-9a-f]+-[0-9a-f]+ / { perm = $2; name = ($6 == "") ? "[anon]" : $6
                                      sub(".*/", "", name); key = name " " perm; next }
            /^Rss:/ { rss[key] += $2 }
            END { for (k in rss) if (rss[k] > 0) printf "  %7d kB  %s\n", rss[k], k }
        ' "/proc/$PID/smaps" | sort -rn > "$TMP/ntpsh.maps"
        cat "$TMP/ntpsh.maps"
        echo "  threads: $(field "$PID" Threads)"
    fi
    stop
done
