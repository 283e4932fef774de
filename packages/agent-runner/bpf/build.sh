#!/usr/bin/env bash
# Builds the agent's BPF half and the recorder that loads it, into a cache directory (never the repository):
#   <cache>/<key>/render_bpf.bpf.o     the BPF object (clang, then bpftool gen object)
#   <cache>/<key>/render_bpf.skel.h    its libbpf skeleton (bpftool gen skeleton)
#   <cache>/<key>/bpf-recorder         the recorder, statically linked against libbpf
#   <cache>/<key>/build.json           what it was built from
# and prints <cache>/<key> on stdout. <key> hashes every input, so a rebuild happens only when something changed.
# The clang line is the collector's own (collector/kernel/CMakeLists.txt@68f0c23f:191-212); the two headers renderc
# would generate come from `raw-codec gen bpf-headers`.
#
# usage: build.sh [--bpf-src CHECKOUT] [--cache DIR] [--preflight]
#   --bpf-src CHECKOUT  an opentelemetry-network checkout: its collector/kernel/bpf_src, render/ebpf_net.render,
#                       jitbuf/, common/ and config.h.cmake_in instead of the vendored copy (vendor/README.md)
#   --cache DIR         default: $FLOWMILL_BPF_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/flowmill-bpf
#   --preflight         only say what is missing (exit 69 if anything is)
# exit: 0 built, 64 bad flags, 65 the BPF source or recorder does not compile (clang's file:line errors above),
#       66 a source file is missing, 69 a tool or library is missing
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
ME="bpf build"
SRC="$HERE/vendor/opentelemetry-network"
CACHE="${FLOWMILL_BPF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowmill-bpf}"
PREFLIGHT=0
die() { echo "$ME: $2" >&2; exit "$1"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bpf-src) [ $# -ge 2 ] || die 64 "bad flags: --bpf-src: needs a directory"; SRC=$(cd "$2" 2>/dev/null && pwd) || die 66 "cannot read --bpf-src: $2: no such directory"; shift 2 ;;
    --cache) [ $# -ge 2 ] || die 64 "bad flags: --cache: needs a directory"; CACHE=$2; shift 2 ;;
    --preflight) PREFLIGHT=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die 64 "bad flags: $1: unknown (see --help)" ;;
  esac
done

