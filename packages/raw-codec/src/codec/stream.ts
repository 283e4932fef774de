import { CorruptError, RawCodecError, TruncatedError, type ErrorPlace } from '../errors.js';
import { Lz4Error, Lz4FrameDecoder, Lz4TruncatedError, isLz4FrameStart } from '../lz4/index.js';
import { builtinSchema } from '../schema/builtin.js';
import { detectKind, eraFromSecondRecord, guessBpfSchema, VERSION_INFO_ID, VERSION_INFO_RECORD } from './detect.js';
import type { Schema } from '../schema/types.js';
import { compileApp, type CompiledApp } from './compile.js';
/** How much of a BPF dump the schema guess looks at before committing (bytes). */
const BPF_GUESS_WINDOW = 1 << 20;
/** A new connection in an intake capture: raw version_info (rpc 310 = 36 01 at +8) then an LZ4 frame magic at +24 (wire-format.md (d)). */
const CONNECTION_SIGNATURE = VERSION_INFO_RECORD + 4;

const LZ4_MAGIC_BYTES = [0x04, 0x22, 0x4d, 0x18]; // 0x184D2204 little-endian (lz4_Frame_format.md)

/** First s ≥ from where data[s..s+28) is a connection start, or -1. */
function findConnectionStart(d: Uint8Array, from: number): number {
  let q = d.indexOf(0x18, from + CONNECTION_SIGNATURE - 1);
  while (q >= 0) {
    const s = q - (CONNECTION_SIGNATURE - 1);
    if (d[q - 1] === 0x4d && d[q - 2] === 0x22 && d[q - 3] === 0x04 && d[s + 8] === 0x36 && d[s + 9] === 0x01) return s;
    q = d.indexOf(0x18, q + 1);
  }
  return -1;
}
import { RecordSplitter, type RecordSink } from './splitter.js';

import type { Confidence, InputKind } from './detect.js';
export type { Confidence, InputKind } from './detect.js';

/** What the decoder settled on, reported once both are known (never a silent guess: the CLI prints it on stderr). */
export interface DecodeInfo {
  kind: InputKind;
  schema: string;
  /** 'given' = chosen by the caller; 'high' = the input says so; 'low' = a guess. */
  schemaConfidence: Confidence;
  kindConfidence: Confidence;
  reason: string;
}

export interface StreamDecoderOptions {
  kind?: InputKind | 'auto';
  /** A schema, a built-in schema's name, or 'auto' to choose between the built-in flowmill and ebpf_net schemas. */
  schema?: Schema | 'auto' | 'flowmill' | 'ebpf_net';
  onInfo?: (info: DecodeInfo) => void;
  /**
   * An intake connection cut inside an LZ4 frame (the sink closed it: tls-sink --close-after, a reset) with the next
   * connection's raw version_info right after. Without this option that is a TruncatedError; with it, the error is
   * passed here and decoding goes on with the next connection (the cut frame's records are lost: say so).
   */
  onCut?: (err: TruncatedError) => void;
}

/** Intake auto-detection needs the 24-byte raw version_info and the next 4 bytes (an LZ4 magic or a record). */
const KIND_PEEK = VERSION_INFO_RECORD + 4;

function placeOf(e: ErrorPlace): ErrorPlace {
  return { offset: e.offset, frame: e.frame, segment: e.segment, plainOffset: e.plainOffset };
}

const appFor = (kind: InputKind): string => (kind === 'bpf' ? 'agent_internal' : 'ingest');


/** Always a fresh copy: callers may reuse the buffers they push. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a, 0);
  c.set(b, a.length);
  return c;
}

/**
 * Push-based decoder of one recording: `push(chunk)` as bytes arrive, `end()` at EOF. Records go to the sink as
 * they complete. Handles the three inputs (intake wire capture, record file, BPF dump), kind and era detection,
 * intake segments (a raw version_info where the next LZ4 frame would start) and precise errors.
 */
export class StreamDecoder {
  kind: InputKind | null;
  schema: Schema | null;
  info: DecodeInfo | null = null;
  /** LZ4 frames seen (intake). */
  frames = 0;
  /** Input bytes taken so far. */
  bytes = 0;
  private kindConf: Confidence;
  private schemaConf: Confidence;
  private reasons: string[] = [];
  private readonly sink: RecordSink;
  private readonly onInfo?: (i: DecodeInfo) => void;
  private readonly onCut?: (e: TruncatedError) => void;
  /** Connections found cut inside a frame (reported through onCut). */
  cuts = 0;
  private splitter: RecordSplitter | null = null;
  private failed: unknown = null;
  // Bytes held back until kind/schema can be decided, or a short tail at an intake frame boundary.
  private held: Uint8Array = new Uint8Array(0);
  // Intake demux.
  private dec: Lz4FrameDecoder | null = null;
  private inFrame = false;
  private headDone = false;
  private frameStart = 0;
  private decDelta = 0; // file offset − decoder offset
  // Plaintext waiting for the schema decision (intake/record, schema auto).
  private plainHeld: { bytes: Uint8Array; frame: number }[] = [];
  private plainHeldLen = 0;

