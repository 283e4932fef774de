// Auto-detection in front of the plain decoder: the input's kind from its first 28 bytes, the era from the second
// record (intake captures and record files) or from which schema splits a BPF dump. Bytes are held only until both
// are known, then everything goes to a PlainDecoder.
import type { TruncatedError } from '../errors.js';
import { Lz4FrameDecoder, isLz4FrameStart } from '../lz4/index.js';
import { builtinSchema } from '../schema/builtin.js';
import type { Schema } from '../schema/types.js';
import { detectKind, eraFromSecondRecord, guessBpfSchema, VERSION_INFO_ID, VERSION_INFO_RECORD } from './detect.js';
import type { Confidence, InputKind } from './detect.js';
import { CONNECTION_SIGNATURE, lastConnectionStart } from './intake-demux.js';
import { PlainDecoder } from './plain-decoder.js';
import type { RecordSink } from './splitter.js';
export type { Confidence, InputKind } from './detect.js';

/** How much of a BPF dump the schema guess looks at before committing (bytes). */
const BPF_GUESS_WINDOW = 1 << 20;
/** Kind detection needs the 24-byte version_info and what follows: an LZ4 magic, a record, or another version_info (its rpc id at +8..+10). */
const KIND_PEEK = VERSION_INFO_RECORD + 10;
/** Connections cut before their first frame leave raw version_infos back to back: look past this many bytes of them at most. */
const EMPTY_CONNECTIONS_PEEK = 1 << 16;

const rpcAt = (b: Uint8Array, p: number): number => b[p + 8] | (b[p + 9] << 8);
const MAGIC_PREFIX = [0x04, 0x22, 0x4d]; // of 0x184D2204 little-endian
/** The era is told by the second record's rpc id: version_info, then 10 bytes of the next record. */
const ERA_PEEK = VERSION_INFO_RECORD + 10;

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

/**
 * Push-based decoder of one recording: `push(chunk)` as bytes arrive, `end()` at EOF. Records go to the sink as they
 * complete. Detects the kind and era when not given (and says how sure it is), then decodes with a PlainDecoder.
 */
export class StreamDecoder {
  kind: InputKind | null;
  schema: Schema | null;
  info: DecodeInfo | null = null;
  /** Input bytes taken so far. */
  bytes = 0;
  private kindConf: Confidence;
  private schemaConf: Confidence;
  private reasons: string[] = [];
  private readonly sink: RecordSink;
  private readonly opts: StreamDecoderOptions;
  private dec: PlainDecoder | null = null;
  private held: Uint8Array[] = [];
  private heldLen = 0;
  // Intake with schema auto: the first frame's plaintext, decoded on the side to read the second record's id.
  private peek: Lz4FrameDecoder | null = null;
  private peekBase = 0; // the raw version_info whose connection the peek reads
  private peekAt = 0; // where the peek decoder goes on in the held bytes
  private peekOut: Uint8Array[] = [];
  private peekLen = 0;

  constructor(sink: RecordSink, opts: StreamDecoderOptions = {}) {
    this.sink = sink;
    this.opts = opts;
    this.kind = opts.kind && opts.kind !== 'auto' ? opts.kind : null;
    this.kindConf = this.kind ? 'given' : 'low';
    const sc = opts.schema;
    this.schema = sc === 'flowmill' || sc === 'ebpf_net' ? builtinSchema(sc) : sc && sc !== 'auto' ? sc : null;
    this.schemaConf = this.schema ? 'given' : 'low';
  }

  /** LZ4 frames seen (intake). */
  get frames(): number { return this.dec?.frames ?? 0; }
  /** Connections found cut inside a frame (reported through onCut). */
  get cuts(): number { return this.dec?.cuts ?? 0; }
  /** Which segment the decoder is in (0 before any). */
  get segment(): number { return this.dec?.splitter.segment ?? 0; }
  get records(): number { return this.dec?.splitter.records ?? 0; }
  /** Segments seen so far (connections). */
  get segments(): number { const sp = this.dec?.splitter; return sp && sp.records > 0 ? sp.segment + 1 : 0; }

