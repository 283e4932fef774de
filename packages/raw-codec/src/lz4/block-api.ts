// Low-level block API: one LZ4 block in, one out, without a frame around it.

import { blockFailure, decodeBlockInto } from './block-decode.js';
import { LZ4_64K_LIMIT, compressBlockInto, compressBound, tableSize } from './block-encode.js';
import { Lz4Error } from './errors.js';
import { LZ4_WINDOW } from './frame-format.js';

/** Compresses src as one LZ4 block, like liblz4's LZ4_compress_default (acceleration 1). */
export function lz4CompressBlock(src: Uint8Array): Uint8Array {
  const type = src.length < LZ4_64K_LIMIT ? 'u16' : 'u32';
  const dst = new Uint8Array(compressBound(src.length));
  const n = compressBlockInto({
    src, start: 0, end: src.length, dst, dstStart: 0, dstCapacity: dst.length,
    table: new Int32Array(tableSize(type)), type, base: 0, lowLimit: 0,
  });
  return dst.slice(0, n);
}

/**
 * Decompresses the block src into dst (at most dst.length bytes) and returns the number of bytes written.
 * `dict` is the data that preceded the block (its last 64 KB are used), for linked blocks. Throws Lz4Error
 * (offset = position in src) on corrupt input or when dst is too small.
 */
export function lz4DecompressBlock(src: Uint8Array, dst: Uint8Array, dict?: Uint8Array): number {
  if (!dict || dict.length === 0) {
    const r = decodeBlockInto(src, 0, src.length, dst, 0, dst.length, 0);
    if (r < 0) {
    const f = blockFailure(r);
    throw new Lz4Error(f.reason, { offset: f.pos, frame: 0 });
  }
    return r;
  }
  const d = dict.subarray(Math.max(0, dict.length - LZ4_WINDOW));
  const tmp = new Uint8Array(d.length + dst.length);
  tmp.set(d, 0);
  const r = decodeBlockInto(src, 0, src.length, tmp, d.length, tmp.length, 0);
  if (r < 0) {
    const f = blockFailure(r);
    throw new Lz4Error(f.reason, { offset: f.pos, frame: 0 });
  }
  dst.set(tmp.subarray(d.length, r), 0);
  return r - d.length;
}
