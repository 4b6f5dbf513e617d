#!/usr/bin/env bash
# chrony 4.3's own simulation scenarios under clknetsim, with chronyd as the client (as chrony's
# tests run it) and with ntpsh as the client, on the same seeds; the servers are chronyd in both.
# chrony's harness (test.common) judges both with its own checks; one table shows them side by
# side (median over trials: sync time, RMS offset, max offset, steady-state RMS = the RMS offset
# over the second half of the run).
#
#   scripts/clknetsim.sh                      every case below, seeds 1-10
#   scripts/clknetsim.sh -s "001 003" -n 1-3  cases whose name starts with 001 or 003, seeds 1-3
#                                             (a trial re-runs exactly: ntpsh gets NTPSH_RANDOM_SEED
#                                             from the seed and node, see Tests/Clknetsim/node-hook.sh)
#   scripts/clknetsim.sh -c ntpsh             ntpsh only (chronyd: -c chronyd)
#   scripts/clknetsim.sh --ci                 the CI subset (001, 003 at +5000 ppm, 102, 133-nocrossts;
#                                             seeds 1-2): fails unless every run ran and ntpsh
#                                             synchronised (and, in 133, used hardware stamps)
#   scripts/clknetsim.sh -l                   list the cases
#   scripts/clknetsim.sh --no-build ...       use the ntpsh of the last run (.build-clknetsim/bin)
#   scripts/clknetsim.sh --ntpsh PATH ...     use this ntpsh binary (another branch's build)
#   scripts/clknetsim.sh --table FILE         print the table of an earlier run's results file
#
# Needs root only to drop it: every run is in a network namespace of its own (no route out),
# as user nobody with no capabilities (an adjtimex that escaped clknetsim fails with EPERM),
# and ntpsh is killed at once if clknetsim.so is not mapped in it (Tests/Clknetsim/node-hook.sh).
# Builds: clknetsim (a copy of /work/shared/clknetsim), the adapter and launcher from
# Tests/Clknetsim, and ntpsh (release), all under .build-clknetsim/. chronyd: Debian's package
# (scripts/deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${CLKNETSIM_SHARED:-/work/shared}
work=${CLKNETSIM_WORK:-$root/.build-clknetsim}  # another folder runs a second table at once
chronyd=${CHRONYD:-/usr/sbin/chronyd}

# The table of a results file: per case, its clients side by side in the order they ran
# (medians over trials and client nodes).
print_table() {
    awk -F'\t' '
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return "-"
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && (a[j] == "inf" ? 1e300 : a[j] + 0) > (t == "inf" ? 1e300 : t + 0); j--) a[j + 1] = a[j]; a[j + 1] = t }
    return a[int((n + 1) / 2)]
}
function fmt(v) { return v == "-" || v == "inf" ? v : sprintf("%.1e", v) }
function fsync(v) { return v == "-" ? v : (v + 0 < 0 ? "never" : sprintf("%d", v)) }
/^#/ { next }
{
    key = $1 SUBSEP $2
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
    if (!($2 in known)) { known[$2] = 1; clients = clients " " $2 }
    trials[key]++; passes[key] += $5; syncpasses[key] += $10
    syncs[key] = syncs[key] " " ($6 < 0 ? 1e9 : $6); maxs[key] = maxs[key] " " $7
    rmss[key] = rmss[key] " " $8; steadys[key] = steadys[key] " " $9
}
END {
    nc = split(clients, cl, " ")
    printf "%-30s", "case"
    for (c = 1; c <= nc; c++) printf " | %-7s %6s %6s %7s %8s %8s %8s", cl[c], "pass", "(sync)", "sync s", "RMS", "max", "ss RMS"
    printf "\n"
    for (k = 1; k <= n; k++) {
        printf "%-30s", order[k]
        for (c = 1; c <= nc; c++) {
            key = order[k] SUBSEP cl[c]
            if (!(key in trials)) { printf " | %-7s %6s %6s %7s %8s %8s %8s", "", "-", "-", "-", "-", "-", "-"; continue }
            s = median(syncs[key]); s = (s + 0 >= 1e9 ? -1 : s)
            printf " | %-7s %6s %6s %7s %8s %8s %8s", "", passes[key] "/" trials[key], syncpasses[key], fsync(s), fmt(median(rmss[key])), fmt(median(maxs[key])), fmt(median(steadys[key]))
            total[c] += trials[key]; passed[c] += passes[key]; syncpassed[c] += syncpasses[key]
        }
        printf "\n"
    }
    printf "%-30s", "total"
    for (c = 1; c <= nc; c++) printf " | %-7s %6s %6s", cl[c], passed[c] "/" total[c], syncpassed[c]
    printf "\n"
}' "$1"
}

