import { EncodeError } from '../errors.js';
import { Lz4FrameEncoder } from '../lz4/index.js';
import type { Schema } from '../schema/types.js';
import { FLUSH_SIZE } from './intake-encoder.js';
import { RecordEncoder } from './record-encoder.js';
import type { InputKind } from './stream.js';

export interface EncodeRecordingOptions {
  kind: InputKind;
  schema: Schema;
  /** Plaintext bytes per LZ4 frame for intake captures (default 16 KiB, the agent's BufferedWriter). */
  flushSize?: number;
}

/** One NDJSON line (decode's shape) → name, timestamp, data, segment. */
export function parseRecordLine(line: string, lineNo?: number): { name: string; timestamp: bigint; data: Record<string, unknown>; segment: number } {
  let v: unknown;
  try { v = JSON.parse(line); } catch (e) { throw new EncodeError(`not JSON: ${(e as Error).message}`, { line: lineNo }); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new EncodeError('expected a JSON object', { line: lineNo });
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string') throw new EncodeError('missing "name"', { line: lineNo });
  let ts: bigint;
  try {
    if (typeof o.timestamp === 'string' && /^\d+$/.test(o.timestamp)) ts = BigInt(o.timestamp);
    else if (typeof o.timestamp === 'number' && Number.isSafeInteger(o.timestamp) && o.timestamp >= 0) ts = BigInt(o.timestamp);
    else throw new Error();
  } catch { throw new EncodeError('"timestamp" must be a decimal string (or a safe integer)', { line: lineNo, message: o.name }); }
  const data = o.data === undefined ? {} : o.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new EncodeError('"data" must be an object', { line: lineNo, message: o.name });
  const segment = o.segment === undefined ? 0 : o.segment;
  if (typeof segment !== 'number' || !Number.isInteger(segment) || segment < 0) throw new EncodeError('"segment" must be a whole number', { line: lineNo, message: o.name });
  return { name: o.name, timestamp: ts, data: data as Record<string, unknown>, segment };
}

async function* lines(input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): AsyncGenerator<string> {
  const td = new TextDecoder();
  let rest = '';
  for await (const c of input) {
    rest += typeof c === 'string' ? c : td.decode(c, { stream: true });
    let nl: number;
    let from = 0;
    while ((nl = rest.indexOf('\n', from)) >= 0) { yield rest.slice(from, nl); from = nl + 1; }
    rest = rest.slice(from);
  }
  rest += td.decode();
  if (rest.length > 0) yield rest;
}

/**
 * NDJSON records (decode's output, possibly edited) → the same kind of recording, as chunks of bytes.
 * intake: per segment, its first record (version_info) raw, then the rest in LZ4 frames of ≤ flushSize plaintext
 * bytes (records never split, as the agent's BufferedWriter does: docs/wire-format.md (d)); record: records back to
 * back; bpf: agent_internal records back to back. Blank lines are skipped. Frame boundaries of the original are
 * not kept (they carry no meaning).
 */
export async function* encodeRecording(input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, opts: EncodeRecordingOptions): AsyncGenerator<Uint8Array> {
  const appName = opts.kind === 'bpf' ? 'agent_internal' : 'ingest';
  const app = opts.schema.apps[appName];
  if (!app) throw new EncodeError(`schema ${opts.schema.name} has no app ${appName}`);
  const enc = new RecordEncoder(app);
  const flushSize = opts.flushSize ?? FLUSH_SIZE;
  let buf = new Uint8Array(Math.max(flushSize, 1 << 16));
  let n = 0;
  let segment = -1;
  let lineNo = 0;
  const take = (): Uint8Array => { const out = buf.slice(0, n); n = 0; return out; };
  const lz4 = new Lz4FrameEncoder(); // one context for the recording, as the agent keeps one per process
  const frame = (): Uint8Array => lz4.encode(take());
  for await (const line of lines(input)) {
    lineNo++;
    if (line.trim() === '') continue;
    const r = parseRecordLine(line, lineNo);
    let rec: Uint8Array;
    try { rec = enc.encode(r.name, r.timestamp, r.data); } catch (e) {
      if (e instanceof EncodeError) throw new EncodeError(e.why, { line: lineNo, message: e.message_name ?? r.name, field: e.field });
      throw e;
    }
    if (opts.kind === 'intake') {
      if (r.segment !== segment) {
        if (n > 0) yield frame();
        segment = r.segment;
        if (r.name !== 'version_info') throw new EncodeError(`segment ${segment} must start with version_info (it is sent raw, before LZ4: docs/wire-format.md (d))`, { line: lineNo, message: r.name });
        yield rec;
        continue;
      }
      if (rec.length > flushSize) throw new EncodeError(`record of ${rec.length} bytes exceeds the ${flushSize}-byte flush`, { line: lineNo, message: r.name });
      if (n + rec.length > flushSize) yield frame();
    } else if (n + rec.length > buf.length) {
      yield take();
    }
    if (n + rec.length > buf.length) { const b = new Uint8Array(Math.max(buf.length * 2, n + rec.length)); b.set(buf.subarray(0, n)); buf = b; }
    buf.set(rec, n);
    n += rec.length;
  }
  if (n > 0) yield opts.kind === 'intake' ? frame() : take();
}
