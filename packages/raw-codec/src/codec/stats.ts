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

/**
 * The counters of a stats pass, kept in typed arrays and numbers: the record splitter updates them in its own loop
 * (RecordSplitter's counting walk), so a record costs a few array stores, no call, object or bigint.
 */
export class Tally {
  readonly count = new Float64Array(65536);
  readonly bytes = new Float64Array(65536);
  readonly msgs: (CompiledMessage | undefined)[] = new Array(65536);
  records = 0;
  recordBytes = 0;
  segments = 0;
  // Timestamps as unsigned 32-bit halves (hi, lo); hi -1 = none yet.
  minHi = -1; minLo = 0; maxHi = -1; maxLo = 0; firstHi = -1; firstLo = 0; lastHi = 0; lastLo = 0;
}

const u64 = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

/** Counts records and bytes per message and the time span, reading only ids, lengths and timestamps. */
export class Stats implements RecordSink {
  readonly tally = new Tally();
  get records(): number { return this.tally.records; }
  get recordBytes(): number { return this.tally.recordBytes; }
  get segments(): number { return this.tally.segments; }

  /** The generic path (a RecordSink like any other); the splitter uses `tally` directly when it sees it. */
  record(m: CompiledMessage, dv: DataView, _u8: Uint8Array, off: number, size: number, segment: number): void {
    const t = this.tally;
    const id = m.rpcId;
    if (t.count[id]++ === 0) t.msgs[id] = m;
    t.bytes[id] += size;
    t.records++;
    t.recordBytes += size;
    if (segment + 1 > t.segments) t.segments = segment + 1;
    const lo = dv.getUint32(off, true);
    const hi = dv.getUint32(off + 4, true);
    if (t.minHi < 0 || hi < t.minHi || (hi === t.minHi && lo < t.minLo)) { t.minHi = hi; t.minLo = lo; }
    if (hi > t.maxHi || (hi === t.maxHi && lo > t.maxLo)) { t.maxHi = hi; t.maxLo = lo; }
    if (t.firstHi < 0) { t.firstHi = hi; t.firstLo = lo; }
    t.lastHi = hi;
    t.lastLo = lo;
  }

  report(extra: { info: DecodeInfo | null; inputBytes: number; frames: number; cuts?: number; error?: string }): StatsReport {
    const t = this.tally;
    const any = t.records > 0;
    const min = any ? u64(t.minHi, t.minLo) : null;
    const max = any ? u64(t.maxHi, t.maxLo) : null;
    const messages: StatsReport['messages'] = [];
    for (let id = 0; id < 65536; id++) if (t.count[id] > 0) messages.push({ name: t.msgs[id]!.name, rpc_id: id, count: t.count[id], bytes: t.bytes[id] });
    messages.sort((a, b) => b.count - a.count || a.rpc_id - b.rpc_id);
    const r: StatsReport = {
      kind: extra.info?.kind ?? null, schema: extra.info?.schema ?? null, schemaConfidence: extra.info?.schemaConfidence ?? null, reason: extra.info?.reason ?? null,
      inputBytes: extra.inputBytes, recordBytes: t.recordBytes, records: t.records, segments: t.segments, frames: extra.frames, cuts: extra.cuts ?? 0,
      firstTimestamp: any ? u64(t.firstHi, t.firstLo).toString() : null, lastTimestamp: any ? u64(t.lastHi, t.lastLo).toString() : null,
      minTimestamp: min?.toString() ?? null, maxTimestamp: max?.toString() ?? null,
      spanSeconds: min !== null && max !== null ? Number(max - min) / 1e9 : null,
      messages,
    };
    if (extra.error) r.error = extra.error;
    return r;
  }
}
