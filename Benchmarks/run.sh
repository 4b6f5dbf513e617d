#!/usr/bin/env bash
# Benchmarks/run.sh - compare ntpsh with chronyd, NTPsec ntpd and a batched
# UDP echo (the machine's ceiling) on loopback, one server at a time.
#
#   sudo Benchmarks/run.sh                     # echo, chronyd, ntpd
#   sudo NTPSH_BIN=.build/release/ntpsh Benchmarks/run.sh
#
# Environment (defaults in brackets):
#   NTPSH_BIN    ntpsh executable; skipped when unset or missing
#   NTPD_BIN     NTPsec ntpd [.deps/ntpsec/usr/sbin/ntpd, unpacked by scripts/deps.sh]
#   CHRONYD_BIN  [chronyd from PATH]
#   PASSES [4]   every pass starts, measures and stops each server once; the
#                order rotates per pass. The summary shows the best pass
#                (highest resp/s, lowest p99) and the median: on a shared
#                machine the best pass is the least disturbed one
#   FLOOD_SECS [2]  RATE_SECS [2]  RATES ["1000 10000 50000"]  WINDOW [128]
#   PREC_COUNT [300]  PREC_INTERVAL_US [1000]
#   PREC_LOAD [10000]  the precision probe again, basic and interleaved (loadgen -x,
#                RFC 9769), while loadgen sends this many requests/s alongside (0: skip)
#   SERVER_CPU [0]  LOADGEN_CPU [1]  PORT [12310]
#   NTPSH_BASE_BIN  a second ntpsh executable for paired A/B runs: server "ntpsh-base"
#   SERVERS ["echo chronyd ntpd ntpsh"]; also "ntpsh-base" (NTPSH_BASE_BIN), "ntpsh-metrics": ntpsh with `metrics listen`
#                on PORT+1 while a hostile HTTP client hammers it (garbage, oversize heads,
#                silent connections, ~50 a second) for the whole measurement
#   KEEP_RESULTS  file to copy the raw result lines to
#
# Safety: no server may touch the clock. chronyd runs with -x, ntpd with no
# servers, `disable ntp`, in its own network namespace, and ntpsh with
# --clock observe; on top of that every server is started without
# CAP_SYS_TIME (setpriv), so a clock adjustment would fail with EPERM.
# Traffic goes only to 127.0.0.1 (ntpd: 127.0.0.1 inside the namespace).
# Each loadgen call is bounded by `timeout`, the whole run by a deadline
# (MAX_SECS [280]); the EXIT trap stops every process this script started
# (by PID) and deletes the namespace.
set -u

DIR=$(cd "$(dirname "$0")" && pwd)
BIN=$DIR/bin
PASSES=${PASSES:-4}
FLOOD_SECS=${FLOOD_SECS:-2}
RATE_SECS=${RATE_SECS:-2}
RATES=${RATES:-"1000 10000 50000"}
WINDOW=${WINDOW:-128}
PREC_COUNT=${PREC_COUNT:-300}
PREC_INTERVAL_US=${PREC_INTERVAL_US:-1000}
PREC_LOAD=${PREC_LOAD:-10000}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
PORT=${PORT:-12310}
SERVERS=${SERVERS:-"echo chronyd ntpd ntpsh"}
MAX_SECS=${MAX_SECS:-280}
NTPD_BIN=${NTPD_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.deps/ntpsec/usr/sbin/ntpd}
CHRONYD_BIN=${CHRONYD_BIN:-$(command -v chronyd || echo /usr/sbin/chronyd)}
NTPSH_BIN=${NTPSH_BIN:-}
NTPSH_BASE_BIN=${NTPSH_BASE_BIN:-}

START=$(date +%s)
TMP=$(mktemp -d /tmp/ntpsh-bench.XXXXXX)
chmod 755 "$TMP"
RESULTS=$TMP/results.txt
: > "$RESULTS"
NS=""
SERVER_PID=""

log() { echo "# $*" >&2; }