select_cases="" seeds="1-10" clients="chronyd ntpsh" ci=0 list=0 build=1 binary=""
while [ $# -gt 0 ]; do
    case $1 in
        -s) select_cases=$2; shift ;;
        -n) seeds=$2; shift ;;
        -c) clients=$2; shift ;;
        --ci) ci=1 ;;
        -l) list=1 ;;
        --no-build) build=0 ;;
        --ntpsh) binary=$2; build=0; shift ;;
        --table) print_table "$2"; exit 0 ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "clknetsim.sh: unknown option '$1' (-h for help)" >&2; exit 2 ;;
    esac
    shift
done
if [ $ci = 1 ]; then select_cases="001-defaults 003-largefreqoffset+5e-3 102-iburst 133-hwtimestamp-nocrossts"; seeds="1-2"; fi

# --- The cases: a name, then the harness settings (shell lines run after test.common, as the
# scenario file sets them), then the checks the scenario makes for that case, then lines run
# after test_start (files the case needs). Scenario loops are unrolled into cases; the cases a
# scenario expects to fail (009's 3 and 4 falsetickers, 105's wrong keys) are left out.
cases=()
add_case() { cases+=("$1"$'\x1f'"$2"$'\x1f'"$3"$'\x1f'"${4:-}"); }
all="exit sel pkt sync"
add_case 001-defaults "" "$all"
add_case 001-defaults-poll6 'client_server_options="minpoll 6 maxpoll 6"' "$all"
add_case 002-largenetwork 'time_rms_limit=5e-4; server_strata=3; servers=4; clients=5; client_start=2000; min_sync_time=2100; max_sync_time=2300' "exit pkt sync"
for f in -5e-2 -5e-3 5e-3 5e-2; do
    add_case "003-largefreqoffset$([ "${f:0:1}" = - ] || echo +)$f" \
        "max_sync_time=1000; freq_offset=$f; time_offset=\$(awk 'BEGIN {print -($f * 130)}')" "$all"
done
for o in -1e2 1e2; do
    add_case "004-largetimeoffset$([ "${o:0:1}" = - ] || echo +)$o" "min_sync_time=1300; max_sync_time=1400; time_offset=$o" "$all"
done
add_case 006-largejitter 'time_offset=1e0; jitter=1e-1; time_max_limit=5e-1; freq_max_limit=2e-1; time_rms_limit=1e-1; freq_rms_limit=5e-3' "$all"
add_case 007-largewander 'wander=1e-7; time_max_limit=5e-3; freq_max_limit=5e-3; time_rms_limit=1e-3; freq_rms_limit=1e-4' "$all"
for n in 1 2; do
    add_case "009-sourceselection-f$n" "base_delay=1e-3; servers=5; falsetickers=$n" "$all"
done
add_case 011-asymjitter 'jitter=5e-4; jitter_asymmetry=0.47; limit=100000; max_sync_time=2000' "$all"
for p in 4 6 8 10; do
    add_case "101-poll$p" "wander=0.0; jitter=1e-6; time_max_limit=1e-5; freq_max_limit=1e-5; time_rms_limit=5e-6; freq_rms_limit=5e-6; client_conf='makestep 1e-2 1'; client_server_options='minpoll $p maxpoll $p'; limit=\$[2**$p * 10]; min_sync_time=\$[2**$p * 2]; max_sync_time=\$[2**$p * 21 / 10 + 1]; client_max_min_out_interval=\$(awk 'BEGIN {print 2^$p * 1.1}'); client_min_mean_out_interval=\$(awk 'BEGIN {print 2^$p * 0.99}')" "$all"
done
add_case 102-iburst $'freq_offset=1e-4; client_conf="makestep 1e-2 1\ndriftfile tmp/drift"; client_server_options="iburst"; min_sync_time=4; max_sync_time=6' "$all" \
    'echo "100 1.0" > tmp/drift'
add_case 105-ntpauth-md5 'server_conf="keyfile tmp/server.keys"; client_conf="keyfile tmp/client.keys"; client_server_options="version 4 key 4"' "$all" \
    'printf "4 MD5 HEX:6B5D3C6A2E4A74775E4F6F3B7A35453E6E5C5F302D783D2979505C663C295A5E\n" | tee tmp/server.keys > tmp/client.keys'
