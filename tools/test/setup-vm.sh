#!/usr/bin/env bash
# Installs what `recipe run --vm` and its integration scenario need, only what is missing: qemu (software
# emulation, no KVM needed), busybox-static (the guest's initramfs) and the Debian 6.1 kernel in the user's kernel
# cache (fetched with `apt-get download`, unpacked with `dpkg-deb -x`, never installed on this machine).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
pkgs=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || pkgs+=(qemu-system-x86 qemu-utils)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx depmod || pkgs+=(busybox-static)
if [ ${#pkgs[@]} -gt 0 ]; then
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "test setup (vm): missing ${pkgs[*]}: apt-get install --no-install-recommends ${pkgs[*]}, or run as root" >&2; exit 69; }
    SUDO=sudo
  fi
  echo "test setup (vm): installing ${pkgs[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
fi
# The kernel: `agent-runner vm fetch 6.1` is a no-op when the cache already has it.
node "$here/packages/agent-runner/dist/agent-runner.js" vm fetch 6.1 >&2
