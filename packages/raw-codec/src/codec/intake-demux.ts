// The intake demultiplexer. An intake capture is what the sink received: per connection, the agent's raw 24-byte
// version_info record (collector/kernel/kernel_collector.cc@3598385a:326-328), then LZ4 frames, one per flush,
// written with NULL preferences, so without block or content checksums (channel/lz4_channel.cc@3598385a:53-63).
// When a connection is cut and the agent reconnects, the next connection's raw version_info follows, possibly in
// the middle of a frame.
//
// The frames' own structure decides where things are: frame header, block sizes, end mark, and the checksums when the
// frame's flags say it has them. The connection signature (rpc 310 at +8 and an LZ4 magic at +24) is only a fallback,
// looked for when that structure breaks: an impossible header or block, an LZ4 error, a block that decodes to nothing
// (liblz4 never writes one: the next connection's zeros can read as one), plaintext that does not end on a record
// boundary, or the input ending inside a frame. The cut is then the last signature inside the broken frame.
// A frame's plaintext is held until the frame has ended whole, so no record made of the next connection's bytes
// comes out as part of a cut frame; blocks that end before the cut are genuine and go out.
import { CorruptError, TruncatedError, type ErrorPlace } from '../errors.js';
import { Lz4Error, Lz4FrameDecoder, Lz4TruncatedError, isLz4FrameStart } from '../lz4/index.js';
import { VERSION_INFO_ID, VERSION_INFO_RECORD } from './detect.js';

/** A connection start: raw version_info (24 bytes, rpc 310 = 36 01 at +8) then an LZ4 frame magic at +24. */
export const CONNECTION_SIGNATURE = VERSION_INFO_RECORD + 4;
const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18]; // 0x184D2204 little-endian (lz4_Frame_format.md)
/** Past this many bytes of one frame, stop holding its input and output (no agent frame is near it: ≤ 16 KiB). */
const HOLD_LIMIT = 8 << 20;

export interface IntakeTarget {
  /** A raw version_info record at file offset `offset`; `first` for the capture's first one. */
  versionInfo(bytes: Uint8Array, offset: number, first: boolean): void;
  /** Plaintext of frame `frame` (starting at file offset `frameOffset`); valid only during the call. */
  plaintext(bytes: Uint8Array, frame: number, frameOffset: number): void;
  /** Whether the plaintext so far, followed by `parts`, ends on a record boundary with known messages only. */
  endsOnRecord(parts: readonly Uint8Array[]): boolean;
  /** Forget a partial record (the connection was cut). */
  dropPartial(): void;
  where(): Pick<ErrorPlace, 'segment' | 'lastGood'>;
}

function hasSignature(d: Uint8Array, s: number): boolean {
  return d[s + 8] === 0x36 && d[s + 9] === 0x01 && d[s + 24] === 0x04 && d[s + 25] === 0x22 && d[s + 26] === 0x4d && d[s + 27] === 0x18;
}

/** The last s in [from, to) where d[s..s+28) is a connection start (all 28 bytes inside d), or -1. */
export function lastConnectionStart(d: Uint8Array, from: number, to: number): number {
  for (let s = Math.min(to - 1, d.length - CONNECTION_SIGNATURE); s >= from; s--) if (hasSignature(d, s)) return s;
  return -1;
}

