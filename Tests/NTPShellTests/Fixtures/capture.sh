#!/bin/bash
# Captures the views' golden texts from real NTPsec 1.2.2 ntpq/ntpd, Debian's ntpstat and
# chrony 4.3's chronyc. Run as root from the repository root:
#     Tests/NTPShellTests/Fixtures/capture.sh [OUTDIR]
# Needs iproute2, chronyd/chronyc, ntpstat and NTPsec unpacked at .deps/ntpsec (scripts/deps.sh).
#
# Safety: two network namespaces created here, joined by a veth pair (10.123.0.1 and .2), are
# deleted at the end. chronyd runs in one with -x (never touches the clock) and `local stratum 9`.
# ntpd runs in the other without CAP_SYS_TIME (setpriv), with `disable ntp` and `disable kernel`,
# and its only server (the chronyd) is `noselect`: it polls it, never disciplines anything.
# Processes are stopped by their own pids only.
set -euo pipefail
ROOT=$(pwd)
OUT=$(realpath "${1:-Tests/NTPShellTests/Fixtures}")
mkdir -p "$OUT"
NTPSEC="$ROOT/.deps/ntpsec"
[ -x "$NTPSEC/usr/sbin/ntpd" ] || NTPSEC="$(cd "$(dirname "$0")/../../.." && pwd)/.deps/ntpsec"
NA=viewsntp NB=viewschr
WORK=$(mktemp -d /tmp/viewscap.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    ip netns del $NA 2>/dev/null || true
    ip netns del $NB 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $NA; ip netns add $NB
ip link add viewsa type veth peer name viewsb
ip link set viewsa netns $NA; ip link set viewsb netns $NB
ip -n $NA addr add 10.123.0.1/24 dev viewsa; ip -n $NB addr add 10.123.0.2/24 dev viewsb
for ns in $NA $NB; do ip -n $ns link set lo up; done
ip -n $NA link set viewsa up; ip -n $NB link set viewsb up

cat > "$WORK/chrony.conf" <<CONF
local stratum 9
allow all
bindaddress 10.123.0.2
port 123
bindcmdaddress $WORK/chronyd.sock
pidfile $WORK/chronyd.pid
driftfile $WORK/chrony.drift
CONF
ip netns exec $NB chronyd -x -u root -d -f "$WORK/chrony.conf" > "$WORK/chronyd.log" 2>&1 &
PIDS+=($!)

cat > "$WORK/ntp.conf" <<CONF
# polls one server it may never select; disciplines nothing
disable ntp
disable kernel
server 10.123.0.2 iburst minpoll 4 noselect
CONF
NOCAP=(setpriv --inh-caps=-sys_time --bounding-set=-sys_time)
CAPEFF=$("${NOCAP[@]}" grep CapEff /proc/self/status | cut -f2)
(( (0x$CAPEFF & (1 << 25)) == 0 )) || { echo "CAP_SYS_TIME not dropped" >&2; exit 1; }
ip netns exec $NA "${NOCAP[@]}" "$NTPSEC/usr/sbin/ntpd" -n -c "$WORK/ntp.conf" -p "$WORK/ntpd.pid" \
    -l "$WORK/ntpd.log" &
PIDS+=($!)
sleep "${WAIT:-40}"

NTPQ=(ip netns exec $NA /usr/bin/python3 "$NTPSEC/usr/bin/ntpq")
save() { local f=$1; shift; "$@" > "$OUT/$f" 2>&1 || echo "exit $?" >> "$OUT/$f"; }
save ntpq-p.txt "${NTPQ[@]}" -p 127.0.0.1
save ntpq-pn.txt "${NTPQ[@]}" -pn 127.0.0.1
save ntpq-as.txt "${NTPQ[@]}" -c as 127.0.0.1
save ntpq-rv.txt "${NTPQ[@]}" -c rv 127.0.0.1
save ntpq-rv-raw.txt "${NTPQ[@]}" -c raw -c rv 127.0.0.1
ASSOC=$("${NTPQ[@]}" -c as 127.0.0.1 | awk 'NR==4 {print $2}')
save ntpq-rv-peer.txt "${NTPQ[@]}" -c "rv $ASSOC" 127.0.0.1
save ntpq-rv-peer-raw.txt "${NTPQ[@]}" -c raw -c "rv $ASSOC" 127.0.0.1
save ntpq-rv-select.txt "${NTPQ[@]}" -c "rv 0 offset frequency stratum refid" 127.0.0.1
save ntpq-sysinfo.txt "${NTPQ[@]}" -c sysinfo 127.0.0.1
save ntpq-sysstats.txt "${NTPQ[@]}" -c sysstats 127.0.0.1
save ntpq-iostats.txt "${NTPQ[@]}" -c iostats 127.0.0.1
save ntpstat-unsync.txt ip netns exec $NA ntpstat
save chronyc-tracking.txt ip netns exec $NB chronyc -h "$WORK/chronyd.sock" tracking
echo "captured into $OUT (work dir $WORK)"