  constructor(sink: RecordSink, opts: StreamDecoderOptions = {}) {
    this.sink = sink;
    this.onInfo = opts.onInfo;
    this.onCut = opts.onCut;
    this.kind = opts.kind && opts.kind !== 'auto' ? opts.kind : null;
    this.kindConf = this.kind ? 'given' : 'low';
    const sc = opts.schema;
    this.schema = sc === 'flowmill' || sc === 'ebpf_net' ? builtinSchema(sc) : sc && sc !== 'auto' ? sc : null;
    this.schemaConf = this.schema ? 'given' : 'low';
  }

  /** Which segment the decoder is in (0 before any). */
  get segment(): number { return this.splitter?.segment ?? 0; }
  get records(): number { return this.splitter?.records ?? 0; }
  /** Segments seen so far (connections). */
  get segments(): number { return this.splitter && this.splitter.records > 0 ? this.splitter.segment + 1 : 0; }

  /**
   * Takes the next bytes. An empty chunk means "the source is idle for now" (`--follow` at the end of the file): bytes
   * held back to look for a cut connection across chunk boundaries are decoded at once, so records are not delayed.
   */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    if (chunk.length === 0 && this.kind === 'intake' && this.inFrame && this.held.length > 0) {
      try { this.takeIntake(chunk, true); } catch (e) { throw (this.failed = this.salvage(e)); }
      return;
    }
    try {
      this.bytes += chunk.length;
      this.take(chunk, false);
    } catch (e) {
      throw (this.failed = this.salvage(e));
    }
  }

  /** End of input: flushes held bytes, throws TruncatedError when the input stops inside a record or frame. */
  end(): void {
    if (this.failed) throw this.failed;
    try {
      this.take(new Uint8Array(0), true);
      if (this.kind === 'intake') {
        if (this.inFrame) {
          try { this.dec!.finish(); } catch (e) { throw this.lz4Error(e); }
        }
        if (this.held.length > 0) {
          const h = this.held;
          const looksLikeMagic = [0x04, 0x22, 0x4d, 0x18].slice(0, h.length).every((b, i) => h[i] === b);
          const place = this.place(this.bytes - h.length);
          if (looksLikeMagic || !this.headDone || (h.length >= 10 && (h[8] | (h[9] << 8)) === VERSION_INFO_ID)) {
            throw new TruncatedError(`input ends ${h.length} byte(s) into ${looksLikeMagic ? 'an LZ4 frame header' : 'a raw version_info record'}`, place);
          }
          throw new CorruptError(`${h.length} trailing byte(s) after the last frame are neither an LZ4 frame nor a version_info record`, place);
        }
      }
      this.decidePlain(true);
      this.splitter?.checkEnd();
    } catch (e) {
      throw (this.failed = this.salvage(e));
    }
  }

  /**
   * On a fault, records still held for the era decision are decoded and handed out first (every complete record
   * before the fault is output), and the error learns the last good record.
   */
  private salvage(e: unknown): unknown {
    if (this.plainHeldLen > 0 && !this.schema && this.splitter) {
      try { this.decidePlain(true); } catch { /* the original error is the one to report */ }
    }
    const lastGood = this.splitter?.lastGood();
    if (!lastGood) return e;
    if (e instanceof TruncatedError && !e.lastGood) return new TruncatedError(e.what, { ...placeOf(e), lastGood }, { cause: e.cause });
    if (e instanceof CorruptError && !e.lastGood) return new CorruptError(e.why, { ...placeOf(e), lastGood }, { cause: e.cause });
    return e;
  }

  private place(offset: number): ErrorPlace {
    const p: ErrorPlace = { offset, lastGood: this.splitter?.lastGood() };
    if (this.splitter) p.segment = this.splitter.segment;
    return p;
  }

  private announce(): void {
    if (this.info || !this.kind || !this.schema) return;
    this.info = { kind: this.kind, schema: this.schema.name, kindConfidence: this.kindConf, schemaConfidence: this.schemaConf, reason: this.reasons.join('; ') };
    this.onInfo?.(this.info);
  }

  private compiled(): CompiledApp {
    const app = this.schema!.apps[appFor(this.kind!)];
    if (!app) throw new CorruptError(`schema ${this.schema!.name} has no app ${appFor(this.kind!)}`, {});
    return compileApp(app);
  }

  private take(chunk: Uint8Array, eof: boolean): void {
    if (!this.kind) {
      this.held = concat(this.held, chunk);
      if (this.held.length < KIND_PEEK && !eof) return;
      if (this.held.length === 0) return; // empty input: nothing to say
      this.detectKind(this.held);
      chunk = this.held;
      this.held = new Uint8Array(0);
    }
    if (this.kind === 'bpf') return this.takeBpf(chunk, eof);
    if (!this.splitter) {
      this.splitter = new RecordSplitter(this.schema ? this.compiled() : null, this.sink, { segmentOnVersionInfo: this.kind === 'record', fileOffsets: this.kind === 'record' });
      if (this.schema) this.announce();
    }
    if (this.kind === 'record') this.plain(chunk, -1);
    else this.takeIntake(chunk, eof);
  }

  private detectKind(b: Uint8Array): void {
    const k = detectKind(b);
    this.kind = k.kind;
    this.kindConf = k.confidence;
    this.reasons.push(k.reason);
  }

  // ---- intake: raw version_info, then LZ4 frames; a raw version_info again starts a new segment.
  private takeIntake(chunk: Uint8Array, release: boolean): void {
    const data = this.held.length > 0 ? concat(this.held, chunk) : chunk;
    this.held = new Uint8Array(0);
    const fileOff = this.bytes - data.length; // file offset of data[0]
    let p = 0;
    const sp = this.splitter!;
    let lastP = -1;
    let still = 0;
    const UNKNOWN = -2;
    let nextStart = UNKNOWN; // first connection start at or after p in data, -1 if none
    while (p < data.length) {
      // Every turn takes bytes or changes state; a few turns in place would be a bug: fail rather than spin.
      if (p === lastP) { if (++still > 8) throw new Error(`intake demux made no progress at byte ${fileOff + p}: a bug, not bad input`); } else { lastP = p; still = 0; }
      if (this.inFrame) {
        // A frame's bytes never hold a new connection's start; where they do, the connection was cut in this frame.
        // So the decoder gets bytes only up to such a start, and (unless released) not the last 27 bytes of a
        // chunk, which could be the beginning of one that the next chunk completes.
        // (The scan result holds for the rest of this buffer, so each byte is scanned about once.)
        if (nextStart === UNKNOWN || (nextStart >= 0 && nextStart < p)) nextStart = findConnectionStart(data, p);
        // The frame's own first bytes may happen to look like a connection start too: only a start inside counts.
        if (nextStart === p && fileOff + p === this.frameStart) nextStart = findConnectionStart(data, p + 1);
        const cut = nextStart;
        const limit = cut >= 0 ? cut : release ? data.length : Math.max(p, data.length - (CONNECTION_SIGNATURE - 1));
        if (limit === p && cut !== p) { this.held = data.slice(p); return; }
        if (limit > p) {
          const before = this.dec!.bytesConsumed;
          this.decDelta = fileOff + p - before;
          let r;
          try { r = this.dec!.push(limit === data.length ? data : data.subarray(0, limit), p); } catch (e) { throw this.lz4Error(e); }
          for (const out of r.output) this.plain(out, this.frames - 1);
          if (r.consumed === 0 && !r.frameEnded) throw new Error(`lz4 decoder took no input at byte ${fileOff + p}: a bug, not bad input`); // never spin
          p += r.consumed;
          if (r.frameEnded) { this.inFrame = false; continue; }
        }
        if (p === cut) { this.cutHere(fileOff + cut); continue; }
        if (p < data.length) { this.held = data.slice(p); return; }
        continue;
      }
      // At a boundary: an LZ4 frame, or a raw version_info record (start of the capture or of a new connection).
      const left = data.length - p;
      if (left < 4) { this.held = data.slice(p); return; }
      if (this.headDone && isLz4FrameStart(data, p)) {
        this.inFrame = true;
        this.frameStart = fileOff + p;
        this.frames++;
        sp.place = { offset: this.frameStart, frame: this.frames - 1 };
        if (!this.dec) this.dec = new Lz4FrameDecoder({ output: 'view' });
        continue;
      }
      if (this.headDone && data[p] === LZ4_MAGIC_BYTES[0]) {
        // Cut inside the 4-byte magic: 1-3 bytes of it, then the next connection (seen once its 28 bytes are here).
        const next = findConnectionStart(data, p);
        if (next > p && next - p < 4 && data.subarray(p, next).every((b, i) => b === LZ4_MAGIC_BYTES[i])) {
          this.frames++;
          this.frameStart = fileOff + p;
          this.cutHere(fileOff + next);
          p = next;
          continue;
        }
        if (next < 0 && left < 3 + CONNECTION_SIGNATURE && !release) { this.held = data.slice(p); return; }
      }
      if (left < 10) { this.held = data.slice(p); return; }
      const id = data[p + 8] | (data[p + 9] << 8);
      if (id !== VERSION_INFO_ID) {
        const why = this.headDone
          ? `expected an LZ4 frame (04 22 4d 18) or a raw version_info record (rpc 310) after frame ${this.frames - 1}, found bytes ${Array.from(data.subarray(p, p + 10), (x) => x.toString(16).padStart(2, '0')).join(' ')}`
          : `an intake capture starts with a raw version_info record (rpc 310), found rpc id ${id}`;
        throw new CorruptError(why, this.place(fileOff + p));
      }
      if (left < VERSION_INFO_RECORD) { this.held = data.slice(p); return; }
      if (this.headDone) this.decidePlain(true), sp.newSegment();
      this.headDone = true;
      sp.place = { offset: fileOff + p };
      this.plain(data.subarray(p, p + VERSION_INFO_RECORD), -1);
      p += VERSION_INFO_RECORD;
    }
  }

  /** The current frame stops at `offset` where a new connection starts: report it, then go on or fail. */
  private cutHere(offset: number): void {
    const sp = this.splitter!;
    const err = new TruncatedError(
      `connection cut inside LZ4 frame ${this.frames - 1} (started at byte ${this.frameStart}, ${offset - this.frameStart} bytes present); a new connection's raw version_info follows at byte ${offset}`,
      { offset, frame: this.frames - 1, segment: sp.segment, lastGood: sp.lastGood() },
    );
    if (!this.onCut) throw err;
    this.cuts++;
    this.onCut(err);
    this.inFrame = false;
    this.dec = new Lz4FrameDecoder({ output: 'view' });
    sp.dropPartial();
  }

  private lz4Error(e: unknown): unknown {
    if (!(e instanceof Lz4Error)) return e;
    const place: ErrorPlace = { offset: e.offset + this.decDelta, frame: this.frames - 1, segment: this.splitter?.segment, lastGood: this.splitter?.lastGood() };
    return e instanceof Lz4TruncatedError ? new TruncatedError(e.reason, place, { cause: e }) : new CorruptError(`LZ4 frame: ${e.reason}`, place, { cause: e });
  }

  // ---- plaintext records (record file, or intake plaintext), with the era guess when schema is 'auto'.
  private plain(bytes: Uint8Array, frame: number): void {
    if (this.schema) { this.splitter!.push(bytes, frame); return; }
    this.plainHeld.push({ bytes: bytes.slice(), frame });
    this.plainHeldLen += bytes.length;
    this.decidePlain(false);
  }

  private decidePlain(eof: boolean): void {
    if (this.schema || this.kind === 'bpf' || !this.splitter) return;
    if (this.plainHeldLen < VERSION_INFO_RECORD + 10 && !eof) return;
    const all = new Uint8Array(this.plainHeldLen);
    let at = 0;
    for (const h of this.plainHeld) { all.set(h.bytes, at); at += h.bytes.length; }
    const era = eraFromSecondRecord(all);
    this.schema = era.schema;
    this.schemaConf = era.confidence;
    this.reasons.push(era.reason);
    this.splitter.app = this.compiled();
    this.announce();
    const held = this.plainHeld;
    this.plainHeld = [];
    this.plainHeldLen = 0;
    for (const h of held) this.splitter.push(h.bytes, h.frame);
  }

  // ---- BPF dump: records of app agent_internal, no framing (agent-protocol.md §3.3).
  private takeBpf(chunk: Uint8Array, eof: boolean): void {
    if (!this.schema) {
      this.held = concat(this.held, chunk);
      if (this.held.length < BPF_GUESS_WINDOW && !eof) return;
      this.guessBpf(this.held);
      chunk = this.held;
      this.held = new Uint8Array(0);
    }
    if (!this.splitter) {
      this.splitter = new RecordSplitter(this.compiled(), this.sink, { segmentOnVersionInfo: false, fileOffsets: true });
      this.announce();
    }
    this.splitter.push(chunk, -1);
  }

  private guessBpf(b: Uint8Array): void {
    const g = guessBpfSchema(b);
    this.schema = g.schema;
    this.schemaConf = g.confidence;
    this.reasons.push(g.reason);
  }
};
