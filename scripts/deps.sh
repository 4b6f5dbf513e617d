#!/usr/bin/env bash
# Installs what building and testing ntpsh needs, when it is missing. Idempotent.
#   - libedit-dev (shell editing), libssl-dev (libcrypto: symmetric-key MACs), chrony (reference peer), tshark (dissection), ntpstat,
#     mandoc, tmux, iproute2, python3-ntp and gnuplot-nox (ntpviz), prometheus (promtool and a real scraper for /metrics), libseccomp-dev (--sandbox)
#   - NTPsec (ntpd, ntpq, ntpdig) unpacked under .deps/ntpsec: it conflicts with chrony as a
#     Debian package, so it is extracted (apt-get download + dpkg -x), never installed.
# No service is started: a daemon started by the package manager could move this machine's clock.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
need=()
for p in libedit-dev libssl-dev chrony tshark ntpstat mandoc tmux iproute2 python3-ntp gnuplot-nox pkg-config prometheus libseccomp-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}" >&2
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d; created_policy=1
  fi
  $sudo apt-get update -qq
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ $created_policy = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
fi
nts="$here/.deps/ntpsec"
if [ ! -x "$nts/usr/bin/ntpdig" ] && [ ! -x "$nts/usr/sbin/ntpdig" ]; then
  echo "deps: unpacking NTPsec into $nts" >&2
  tmp=$(mktemp -d)
  ( cd "$tmp" && apt-get download -qq ntpsec ntpsec-ntpdate ntpsec-ntpdig ntpsec-ntpviz >/dev/null 2>&1 || { $sudo apt-get update -qq && apt-get download -qq ntpsec ntpsec-ntpdate ntpsec-ntpdig ntpsec-ntpviz; } )
  mkdir -p "$nts"
  for d in "$tmp"/*.deb; do dpkg -x "$d" "$nts"; done
  rm -rf "$tmp"
fi
