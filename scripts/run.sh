#!/usr/bin/env bash
# Sets everything up and runs ntpsh's main job: the NTP server in the foreground, serving
# time on every local address, port 123, with the example configuration (local clock at
# stratum 10 as a last resort). Ctrl-C stops it. Extra arguments are passed to ntpsh and
# replace the defaults, e.g.: scripts/run.sh --daemon --clock observe --listen 127.0.0.1 --port 11123
#
# The clock is always `observe` here: ntpsh serves corrected time but never moves this
# machine's clock. Pick the system clock kind only on a machine whose clock ntpsh should own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build -c release --static-swift-stdlib -q
if [ $# -eq 0 ]; then
  set -- --daemon --clock observe -c examples/ntp.conf
fi
exec .build/release/ntpsh "$@"