NOISE_PID=""
# A hostile HTTP client against ntpsh's /metrics (PORT+1): garbage, an oversize head and a
# connection that sends nothing, in turn, about 50 a second, until stopped (one python process,
# so the client itself costs the machine little).
start_metrics_noise() {
    python3 - "$((PORT + 1))" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
bad = [b"GARBAGE\x01 / HTTP/9\r\n\r\n", b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", b""]
n = 0
while True:
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(bad[n % 3])
        if bad[n % 3]:
            s.recv(4096)
    except OSError:
        pass
    s.close()
    n += 1
    time.sleep(0.02)   # about 50 hostile connections a second
PY
    NOISE_PID=$!
}
stop_metrics_noise() {
    [ -n "$NOISE_PID" ] || return 0
    kill -TERM "$NOISE_PID" 2>/dev/null; wait "$NOISE_PID" 2>/dev/null; NOISE_PID=""
}

stop_server() {
    stop_metrics_noise
    local pid=$SERVER_PID
    SERVER_PID=""
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

cleanup() {
    stop_server
    if [ -n "$NS" ]; then ip netns del "$NS" 2>/dev/null; NS=""; fi
    if [ -n "${KEEP_RESULTS:-}" ]; then cp "$RESULTS" "$KEEP_RESULTS"; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
mkdir -p "$BIN"
gcc -O2 -Wall -o "$BIN/loadgen" "$DIR/loadgen.c" -lm || exit 1
gcc -O2 -Wall -o "$BIN/echo" "$DIR/echo.c" || exit 1

# -------------------------------------------------------------- helpers
CAPDROP=(setpriv --inh-caps=-sys_time --bounding-set=-sys_time)
[ "$(id -u)" = 0 ] || CAPDROP=()   # unprivileged: cannot touch the clock anyway

have() {
    case $1 in
    echo) return 0 ;;
    chronyd) [ -x "$CHRONYD_BIN" ] ;;
    ntpd) [ -x "$NTPD_BIN" ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null ;;
    ntpsh|ntpsh-metrics) [ -n "$NTPSH_BIN" ] && [ -x "$NTPSH_BIN" ] ;;
    ntpsh-base) [ -n "$NTPSH_BASE_BIN" ] && [ -x "$NTPSH_BASE_BIN" ] ;;
    esac
}

# loadgen for the current server: LG_NS (namespace or empty), LG_PORT, LG_ECHO
lg() {
    local t=$1; shift
    if [ -n "$LG_NS" ]; then
        timeout "$t" ip netns exec "$LG_NS" taskset -c "$LOADGEN_CPU" "$BIN/loadgen" \
            -a 127.0.0.1 -p "$LG_PORT" $LG_ECHO "$@"
    else
        timeout "$t" taskset -c "$LOADGEN_CPU" "$BIN/loadgen" \
            -a 127.0.0.1 -p "$LG_PORT" $LG_ECHO "$@"
    fi
}

busy_pct() { # whole-machine CPU busy % over 0.3 s (our server idle, no loadgen)
    local a b c d e f g h t0 i0 t1 i1
    read -r _ a b c d e f g h _ < /proc/stat; t0=$((a+b+c+d+e+f+g+h)); i0=$((d+e))
    sleep 0.3
    read -r _ a b c d e f g h _ < /proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
    echo $(( t1 > t0 ? 100 * ((t1 - t0) - (i1 - i0)) / (t1 - t0) : 0 ))
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }   # utime + stime

record() { # record NAME PASS < loadgen lines
    local name=$1 pass=$2 line
    while read -r line; do
        case $line in
        result\ *) echo "server=$name pass=$pass ${line#result }" | tee -a "$RESULTS" ;;
        *) echo "$line" ;;
        esac
    done
}

start_server() { # sets SERVER_PID LG_NS LG_PORT LG_ECHO; returns 1 if it cannot run
    local name=$1 dir=$TMP/$1
    mkdir -p "$dir"; chmod 777 "$dir"
    LG_NS=""; LG_PORT=$PORT; LG_ECHO=""
    case $name in
    echo)
        LG_ECHO="-e"
        taskset -c "$SERVER_CPU" "$BIN/echo" -a 127.0.0.1 -p "$PORT" >"$dir/log" 2>&1 &
        ;;
    chronyd)
        cat >"$dir/chrony.conf" <<EOF