packetloss='base_delay="(+ 1e-4 (* -1 (equal 0.33 (uniform) 1.0)) (* -1 (equal 0.1 from 3) (equal 0.1 to 1)))"; clients=2; peers=2; jitter=1e-5; limit=20000; max_sync_time=10000'
add_case 125-packetloss "$packetloss; client_server_options='maxpoll 8'; client_peer_options='maxpoll 8'" "exit sync"
add_case 125-packetloss-xleave "$packetloss; client_server_options='maxpoll 8 xleave'; client_peer_options='maxpoll 8 xleave'" "exit sync"

# 133: hardware timestamps (clknetsim simulates the NIC: its PHC, ts[2] at the frame's start,
# SCM_TIMESTAMPING_PKTINFO); the scenario's two client configurations unrolled.
hwts='export CLKNETSIM_TIMESTAMPING=2 CLKNETSIM_PHC_DELAY=1e-6 CLKNETSIM_PHC_JITTER=1e-7 CLKNETSIM_PHC_JITTER_ASYM=0.4; refclock_jitter=1e-8; refclock_offset=10.0; min_sync_time=4; max_sync_time=20; time_rms_limit=1e-7; freq_rms_limit=3e-8; jitter=1e-8; freq_offset=1e-5; limit=200; server_conf=$'"'"'clockprecision 1e-9\nhwtimestamp eth0'"'"'; client_server_options="minpoll 0 maxpoll 0 xleave"; client_chronyd_options="-d"'
add_case 133-hwtimestamp-nocrossts "$hwts; client_conf=\$'hwtimestamp eth0 nocrossts\nclockprecision 1e-9'" "$all"
add_case 133-hwtimestamp "$hwts; client_conf=\$'hwtimestamp eth0\nclockprecision 1e-9\nacquisitionport 123'" "$all"
# The same network with the client on kernel software stamps (no hwtimestamp): what the hardware ones change.
add_case 133-hwtimestamp-softwareclient "$hwts; client_conf='clockprecision 1e-9'" "$all"

if [ $list = 1 ]; then for c in "${cases[@]}"; do echo "${c%%$'\x1f'*}"; done; exit 0; fi

chosen=()
for c in "${cases[@]}"; do
    name=${c%%$'\x1f'*}
    if [ -z "$select_cases" ]; then chosen+=("$c"); continue; fi
    for s in $select_cases; do [[ $name == "$s"* ]] && { chosen+=("$c"); break; }; done
