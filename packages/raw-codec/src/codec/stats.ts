import type { CompiledMessage } from './compile.js';
import type { RecordSink } from './splitter.js';
import type { DecodeInfo } from './stream.js';

export interface StatsReport {
  kind: string | null;
  schema: string | null;
  schemaConfidence: string | null;
  reason: string | null;
  /** Input bytes (compressed, for intake captures). */
  inputBytes: number;
  /** Bytes of all records (decompressed). */
  recordBytes: number;
  records: number;
  segments: number;
  frames: number;
  /** Intake connections found cut inside a frame (only counted with --allow-cut; otherwise the first one is the error). */
  cuts: number;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  minTimestamp: string | null;
  maxTimestamp: string | null;
  /** maxTimestamp − minTimestamp in seconds. */
  spanSeconds: number | null;
  /** Per message, most frequent first. */
  messages: { name: string; rpc_id: number; count: number; bytes: number }[];
  /** Set when the input was cut or corrupt: the error message (counts cover every record before it). */
  error?: string;
}

/** Counts records and bytes per message and the time span, reading only ids, lengths and timestamps. */
export class Stats implements RecordSink {
  private count = new Float64Array(65536);
  private bytes = new Float64Array(65536);
  private msgs: (CompiledMessage | undefined)[] = new Array(65536);
  records = 0;
  recordBytes = 0;
  segments = 0;
  private min: bigint | null = null;
  private max: bigint | null = null;
  private minF = Infinity;
  private maxF = -Infinity;
  private first: bigint | null = null;
  private last: bigint | null = null;
  private lastLo = 0;
  private lastHi = 0;

  record(m: CompiledMessage, dv: DataView, _u8: Uint8Array, off: number, size: number, segment: number): void {
    const id = m.rpcId;
    if (this.count[id]++ === 0) this.msgs[id] = m;
    this.bytes[id] += size;
    this.records++;
    this.recordBytes += size;
    if (segment + 1 > this.segments) this.segments = segment + 1;
    const lo = dv.getUint32(off, true);
    const hi = dv.getUint32(off + 4, true);
    const f = hi * 4294967296 + lo; // approximate; exact compare below only when it may matter
    if (f <= this.minF) { const t = (BigInt(hi) << 32n) | BigInt(lo); if (this.min === null || t < this.min) { this.min = t; this.minF = f; } }
    if (f >= this.maxF) { const t = (BigInt(hi) << 32n) | BigInt(lo); if (this.max === null || t > this.max) { this.max = t; this.maxF = f; } }
    if (this.first === null) this.first = (BigInt(hi) << 32n) | BigInt(lo);
    this.lastLo = lo;
    this.lastHi = hi;
  }

  report(extra: { info: DecodeInfo | null; inputBytes: number; frames: number; cuts?: number; error?: string }): StatsReport {
    if (this.records > 0) this.last = (BigInt(this.lastHi) << 32n) | BigInt(this.lastLo);
    const messages: StatsReport['messages'] = [];
    for (let id = 0; id < 65536; id++) if (this.count[id] > 0) messages.push({ name: this.msgs[id]!.name, rpc_id: id, count: this.count[id], bytes: this.bytes[id] });
    messages.sort((a, b) => b.count - a.count || a.rpc_id - b.rpc_id);
    const r: StatsReport = {
      kind: extra.info?.kind ?? null, schema: extra.info?.schema ?? null, schemaConfidence: extra.info?.schemaConfidence ?? null, reason: extra.info?.reason ?? null,
      inputBytes: extra.inputBytes, recordBytes: this.recordBytes, records: this.records, segments: this.segments, frames: extra.frames, cuts: extra.cuts ?? 0,
      firstTimestamp: this.first?.toString() ?? null, lastTimestamp: this.last?.toString() ?? null,
      minTimestamp: this.min?.toString() ?? null, maxTimestamp: this.max?.toString() ?? null,
      spanSeconds: this.min !== null && this.max !== null ? Number(this.max - this.min) / 1e9 : null,
      messages,
    };
    if (extra.error) r.error = extra.error;
    return r;
  }
}
