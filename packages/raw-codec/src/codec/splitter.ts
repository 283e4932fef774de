import { CorruptError, TruncatedError, type ErrorPlace } from '../errors.js';
import type { CompiledApp, CompiledMessage } from './compile.js';
import type { Tally } from './stats.js';

/**
 * Receives every complete record: timestamp at `off` of `u8`/`dv`, `size` bytes incl. the timestamp. The bytes are
 * only valid during the call (they may be a view into the LZ4 decoder's window): copy what you keep.
 */
export interface RecordSink {
  record(m: CompiledMessage, dv: DataView, u8: Uint8Array, off: number, size: number, segment: number, offset: number, frame: number): void;
}

/** The smallest record: u64 timestamp + u16 rpc_id (docs/wire-format.md (a) 2, 10). */
const MIN_RECORD = 10;

/**
 * Splits a plaintext record stream (`u64 ts | u16 rpc_id | [u16 _len] | …`, docs/wire-format.md (a) 10) into records,
 * across chunks of any size. Record length: `8 + _len` for dynamic messages, `8 + wire_size` otherwise. Bytes of a
 * record cut by a chunk boundary wait in a carry buffer (at most one record, < 64 KiB), so memory stays flat.
 */
export class RecordSplitter {
  app: CompiledApp | null;
  private carry: Uint8Array | null = null;
  /** Offset (in the segment's plaintext, or the file) of the next byte not yet taken. */
  offset = 0;
  segment = 0;
  records = 0;
  /** Where the plaintext comes from, for error messages: set by the intake demux before each push. */
  place: { offset?: number; frame?: number } = {};
  private lastM: CompiledMessage | null = null;
  private lastOff = 0;
  private lastSeg = 0;
  private lastLo = 0;
  private lastHi = 0;
  private readonly sink: RecordSink;
  /** A counting sink (Stats): the walk updates its arrays itself, with no call per record. */
  private readonly tally: Tally | null;
  /** Record files: each version_info after the first starts a new segment (docs/agent-protocol.md §2.9). */
  private readonly segmentOnVersionInfo: boolean;
  /** Offsets restart at 0 with each segment (intake plaintext) or run on (files). */
  private readonly fileOffsets: boolean;

  constructor(app: CompiledApp | null, sink: RecordSink, opts: { segmentOnVersionInfo: boolean; fileOffsets: boolean }) {
    this.app = app;
    this.sink = sink;
    this.tally = (sink as { tally?: Tally }).tally ?? null;
    this.segmentOnVersionInfo = opts.segmentOnVersionInfo;
    this.fileOffsets = opts.fileOffsets;
  }

  get pending(): number { return this.carry ? this.carry.length : 0; }

  lastGood(): ErrorPlace['lastGood'] {
    if (!this.lastM) return undefined;
    return { name: this.lastM.name, offset: this.lastOff, segment: this.lastSeg, timestamp: (BigInt(this.lastHi) << 32n) | BigInt(this.lastLo) };
  }

  private where(at: number): ErrorPlace {
    const p: ErrorPlace = { segment: this.segment, lastGood: this.lastGood() };
    if (this.fileOffsets) p.offset = at;
    else { p.plainOffset = at; if (this.place.offset !== undefined) p.offset = this.place.offset; }
    if (this.place.frame !== undefined && this.place.frame >= 0) p.frame = this.place.frame;
    return p;
  }

  /** Takes plaintext bytes; the chunk may be reused by the caller after this returns. */
  push(chunk: Uint8Array, frame = -1): void {
    let data = chunk;
    if (this.carry) {
      data = new Uint8Array(this.carry.length + chunk.length);
      data.set(this.carry, 0);
      data.set(chunk, this.carry.length);
      this.carry = null;
    }
    const used = this.split(data, frame);
    if (used < data.length) this.carry = data.slice(used);
  }