/** A growable byte buffer (the current frame's input seen in earlier chunks). */
class Bytes {
  buf = new Uint8Array(0);
  len = 0;
  add(b: Uint8Array): void {
    if (this.len + b.length > this.buf.length) {
      const n = new Uint8Array(Math.max(this.len + b.length, this.buf.length * 2, 1024));
      n.set(this.buf.subarray(0, this.len));
      this.buf = n;
    }
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  view(): Uint8Array { return this.buf.subarray(0, this.len); }
}

/** A frame whose structure broke (err) or that ended off a record boundary (err null, go on at resumeAt). */
interface Broken { start: number; bytes: Bytes; errEnd: number; err: unknown; resumeAt: number; framesBefore: number }

export interface IntakeDemuxOptions {
  /** Without it a cut connection is a TruncatedError; with it the error is passed here and decoding goes on. */
  onCut?: (err: TruncatedError) => void;
}

export class IntakeDemux {
  /** LZ4 frames seen. */
  frames = 0;
  /** Connections found cut inside a frame (reported through onCut). */
  cuts = 0;
  private readonly target: IntakeTarget;
  private readonly onCut?: (err: TruncatedError) => void;
  private dec = new Lz4FrameDecoder({ output: 'view', wasmWindow: true });
  private decDelta = 0; // file offset − decoder offset, constant within a frame
  private headDone = false;
  private inFrame = false;
  private frameStart = 0;
  private keep = new Bytes(); // the current frame's bytes from earlier chunks
  private keeping = true;
  // The current frame's decoded blocks, held until it ends: plaintext, input end (file offset), copied yet.
  // Parallel arrays reused from frame to frame (a capture has ~65,000 frames per GB).
  private held: Uint8Array[] = [];
  private heldEnd: number[] = [];
  private heldOwn: boolean[] = [];
  private heldLen = 0;
  private heldEmpty = false; // a block that decoded to nothing: liblz4 never writes one, so it is read as a break
  private pending = false; // the last frame ended whole, but what follows it is not here yet
  private pendingEnd = 0;
  private carry: Uint8Array | null = null; // < 28 bytes at a boundary, waiting for more
  private carryAt = 0;
  private broken: Broken | null = null;
  private pos = 0; // file offset of the next byte pushed

  constructor(target: IntakeTarget, opts: IntakeDemuxOptions = {}) {
    this.target = target;
    this.onCut = opts.onCut;
  }