port $PORT
bindaddress 127.0.0.1
cmdport 0
bindcmdaddress /
local stratum 3
allow
pidfile $dir/chronyd.pid
EOF
        # no ratelimit directive: chronyd does not rate-limit NTP by default
        "${CAPDROP[@]}" taskset -c "$SERVER_CPU" "$CHRONYD_BIN" -x -d -f "$dir/chrony.conf" >"$dir/log" 2>&1 &
        ;;
    ntpd)
        NS=ntpshbench$$
        ip netns add "$NS" || { NS=""; return 1; }
        ip netns exec "$NS" ip link set lo up || return 1
        # NTPsec's built-in default restriction is "noquery limited": remove
        # limited, or it answers ~15 requests and then drops everything.
        # No servers; orphan mode only so that it answers as synchronised
        # (stratum 5, leap 0) instead of stratum 16; never disciplines.
        cat >"$dir/ntp.conf" <<EOF
restrict default
unrestrict default limited
disable ntp
tos orphan 5 orphanwait 0
logfile $dir/ntpd.log
EOF
        LG_NS=$NS; LG_PORT=123
        ip netns exec "$NS" "${CAPDROP[@]}" taskset -c "$SERVER_CPU" "$NTPD_BIN" -n \
            -c "$dir/ntp.conf" -p "$dir/ntpd.pid" >"$dir/log" 2>&1 &
        ;;
    ntpsh|ntpsh-metrics|ntpsh-base)
        cat >"$dir/ntp.conf" <<EOF
server 127.127.1.0
fudge 127.127.1.0 stratum 10
EOF
        [ "$name" = ntpsh-metrics ] && echo "metrics listen 127.0.0.1:$((PORT + 1))" >>"$dir/ntp.conf"
        local bin=$NTPSH_BIN
        [ "$name" = ntpsh-base ] && bin=$NTPSH_BASE_BIN
        "${CAPDROP[@]}" taskset -c "$SERVER_CPU" "$bin" --daemon --clock observe \
            --listen 127.0.0.1 --port "$PORT" -c "$dir/ntp.conf" >"$dir/log" 2>&1 &
        ;;
    esac
    SERVER_PID=$!   # ip netns exec / setpriv / taskset all exec: this is the server
    return 0
}

measure() { # measure NAME PASS
    local name=$1 pass=$2 dir=$TMP/$1
    if ! start_server "$name"; then log "$name: cannot start"; return 1; fi
    if ! lg 12 -t 10 -L "$name" probe >"$dir/probe" 2>&1; then
        log "$name: no reply within 10 s; log:"; tail -5 "$dir/log" >&2
        stop_server; return 1
    fi
    if [ "$name" = ntpd ] && ! lg 12 -t 10 -s -L "$name" probe >/dev/null 2>&1; then
        log "ntpd: still unsynchronised (leap 3) after 10 s, measuring anyway"
    fi
    echo "server=$name pass=$pass test=background busy_pct=$(busy_pct)" | tee -a "$RESULTS"
    if [ "$name" = ntpsh-metrics ]; then
        start_metrics_noise
        log "ntpsh-metrics: /metrics answers $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT + 1))/metrics") while the hostile client runs"
    fi
    echo "server=$name pass=$pass test=rss phase=idle rss_kb=$(rss_kb "$SERVER_PID")" | tee -a "$RESULTS"
    lg 30 -n "$PREC_COUNT" -i "$PREC_INTERVAL_US" -L "$name" precision | record "$name" "$pass"
    if [ "$PREC_LOAD" -gt 0 ]; then
        # The same probe with PREC_LOAD requests/s of load alongside: basic, then interleaved.
        local span=$(( 2 * PREC_COUNT * (PREC_INTERVAL_US + 200) / 1000000 + 3 ))
        lg $((span + 5)) -t "$span" -L "$name-bg" rate "$PREC_LOAD" >/dev/null 2>&1 &
        local load=$!
        sleep 0.5
        lg 30 -n "$PREC_COUNT" -i "$PREC_INTERVAL_US" -L "$name-load" precision | record "$name" "$pass"
        lg 30 -n "$PREC_COUNT" -i "$PREC_INTERVAL_US" -x -L "$name-xleave-load" precision | record "$name" "$pass"
        wait "$load"
    fi
    for r in $RATES; do
        lg $((RATE_SECS * 2 + 5)) -t "$RATE_SECS" -L "$name" rate "$r" | record "$name" "$pass"
    done
    local c0 c1
    c0=$(cpu_ticks "$SERVER_PID")
    lg $((FLOOD_SECS + 10)) -t "$FLOOD_SECS" -w "$WINDOW" -L "$name" flood | record "$name" "$pass"
    c1=$(cpu_ticks "$SERVER_PID")
    echo "server=$name pass=$pass test=cpu ticks=$((c1 - c0)) hz=$(getconf CLK_TCK)" | tee -a "$RESULTS"
    echo "server=$name pass=$pass test=rss phase=load rss_kb=$(rss_kb "$SERVER_PID")" | tee -a "$RESULTS"
    stop_server
    if [ "$name" = ntpd ] && [ -n "$NS" ]; then ip netns del "$NS"; NS=""; fi
}

