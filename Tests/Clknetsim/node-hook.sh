#!/usr/bin/env bash
# Started (through the static chronyd-launcher, without clknetsim.so) for every node chrony's
# simulation harness starts as `chronyd -d -f tmp/conf.N ...`. Server nodes, and client nodes
# when NTPSH_SIM_CLIENT=chronyd, exec chronyd with the harness's preload restored, exactly as
# chrony's tests run it. Client nodes when NTPSH_SIM_CLIENT=ntpsh exec ntpsh instead, with the
# generated chrony.conf translated to ntp.conf and our adapter loaded before clknetsim.so.
#
# Safety (this machine's clock must never move): the whole harness already runs as nobody
# without capabilities in a network namespace of its own (scripts/clknetsim.sh); on top, ntpsh
# runs as this script's child, which checks that clknetsim.so and the adapter are mapped in it
# before it can run a line of its own and kills it at once if not (and passes SIGTERM on).
#
# Environment (set by scripts/clknetsim.sh): NTPSH_SIM_CLIENT (chronyd|ntpsh),
# NTPSH_SIM_CLIENT_NODES ("3 4 ..."), NTPSH_SIM_BINARY, NTPSH_SIM_ADAPTER, NTPSH_SIM_CHRONYD,
# CLKNETSIM_SAVED_PRELOAD (set by the launcher), CLKNETSIM_NODE and CLKNETSIM_TMPDIR (harness).
set -u
node=${CLKNETSIM_NODE:?}
tmp=${CLKNETSIM_TMPDIR:-tmp}

if [ "${NTPSH_SIM_CLIENT:-chronyd}" != ntpsh ] || [[ " ${NTPSH_SIM_CLIENT_NODES:-} " != *" $node "* ]]; then
    LD_PRELOAD=$CLKNETSIM_SAVED_PRELOAD exec "${NTPSH_SIM_CHRONYD:-/usr/sbin/chronyd}" "$@"
fi

conf=""
while [ $# -gt 0 ]; do
    [ "$1" = -f ] && { conf=$2; shift; }
    shift
done
[ -r "$conf" ] || { echo "node-hook: no chrony.conf given (-f)" >&2; exit 1; }

# A number as ntpd's scanner reads it (no exponent: 1e-2 becomes 0.01).
decimal() { awk -v x="$1" 'BEGIN { s = sprintf("%.9f", x); sub(/0+$/, "", s); sub(/\.$/, "", s); print s }'; }

# chrony's server/peer options that ntp.conf has: minpoll, maxpoll, iburst, key, version;
# xleave (ntpsh's interleaved mode). Others are dropped and said so in the node's log.
association() {
    local kind=$1 address=$2 out
    shift 2
    out="$kind $address"
    while [ $# -gt 0 ]; do
        case $1 in
            minpoll|maxpoll)
                # ntp.conf's poll range is 3 (8 s) to 17; chrony's goes down to -6.
                if [ "$2" -lt 3 ]; then
                    echo "node-hook: '$kind $address': $1 $2 below ntpsh's 3; 3 used" >&2
                    out+=" $1 3"
                else
                    out+=" $1 $2"
                fi
                shift ;;
            key|version) out+=" $1 $2"; shift ;;
            iburst|burst|prefer|xleave) out+=" $1" ;;
            *) echo "node-hook: '$kind $address': chrony option '$1' has no ntp.conf form; dropped" >&2 ;;
        esac
        shift
    done
    echo "$out"
}

# chrony's keyfile (ID [TYPE] [ASCII:|HEX:]KEY) as ntpd's (ID TYPE KEY: hex when longer than 20).
translate_keys() {
    local id type key
    while read -r id type key; do
        [ -z "$id" ] && continue
        if [ -z "$key" ]; then key=$type; type=MD5; fi
        case $key in
            HEX:*) key=${key#HEX:} ;;
            ASCII:*) key=${key#ASCII:} ;;
        esac
        echo "$id $type $key"
    done < "$1"
}