  /** Takes the next bytes. An empty chunk means the source is idle for now (`--follow` at EOF): a frame held until
   * its next bytes say it ended well is let go then, so records are not delayed (no later cut can take it back). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) {
      if (this.pending) { this.pending = false; this.release(Infinity); }
      return;
    }
    const base = this.pos;
    this.pos += chunk.length;
    this.run(chunk, base);
  }

  end(): void {
    for (let turn = 0; ; turn++) {
      if (turn > 1 << 20) throw new Error('intake demux: no progress at end of input: a bug, not bad input');
      if (this.broken) { const next = this.resolve(); this.run(next.data, next.base); continue; }
      if (this.inFrame) {
        try { this.dec.finish(); } catch (e) { this.breakFrame(new Uint8Array(0), this.pos, this.pos, e, this.pos); continue; }
      }
      break;
    }
    if (this.pending) { this.pending = false; this.release(Infinity); } // the input may end after a frame
    const h = this.carry;
    if (!h) return;
    const looksLikeMagic = LZ4_MAGIC.slice(0, h.length).every((b, i) => h[i] === b);
    const place = { ...this.target.where(), offset: this.carryAt };
    if (looksLikeMagic || !this.headDone || (h.length >= 10 && (h[8] | (h[9] << 8)) === VERSION_INFO_ID)) {
      throw new TruncatedError(`input ends ${h.length} byte(s) into ${looksLikeMagic ? 'an LZ4 frame header' : 'a raw version_info record'}`, place);
    }
    throw new CorruptError(`${h.length} trailing byte(s) after the last frame are neither an LZ4 frame nor a version_info record`, place);
  }

  private run(data: Uint8Array, base: number): void {
    if (this.carry) {
      const c = this.carry;
      this.carry = null;
      const d = new Uint8Array(c.length + data.length);
      d.set(c, 0);
      d.set(data, c.length);
      data = d;
      base = this.carryAt;
    }
    let p = 0;
    let lastP = -1;
    let still = 0;
    while (p < data.length || this.broken) {
      // Every turn takes bytes or changes state; many turns in place would be a bug: fail rather than spin.
      if (p === lastP) { if (++still > 8) throw new Error(`intake demux made no progress at byte ${base + p}: a bug, not bad input`); } else { lastP = p; still = 0; }
      if (this.broken) {
        const b = this.broken;
        if (p < data.length) { b.bytes.add(data.subarray(p)); p = data.length; }
        if (b.start + b.bytes.len < b.errEnd + CONNECTION_SIGNATURE - 1) return; // wait for the bytes a signature needs
        const next = this.resolve();
        data = next.data; base = next.base; p = 0; lastP = -1;
        continue;
      }
      if (this.inFrame) { p = this.inFrameStep(data, base, p); continue; }
      // At a boundary: an LZ4 frame, or a raw version_info record (start of the capture or of a new connection).
      const left = data.length - p;
      if (left < 4 || (left < 10 && !(this.headDone && isLz4FrameStart(data, p)))) { this.carry = data.slice(p); this.carryAt = base + p; return; }
      if (this.pending) {
        this.pending = false;
        if (this.follows(data, p) === 1) this.release(Infinity);
        else {
          // Garbage after the last frame: it ended on the next connection's bytes. Its bytes, then these, are searched.
          const bytes = this.keep;
          this.keep = new Bytes();
          bytes.add(data.subarray(p));
          this.broken = { start: this.frameStart, bytes, errEnd: this.pendingEnd + 4, err: null, resumeAt: this.pendingEnd, framesBefore: this.frames };
          p = data.length;
          continue;
        }
      }
      if (this.headDone && isLz4FrameStart(data, p)) {
        this.inFrame = true;
        this.frameStart = base + p;
        this.frames++;
        this.keep.len = 0;
        this.keeping = true;
        continue;
      }
      const id = data[p + 8] | (data[p + 9] << 8);
      if (id === VERSION_INFO_ID) {
        if (left < VERSION_INFO_RECORD) { this.carry = data.slice(p); this.carryAt = base + p; return; }
        this.target.versionInfo(data.subarray(p, p + VERSION_INFO_RECORD), base + p, !this.headDone);
        this.headDone = true;
        p += VERSION_INFO_RECORD;
        continue;
      }
      if (!this.headDone) throw new CorruptError(`an intake capture starts with a raw version_info record (rpc 310), found rpc id ${id}`, { ...this.target.where(), offset: base + p });
      // Neither: a connection cut inside the next frame's 4-byte magic, or garbage. Only a signature can tell.
      const why = `expected an LZ4 frame (04 22 4d 18) or a raw version_info record (rpc 310) after frame ${this.frames - 1}, found bytes ${Array.from(data.subarray(p, p + 10), (x) => x.toString(16).padStart(2, '0')).join(' ')}`;
      const err = new CorruptError(why, { ...this.target.where(), offset: base + p });
      const framesBefore = this.frames;
      this.frames++;
      this.frameStart = base + p;
      this.keep.len = 0;
      this.keeping = true;
      this.breakFrame(data, base, base + p + 4, err, base + p, framesBefore);
      p = data.length;
    }
  }

  /** Feeds the frame decoder from p; returns the new position. */
  private inFrameStep(data: Uint8Array, base: number, p: number): number {
    this.decDelta = base + p - this.dec.bytesConsumed;
    let r;
    try {
      r = this.dec.push(data, p);
    } catch (e) {
      if (!(e instanceof Lz4Error)) throw e;
      // How far the failing unit reached: a cut may lie anywhere inside the block (or field) that failed.
      this.breakFrame(data, base, Math.max(e.offset + 1, this.dec.unitEnd) + this.decDelta, e, this.frameStart);
      return data.length;
    }
    const out = r.output;
    for (let i = 0; i < out.length; i++) {
      this.held.push(out[i]);
      this.heldEnd.push(r.ends[i] + this.decDelta);
      this.heldOwn.push(false);
      this.heldLen += out[i].length;
      if (out[i].length === 0) this.heldEmpty = true;
    }
    p += r.consumed;
    if (r.frameEnded) {
      if (this.heldEmpty || !this.target.endsOnRecord(this.held)) { this.breakFrame(data, base, base + p, null, base + p); return data.length; }
      this.inFrame = false;
      // What follows must be a frame or a version_info too: a frame without checksums (the agent's) can end "well"
      // on the next connection's bytes (its zeros read as an end mark), and only the garbage after it tells.
      const f = this.follows(data, p);
      if (f === 1 || !this.keeping) { this.release(Infinity); return p; }
      if (f === 0) { this.inFrame = true; this.breakFrame(data, base, base + p + 4, null, base + p); return data.length; }
      // Not enough bytes to tell: hold the frame (its plaintext and bytes) until the next chunk says.
      for (let i = 0; i < this.held.length; i++) if (!this.heldOwn[i]) { this.held[i] = this.held[i].slice(); this.heldOwn[i] = true; }
      this.keep.add(data.subarray(Math.max(0, this.frameStart - base), p));
      this.pendingEnd = base + p;
      this.pending = true;
      return p;
    }
    // The decoder stopped before the end of the frame: what it handed out are views into its window, which the next
    // push may overwrite: copy them. At the end of the chunk, keep the frame's bytes in case its structure breaks.
    for (let i = 0; i < this.held.length; i++) if (!this.heldOwn[i]) { this.held[i] = this.held[i].slice(); this.heldOwn[i] = true; }
    if (p >= data.length && this.keeping) {
      this.keep.add(data.subarray(Math.max(0, this.frameStart - base)));
      if (this.keep.len > HOLD_LIMIT) { this.keeping = false; this.release(Infinity); } // a giant frame: no cut recovery inside it
    }
    if (this.heldLen > HOLD_LIMIT) { this.keeping = false; this.release(Infinity); }
    return p;
  }

