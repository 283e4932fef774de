// LZ4 block compressor: the greedy single-probe hash matcher of liblz4's LZ4_compress_generic (lz4.c, v1.9.4) at
// acceleration 1, re-expressed over Uint8Array indices. It follows the same hashing, skipping, catch-up and
// output-budget rules, so its output matches liblz4's byte for byte where the table state matches:
// - "u32" tables (4096 slots, 5-byte hash): what LZ4_compress_fast_continue uses, i.e. the frame API's linked
//   blocks (LZ4F_compressBegin/Update/End with NULL preferences: the agent's frames);
// - "u16" tables (8192 slots, 4-byte hash): what LZ4_compress_default and independent frame blocks use for inputs
//   below 64 KB + 11 bytes.

const MINMATCH = 4;
const LASTLITERALS = 5; // the last 5 bytes of a block are always literals (lz4_Block_format.md §"End of block")
const MFLIMIT = 12; // the last match starts at least 12 bytes before the end (same section)
const ML_MASK = 15;
const RUN_MASK = 15;
const SKIP_TRIGGER = 6; // LZ4_skipTrigger: search step grows by 1 every 64 failed probes
const DISTANCE_MAX = 65535; // LZ4_DISTANCE_MAX
/** LZ4_64Klimit = 64 KB + MFLIMIT - 1: below it LZ4_compress_default uses the 16-bit table. */
export const LZ4_64K_LIMIT = 65536 + MFLIMIT - 1;

/** Hash table kinds, as in lz4.c's tableType_t. */
export type TableType = 'u16' | 'u32';

export function tableSize(type: TableType): number {
  return type === 'u16' ? 8192 : 4096; // 1 << (LZ4_HASHLOG + 1) for byU16, 1 << LZ4_HASHLOG (12) for byU32
}

/** LZ4_compressBound: the largest output a block of n bytes can compress to. */
export function compressBound(n: number): number {
  return n + ((n / 255) | 0) + 16;
}

function read32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/** LZ4_hash4 with hashLog 13: (sequence * 2654435761) >> (32 - 13). */
function hash4(b: Uint8Array, i: number): number {
  return Math.imul(read32(b, i), 0x9e3779b1) >>> 19;
}

/**
 * LZ4_hash5 with hashLog 12 on a little-endian 64-bit read: ((seq << 24) * 889523592379) >> (64 - 12), i.e. bits
 * 28..39 of (low 40 bits of seq) * 0xCF1BBCDCBB, computed in 16-bit pieces so that it stays exact in int32 math.
 */
function hash5(b: Uint8Array, i: number): number {
  const a = read32(b, i);
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b4 = b[i + 4];
  // prime = 0xCF_1BBC_DCBB = p0 + p1 * 2^16 + 0xCF * 2^32
  const mid = Math.imul(a0, 0x1bbc) + Math.imul(a1, 0xdcbb) + (Math.imul(a0, 0xdcbb) >>> 16);
  const top = Math.imul(a1, 0x1bbc) + Math.imul(a, 0xcf) + Math.imul(b4, 0x1bbcdcbb);
  return ((mid + (top << 16)) & 0xffffff) >>> 12;
}

export interface CompressArgs {
  src: Uint8Array;
  /** The block to compress: src[start, end). */
  start: number;
  end: number;
  dst: Uint8Array;
  dstStart: number;
  /** Output budget; return 0 when the block cannot be written within it (liblz4's limitedOutput). */
  dstCapacity: number;
  table: Int32Array;
  type: TableType;
  /** Position of table index 0 (the stream start for linked blocks, the block start otherwise). */
  base: number;
  /** Catch-up never moves a match start to or below this position. */
  lowLimit: number;
}

