// Streaming, push-based LZ4 frame decoder (lz4_Frame_format.md). Input may arrive in pieces of any size; a block is
// decoded straight from the caller's chunk when it is whole there, else staged in one buffer of the block's size.
// Output goes into a window buffer (64 KB of history for linked blocks + room for the next blocks) and leaves as one
// copied Uint8Array per block, so memory stays at about 2 × block max + 64 KB whatever the stream length.
// push() stops right after a frame's end so the caller can look at what follows (the intake stream puts a raw
// version_info record between connections' frames: docs/wire-format.md (d)).

import { blockFailure, decodeBlockInto } from './block-decode.js';
import { wasmBlockDecoderAvailable, wasmDecodeBlockInto, wasmWindow, type WasmWindowOwner } from './block-wasm.js';
import { Lz4Error, Lz4TruncatedError } from './errors.js';
import {
  LZ4_BLOCK_UNCOMPRESSED,
  LZ4_FRAME_MAGIC,
  LZ4_LEGACY_BLOCK_SIZE,
  LZ4_LEGACY_MAGIC,
  LZ4_SKIPPABLE_MAGIC_MASK,
  LZ4_SKIPPABLE_MAGIC_MIN,
  LZ4_WINDOW,
  blockMaxSize,
} from './frame-format.js';
import { Xxh32, xxh32 } from './xxh32.js';

export interface Lz4FrameDecoderOptions {
  /** Verify block and content checksums when a frame has them (default true). The header checksum is always checked. */
  verifyChecksums?: boolean;
  /**
   * 'copy' (default): every output chunk is a fresh Uint8Array the caller may keep. 'view': chunks are views into
   * the decoder's window buffer, valid only until the next push() (saves one allocation and copy per block; for
   * callers that parse or copy the bytes at once).
   */
  output?: 'copy' | 'view';
  /**
   * Which block decoder: 'liblz4' (default: liblz4 built to WebAssembly, src/lz4/block-wasm.ts; the TypeScript one
   * where WebAssembly is missing, and to explain a block liblz4 rejects) or 'typescript' (block-decode.ts only).
   */
  blockDecoder?: 'liblz4' | 'typescript';
  /**
   * With liblz4: keep the output window in the WebAssembly module's memory, so blocks are decoded in place (no copy
   * out). One decoder at a time has it (the intake demux's); a decoder that takes it over from another leaves that one
   * a copy, whose 'view' outputs then no longer hold. For one long-lived decoder per process.
   */
  wasmWindow?: boolean;
}

export interface Lz4PushResult {
  /** Bytes of `input` (from `offset`) taken by this call. */
  consumed: number;
  /** Decompressed chunks produced by this call, in order (one per data block). */
  output: Uint8Array[];
  /** True when this call stopped right after the end of a frame (end mark + content checksum, or a skippable frame). */
  frameEnded: boolean;
  /** For each chunk of `output`, the absolute input offset (as bytesConsumed counts) just past its block's bytes. */
  ends: number[];
}

// Decoder states: what the next bytes are.
const S_MAGIC = 0;
const S_FLG = 1; // FLG byte (first byte of the frame descriptor)
const S_DESC = 2; // rest of the descriptor: BD, [content size], [dict id], HC
const S_BLOCK_SIZE = 3;
const S_BLOCK_DATA = 4; // block data [+ block checksum]
const S_CONTENT_CHECKSUM = 5;
const S_SKIP_SIZE = 6;
const S_SKIP_DATA = 7;
const S_LEGACY_SIZE = 8;
const S_LEGACY_DATA = 9;

const STATE_WANTS = ['a frame magic number', 'the frame descriptor', 'the frame descriptor', 'a block size',
  'block data', 'the content checksum', 'a skippable frame size', 'skippable frame data', 'a legacy block size',
  'legacy block data'];

/** Largest compressed legacy block: LZ4_compressBound(8 MB) (lz4.h LZ4_COMPRESSBOUND). */
const LEGACY_MAX_COMPRESSED = LZ4_LEGACY_BLOCK_SIZE + ((LZ4_LEGACY_BLOCK_SIZE / 255) | 0) + 16;

function readU32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

export class Lz4FrameDecoder implements WasmWindowOwner {
  private readonly verify: boolean;
  private readonly copyOut: boolean;
  private readonly wasm: boolean;
  private readonly wantWindow: boolean;
  private ownsWindow = false;
  private lostWindow = false;
  private winSize = 0; // the window's size when it was cut back to its used part on eviction // taken over by a newer decoder: this one stays on its own copy (no ping-pong)
  private state = S_MAGIC;
  private total = 0; // absolute bytes consumed before the current push
  private frameIndex = -1;
  private failed: Lz4Error | null = null;

