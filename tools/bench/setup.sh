#!/usr/bin/env bash
# Installs the peers the benchmarks compare against, when missing: what the test suite needs (tools/test/setup.sh)
# plus stunnel4 (tls-sink's and the recipe's baseline) and mkcert (certs' baseline).
set -euo pipefail
here=$(dirname "$0")
bash "$here/../test/setup.sh"
exec bash "$here/../test/install-missing.sh" "bench setup" stunnel4:stunnel4 mkcert:mkcert