# ------------------------------------------------------------------ run
LIST=()
for s in $SERVERS; do
    if have "$s"; then LIST+=("$s"); else log "skipping $s (not available)"; fi
done
log "$(date -u +%FT%TZ) $(uname -r) $(nproc) cpus; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
log "servers: ${LIST[*]}; passes $PASSES; server cpu $SERVER_CPU, loadgen cpu $LOADGEN_CPU"
n=${#LIST[@]}
for ((p = 1; p <= PASSES; p++)); do
    for ((k = 0; k < n; k++)); do
        if (( $(date +%s) - START > MAX_SECS - 25 )); then log "time budget reached, stopping"; break 2; fi
        name=${LIST[$(( (k + p - 1) % n ))]}
        log "pass $p: $name"
        measure "$name" "$p"
    done
done
log "loadavg at end $(cut -d' ' -f1-3 /proc/loadavg); elapsed $(( $(date +%s) - START )) s"

# -------------------------------------------------------------- summary
awk -v servers="${LIST[*]}" -v rates="$RATES" '
function median(key,   n, i, j, t, a) {
    n = cnt[key]; if (n == 0) return "";
    for (i = 1; i <= n; i++) a[i] = val[key, i];
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2;
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
function best(key, hi,   n, i, b) {
    n = cnt[key]; if (n == 0) return "";
    b = val[key, 1]
    for (i = 2; i <= n; i++) if (hi ? val[key, i] > b : val[key, i] < b) b = val[key, i]
    return b
}
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
{
    delete kv
    for (i = 1; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
    s = kv["server"]
    if (kv["test"] == "flood") { add(s SUBSEP "rps", kv["rps"]); flood_valid[s, kv["pass"]] = kv["valid"] }
    else if (kv["test"] == "cpu" && flood_valid[s, kv["pass"]] > 0)
        add(s SUBSEP "cpu", kv["ticks"] * 1e6 / kv["hz"] / flood_valid[s, kv["pass"]])
    else if (kv["test"] == "rate") {
        r = kv["rate"]
        add(s SUBSEP "p50" SUBSEP r, kv["p50_us"]); add(s SUBSEP "p99" SUBSEP r, kv["p99_us"])
        add(s SUBSEP "p999" SUBSEP r, kv["p999_us"]); add(s SUBSEP "loss" SUBSEP r, kv["lost"])
    } else if (kv["test"] == "precision" && kv["ok"] > 0 && kv["label"] ~ /-xleave-load$/) {
        add(s SUBSEP "xsd", kv["off_sd_us"]); add(s SUBSEP "xp99", kv["absoff_p99_us"]); add(s SUBSEP "xmed", kv["absoff_med_us"])
        add(s SUBSEP "xn", kv["interleaved"])
    } else if (kv["test"] == "precision" && kv["ok"] > 0 && kv["label"] ~ /-load$/) {
        add(s SUBSEP "lsd", kv["off_sd_us"]); add(s SUBSEP "lp99", kv["absoff_p99_us"]); add(s SUBSEP "lmed", kv["absoff_med_us"])
    } else if (kv["test"] == "precision" && kv["ok"] > 0) {
        add(s SUBSEP "off", kv["absoff_med_us"]); add(s SUBSEP "dly", kv["delay_med_us"])
        add(s SUBSEP "srv", kv["srv_med_us"])
    } else if (kv["test"] == "rss") add(s SUBSEP "rss" kv["phase"], kv["rss_kb"] / 1024)
    else if (kv["test"] == "background") { add("bg", kv["busy_pct"]); if (kv["busy_pct"] > 10) bgwarn++ }
}
END {
    ns = split(servers, S, " "); nr = split(rates, R, " ")
    printf "\n== throughput: best pass (median of passes); ratios of the best to chronyd and to the echo ceiling\n"
    printf "   and the server CPU per response in the flood (utime+stime / valid responses): best, median, x chronyd\n"
    printf "%-10s %10s %10s %9s %8s %8s %8s %9s\n", "server", "resp/s", "(median)", "x chronyd", "x echo", "cpu µs", "(median)", "x chronyd"
    for (i = 1; i <= ns; i++) { s = S[i]; v = best(s SUBSEP "rps", 1); u = best(s SUBSEP "cpu", 0)
        printf "%-10s %10s %10s %9s %8s %8s %8s %9s\n", s, fmt(v, "%.0f"), fmt(median(s SUBSEP "rps"), "%.0f"),
            ratio(v, best("chronyd" SUBSEP "rps", 1)), ratio(v, best("echo" SUBSEP "rps", 1)),
            fmt(u, "%.3f"), fmt(median(s SUBSEP "cpu"), "%.3f"), ratio(u, best("chronyd" SUBSEP "cpu", 0)) }
    printf "\n== round trip at fixed rates, µs: p50/p99/p999 of the best pass (lowest p99), median p99 of passes,\n"
    printf "   best p99 / chronyd best p99, unanswered requests (sum over passes)\n"
    printf "%-8s %7s %8s %8s %8s %9s %9s %6s\n", "server", "rate/s", "p50", "p99", "p999", "(med p99)", "p99 x chr", "loss"
    for (i = 1; i <= ns; i++) for (j = 1; j <= nr; j++) { s = S[i]; r = R[j]
        v = best(s SUBSEP "p99" SUBSEP r, 0); bi = 0
        for (k = 1; k <= cnt[s SUBSEP "p99" SUBSEP r]; k++) if (val[s SUBSEP "p99" SUBSEP r, k] == v) bi = k
        loss = 0; for (k = 1; k <= cnt[s SUBSEP "loss" SUBSEP r]; k++) loss += val[s SUBSEP "loss" SUBSEP r, k]
        printf "%-8s %7s %8s %8s %8s %9s %9s %6s\n", s, r,
            bi ? sprintf("%.1f", val[s SUBSEP "p50" SUBSEP r, bi]) : "-", fmt(v, "%.1f"),
            bi ? sprintf("%.1f", val[s SUBSEP "p999" SUBSEP r, bi]) : "-",
            fmt(median(s SUBSEP "p99" SUBSEP r), "%.1f"), ratio(v, best("chronyd" SUBSEP "p99" SUBSEP r, 0)),
            bi ? loss : "-" }
    printf "\n== timestamp precision: sequential requests, medians of the per-pass medians, µs; memory, MB\n"
    printf "%-8s %9s %9s %9s %9s %9s %9s\n", "server", "|offset|", "x chronyd", "delay", "T3-T2", "RSS idle", "RSS load"
    for (i = 1; i <= ns; i++) { s = S[i]; v = median(s SUBSEP "off")
        e = (s == "echo")   # the echo has no timestamps: only its delay means something
        printf "%-8s %9s %9s %9s %9s %9s %9s\n", s, e ? "-" : fmt(v, "%.2f"), e ? "-" : ratio(v, median("chronyd" SUBSEP "off")),
            fmt(median(s SUBSEP "dly"), "%.2f"), e ? "-" : fmt(median(s SUBSEP "srv"), "%.2f"),
            fmt(median(s SUBSEP "rssidle"), "%.1f"), fmt(best(s SUBSEP "rssload", 1), "%.1f") }
    if (cnt["chronyd" SUBSEP "lsd"] + cnt["ntpsh" SUBSEP "lsd"] > 0) {
        printf "\n== precision under load (loadgen rate alongside): offset sd, p99 |offset|, median |offset|, µs,\n"
        printf "   medians over passes; basic mode, and interleaved (probe -x; the servers that answer it)\n"
        printf "%-8s %8s %8s %8s %9s %9s | %8s %8s %8s %10s %9s\n", "server", "sd", "p99", "med", "sd x chr", "p99 x chr",
            "xl sd", "xl p99", "xl med", "interleavd", "xl sd x ntpd"
        for (i = 1; i <= ns; i++) { s = S[i]; if (s == "echo") continue
            printf "%-8s %8s %8s %8s %9s %9s | %8s %8s %8s %10s %9s\n", s,
                fmt(median(s SUBSEP "lsd"), "%.2f"), fmt(median(s SUBSEP "lp99"), "%.2f"), fmt(median(s SUBSEP "lmed"), "%.2f"),
                ratio(median(s SUBSEP "lsd"), median("chronyd" SUBSEP "lsd")), ratio(median(s SUBSEP "lp99"), median("chronyd" SUBSEP "lp99")),
                fmt(median(s SUBSEP "xsd"), "%.2f"), fmt(median(s SUBSEP "xp99"), "%.2f"), fmt(median(s SUBSEP "xmed"), "%.2f"),
                fmt(median(s SUBSEP "xn"), "%d"), ratio(median(s SUBSEP "xsd"), median("ntpd" SUBSEP "lsd")) }
    }
    printf "\nbackground CPU busy before each server (other processes on the machine): median %s%%, max %s%%\n",
        median("bg"), best("bg", 1)
    if (bgwarn) printf "WARNING: %d measurement(s) started with > 10%% of the machine busy elsewhere; numbers are noisy\n", bgwarn
    if (cnt["ntpsh" SUBSEP "rps"] > 0) {
        c = best("chronyd" SUBSEP "rps", 1); e = best("echo" SUBSEP "rps", 1); v = best("ntpsh" SUBSEP "rps", 1)
        printf "\n== ntpsh goals\n"
        printf "resp/s >= 1.2 x chronyd      %s (%s)\n", (c && v >= 1.2 * c) ? "PASS" : "FAIL", ratio(v, c)
        printf "resp/s >= 0.9 x echo         %s (%s)\n", (e && v >= 0.9 * e) ? "PASS" : "FAIL", ratio(v, e)
        a = best("ntpsh" SUBSEP "p99" SUBSEP "50000", 0); b = best("chronyd" SUBSEP "p99" SUBSEP "50000", 0)
        printf "p99 at 50k/s <= chronyd      %s (%s vs %s µs)\n", (a != "" && b != "" && a <= b) ? "PASS" : "FAIL", a, b
        a = median("ntpsh" SUBSEP "off"); b = median("chronyd" SUBSEP "off")
        printf "median |offset| <= chronyd   %s (%s vs %s µs)\n", (a != "" && b != "" && a <= b) ? "PASS" : "FAIL", a, b
        a = median("ntpsh" SUBSEP "rssidle")
        printf "idle RSS <= 12 MB            %s (%.1f MB)\n", (a != "" && a <= 12) ? "PASS" : "FAIL", a
    }
}' "$RESULTS"
