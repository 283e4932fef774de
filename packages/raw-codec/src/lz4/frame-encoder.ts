// LZ4 frame encoder (lz4_Frame_format.md). Defaults give the frame the Flowmill agent sends for every flush:
// LZ4F_compressBegin/Update/End with NULL preferences → header 04 22 4D 18 40 40 C0 (linked blocks, 64 KB blocks,
// no checksums, no content size; docs/wire-format.md (d), docs/agent-protocol.md §2.5), blocks compressed like
// LZ4_compress_fast_continue, and a block stored raw when compression does not make it smaller (lz4frame.c
// LZ4F_makeBlock).

import { LZ4_64K_LIMIT, compressBlockInto, compressBound, tableSize } from './block-encode.js';
import { LZ4_BLOCK_UNCOMPRESSED, LZ4_FRAME_MAGIC, blockMaxSize } from './frame-format.js';
import { xxh32 } from './xxh32.js';

export interface Lz4EncodeOptions {
  /** Block maximum size id: 4 = 64 KB (default), 5 = 256 KB, 6 = 1 MB, 7 = 4 MB. */
  blockSizeId?: 4 | 5 | 6 | 7;
  /** Independent blocks (FLG bit 5); default false = linked blocks, as liblz4's default. */
  blockIndependence?: boolean;
  /** XXH32 of each stored block after it (FLG bit 4); default false. */
  blockChecksum?: boolean;
  /** XXH32 of the whole content after the end mark (FLG bit 2); default false. */
  contentChecksum?: boolean;
  /** Content size (u64) in the header (FLG bit 3); default false. */
  contentSize?: boolean;
  /** false = store every block raw; default true. */
  compress?: boolean;
}

// Tables reused across calls (the encoder is synchronous, so one set per kind is enough).
const tables = { u16: new Int32Array(tableSize('u16')), u32: new Int32Array(tableSize('u32')) };

function writeU32(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 0xff;
  b[i + 1] = (v >>> 8) & 0xff;
  b[i + 2] = (v >>> 16) & 0xff;
  b[i + 3] = (v >>> 24) & 0xff;
}

/**
 * State of a linked-block compression stream kept across frames, as one liblz4 LZ4F_cctx reused for every
 * flush (the agent keeps one per connection): the hash table and the stream offset survive; at each frame start
 * LZ4_resetStream_fast moves the offset on by 64 KB so old entries are out of reach (lz4.c LZ4_prepareTable).
 */
interface LinkedState {
  table: Int32Array;
  offset: number;
}

/** Encodes data as one LZ4 frame (each call behaves like a fresh liblz4 compression context). */
export function lz4EncodeFrame(data: Uint8Array, opts: Lz4EncodeOptions = {}): Uint8Array {
  return encodeFrame(data, opts, null);
}

/**
 * Encodes a sequence of frames the way one reused liblz4 context does (LZ4F_compressBegin/Update/End per call),
 * so that the default options give the agent's exact bytes for every flush, not only the first.
 */
export class Lz4FrameEncoder {
  private readonly opts: Lz4EncodeOptions;
  private readonly state: LinkedState = { table: new Int32Array(tableSize('u32')), offset: 0 };

  constructor(opts: Lz4EncodeOptions = {}) {
    this.opts = { ...opts };
  }

  encode(data: Uint8Array): Uint8Array {
    return encodeFrame(data, this.opts, this.state);
  }
}

function encodeFrame(data: Uint8Array, opts: Lz4EncodeOptions, linked: LinkedState | null): Uint8Array {
  const id = opts.blockSizeId ?? 4; // LZ4F_BLOCKSIZEID_DEFAULT (lz4frame.c): max64KB
  if (id !== 4 && id !== 5 && id !== 6 && id !== 7) throw new RangeError(`lz4EncodeFrame: blockSizeId ${String(id)} is not 4..7`);
  const independent = opts.blockIndependence ?? false;
  const bChk = opts.blockChecksum ?? false;
  const cChk = opts.contentChecksum ?? false;
  const cSize = opts.contentSize ?? false;
  const compress = opts.compress ?? true;
  const blockMax = blockMaxSize(id);
  const n = data.length;
  const blocks = Math.ceil(n / blockMax);
  const out = new Uint8Array(7 + (cSize ? 8 : 0) + blocks * (4 + (bChk ? 4 : 0)) + n + 4 + (cChk ? 4 : 0) + 16);

  // Header: magic, FLG (version 01 + flags), BD (block max id), [content size], HC (§"Frame Descriptor").
  writeU32(out, 0, LZ4_FRAME_MAGIC);
  out[4] = 0x40 | (independent ? 0x20 : 0) | (bChk ? 0x10 : 0) | (cSize ? 0x08 : 0) | (cChk ? 0x04 : 0);
  out[5] = id << 4;
  let op = 6;
  if (cSize) {
    writeU32(out, op, n >>> 0);
    writeU32(out, op + 4, Math.floor(n / 0x100000000));
    op += 8;
  }
  out[op] = (xxh32(out, 0, 4, op) >>> 8) & 0xff;
  op++;

  // Blocks. A compressed block must be smaller than its input, so the budget is len - 1 (LZ4F_makeBlock).
  let scratch: Uint8Array | null = null;
  if (compress && blocks > 0) {
    scratch = new Uint8Array(compressBound(Math.min(n, blockMax)));
    if (!independent && !linked) tables.u32.fill(0);
  }
  // Stream offset of data[0] (liblz4's currentOffset at this frame's start) and the table the blocks share.
  let startIndex = 0;
  let table: Int32Array = tables.u32;
  if (linked && !independent) {
    table = linked.table;
    if (linked.offset > 0x40000000) {
      table.fill(0); // LZ4_prepareTable: past 1 GB the table is cleared and the offset starts again at 0
      linked.offset = 0;
    }
    if (linked.offset !== 0) linked.offset += 65536;
    startIndex = linked.offset;
    linked.offset += n;
  }
  for (let s = 0; s < n; s += blockMax) {
    const e = Math.min(n, s + blockMax);
    const len = e - s;
    let csize = 0;
    if (scratch) {
      if (independent) {
        // LZ4_compress_fast_extState_fastReset: 16-bit table for small blocks, a fresh table per block.
        const type = len < LZ4_64K_LIMIT ? 'u16' : 'u32';
        const table = tables[type];
        table.fill(0);
        csize = compressBlockInto({ src: data, start: s, end: e, dst: scratch, dstStart: 0, dstCapacity: len - 1, table, type, base: s, lowLimit: s });
      } else {
        // LZ4_compress_fast_continue over one contiguous stream: indices count from the frame start.
        csize = compressBlockInto({ src: data, start: s, end: e, dst: scratch, dstStart: 0, dstCapacity: len - 1, table, type: 'u32', base: -startIndex, lowLimit: 0 });
      }
    }
    const bodyAt = op + 4;
    if (csize > 0) {
      writeU32(out, op, csize);
      out.set(scratch!.subarray(0, csize), bodyAt);
    } else {
      csize = len;
      writeU32(out, op, (len | LZ4_BLOCK_UNCOMPRESSED) >>> 0);
      out.set(data.subarray(s, e), bodyAt);
    }
    op = bodyAt + csize;
    if (bChk) {
      writeU32(out, op, xxh32(out, 0, bodyAt, op));
      op += 4;
    }
  }
  writeU32(out, op, 0); // EndMark
  op += 4;
  if (cChk) {
    writeU32(out, op, xxh32(data, 0));
    op += 4;
  }
  return out.slice(0, op);
}
