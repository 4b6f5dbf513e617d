#!/usr/bin/env bash
# Fuzzes the control protocol (the engine's side of --control-socket) with libFuzzer for SECONDS
# (default 60): frames from the hello on, and the arguments of every call, answered as the
# engine answers them, against the simulated engine, which then runs with what was configured.
# Exits non-zero on a crash or a failed check (a response without its request's id; an
# unprivileged session that changed the engine); the input is kept in .build-fuzz/.
#   bash scripts/fuzz-control.sh [SECONDS]
# Built with swiftc outside SwiftPM, like scripts/fuzz-config.sh.
set -euo pipefail
source "$(dirname "$0")/lib/fuzz.sh"
seconds=${1:-60}
fuzz_build_with_runner control ControlFuzz "$here/Fuzz/ControlFuzz.swift"
# frame PAYLOAD: the 4-byte big-endian length, then the payload.
frame() { printf '%s' "$1" | perl -e 'local $/; my $p = <STDIN>; print pack("N", length $p), $p'; }
hello='{"protocol":"ntpsh-control","version":4,"client":"seed"}'
config='{"stepThreshold":0.128,"stepout":300,"panicThreshold":1000,"allowFirstBigCorrection":false,"slewOnly":false,"setOnceAndExit":false,"selection":{"minSane":1,"minClock":3,"maxClock":10},"orphanWait":300}'
association='{"kind":"server","host":"10.0.0.3","port":123,"iburst":true,"burst":false,"prefer":false,"noselect":false,"minPoll":6,"maxPoll":10,"version":4,"localStratum":5}'
for privilege in 0 2; do
  { printf "\\x0$privilege"; frame "$hello"; frame '{"id":1,"call":"peerReports","args":{}}'
    frame "{\"id\":2,\"call\":\"setEngineConfiguration\",\"args\":$config}"; frame '{"id":3,"call":"setLocalClockStratum","args":3}'
  } > "$work/corpus/stream$privilege"
  { printf "\\x0$((privilege + 1))"; printf 'setEngineConfiguration %s\0setLocalClockStratum 7\0' "$config"
    printf 'addAssociation %s\0removeAssociations "10.0.0.1"\0' "$association"
    printf 'setRestriction {"network":{"v4":{"_0":167772160}},"prefixLength":8,"flags":{"rawValue":3},"hits":0}\0'
    printf 'configure {"line":"tos maxclock 2","origin":{"prompt":{}}}\0step {"value":0.5}\0takeEvents {}\0'
    printf 'transaction {"open":{"exclusive":false}}\0transaction {"commit":{"_0":{"text":"server 10.0.0.1 iburst\\nrestrict default nomodify\\n","origins":[]},"comment":"fuzz","confirmWithin":null}}\0'
    printf 'transaction {"history":{}}\0transaction {"archived":{"_0":1}}\0announce "configuration reverted"\0'
  } > "$work/corpus/calls$privilege"
done
fuzz_run control "$seconds" 4096 "$work/corpus"
