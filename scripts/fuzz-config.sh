#!/usr/bin/env bash
# Fuzzes the configuration parser with libFuzzer for SECONDS (default 60): ntp.conf text run as
# at start (NTP grammar, CommandRunner, the simulated engine), the bytes after a NUL as the
# contents of the keys and included files. Exits non-zero on a crash or a failed check (errors
# located as FILE:LINE:COL; show running-config loads again unchanged); the input is kept in
# .build-fuzz/.
#   bash scripts/fuzz-config.sh [SECONDS]
# Built with swiftc outside SwiftPM, like scripts/fuzz.sh: the sources of the modules the
# runner and the lab need (lib/fuzz.sh) and the harness compile as one module, so their imports of each other go.
set -euo pipefail
source "$(dirname "$0")/lib/fuzz.sh"
seconds=${1:-60}
fuzz_build_with_runner config ConfigFuzz "$here/Fuzz/ConfigFuzz.swift"
cp "$here/examples/ntp.conf" "$work/corpus/example"
printf 'driftfile /var/lib/ntp/drift\nrestrict default kod nomodify notrap nopeer noquery\nrestrict -6 default kod nomodify notrap nopeer noquery\nrestrict 127.0.0.1\nrestrict -6 ::1\nserver 0.rhel.pool.ntp.org\nincludefile /etc/ntp/crypto/pw\nkeys /etc/ntp/keys\n' > "$work/corpus/seed003"
printf 'restrict 192.168.0.0 mask 255.255.255.0 nomodify notrap\nserver ntp.ntsc.ac.cn prefer\nserver 127.127.1.0\nfudge 127.127.1.0 stratum 10\n' > "$work/corpus/seed000"
printf 'keys /etc/ntp.keys\ntrustedkey 1 2\ncontrolkey 1\nserver 192.0.2.1 key 1 iburst\npeer 192.0.2.2 key 2\ninterface ignore wildcard\nunrestrict default noquery\n\0001 MD5 secret\n2 AES 000102030405060708090a0b0c0d0e0f\n' > "$work/corpus/keys"
printf 'includefile a\ntos orphan 5\n\000includefile b\nserver 10.0.0.1\nrestrict 10.0.0.0/8 limited kod\n' > "$work/corpus/include"
fuzz_run config "$seconds" 4096 "$work/corpus"