  /**
   * Takes the next bytes (the caller may reuse the chunk afterwards). An empty chunk means "idle for now" (`--follow`
   * at EOF): an intake frame held until the bytes after it confirm it is let go at once.
   */
  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.dec) { this.dec.push(chunk); return; }
    if (chunk.length === 0) return;
    this.held.push(chunk.slice());
    this.heldLen += chunk.length;
    this.decide(false);
  }

  /** End of input: throws TruncatedError when the input stops inside a record or frame. */
  end(): void {
    if (!this.dec) {
      if (this.heldLen === 0) return; // empty input: nothing to say
      this.decide(true);
    }
    this.dec!.end();
  }

  private all(): Uint8Array {
    if (this.held.length === 1) return this.held[0];
    const all = new Uint8Array(this.heldLen);
    let at = 0;
    for (const h of this.held) { all.set(h, at); at += h.length; }
    this.held = [all];
    return all;
  }

  /** Settles kind and schema when the held bytes tell (or at EOF), then starts decoding. */
  private decide(eof: boolean): void {
    if (!this.kind) {
      if (this.heldLen < KIND_PEEK && !eof) return;
      const all = this.all();
      // version_info after version_info: a connection (or a record file's segment) with nothing in it. The kind is
      // told by what follows the last one; the era by its connection (guessEra starts there).
      let p = 0;
      while (p + VERSION_INFO_RECORD + 10 <= all.length && p < EMPTY_CONNECTIONS_PEEK && rpcAt(all, p) === VERSION_INFO_ID && rpcAt(all, p + VERSION_INFO_RECORD) === VERSION_INFO_ID) p += VERSION_INFO_RECORD;
      if (p > 0 && all.length < p + KIND_PEEK && !eof) return;
      // 1-3 bytes of an LZ4 magic after it, then a new connection: the first connection was cut inside its first
      // frame's magic. An intake capture too; its era is the next connection's.
      const q = p + VERSION_INFO_RECORD;
      if (rpcAt(all, p) === VERSION_INFO_ID && all[q] === 0x04 && !isLz4FrameStart(all, q)) {
        if (all.length < q + 3 + CONNECTION_SIGNATURE && !eof) return;
        const next = lastConnectionStart(all, q + 1, q + 4);
        if (next > q && MAGIC_PREFIX.slice(0, next - q).every((x, i) => all[q + i] === x)) p = next;
      }
      this.peekBase = p;
      const k = detectKind(p > 0 ? all.subarray(p) : all);
      this.kind = k.kind;
      this.kindConf = k.confidence;
      this.reasons.push(k.reason);
    }
    if (!this.schema) {
      const g = this.kind === 'bpf' ? this.guessBpf(eof) : this.guessEra(eof);
      if (!g) return;
      this.schema = g.schema;
      this.schemaConf = g.confidence;
      this.reasons.push(g.reason);
    }
    const held = this.held;
    this.held = [];
    this.heldLen = 0;
    this.peek = null;
    this.peekOut = [];
    this.dec = new PlainDecoder(this.kind, this.schema, this.sink, { onCut: this.opts.onCut });
    this.info = { kind: this.kind, schema: this.schema.name, kindConfidence: this.kindConf, schemaConfidence: this.schemaConf, reason: this.reasons.join('; ') };
    this.opts.onInfo?.(this.info);
    for (const h of held) this.dec.push(h);
  }

  private guessBpf(eof: boolean): ReturnType<typeof guessBpfSchema> | null {
    if (this.heldLen < BPF_GUESS_WINDOW && !eof) return null;
    return guessBpfSchema(this.all());
  }

  /**
   * The era from the second record: plain in a record file, inside the first LZ4 frame of an intake capture. When
   * that frame breaks before its first record (a connection cut at once), the next connection's start tells.
   */
  private guessEra(eof: boolean): ReturnType<typeof eraFromSecondRecord> | null {
    const all = this.all();
    const from = this.peekBase;
    if (this.kind === 'record' || all.length < from + VERSION_INFO_RECORD + 4 || !isLz4FrameStart(all, from + VERSION_INFO_RECORD)) {
      return all.length >= from + ERA_PEEK || eof ? eraFromSecondRecord(all.subarray(from)) : null;
    }
    for (;;) {
      if (!this.peek) { this.peek = new Lz4FrameDecoder(); this.peekAt = this.peekBase + VERSION_INFO_RECORD; this.peekOut = []; this.peekLen = 0; }
      let broken = false;
      try {
        while (this.peekAt < all.length && this.peekLen < ERA_PEEK - VERSION_INFO_RECORD) {
          const r = this.peek.push(all, this.peekAt);
          this.peekAt += r.consumed;
          for (const o of r.output) { this.peekOut.push(o); this.peekLen += o.length; }
          if (r.frameEnded || (r.consumed === 0 && r.output.length === 0)) break;
        }
      } catch {
        broken = true; // the decoder proper reports it, with its place
      }
      const short = this.peekLen < ERA_PEEK - VERSION_INFO_RECORD;
      if (short && (broken || eof)) {
        const next = lastConnectionStart(all, this.peekBase + 1, all.length);
        if (next > this.peekBase) { this.peekBase = next; this.peek = null; continue; }
      }
      if (short && !eof && !broken && this.peek.inFrame) return null;
      break;
    }
    const plain = new Uint8Array(VERSION_INFO_RECORD + this.peekLen);
    plain.set(all.subarray(this.peekBase, this.peekBase + VERSION_INFO_RECORD));
    let at = VERSION_INFO_RECORD;
    for (const o of this.peekOut) { plain.set(o, at); at += o.length; }
    return eraFromSecondRecord(plain);
  }
}