  // Gathering of a fixed number of bytes that may span pushes.
  private stage = new Uint8Array(64);
  private staged = 0;
  private gBuf: Uint8Array = this.stage; // where the gathered bytes are (stage or the caller's input)
  private gAt = 0;
  private gAbs = 0; // absolute offset of the first gathered byte
  private gEnd = 0; // absolute offset just past the unit being gathered (field or block)

  // Frame descriptor.
  private flg = 0;
  private independent = false;
  private blockChecksum = false;
  private contentChecksum = false;
  private contentSize = -1;
  private blockMax = 0;
  private produced = 0;
  private hash: Xxh32 | null = null;

  // Current block.
  private blockLen = 0;
  private blockStored = false;
  private skipLeft = 0;

  // Output window.
  private win: Uint8Array = new Uint8Array(0);
  private wpos = 0; // where the next block's output goes
  private frameLow = 0; // where the current frame's output starts: matches never reach before it
  private outThisPush = 0;

  constructor(opts: Lz4FrameDecoderOptions = {}) {
    this.verify = opts.verifyChecksums ?? true;
    this.copyOut = (opts.output ?? 'copy') === 'copy';
    this.wasm = (opts.blockDecoder ?? 'liblz4') === 'liblz4' && wasmBlockDecoderAvailable();
    this.wantWindow = this.wasm && opts.wasmWindow === true;
  }

  /** WasmWindowOwner: another decoder took the module's memory. */
  evicted(window: Uint8Array): void {
    // Only what was written (history and outputs); the full-size window is made again if this decoder goes on
    // (a decoder left behind by a newer one is usually done: allocating its window here cost the fuzzer dearly).
    this.win = window.slice(0, this.wpos);
    this.winSize = window.length;
    this.ownsWindow = false;
    this.lostWindow = true;
  }

  /** WasmWindowOwner: the module's memory grew. */
  moved(view: Uint8Array): void {
    this.win = view;
  }

  /**
   * Decodes one block with liblz4 (WebAssembly) or the TypeScript decoder; returns the output end or throws. When
   * liblz4 rejects a block, the TypeScript decoder says where and why; if it would accept it, liblz4's verdict stands.
   */
  private block(src: Uint8Array, at: number, len: number, start: number, max: number, low: number, abs: number): number {
    if (this.wasm) {
      const stop = wasmDecodeBlockInto(src, at, at + len, this.win, start, start + max, low);
      if (stop >= 0) return stop;
    }
    const stop = decodeBlockInto(src, at, at + len, this.win, start, start + max, low);
    if (stop < 0) {
      const f = blockFailure(stop);
      throw this.corrupt(f.reason, abs + (f.pos - at));
    }
    if (this.wasm) throw this.corrupt('malformed block (liblz4 rejects it)', abs);
    return stop;
  }

  /** True between the first byte of a frame and the end of that frame. */
  get inFrame(): boolean {
    return this.state !== S_MAGIC || this.staged !== 0;
  }

  /** Total input bytes consumed so far, across pushes. */
  get bytesConsumed(): number {
    return this.total;
  }

  /** Absolute input offset just past the unit (header field or block) read last: after an error, how far it reached. */
  get unitEnd(): number {
    return this.gEnd;
  }

  /** Index of the current (or last) frame, -1 before the first one. */
  get frame(): number {
    return this.frameIndex;
  }

  /** Declares the end of input: throws Lz4TruncatedError when it falls inside a frame. */
  finish(): void {
    if (this.failed) throw this.failed;
    if (this.state === S_LEGACY_SIZE && this.staged === 0) {
      // A legacy frame has no end mark: it ends with the input.
      this.state = S_MAGIC;
      return;
    }
    if (this.state !== S_MAGIC || this.staged !== 0) {
      const have = this.state === S_BLOCK_DATA || this.state === S_LEGACY_DATA ? ` (${this.staged} of ${this.blockLen + (this.blockChecksum && this.state === S_BLOCK_DATA ? 4 : 0)} bytes)` : '';
      this.failed = new Lz4TruncatedError(`input ends inside frame, expecting ${STATE_WANTS[this.state]}${have}`, {
        offset: this.total,
        frame: this.frameIndex,
      });
      throw this.failed;
    }
  }