/** Compresses one block; returns the compressed size, or 0 when it does not fit dstCapacity. */
export function compressBlockInto(a: CompressArgs): number {
  const { src, start, end, dst, table, base, lowLimit } = a;
  const h5 = a.type === 'u32';
  const olimit = a.dstStart + a.dstCapacity;
  const mflimitPlusOne = end - MFLIMIT + 1;
  const matchlimit = end - LASTLITERALS;
  let op = a.dstStart;
  let anchor = start;
  let ip = start;

  if (end - start >= MFLIMIT + 1) {
    table[h5 ? hash5(src, ip) : hash4(src, ip)] = ip - base;
    ip++;
    let forwardH = h5 ? hash5(src, ip) : hash4(src, ip);
    outer: for (;;) {
      let match: number;
      // Find a match: probe one candidate per position, stepping faster the longer nothing matches.
      {
        let forwardIp = ip;
        let step = 1;
        let searchMatchNb = 1 << SKIP_TRIGGER;
        for (;;) {
          const h = forwardH;
          const cur = forwardIp - base;
          const matchIndex = table[h];
          ip = forwardIp;
          forwardIp += step;
          step = searchMatchNb++ >> SKIP_TRIGGER;
          if (forwardIp > mflimitPlusOne) break outer;
          match = base + matchIndex;
          forwardH = h5 ? hash5(src, forwardIp) : hash4(src, forwardIp);
          table[h] = cur;
          if (h5 && matchIndex + DISTANCE_MAX < cur) continue; // too far (the u16 table never is)
          if (read32(src, match) === read32(src, ip)) break;
        }
      }
      // Catch up: extend the match backwards over equal bytes.
      while (ip > anchor && match > lowLimit && src[ip - 1] === src[match - 1]) {
        ip--;
        match--;
      }
      // Literals.
      let token: number;
      {
        const litLength = ip - anchor;
        token = op++;
        if (op + litLength + (2 + 1 + LASTLITERALS) + ((litLength / 255) | 0) > olimit) return 0;
        if (litLength >= RUN_MASK) {
          let len = litLength - RUN_MASK;
          dst[token] = RUN_MASK << 4;
          for (; len >= 255; len -= 255) dst[op++] = 255;
          dst[op++] = len;
        } else {
          dst[token] = litLength << 4;
        }
        if (litLength < 32) {
          for (let i = anchor; i < ip; i++) dst[op++] = src[i];
        } else {
          dst.set(src.subarray(anchor, ip), op);
          op += litLength;
        }
      }
      for (;;) {
        // Offset, then match length.
        const off = ip - match;
        dst[op++] = off & 0xff;
        dst[op++] = off >>> 8;
        let mc = 0;
        {
          let s = ip + MINMATCH;
          let m = match + MINMATCH;
          while (s < matchlimit && src[s] === src[m]) {
            s++;
            m++;
          }
          mc = s - ip - MINMATCH;
          ip = s;
        }
        if (op + (1 + LASTLITERALS) + (((mc + 240) / 255) | 0) > olimit) return 0;
        if (mc >= ML_MASK) {
          dst[token] += ML_MASK;
          mc -= ML_MASK;
          for (; mc >= 255; mc -= 255) dst[op++] = 255;
          dst[op++] = mc;
        } else {
          dst[token] += mc;
        }
        anchor = ip;
        if (ip >= mflimitPlusOne) break outer;
        // Fill the table with ip - 2, then test ip itself for an immediate next match (no literals).
        table[h5 ? hash5(src, ip - 2) : hash4(src, ip - 2)] = ip - 2 - base;
        const h = h5 ? hash5(src, ip) : hash4(src, ip);
        const cur = ip - base;
        const matchIndex = table[h];
        match = base + matchIndex;
        table[h] = cur;
        if ((!h5 || matchIndex + DISTANCE_MAX >= cur) && read32(src, match) === read32(src, ip)) {
          token = op++;
          dst[token] = 0;
          continue;
        }
        break;
      }
      ip++;
      forwardH = h5 ? hash5(src, ip) : hash4(src, ip);
    }
  }
  // Last literals.
  const lastRun = end - anchor;
  if (op + lastRun + 1 + (((lastRun + 255 - RUN_MASK) / 255) | 0) > olimit) return 0;
  if (lastRun >= RUN_MASK) {
    let acc = lastRun - RUN_MASK;
    dst[op++] = RUN_MASK << 4;
    for (; acc >= 255; acc -= 255) dst[op++] = 255;
    dst[op++] = acc;
  } else {
    dst[op++] = lastRun << 4;
  }
  dst.set(src.subarray(anchor, end), op);
  op += lastRun;
  return op - a.dstStart;
}
