#!/usr/bin/env bash
# Installs the real peers the test suite talks to (Debian packages), only those that are missing.
# `npm test` runs this first; nothing in the suite is skipped for want of a tool.
# Peers used only by benchmarks (stunnel4, mkcert) are installed by tools/bench/setup.sh instead.
#   openssl, curl, socat, nc: TLS/HTTP/TCP peers (certs, mock-authz, tls-sink, scenarios)
#   lz4, cc + liblz4-dev: LZ4 interop (raw-codec, agent-runner); jq: raw-codec's NDJSON; dig: the sim's DNS responder;
#   chromium: the checker's HTML report rendered by a real browser
set -euo pipefail
bash "$(dirname "$0")/setup-bpf.sh"  # clang, bpftool, libbpf: the BPF build (issue 18)
bash "$(dirname "$0")/setup-vm.sh"   # qemu, busybox-static, the 6.1 kernel: recipe run --vm (issue 10)
exec bash "$(dirname "$0")/install-missing.sh" "test setup" \
  openssl:openssl curl:curl lz4:lz4 socat:socat jq:jq nc:netcat-openbsd cc:gcc chromium:chromium dig:dnsutils \
  /usr/include/lz4frame.h:liblz4-dev