  /** After a frame at data[p]: 1 an LZ4 frame or a raw version_info, 0 neither, -1 too few bytes to tell. */
  private follows(data: Uint8Array, p: number): number {
    const left = data.length - p;
    if (left >= 4 && isLz4FrameStart(data, p)) return 1;
    if (left < 10) return -1;
    return (data[p + 8] | (data[p + 9] << 8)) === VERSION_INFO_ID ? 1 : 0;
  }

  /** Hands out held plaintext of blocks that end at or before `upTo` (file offset), drops the rest. */
  private release(upTo: number): void {
    const frame = this.frames - 1;
    const held = this.held;
    for (let i = 0; i < held.length; i++) if (this.heldEnd[i] <= upTo) this.target.plaintext(held[i], frame, this.frameStart);
    held.length = 0;
    this.heldEmpty = false;
    this.heldEnd.length = 0;
    this.heldOwn.length = 0;
    this.heldLen = 0;
  }

  /** The current frame broke (or ended off a record boundary): collect its bytes, then resolve. */
  private breakFrame(data: Uint8Array, base: number, errEnd: number, err: unknown, resumeAt: number, framesBefore = this.frames): void {
    const bytes = this.keeping ? this.keep : new Bytes();
    const from = Math.max(0, this.frameStart - base);
    if (from < data.length) bytes.add(data.subarray(from));
    this.keep = new Bytes();
    this.broken = { start: this.keeping ? this.frameStart : Math.max(this.frameStart, base), bytes, errEnd, err, resumeAt, framesBefore };
  }

  /** Decides a broken frame: a cut at its last signature, its own error, or (ended off a record boundary) go on. */
  private resolve(): { data: Uint8Array; base: number } {
    const b = this.broken!;
    this.broken = null;
    const d = b.bytes.view();
    const s = lastConnectionStart(d, Math.max(1, this.frameStart + 1 - b.start), b.errEnd - b.start);
    this.inFrame = false;
    if (s > 0) {
      const at = b.start + s;
      this.release(at);
      this.dec = new Lz4FrameDecoder({ output: 'view', wasmWindow: true });
      const where = this.target.where();
      const err = new TruncatedError(
        `connection cut inside LZ4 frame ${this.frames - 1} (started at byte ${this.frameStart}, ${at - this.frameStart} bytes present); a new connection's raw version_info follows at byte ${at}`,
        { offset: at, frame: this.frames - 1, segment: where.segment, lastGood: where.lastGood },
      );
      if (!this.onCut) throw err;
      this.cuts++;
      this.onCut(err);
      this.target.dropPartial();
      return { data: d.subarray(s), base: at };
    }
    if (b.err) {
      this.frames = b.framesBefore;
      this.release(Infinity); // every block before the fault decoded whole: its records are good
      throw this.located(b.err);
    }
    this.release(Infinity); // no connection start inside: records simply go on in the next frame
    return { data: d.subarray(b.resumeAt - b.start), base: b.resumeAt };
  }

  private located(e: unknown): unknown {
    if (!(e instanceof Lz4Error)) return e;
    const where = this.target.where();
    const place: ErrorPlace = { offset: e.offset + this.decDelta, frame: this.frames - 1, segment: where.segment, lastGood: where.lastGood };
    return e instanceof Lz4TruncatedError ? new TruncatedError(e.reason, place, { cause: e }) : new CorruptError(`LZ4 frame: ${e.reason}`, place, { cause: e });
  }
}