done
[ ${#chosen[@]} -gt 0 ] || { echo "clknetsim.sh: no case matches '$select_cases' (-l lists them)" >&2; exit 2; }
seed_list=()
for part in ${seeds//,/ }; do
    if [[ $part == *-* ]]; then seed_list+=($(seq "${part%-*}" "${part#*-}")); else seed_list+=("$part"); fi
done

# --- Safety and tools.
[ "$(id -u)" = 0 ] || { echo "clknetsim.sh: run as root (it drops to nobody in a network namespace of its own)" >&2; exit 2; }
[ -x "$chronyd" ] || { echo "clknetsim.sh: $chronyd not found (bash scripts/deps.sh installs chrony)" >&2; exit 2; }
drop=(unshare --net -- setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)

# --- Build.
mkdir -p "$work/bin"
if [ ! -x "$work/clknetsim/clknetsim" ] || [ ! -e "$work/clknetsim/clknetsim.so" ]; then
    echo "== building clknetsim (a copy of $shared/clknetsim)"
    rm -rf "$work/clknetsim" && cp -r "$shared/clknetsim" "$work/clknetsim"
    make -s -C "$work/clknetsim" > "$work/clknetsim.make.log" 2>&1 || { cat "$work/clknetsim.make.log"; exit 1; }
fi
gcc -shared -fPIC -O2 -Wall -Wextra -o "$work/bin/ntpsh-clknetsim-adapter.so" Tests/Clknetsim/ntpsh-clknetsim-adapter.c -ldl
gcc -static -O2 -Wall -o "$work/bin/chronyd-launcher" Tests/Clknetsim/chronyd-launcher.c
if [[ " $clients " == *" ntpsh "* ]] && [ -z "$binary" ] && { [ $build = 1 ] || [ ! -x "$work/bin/ntpsh" ]; }; then
    echo "== building ntpsh (release)"
    swift build -c release --product ntpsh 2>&1 | grep -E "error|warning: " || true
    cp "$(swift build -c release --show-bin-path)/ntpsh" "$work/bin/ntpsh"
fi
if [ -n "$binary" ]; then
    [ -x "$binary" ] || { echo "clknetsim.sh: --ntpsh $binary is not an executable" >&2; exit 2; }
    cp "$binary" "$work/bin/ntpsh"
fi

# chrony's harness expects ../../config.h and finds `chronyd` on PATH=../../:$PATH.
harness=$work/harness
rm -rf "$harness" && mkdir -p "$harness/test/simulation"
cp "$work/bin/chronyd-launcher" "$harness/chronyd"
printf '#define FEAT_NTP 1\n#define FEAT_SECHASH 1\n' > "$harness/config.h"
cp "$shared/chrony-4.3-test-simulation/test.common" "$harness/test/simulation/"
cp Tests/Clknetsim/node-hook.sh "$harness/node-hook.sh"
chown -R nobody:nogroup "$harness"
chmod -R a+rX "$work/bin" "$work/clknetsim"

# --- One case script per case and client: the scenario's settings and checks. For ntpsh, the
# chronyd-only checks of the client nodes read ntpsh's log instead (exit: no crash, the guard
# saw clknetsim mapped; selection: a system peer chosen, and lost only by a step), and a sync earlier
# than chrony's minimum passes (the minimum is there to catch chronyd syncing too early).
ntpsh_checks=$(cat <<'EOF'
client_node() { [ $1 -gt $[$servers * $server_strata] ] && [ $1 -le $(get_chronyd_nodes) ]; }
check_chronyd_exit() {
	local i ret=0
	test_message 2 1 "checking chronyd exit:"
	for i in $(seq 1 $(get_chronyd_nodes)); do
		test_message 3 0 "node $i:"
		if client_node $i; then
			grep -q '^ok$' tmp/guard.$i 2>/dev/null && \
				! grep -q 'Fatal error\|Assertion\|Segmentation\|SAFETY\|crashed' tmp/log.$i
		else
			grep -q 'chronyd exiting' tmp/log.$i && ! grep -q 'Assertion.*failed' tmp/log.$i
		fi && test_ok || test_bad
		[ $? -eq 0 ] || ret=1
	done
	return $ret
}
check_source_selection() {
	local i ret=0
	test_message 2 1 "checking source selection:"
	for i in $(seq $[$servers * $server_strata + 1] $(get_chronyd_nodes)); do
		test_message 3 0 "node $i:"
		# ntpd's rule: a step empties the clock filters, so the system peer is lost until
		# the next samples; losing it otherwise is a selection failure.
		grep -q 'new system peer' tmp/log.$i && awk '
			/clock stepped/ { forgiven = 1 }
			/no system peer/ { if (!forgiven) bad = 1; forgiven = 0 }
			END { exit bad }' tmp/log.$i && \
			test_ok || test_bad
		[ $? -eq 0 ] || ret=1
	done
	return $ret
}
EOF
)
write_case() {
    local file=$1 client=$2 settings=$3 checks=$4 setup=$5 c
    {
        echo '#!/usr/bin/env bash'
        echo '. ./test.common'
        echo "$settings"
        [ "$client" = ntpsh ] && echo "$ntpsh_checks"
        echo 'test_start "$CASE_NAME"'
        echo "$setup"
        echo 'echo "CLIENT_NODES $(seq -s " " $[$servers * $server_strata + 1] $(get_chronyd_nodes))"'
        echo 'run_test || { echo "RUN_FAILED"; exit 1; }'
        [ "$client" = ntpsh ] && echo 'min_sync_time=0'
        for c in $checks; do
            case $c in
                exit) echo 'check_chronyd_exit' ;;
                sel) echo 'check_source_selection' ;;
                pkt) echo 'check_packet_interval' ;;
                sync) echo 'check_sync' ;;
            esac
        done
        # The steady state: RMS offset of each client node over the second half of the run.
        cat <<'EOF'
for i in $(seq $[$servers * $server_strata + 1] $(get_chronyd_nodes)); do
	echo "STEADY $i $(cut -f $i tmp/log.offset | awk '{ v[NR] = $1 } END {
		s = 0; n = 0; for (k = int(NR / 2) + 1; k <= NR; k++) { s += v[k] * v[k]; n++ }
		printf "%.3e", n ? sqrt(s / n) : -1 }')"
done
exit 0
EOF
    } > "$file"
    chmod +x "$file"
}

# Reads one run's output; prints "node pass sync max rms steady syncpass" per client node.
# A node passes when every check listed for it says OK; syncpass: check_sync alone.
summarise_run() {
    awk '
    /^CLIENT_NODES/ { for (i = 2; i <= NF; i++) { client[$i] = 1; order[++n] = $i; ok[$i] = 1 } }
    /^RUN_FAILED/ { failed = 1 }
    /^    checking/ { section = $0 }
    /^      node [0-9]+:/ {
        node = $2; sub(":", "", node)
        if (!(node in client)) next
        if ($NF == "BAD" || $NF == "ERROR") ok[node] = 0
        if (section ~ /sync time/) { sync[node] = $3; max[node] = $4; rms[node] = $6; syncok[node] = ($NF == "OK") }
    }
    /^STEADY/ { steady[$2] = $3 }
    END {
        if (n == 0) { print "RUN_FAILED"; exit }
        for (k = 1; k <= n; k++) {
            i = order[k]
            if (failed || !(i in sync)) { printf "%s 0 -1 inf inf inf 0\n", i; continue }
            printf "%s %d %s %s %s %s %d\n", i, ok[i], sync[i], max[i], rms[i], (i in steady ? steady[i] : "inf"), syncok[i]
        }
    }'
}