ntpconf=$tmp/ntpsh.conf.$node
port=0
keyids=""
{
    echo "# translated by node-hook.sh from $conf"
    while read -r word rest; do
        # shellcheck disable=SC2086
        case $word in
            server) association server $rest ;;
            peer) association peer $rest; port=123 ;;  # peers are answered on the NTP port
            makestep) set -- $rest; echo "tinker step $(decimal "$1")" ;;
            # ntpsh's hwtimestamp takes the interface only (chrony's options, e.g. nocrossts, dropped).
            hwtimestamp) set -- $rest; echo "hwtimestamp $1"; [ $# -gt 1 ] && echo "node-hook: hwtimestamp options '${*:2}' dropped" >&2 ;;
            driftfile)
                # chrony's drift file holds the clock's frequency error; ntpd's the correction.
                if [ -r "$rest" ]; then
                    awk '{ printf "%.3f\n", -$1; exit }' "$rest" > "$rest.ntp"
                fi
                echo "driftfile $rest.ntp" ;;
            keyfile)
                translate_keys "$rest" > "$rest.ntp"
                keyids=$(awk '{ printf "%s ", $1 }' "$rest.ntp")
                echo "keys $rest.ntp" ;;
            ""|pidfile|allow|deny|cmdallow|bindcmdaddress|local) ;;
            *) echo "node-hook: chrony directive '$word' has no ntp.conf form; dropped" >&2 ;;
        esac
    done < "$conf"
    [ -n "$keyids" ] && echo "trustedkey $keyids"
} > "$ntpconf"

# clknetsim's network is IPv4 only (socket(AF_INET6) fails): listen on the IPv4 wildcard.
listen=()
[ "$port" != 0 ] && listen=(--listen 0.0.0.0)
# A trial is repeatable: the engine's randomness from the trial's seed (one per node, so peers
# differ) and Swift's hashing fixed (dictionary order), as clknetsim's own randomness is.
seed=$(( ${CLKNETSIM_RANDOM_SEED:-0} * 1000 + node ))
LD_PRELOAD=$NTPSH_SIM_ADAPTER:$CLKNETSIM_SAVED_PRELOAD NTPSH_SINGLE_THREAD=1 NTPSH_RANDOM_SEED=$seed \
    SWIFT_DETERMINISTIC_HASHING=1 "$NTPSH_SIM_BINARY" --daemon --clock system -c "$ntpconf" --port "$port" "${listen[@]}" &
child=$!
# The harness stops its nodes with SIGTERM: pass it on.
trap 'kill -TERM $child 2>/dev/null' TERM INT

# The guard: clknetsim.so and the adapter must be mapped in ntpsh. ld.so maps them before any
# code of ntpsh runs, and clknetsim's constructor then waits for the simulation to start, so
# ntpsh cannot have done anything yet. (The adapter also aborts ntpsh before main if
# clknetsim.so is not loaded after it.)
guard=unverified
for _ in $(seq 1 500); do
    maps=$(cat "/proc/$child/maps" 2>/dev/null) || break
    if [[ $maps == *clknetsim.so* && $maps == *ntpsh-clknetsim-adapter.so* ]]; then guard=ok; break; fi
    [[ $maps == *"$NTPSH_SIM_BINARY"* && $maps == *libc.so* ]] && { guard=missing; break; }
    sleep 0.01
done
case $guard in
    ok) echo ok > "$tmp/guard.$node" ;;
    missing)
        kill -KILL "$child" 2>/dev/null
        echo "SAFETY: clknetsim.so or the adapter is not mapped in ntpsh (pid $child); killed" | tee "$tmp/guard.$node" >&2 ;;
    *) echo "node-hook: ntpsh (pid $child) ended before its mappings could be checked" | tee "$tmp/guard.$node" >&2 ;;
esac

status=0
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
exit $status
