#!/usr/bin/env bash
# Installs what `recipe run --vm` and its scenario need, only what is missing: qemu (software emulation: no KVM
# needed), busybox-static (the guest's initramfs: static, it runs before any library is there; its depmod and cpio)
# and Debian's 6.1 kernel in the user's kernel cache (apt-get download + dpkg-deb -x through a private apt
# configuration: nothing is installed on this machine, the system's apt sources are untouched).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
bash "$here/tools/test/install-missing.sh" "test setup (vm)" qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils
# a dynamically linked busybox (Debian's `busybox`) has the applets but cannot run as the guest's first program
if ! { [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx depmod && ! ldd /bin/busybox >/dev/null 2>&1; }; then
  bash "$here/tools/test/install-missing.sh" "test setup (vm)" /nonexistent-busybox-static:busybox-static
fi
# `agent-runner vm fetch 6.1` does nothing when the cache has it. From source (tsx, a dev dependency): the test
# runner calls this before it builds the bundles.
cd "$here" && node --conditions=@flowmill/source --import tsx packages/agent-runner/src/cli.ts vm fetch 6.1 >/dev/null
