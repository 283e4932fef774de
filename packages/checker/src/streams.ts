import { statSync } from 'node:fs';
import { CorruptError, decode, Lz4Error, RawCodecError, TruncatedError, type DecodeInfo, type Schema } from '@flowmill/raw-codec';
import type { StreamStatus } from './checks/decode.js';
import { MissingInputError } from './errors.js';
import type { Rec } from './framework.js';
import { fileChunks } from './inputs.js';
import type { Tolerances } from './tolerances.js';

export type StreamKind = 'wire' | 'record' | 'bpf';
export interface StreamFile { path: string; bytes: number }
/** Records per session and tap, for the report's "records per session" plot. */
export type SegmentCounts = Map<number, { intake: number; record?: number; wire?: number }>;

export function newStatus(kind: StreamKind, files: StreamFile[]): StreamStatus {
  return { kind, path: files.map((f) => f.path).join(', '), bytes: files.reduce((a, f) => a + f.bytes, 0), records: 0, segments: 0 };
}

export function fileOf(path: string): StreamFile {
  return { path, bytes: statSync(path).size };
}

export interface StreamOptions {
  kind: StreamKind;
  files: StreamFile[];
  schema: Schema | 'auto';
  /** The dump is read with the intake's era: the status then says so instead of the decoder's guess. */
  schemaFrom?: string;
  /** `intake` counts towards the session figures; `secondary` is the record file read for decode + counts only. */
  lane: 'bpf' | 'intake' | 'secondary';
  tol: Tolerances;
  st: StreamStatus;
  segCounts: SegmentCounts;
  onInfo?(info: DecodeInfo): void;
}

/**
 * One recording as an async stream of records. A decoder error ends it (the records before it were delivered) and
 * is kept in the status for the decode check; a cut-off connection is tolerated with decode.allowTruncatedTail.
 * Only a file that cannot be read is thrown (MissingInputError).
 */
export async function* recordStream(o: StreamOptions): AsyncGenerator<Rec> {
  const { kind, st, tol } = o;
  const wantApp = kind === 'bpf' ? 'agent_internal' : 'ingest';
  let segBase = 0;
  for (const f of o.files) {
    let maxSeg = -1;
    try {
      if (o.schemaFrom) { st.schema = o.schemaFrom; st.schemaConfidence = 'from the intake'; }
      // A connection cut inside an LZ4 frame (an appended capture that goes on with the next version_info) is the
      // same thing as a cut-off last record: tolerated with decode.allowTruncatedTail, and named.
      const onCut = tol.decode.allowTruncatedTail ? (e: { message: string; offset?: number }) => (st.cuts ??= []).push({ file: f.path, offset: e.offset, message: e.message }) : undefined;
      const onInfo = (info: DecodeInfo) => {
        if (!o.schemaFrom) { st.schema = info.schema; st.schemaConfidence = info.schemaConfidence; }
        o.onInfo?.(info);
      };
      const it = decode(fileChunks(f.path), { kind: kind === 'wire' ? 'intake' : kind, schema: o.schema, onCut, onInfo }) as AsyncIterable<Rec>;
      for await (const rec of it) {
        const r: Rec = segBase ? { ...rec, segment: rec.segment + segBase } : rec;
        if (rec.segment > maxSeg) maxSeg = rec.segment;
        st.records++;
        if (r.app && r.app !== wantApp) {
          st.wrongAppTotal = (st.wrongAppTotal ?? 0) + 1;
          if ((st.wrongApp ??= []).length < tol.report.maxEvidence) st.wrongApp.push({ name: r.name, app: r.app, offset: r.offset, segment: r.segment });
        }
        if (kind !== 'bpf') countSegment(o.segCounts, r.segment, kind, o.lane === 'intake');
        yield r;
      }
    } catch (err) {
      // raw-codec's classes say what failed: bytes that are not a recording end the stream (the decode check fails);
      // a file that cannot be read is a missing input; anything else is a bug.
      const dataError = err instanceof TruncatedError || err instanceof CorruptError || err instanceof Lz4Error || (err instanceof RawCodecError && err.code === 'ERR_BAD_INPUT');
      if (!dataError) {
        const code = (err as { code?: unknown }).code;
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new MissingInputError(kind, f.path, (err as Error).message, { cause: err });
        throw err;
      }
      const e = err as Error & { code: string; offset?: number };
      // Each capture file ends a connection (tls-sink writes one file per connection), so a cut-off tail is tolerated
      // at the end of any of them.
      if (err instanceof TruncatedError && tol.decode.allowTruncatedTail) { st.truncatedTail = true; (st.cuts ??= []).push({ file: f.path, offset: e.offset, message: e.message }); }
      else st.error = { code: e.code, message: e.message, offset: e.offset, file: f.path };
    }
    segBase += maxSeg + 1;
    st.segments = kind === 'bpf' ? 0 : segBase;
    if (st.error) break;
  }
}

function countSegment(counts: SegmentCounts, segment: number, kind: 'wire' | 'record', intakeLane: boolean): void {
  const c = counts.get(segment) ?? { intake: 0 };
  if (intakeLane) c.intake++;
  c[kind] = (c[kind] ?? 0) + 1;
  counts.set(segment, c);
}

/**
 * Feeds the BPF dump and the intake to their handlers merged by time: a dump record is read once the intake has
 * reached its timestamp (or before an intake record stamped later), so a sample and its intake record meet within
 * about a poll, the checks hold only what is in flight, and a new session's bpf_compiled is seen before that
 * session's samples (stamped after it).
 */
export async function mergeByTime(bpf: AsyncIterator<Rec> | undefined, intake: AsyncIterator<Rec> | undefined, onBpf: (r: Rec) => void, onIntake: (r: Rec) => void): Promise<void> {
  let nb = bpf ? await bpf.next() : undefined;
  let ni = intake ? await intake.next() : undefined;
  let intakeClock = -1n;
  while ((nb && !nb.done) || (ni && !ni.done)) {
    const takeBpf = nb && !nb.done && (!ni || ni.done || nb.value.timestamp <= intakeClock || nb.value.timestamp < ni.value.timestamp);
    if (takeBpf) {
      onBpf(nb!.value);
      nb = await bpf!.next();
    } else {
      const r = ni!.value as Rec;
      if (r.timestamp > intakeClock) intakeClock = r.timestamp;
      onIntake(r);
      ni = await intake!.next();
    }
  }
}
