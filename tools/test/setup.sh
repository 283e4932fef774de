#!/usr/bin/env bash
# Installs the real peers the interop tests talk to (Debian packages), only those that are missing.
# `npm test` runs this first; nothing in the suite is skipped for want of a tool.
set -euo pipefail
pkgs=()
for pair in openssl:openssl curl:curl lz4:lz4 stunnel4:stunnel4 socat:socat mkcert:mkcert jq:jq nc:netcat-openbsd cc:gcc chromium:chromium dig:dnsutils; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || pkgs+=("${pair#*:}")
done
[ -f /usr/include/lz4frame.h ] || pkgs+=(liblz4-dev)
[ ${#pkgs[@]} -eq 0 ] && exit 0
SUDO=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "test setup: missing ${pkgs[*]}: install them (apt-get install ${pkgs[*]}) or run as root" >&2; exit 69; }
  SUDO=sudo
fi
echo "test setup: installing ${pkgs[*]}" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
