import { CorruptError, RawCodecError, TruncatedError, type ErrorPlace } from '../errors.js';
import { Lz4Error, Lz4FrameDecoder, Lz4TruncatedError, isLz4FrameStart } from '../lz4/index.js';
import { builtinSchema } from '../schema/builtin.js';
import type { Schema } from '../schema/types.js';
import { compileApp, type CompiledApp } from './compile.js';
import { RecordSplitter, type RecordSink } from './splitter.js';

export type InputKind = 'intake' | 'record' | 'bpf';
export type Confidence = 'given' | 'high' | 'low';

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
}

/** version_info: rpc 310, 16-byte wire struct, so the raw record is 24 bytes (wire-format.md (b) example 1, (d)). */
const VERSION_INFO_ID = 310;
const VERSION_INFO_RECORD = 24;
/** Second record of a connection: authz_authenticate (404) in the Flowmill era, connect (548) in OTel (eras.md §2.3). */
const FLOWMILL_SECOND = 404;
const OTEL_SECOND = 548;
/** How much of a BPF dump the schema guess looks at before committing (bytes). */
const BPF_GUESS_WINDOW = 1 << 20;
/** Intake auto-detection needs the 24-byte raw version_info and the next 4 bytes (an LZ4 magic or a record). */
const KIND_PEEK = VERSION_INFO_RECORD + 4;

function placeOf(e: ErrorPlace): ErrorPlace {
  return { offset: e.offset, frame: e.frame, segment: e.segment, plainOffset: e.plainOffset };
}

const appFor = (kind: InputKind): string => (kind === 'bpf' ? 'agent_internal' : 'ingest');

function isAgentInternalId(id: number): boolean {
  // agent_internal namespace in both eras: 331-340,361-380 (flowmill.render:12, ebpf_net.render:17).
  return (id >= 331 && id <= 340) || (id >= 361 && id <= 380);
}

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
    this.kind = opts.kind && opts.kind !== 'auto' ? opts.kind : null;
    this.kindConf = this.kind ? 'given' : 'low';
    const sc = opts.schema;
    this.schema = sc === 'flowmill' || sc === 'ebpf_net' ? builtinSchema(sc) : sc && sc !== 'auto' ? sc : null;
    this.schemaConf = this.schema ? 'given' : 'low';
  }

  /** Which segment the decoder is in (0 before any). */
  get segment(): number { return this.splitter?.segment ?? 0; }
  get records(): number { return this.splitter?.records ?? 0; }

  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
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
    else this.takeIntake(chunk);
  }

  private detectKind(b: Uint8Array): void {
    const id = b.length >= 10 ? b[8] | (b[9] << 8) : -1;
    if (id === VERSION_INFO_ID) {
      if (b.length >= KIND_PEEK && isLz4FrameStart(b, VERSION_INFO_RECORD)) { this.kind = 'intake'; this.kindConf = 'high'; this.reasons.push('raw version_info then an LZ4 frame: intake capture'); }
      else { this.kind = 'record'; this.kindConf = b.length >= KIND_PEEK ? 'high' : 'low'; this.reasons.push('version_info then plain records: record file'); }
    } else if (isAgentInternalId(id)) {
      this.kind = 'bpf'; this.kindConf = 'high'; this.reasons.push(`first record is agent_internal rpc ${id}: BPF dump`);
    } else {
      throw new CorruptError(id < 0 ? `only ${b.length} byte(s): too short for any record` : `cannot tell the input kind: the first record's rpc id ${id} is neither version_info (310, intake capture or record file) nor agent_internal (331-340, 361-380, BPF dump); pass --kind and --schema`, { offset: 0 });
    }
  }

  // ---- intake: raw version_info, then LZ4 frames; a raw version_info again starts a new segment.
  private takeIntake(chunk: Uint8Array): void {
    const data = this.held.length > 0 ? concat(this.held, chunk) : chunk;
    this.held = new Uint8Array(0);
    let fileOff = this.bytes - data.length; // file offset of data[0]
    let p = 0;
    const sp = this.splitter!;
    while (p < data.length) {
      if (this.inFrame) {
        const before = this.dec!.bytesConsumed;
        this.decDelta = fileOff + p - before;
        let r;
        try { r = this.dec!.push(data, p); } catch (e) { throw this.lz4Error(e); }
        for (const out of r.output) this.plain(out, this.frames - 1);
        p += r.consumed;
        if (r.frameEnded) this.inFrame = false;
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
        if (!this.dec) this.dec = new Lz4FrameDecoder();
        continue;
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
    const second = all.length >= VERSION_INFO_RECORD + 10 ? all[VERSION_INFO_RECORD + 8] | (all[VERSION_INFO_RECORD + 9] << 8) : -1;
    const fm = builtinSchema('flowmill');
    const ot = builtinSchema('ebpf_net');
    if (second === FLOWMILL_SECOND) { this.schema = fm; this.schemaConf = 'high'; this.reasons.push('second record is authz_authenticate (404): Flowmill era'); }
    else if (second === OTEL_SECOND) { this.schema = ot; this.schemaConf = 'high'; this.reasons.push('second record is connect (548): OpenTelemetry era'); }
    else {
      const inF = second >= 0 && fm.apps.ingest.byId.has(second);
      const inO = second >= 0 && ot.apps.ingest.byId.has(second);
      this.schema = inF && !inO ? fm : ot;
      this.schemaConf = 'low';
      this.reasons.push(second < 0 ? 'no second record to tell the era: guessed ebpf_net' : `second record rpc ${second} is neither authz_authenticate (404) nor connect (548): guessed ${this.schema.name}`);
    }
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

  /** Splits the start of a dump with both schemas; the one that gets further without an error wins. */
  private guessBpf(b: Uint8Array): void {
    const score = (s: Schema): number => {
      const t = compileApp(s.apps.agent_internal).byId;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      let o = 0;
      while (b.length - o >= 10) {
        const m = t[dv.getUint16(o + 8, true)];
        if (!m) return o;
        const size = m.dynamic ? (b.length - o >= 12 ? 8 + dv.getUint16(o + 10, true) : Infinity) : 8 + m.wireSize;
        if (m.dynamic && size - 8 < m.wireSize) return o;
        if (o + size > b.length) break;
        o += size;
      }
      return o;
    };
    const fm = builtinSchema('flowmill');
    const ot = builtinSchema('ebpf_net');
    const sf = score(fm);
    const so = score(ot);
    const full = (n: number): boolean => b.length - n < 10;
    if (so !== sf) {
      this.schema = so > sf ? ot : fm;
      this.schemaConf = full(Math.max(so, sf)) ? 'high' : 'low';
      this.reasons.push(`BPF dump splits cleanly for ${Math.max(so, sf)} of ${b.length} bytes with ${this.schema.name}, ${Math.min(so, sf)} with the other schema`);
    } else {
      this.schema = ot;
      this.schemaConf = 'low';
      this.reasons.push(`both schemas split the first ${so} bytes of the BPF dump alike: guessed ebpf_net (pass --schema)`);
    }
  }
}

export { RawCodecError };
