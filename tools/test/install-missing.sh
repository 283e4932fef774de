#!/usr/bin/env bash
# install-missing.sh LABEL COMMAND:PACKAGE... — apt-get installs the Debian PACKAGE of each COMMAND not on PATH
# (a COMMAND starting with / is a file that must exist). Used by tools/test/setup.sh and tools/bench/setup.sh.
set -euo pipefail
label=$1; shift
pkgs=()
for pair in "$@"; do
  what=${pair%%:*}
  if [[ $what == /* ]]; then [ -e "$what" ] && continue; else command -v "$what" >/dev/null 2>&1 && continue; fi
  pkgs+=("${pair#*:}")
done
[ ${#pkgs[@]} -eq 0 ] && exit 0
SUDO=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "$label: missing ${pkgs[*]}: install them (apt-get install ${pkgs[*]}) or run as root" >&2; exit 69; }
  SUDO=sudo
fi
echo "$label: installing ${pkgs[*]}" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