# Preflight: the tools and static libraries, with the Debian packages that carry them.
LIBDIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
missing=()
for t in clang:clang bpftool:bpftool gcc:gcc node:nodejs; do command -v "${t%%:*}" >/dev/null || missing+=("${t%%:*} (apt: ${t#*:})"); done
for l in libbpf.a:libbpf-dev libelf.a:libelf-dev libz.a:zlib1g-dev; do [ -e "$LIBDIR/${l%%:*}" ] || missing+=("$LIBDIR/${l%%:*} (apt: ${l#*:})"); done
[ -e /usr/include/linux/bpf.h ] || missing+=("/usr/include/linux/bpf.h (apt: linux-libc-dev)")
if [ ${#missing[@]} -gt 0 ]; then
  printf '%s: missing: %s\n' "$ME" "${missing[@]}" >&2
  die 69 "cannot build: ${#missing[@]} missing (tools/test/setup-bpf.sh installs them: apt-get install -y --no-install-recommends clang llvm libbpf-dev bpftool gcc)"
fi
[ $PREFLIGHT = 1 ] && { echo "$ME: preflight: clang, bpftool, gcc, libbpf.a, libelf.a, libz.a present" >&2; exit 0; }

BPF_SRC="$SRC/collector/kernel/bpf_src"
RENDER="$SRC/render/ebpf_net.render"
for f in "$BPF_SRC/render_bpf.c" "$RENDER" "$SRC/jitbuf/jb.h" "$SRC/common/client_server_type.h" "$SRC/config.h.cmake_in"; do
  [ -f "$f" ] || die 66 "cannot read source: $f: no such file (--bpf-src wants an opentelemetry-network checkout)"
done
VMLINUX="$HERE/vendor/vmlinux.h"
LIBBPF_INC="$HERE/vendor/libbpf"
RECORDER="$HERE/recorder"

# Cache key: every input's bytes, this script and the compilers' versions.
KEY=$( { cat "$0"; clang --version; gcc --version; bpftool version; \
  find "$BPF_SRC" "$SRC/jitbuf/jb.h" "$SRC/common/client_server_type.h" "$SRC/config.h.cmake_in" "$RENDER" \
       "$VMLINUX" "$LIBBPF_INC" "$RECORDER" "$REPO/packages/raw-codec/src" -type f | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)
OUT="$CACHE/$KEY"
if [ -x "$OUT/bpf-recorder" ] && [ -f "$OUT/build.json" ]; then echo "$OUT"; exit 0; fi

mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "$ME: building $BPF_SRC/render_bpf.c into $OUT" >&2

# config.h: the collector's four #cmakedefine01 switches, all off as in a release build (config.h.cmake_in@68f0c23f)
sed -E 's/^#cmakedefine01 ([A-Za-z_0-9]+).*/#define \1 0/' "$SRC/config.h.cmake_in" > "$TMP/config.h"

# the two headers renderc would write, from the checkout's own render file
if [ -f "$REPO/packages/raw-codec/dist/raw-codec.js" ]; then RAW=(node "$REPO/packages/raw-codec/dist/raw-codec.js")
else RAW=(node --conditions=@flowmill/source --import "$REPO/node_modules/tsx/dist/loader.mjs" "$REPO/packages/raw-codec/src/cli.ts"); fi
"${RAW[@]}" gen bpf-headers --schema "$RENDER" --out "$TMP/generated" >/dev/null || die 65 "cannot generate headers from $RENDER (raw-codec's error above)"

# the system include dirs clang would use for the host, after ours (what CLANG_BPF_SYS_INCLUDES holds upstream)
SYSINC=()
while read -r d; do SYSINC+=(-idirafter "$d"); done < <(clang -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list/p' | sed -n 's/^ //p')
if ! clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -D_PROCESSING_BPF=1 \
    -I "$TMP/generated" -I "$TMP" -I "$BPF_SRC" -I "$SRC" -I "$VMLINUX" -I "$LIBBPF_INC" "${SYSINC[@]}" \
    -c "$BPF_SRC/render_bpf.c" -o "$TMP/render_bpf.tmp.o"; then
  die 65 "cannot compile BPF programs: $BPF_SRC/render_bpf.c: clang's errors above (file:line:column)"
fi
bpftool gen object "$TMP/render_bpf.bpf.o" "$TMP/render_bpf.tmp.o" || die 65 "bpftool gen object failed on $BPF_SRC/render_bpf.c (an unresolved extern?)"
rm -f "$TMP/render_bpf.tmp.o"
# the collector's skeleton is named after render_bpf.bpf.o: struct render_bpf_bpf (probe_handler.cc@68f0c23f:125)
bpftool gen skeleton "$TMP/render_bpf.bpf.o" name render_bpf_bpf > "$TMP/render_bpf.skel.h" || die 65 "bpftool gen skeleton failed"
if ! gcc -O2 -Wall -Werror -Wno-format-truncation -I "$TMP" -I "$RECORDER" "$RECORDER"/*.c -static -L"$LIBDIR" -lbpf -lelf -lz -o "$TMP/bpf-recorder"; then
  die 65 "cannot build the recorder against this skeleton: gcc's errors above"
fi
n_progs=$(bpftool btf dump file "$TMP/render_bpf.bpf.o" 2>/dev/null | grep -c "FUNC '" || true)
cat > "$TMP/build.json" <<JSON
{"key": "$KEY", "bpf_src": "$SRC", "render": "$RENDER", "vendored": $([ "$SRC" = "$HERE/vendor/opentelemetry-network" ] && echo true || echo false), "clang": "$(clang --version | head -1)", "bpftool": "$(bpftool version | head -1)", "btf_funcs": $n_progs}
JSON
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
echo "$ME: built $OUT" >&2
echo "$OUT"