out=$work/results
mkdir -p "$out"
results=$out/results-$(date +%Y%m%d-%H%M%S).tsv
echo "# case client seed node pass sync max rms steady syncpass" > "$results"
hookenv=(env CLKNETSIM_PATH="$work/clknetsim" NTPSH_SIM_HOOK="$harness/node-hook.sh" NTPSH_SIM_BINARY="$work/bin/ntpsh"
         NTPSH_SIM_ADAPTER="$work/bin/ntpsh-clknetsim-adapter.so" NTPSH_SIM_CHRONYD="$chronyd" PATH=/usr/bin:/bin)
failures=0
for c in "${chosen[@]}"; do
    sep=$'\x1f'
    name=${c%%$sep*}; rest=${c#*$sep}; settings=${rest%%$sep*}; rest=${rest#*$sep}
    checks=${rest%%$sep*}; setup=${rest#*$sep}
    for client in $clients; do
        script=$harness/test/simulation/case-$client.sh
        write_case "$script" "$client" "$settings" "$checks" "$setup"
        chown nobody:nogroup "$script"
        for seed in "${seed_list[@]}"; do
            log=$out/last-$name-$client-$seed.log
            # The client nodes, numbered as the harness numbers them (servers first).
            nodes=$(bash -c "servers=1; server_strata=1; clients=1
$settings
seq -s ' ' \$[\$servers * \$server_strata + 1] \$[\$servers * \$server_strata + \$clients]")
            (cd "$harness/test/simulation" && timeout 1800 "${drop[@]}" "${hookenv[@]}" CASE_NAME="$name" \
                NTPSH_SIM_CLIENT="$client" NTPSH_SIM_CLIENT_NODES="$nodes" CLKNETSIM_RANDOM_SEED="$seed" \
                ./case-$client.sh) > "$log" 2>&1 || true
            if grep -q SAFETY "$harness"/test/simulation/tmp/guard.* 2>/dev/null; then
                echo "clknetsim.sh: SAFETY: ntpsh ran without clknetsim in $name seed $seed; stopping" >&2
                exit 1
            fi
            for node in $nodes; do
                cp "$harness/test/simulation/tmp/log.$node" "$out/last-$name-$client-$seed.node$node.log" 2>/dev/null || true
            done
            summary=$(summarise_run < "$log")
            if [ "$summary" = RUN_FAILED ]; then
                echo "clknetsim.sh: $name $client seed $seed did not run (log: $log)" >&2
                failures=$((failures + 1))
                continue
            fi
            while read -r node pass sync max rms steady syncpass; do
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$client" "$seed" "$node" "$pass" "$sync" "$max" "$rms" "$steady" "$syncpass" >> "$results"
                if [ $ci = 1 ] && [ "$client" = ntpsh ] && ! grep -q 'synchronised at stratum' "$harness/test/simulation/tmp/log.$node"; then
                    echo "clknetsim.sh: ntpsh never synchronised in $name seed $seed node $node (log: $log)" >&2
                    failures=$((failures + 1))
                fi
                # 133 with hwtimestamp: the exchanges must have used the NIC's stamps.
                if [ $ci = 1 ] && [ "$client" = ntpsh ] && [[ $name == 133-hwtimestamp* && $name != *softwareclient ]] && \
                    ! grep -q 'hardware stamps used: [1-9][0-9]* receive, [1-9][0-9]* transmit' "$harness/test/simulation/tmp/log.$node"; then
                    echo "clknetsim.sh: ntpsh used no hardware stamps in $name seed $seed node $node (log: $log)" >&2
                    failures=$((failures + 1))
                fi
            done <<< "$summary"
            printf '.'
        done
    done
done
echo

print_table "$results"
echo "(pass: every check the scenario makes, per client node and seed; (sync): check_sync alone, the"
echo " clock's limits; sync s: median, 'never' when most never synchronised; results in $results)"

if [ $failures -ne 0 ]; then
    echo "clknetsim.sh: $failures failure(s)" >&2
    exit 1
fi
