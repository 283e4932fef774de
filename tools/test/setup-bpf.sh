#!/usr/bin/env bash
# Installs what the BPF build (packages/agent-runner/bpf/build.sh) needs, only what is missing: clang (the BPF
# target), bpftool (gen object / gen skeleton), gcc with libbpf's, libelf's and zlib's static libraries (the recorder
# is linked statically so it runs in any guest), and the kernel's uapi headers. llvm and lld come with clang's
# BPF backend use; build.sh --preflight names anything still missing.
set -euo pipefail
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
exec bash "$(dirname "$0")/install-missing.sh" "test setup (bpf)" \
  clang:clang llvm-strip:llvm lld:lld bpftool:bpftool gcc:gcc \
  "/usr/lib/$multiarch/libbpf.a:libbpf-dev" "/usr/lib/$multiarch/libelf.a:libelf-dev" "/usr/lib/$multiarch/libz.a:zlib1g-dev" \
  /usr/include/linux/bpf.h:linux-libc-dev