  /**
   * Whether the bytes pushed so far followed by `parts` end exactly on a record boundary, with known rpc ids and
   * possible lengths only (nothing is handed out). True while no schema is chosen yet.
   */
  endsOnRecord(parts: readonly Uint8Array[]): boolean {
    const app = this.app;
    if (!app) return true;
    let u8: Uint8Array;
    if (!this.carry && parts.length === 1) u8 = parts[0];
    else {
      const all = [...(this.carry ? [this.carry] : []), ...parts];
      u8 = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of all) { u8.set(p, at); at += p.length; }
    }
    // app.sizes, as in count(): > 0 a fixed record's size, < 0 a dynamic one's (-1 - its fixed part), 0 unknown
    const sizes = app.sizes;
    const end = u8.length;
    let o = 0;
    while (end - o >= MIN_RECORD) {
      const z = sizes[u8[o + 8] | (u8[o + 9] << 8)];
      if (z > 0) { o += z; continue; }
      if (z === 0 || end - o < 12) return false;
      const len = u8[o + 10] | (u8[o + 11] << 8);
      if (len < -1 - z) return false;
      o += 8 + len;
    }
    return o === end;
  }

  /** Starts a new segment (intake: a raw version_info follows); the previous one must have ended on a record boundary. */
  newSegment(): void {
    this.checkEnd();
    this.segment++;
    if (!this.fileOffsets) this.offset = 0;
  }

  /** Forgets a partial record (a cut connection, reported by the caller). */
  dropPartial(): void { this.carry = null; }

  /** Declares the end of the stream (or segment): a partial record left over is a truncation. */
  checkEnd(): void {
    if (!this.carry) return;
    const c = this.carry;
    const dv = new DataView(c.buffer, c.byteOffset, c.length);
    let what = `${c.length} byte(s) of a record`;
    if (c.length >= MIN_RECORD && this.app) {
      const m = this.app.byId[dv.getUint16(8, true)];
      if (m) {
        const need = m.dynamic ? (c.length >= 12 ? 8 + dv.getUint16(10, true) : 12) : 8 + m.wireSize;
        what = `record ${m.name} needs ${need} bytes, ${c.length} present`;
      }
    }
    throw new TruncatedError(`input ends inside a record: ${what}`, this.where(this.offset));
  }

  private split(u8: Uint8Array, frame: number): number {
    if (this.tally) return this.count(u8, this.tally);
    const app = this.app;
    if (!app) throw new Error('RecordSplitter: no schema yet');
    const table = app.byId;
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    const end = u8.length;
    const sink = this.sink;
    let o = 0;
    let base = this.offset;
    while (end - o >= MIN_RECORD) {
      const id = dv.getUint16(o + 8, true);
      const m = table[id];
      if (m === undefined) {
        throw new CorruptError(`unknown rpc id ${id} (0x${id.toString(16).padStart(4, '0')}) for app ${app.app.name}`, this.where(base));
      }
      let size: number;
      if (m.dynamic) {
        if (end - o < 12) break;
        const len = dv.getUint16(o + 10, true);
        if (len < m.wireSize) throw new CorruptError(`impossible _len ${len} for ${m.name}: its fixed part alone is ${m.wireSize} bytes`, this.where(base));
        size = 8 + len;
        if (end - o < size) break;
        const slots = m.slots;
        let sum = 0;
        for (let k = 0; k < slots.length; k++) sum += dv.getUint16(o + 8 + slots[k], true);
        if (sum > len - m.wireSize) throw new CorruptError(`impossible string lengths in ${m.name}: slots sum to ${sum} but _len ${len} leaves ${len - m.wireSize} bytes`, this.where(base));
      } else {
        size = 8 + m.wireSize;
        if (end - o < size) break;
      }
      if (this.segmentOnVersionInfo && m.name === 'version_info' && this.records > 0) this.segment++;
      sink.record(m, dv, u8, o, size, this.segment, base, frame);
      this.records++;
      this.lastM = m;
      this.lastOff = base;
      this.lastSeg = this.segment;
      this.lastLo = dv.getUint32(o, true);
      this.lastHi = dv.getUint32(o + 4, true);
      o += size;
      base += size;
    }
    this.offset = base;
    return o;
  }

  /** split() for a Tally: the same checks and bookkeeping, counters updated in place. */
  private count(u8: Uint8Array, t: Tally): number {
    const app = this.app;
    if (!app) throw new Error('RecordSplitter: no schema yet');
    const table = app.byId;
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    const end = u8.length;
    const count = t.count;
    const bytes = t.bytes;
    let o = 0;
    let base = this.offset;
    let n = 0;
    let sum = 0;
    let lastO = -1;
    let minHi = t.minHi, minLo = t.minLo, maxHi = t.maxHi, maxLo = t.maxLo;
    const sizes = app.sizes;
    const vi = this.segmentOnVersionInfo ? app.byName.get('version_info')?.rpcId ?? -1 : -1;
    const needFirst = t.firstHi < 0;
    let lastId = -1;
    while (end - o >= MIN_RECORD) {
      const id = u8[o + 8] | (u8[o + 9] << 8);
      const z = sizes[id];
      let size = z;
      if (z <= 0) {
        const m = table[id];
        if (z === 0 || m === undefined) { this.counted(t, dv, n, sum, base, o, lastO, lastId, minHi, minLo, maxHi, maxLo, needFirst); throw new CorruptError(`unknown rpc id ${id} (0x${id.toString(16).padStart(4, '0')}) for app ${app.app.name}`, this.where(base)); }
        if (end - o < 12) break;
        const len = u8[o + 10] | (u8[o + 11] << 8);
        const ws = -1 - z;
        if (len < ws) { this.counted(t, dv, n, sum, base, o, lastO, lastId, minHi, minLo, maxHi, maxLo, needFirst); throw new CorruptError(`impossible _len ${len} for ${m.name}: its fixed part alone is ${ws} bytes`, this.where(base)); }
        size = 8 + len;
        if (end - o < size) break;
        const slots = m.slots;
        let ss = 0;
        for (let k = 0; k < slots.length; k++) ss += dv.getUint16(o + 8 + slots[k], true);
        if (ss > len - ws) { this.counted(t, dv, n, sum, base, o, lastO, lastId, minHi, minLo, maxHi, maxLo, needFirst); throw new CorruptError(`impossible string lengths in ${m.name}: slots sum to ${ss} but _len ${len} leaves ${len - ws} bytes`, this.where(base)); }
      } else if (end - o < size) break;
      if (id === vi && this.records + n > 0) this.segment++;
      if (count[id]++ === 0) t.msgs[id] = table[id];
      bytes[id] += size;
      const lo = dv.getUint32(o, true);
      const hi = dv.getUint32(o + 4, true);
      if (hi < minHi || (hi === minHi && lo < minLo) || minHi < 0) { minHi = hi; minLo = lo; }
      if (hi > maxHi || (hi === maxHi && lo > maxLo)) { maxHi = hi; maxLo = lo; }
      lastO = o;
      lastId = id;
      n++;
      sum += size;
      o += size;
      base += size;
    }
    this.counted(t, dv, n, sum, base, o, lastO, lastId, minHi, minLo, maxHi, maxLo, needFirst);
    return o;
  }

  /** The end of a counting walk: its locals back into the tally and the splitter (no closure: they stay in registers). */
  private counted(t: Tally, dv: DataView, n: number, sum: number, base: number, o: number, lastO: number, lastId: number, minHi: number, minLo: number, maxHi: number, maxLo: number, needFirst: boolean): void {
    t.records += n; t.recordBytes += sum;
    t.minHi = minHi; t.minLo = minLo; t.maxHi = maxHi; t.maxLo = maxLo;
    this.records += n;
    this.offset = base;
    if (lastId < 0) return;
    if (needFirst) { t.firstLo = dv.getUint32(0, true); t.firstHi = dv.getUint32(4, true); } // this walk's first record
    const lastM = this.app!.byId[lastId]!;
    const lo = dv.getUint32(lastO, true), hi = dv.getUint32(lastO + 4, true);
    t.lastLo = lo; t.lastHi = hi;
    this.lastM = lastM; this.lastOff = base - o + lastO; this.lastSeg = this.segment; this.lastLo = lo; this.lastHi = hi;
    if (this.segment + 1 > t.segments) t.segments = this.segment + 1;
  }
}
