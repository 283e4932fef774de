// One export: LZ4 block decompression with the previous output as history, from liblz4 (lz4.c, v1.10.0).
#define LZ4_FREESTANDING 1
#define LZ4_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define LZ4_memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define LZ4_memset(p, v, n) __builtin_memset((p), (v), (n))
#define LZ4_STATIC_LINKING_ONLY_DISABLE_MEMORY_ALLOCATION 1
#include "../../vendor/lz4/lz4.c"

// Decodes the block at src[0..srcLen) to dst (at most dstCap bytes). The history (linked blocks) is the historyLen
// bytes right before dst. Returns the decoded size, or a negative number when the block is malformed.
__attribute__((export_name("lz4_decode_block")))
int lz4_decode_block(const char* src, int srcLen, char* dst, int dstCap, int historyLen) {
  if (historyLen <= 0) return LZ4_decompress_safe(src, dst, srcLen, dstCap);
  return LZ4_decompress_safe_usingDict(src, dst, srcLen, dstCap, dst - historyLen, historyLen);
}
