#!/usr/bin/env bash
# Sets everything up and runs ntpsh's main job.
#
# On a terminal: the ntpsh prompt on a running engine that serves time on 127.0.0.1, UDP port
# 123, with the example configuration (the local clock at stratum 10 as a last resort), so
# `peers`, `ntpstat`, Tab and `?` answer at once. `exit` (or Ctrl-D) stops the engine with it.
# Without a terminal (a service, a pipe, CI): the NTP server in the foreground, on every local
# address, port 123, until Ctrl-C or SIGTERM, as `ntpsh --daemon`.
# Extra arguments are passed to ntpsh and replace the defaults, e.g.:
#   scripts/run.sh --daemon --clock observe --listen 127.0.0.1 --port 11123
#
# NTPSH_RUN_BINARY=PATH runs that ntpsh instead, with no install and no build (the tests do).
#
# The clock is always `observe` here: ntpsh serves corrected time but never moves this
# machine's clock. Pick the system clock kind only on a machine whose clock ntpsh should own.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${NTPSH_RUN_BINARY:-}
if [ -z "$binary" ]; then
  bash scripts/deps.sh
  # The static Foundation's linker note about mktemp (its code, never called by ntpsh) is not
  # ours to act on; everything else the build says is shown.
  swift build -c release --static-swift-stdlib -q 2>&1 \
    | { grep -v -e 'createTemporaryFile' -e "the use of \`mktemp' is dangerous" || true; }
  binary=.build/release/ntpsh
fi
if [ $# -eq 0 ]; then
  if [ -t 0 ] && [ -t 1 ]; then
    set -- --clock observe --listen 127.0.0.1 -c examples/ntp.conf
  else
    set -- --daemon --clock observe -c examples/ntp.conf
  fi
fi
exec "$binary" "$@"
