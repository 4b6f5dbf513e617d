#!/usr/bin/env bash
# Regenerates what comes from declarations: Completions/ (from the process flags) and
# Man/ntpsh-commands.7 and Man/ntpsh.conf.5 (from the command grammar). Man/ntpsh.1 is written by hand.
#   scripts/generate-docs.sh [NTPSH_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/ntpsh}
[ -x "$bin" ] || swift build -q
for sh in bash zsh fish; do "$bin" --generate-completion-script "$sh" > "Completions/ntpsh.$sh"; done
"$bin" --generate-manual commands > Man/ntpsh-commands.7
"$bin" --generate-manual conf > Man/ntpsh.conf.5