  /**
   * Consumes bytes of input from offset: decodes what is complete, buffers the rest. Stops right after a frame end
   * (frameEnded true) even if more input follows; call again with offset + consumed to go on.
   */
  push(input: Uint8Array, offset = 0): Lz4PushResult {
    if (this.failed) throw this.failed;
    if (this.win.length < this.winSize) {
      const w = new Uint8Array(this.winSize);
      w.set(this.win);
      this.win = w;
    }
    const output: Uint8Array[] = [];
    const ends: number[] = [];
    const end = input.length;
    if (offset < 0 || offset > end) throw new RangeError(`lz4 push: offset ${offset} outside input of ${end} bytes`);
    let p = offset;
    const abs0 = this.total - offset; // absolute offset of input[0]
    this.outThisPush = 0;
    let frameEnded = false;
    try {
      loop: while (true) {
        switch (this.state) {
          case S_MAGIC: {
            if (p >= end) break loop;
            if (this.staged === 0) this.frameIndex++;
            const q = this.gather(input, p, end, 4, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            const magic = readU32(this.gBuf, this.gAt);
            if (magic === LZ4_FRAME_MAGIC) {
              this.state = S_FLG;
            } else if (((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC_MIN) {
              this.state = S_SKIP_SIZE;
            } else if (magic === LZ4_LEGACY_MAGIC) {
              this.startLegacy();
              this.state = S_LEGACY_SIZE;
            } else {
              throw this.corrupt(`bad magic number 0x${magic.toString(16).padStart(8, '0')} (not an LZ4 frame)`, this.gAbs);
            }
            break;
          }
          case S_FLG: {
            const q = this.gather(input, p, end, 1, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            const flg = this.gBuf[this.gAt];
            // FLG: version (bits 7-6) must be 01; bit 1 reserved, must be 0 (§"FLG byte").
            if (flg >> 6 !== 1) throw this.corrupt(`unsupported frame version ${flg >> 6} in FLG byte 0x${hex2(flg)}`, this.gAbs);
            if (flg & 0x02) throw this.corrupt(`reserved bit set in FLG byte 0x${hex2(flg)}`, this.gAbs);
            if (flg & 0x01) throw this.corrupt('frame needs a dictionary (dictID flag set), which is not supported', this.gAbs);
            this.flg = flg;
            this.state = S_DESC;
            break;
          }
          case S_DESC: {
            const flg = this.flg;
            const n = 2 + (flg & 0x08 ? 8 : 0); // BD, [content size], HC
            const q = this.gather(input, p, end, n, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            const b = this.gBuf;
            const at = this.gAt;
            const bd = b[at];
            // BD: bit 7 and bits 3-0 reserved; bits 6-4 block max size id 4..7 (§"BD byte").
            if (bd & 0x8f) throw this.corrupt(`reserved bits set in BD byte 0x${hex2(bd)}`, this.gAbs);
            const id = (bd >> 4) & 7;
            if (id < 4) throw this.corrupt(`invalid block maximum size id ${id} in BD byte 0x${hex2(bd)}`, this.gAbs);
            // HC = (XXH32(FLG..last descriptor byte, 0) >> 8) & 0xFF (§"Header Checksum").
            const desc = new Uint8Array(n);
            desc[0] = flg;
            desc.set(b.subarray(at, at + n - 1), 1);
            const hc = (xxh32(desc, 0) >>> 8) & 0xff;
            if (hc !== b[at + n - 1]) {
              throw this.corrupt(`header checksum mismatch (stored 0x${hex2(b[at + n - 1])}, computed 0x${hex2(hc)})`, this.gAbs + n - 1);
            }
            this.independent = (flg & 0x20) !== 0;
            this.blockChecksum = (flg & 0x10) !== 0;
            this.contentChecksum = (flg & 0x04) !== 0;
            this.contentSize = flg & 0x08 ? readU32(b, at + 1) + readU32(b, at + 5) * 0x100000000 : -1;
            this.blockMax = blockMaxSize(id);
            this.produced = 0;
            this.hash = this.contentChecksum && this.verify ? new Xxh32(0) : null;
            this.prepareWindow(this.blockMax);
            this.frameLow = this.wpos;
            this.state = S_BLOCK_SIZE;
            break;
          }
          case S_BLOCK_SIZE: {
            const q = this.gather(input, p, end, 4, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            const v = readU32(this.gBuf, this.gAt);
            if (v === 0) {
              // EndMark.
              if (this.contentSize >= 0 && this.produced !== this.contentSize) {
                throw this.corrupt(`content size mismatch: header says ${this.contentSize} bytes, frame decodes to ${this.produced}`, this.gAbs);
              }
              if (this.contentChecksum) {
                this.state = S_CONTENT_CHECKSUM;
                break;
              }
              this.state = S_MAGIC;
              frameEnded = true;
              break loop;
            }
            const len = v & 0x7fffffff;
            this.blockStored = v >= LZ4_BLOCK_UNCOMPRESSED;
            if (len > this.blockMax) {
              throw this.corrupt(`block of ${len} bytes exceeds the frame's block maximum size ${this.blockMax}`, this.gAbs);
            }
            this.blockLen = len;
            this.state = S_BLOCK_DATA;
            break;
          }
          case S_BLOCK_DATA: {
            if (!this.makeRoom(this.blockMax)) break loop;
            const n = this.blockLen + (this.blockChecksum ? 4 : 0);
            const q = this.gather(input, p, end, n, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            output.push(this.decodeBlock(this.gBuf, this.gAt, this.blockLen, this.gAbs));
            ends.push(abs0 + p);
            this.state = S_BLOCK_SIZE;
            break;
          }
          case S_CONTENT_CHECKSUM: {
            const q = this.gather(input, p, end, 4, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            if (this.hash) {
              const want = readU32(this.gBuf, this.gAt);
              const got = this.hash.digest();
              if (want !== got) throw this.corrupt(`content checksum mismatch (stored 0x${hex8(want)}, computed 0x${hex8(got)})`, this.gAbs);
            }
            this.state = S_MAGIC;
            frameEnded = true;
            break loop;
          }
          case S_SKIP_SIZE: {
            const q = this.gather(input, p, end, 4, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            this.skipLeft = readU32(this.gBuf, this.gAt);
            this.state = S_SKIP_DATA;
            break;
          }
          case S_SKIP_DATA: {
            const n = Math.min(this.skipLeft, end - p);
            this.skipLeft -= n;
            p += n;
            if (this.skipLeft > 0) break loop;
            this.state = S_MAGIC;
            frameEnded = true;
            break loop;
          }
          case S_LEGACY_SIZE: {
            if (p >= end) break loop;
            // A legacy frame has no end mark: it ends where the next frame's magic number appears (lz4 CLI rule).
            if (this.staged === 0 && end - p >= 4) {
              const v = readU32(input, p);
              if (v === LZ4_FRAME_MAGIC || v === LZ4_LEGACY_MAGIC || ((v & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC_MIN) {
                this.state = S_MAGIC;
                frameEnded = true;
                break loop;
              }
            }
            const q = this.gather(input, p, end, 4, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            const v = readU32(this.gBuf, this.gAt);
            if (v === LZ4_FRAME_MAGIC || v === LZ4_LEGACY_MAGIC || ((v & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0) === LZ4_SKIPPABLE_MAGIC_MIN) {
              // The magic arrived split across pushes: its bytes are consumed already, so carry on into that frame.
              this.frameIndex++;
              this.state = v === LZ4_FRAME_MAGIC ? S_FLG : v === LZ4_LEGACY_MAGIC ? S_LEGACY_SIZE : S_SKIP_SIZE;
              if (v === LZ4_LEGACY_MAGIC) this.startLegacy();
              break;
            }
            if (v === 0 || v > LEGACY_MAX_COMPRESSED) {
              throw this.corrupt(`legacy block size ${v} out of range 1..${LEGACY_MAX_COMPRESSED}`, this.gAbs);
            }
            this.blockLen = v;
            this.state = S_LEGACY_DATA;
            break;
          }
          case S_LEGACY_DATA: {
            if (!this.makeRoom(LZ4_LEGACY_BLOCK_SIZE)) break loop;
            const q = this.gather(input, p, end, this.blockLen, abs0);
            if (q < 0) { p = end; break loop; }
            p = q;
            const start = this.wpos;
            const r = this.block(this.gBuf, this.gAt, this.blockLen, start, LZ4_LEGACY_BLOCK_SIZE, start, this.gAbs);
            this.wpos = r;
            this.outThisPush++;
            output.push(this.copyOut ? this.win.slice(start, r) : this.win.subarray(start, r));
            ends.push(abs0 + p);
            this.state = S_LEGACY_SIZE;
            break;
          }
        }
      }
    } catch (e) {
      if (e instanceof Lz4Error) this.failed = e;
      throw e;
    }
    this.total = abs0 + p;
    return { consumed: p - offset, output, frameEnded, ends };
  }

  private startLegacy(): void {
    this.blockChecksum = false;
    this.independent = true; // legacy blocks are independent (lz4_Frame_format.md §"Legacy frame")
    this.prepareWindow(LZ4_LEGACY_BLOCK_SIZE);
  }

  /**
   * Makes n bytes available at this.gBuf[this.gAt..]: straight from the input when no earlier bytes are staged and
   * all n are there, else via the stage buffer. Returns the new input position, or -1 when the input ran out first
   * (everything was staged).
   */
  private gather(input: Uint8Array, p: number, end: number, n: number, abs0: number): number {
    if (this.staged === 0) {
      this.gAbs = abs0 + p;
      this.gEnd = this.gAbs + n;
      if (end - p >= n) {
        this.gBuf = input;
        this.gAt = p;
        return p + n;
      }
    }
    if (this.stage.length < n) {
      const bigger = new Uint8Array(Math.max(n, 64));
      bigger.set(this.stage.subarray(0, this.staged));
      this.stage = bigger;
    }
    const take = Math.min(n - this.staged, end - p);
    this.stage.set(input.subarray(p, p + take), this.staged);
    this.staged += take;
    if (this.staged < n) return -1;
    this.staged = 0;
    this.gBuf = this.stage;
    this.gAt = 0;
    return p + take;
  }

  private prepareWindow(blockMax: number): void {
    // Linked blocks need the previous 64 KB; room for several blocks after it makes the shift back rare.
    const want = LZ4_WINDOW + (blockMax <= 262144 ? 4 * blockMax : blockMax);
    if (this.wantWindow && !this.lostWindow && (!this.ownsWindow || this.win.length < want)) {
      // At a frame start no history is needed: a fresh window in the module's memory.
      const inMax = blockMax === LZ4_LEGACY_BLOCK_SIZE ? LEGACY_MAX_COMPRESSED : blockMax + 4;
      const v = wasmWindow(this, Math.max(want, this.win.length), inMax);
      if (v) {
        this.win = v;
        this.ownsWindow = true;
        this.wpos = 0;
        return;
      }
    }
    if (this.win.length < want) {
      // Views handed out earlier keep the old buffer; nothing of it is needed by a new frame.
      this.win = new Uint8Array(want);
      this.wpos = 0;
    }
  }

  /**
   * Makes room for a block of up to max bytes at wpos, moving the history a linked frame needs (≤ 64 KB) to the
   * front when the window is full. In 'view' mode that move would overwrite views already handed out by this
   * push, so it returns false instead: the push stops there and the next one goes on.
   */
  private makeRoom(max: number): boolean {
    if (this.wpos + max <= this.win.length) return true;
    if (!this.copyOut && this.outThisPush > 0) return false;
    const keep = this.independent ? 0 : Math.min(LZ4_WINDOW, this.wpos - this.frameLow);
    const shift = this.wpos - keep;
    this.win.copyWithin(0, shift, this.wpos);
    this.frameLow = Math.max(0, this.frameLow - shift);
    this.wpos = keep;
    return true;
  }

  private decodeBlock(src: Uint8Array, at: number, len: number, abs: number): Uint8Array {
    if (this.blockChecksum && this.verify) {
      const want = readU32(src, at + len);
      const got = xxh32(src, 0, at, at + len);
      if (want !== got) throw this.corrupt(`block checksum mismatch (stored 0x${hex8(want)}, computed 0x${hex8(got)})`, abs + len);
    }
    const win = this.win;
    const start = this.wpos;
    let stop: number;
    if (this.blockStored) {
      win.set(src.subarray(at, at + len), start);
      stop = start + len;
    } else {
      stop = this.block(src, at, len, start, this.blockMax, this.independent ? start : this.frameLow, abs);
    }
    this.wpos = stop;
    this.outThisPush++;
    this.produced += stop - start;
    if (this.contentSize >= 0 && this.produced > this.contentSize) {
      throw this.corrupt(`content size mismatch: header says ${this.contentSize} bytes, frame decodes to more`, abs);
    }
    if (this.hash) this.hash.update(win, start, stop);
    return this.copyOut ? win.slice(start, stop) : win.subarray(start, stop);
  }

  private corrupt(reason: string, offset: number): Lz4Error {
    return new Lz4Error(reason, { offset, frame: this.frameIndex });
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Decodes all concatenated frames of buf (standard, skippable, legacy) and returns their content joined. */
export function lz4DecodeFrames(buf: Uint8Array, opts?: Lz4FrameDecoderOptions): Uint8Array {
  const dec = new Lz4FrameDecoder(opts);
  const parts: Uint8Array[] = [];
  let size = 0;
  let p = 0;
  while (p < buf.length) {
    const r = dec.push(buf, p);
    p += r.consumed;
    for (const c of r.output) {
      parts.push(c);
      size += c.length;
    }
  }
  dec.finish();
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of parts) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
