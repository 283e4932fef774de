import type { TruncatedError } from '../errors.js';
import type { Schema } from '../schema/types.js';
import type { CompiledMessage } from './compile.js';
import type { DecodedRecord } from './record.js';
import type { RecordSink } from './splitter.js';
import { StreamDecoder, type DecodeInfo, type InputKind } from './stream.js';

export interface DecodeOptions {
  kind?: InputKind | 'auto';
  /** A schema (see builtinSchema/loadSchema/parseRender) or 'auto' (the built-in flowmill or ebpf_net, from the input). */
  schema?: Schema | 'auto' | 'flowmill' | 'ebpf_net';
  /** Only yield records of these message names (all records are still checked). */
  names?: string[];
  /** Called once kind and schema are settled, with how sure the decoder is. */
  onInfo?: (info: DecodeInfo) => void;
  /** Go on past an intake connection cut inside a frame (see StreamDecoderOptions.onCut); without it that is an error. */
  onCut?: (err: TruncatedError) => void;
}

/** A sink that keeps only the wanted names; the wrapped function sees every wanted record. */
export function filterSink(names: string[] | undefined, record: RecordSink['record']): RecordSink {
  if (!names || names.length === 0) return { record };
  const want = new Set(names);
  return { record(m, dv, u8, off, size, segment, offset, frame) { if (want.has(m.name)) record(m, dv, u8, off, size, segment, offset, frame); } };
}

export function toRecord(m: CompiledMessage, dv: DataView, u8: Uint8Array, off: number, size: number, segment: number, offset: number, frame: number): DecodedRecord {
  const len = size - 8;
  const r: DecodedRecord = { name: m.name, rpc_id: m.rpcId, timestamp: dv.getBigUint64(off, true), data: m.data(dv, u8, off, len), segment, offset, size, app: m.schema.app };
  const ref = m.ref(dv, u8, off, len);
  if (ref !== undefined) r.ref = ref;
  if (frame >= 0) r.frame = frame;
  return r;
}

/**
 * Most input bytes pushed at once by decode and decodeBatches. Every record of a push is held until it is yielded,
 * so a big input chunk (1 MiB file reads, a whole file) would keep tens of thousands of record objects alive at
 * once: they outlive V8's young generation and pile up in the old one (a 1 MiB chunk size tripled peak RSS and
 * doubled CPU time). Pushing big chunks in pieces of this size keeps memory flat whatever the chunk size.
 */
const PIECE = 1 << 16;

/** The piece of chunk starting at s (the whole chunk when it is small; an empty chunk stays an empty push). */
function piece(chunk: Uint8Array, s: number): Uint8Array {
  return chunk.length <= PIECE ? chunk : chunk.subarray(s, Math.min(chunk.length, s + PIECE));
}

/**
 * Decodes a recording given as chunks of bytes (any sizes: a file, stdin, a socket), yielding records as they
 * complete. Memory stays flat: at most one 64 KiB piece's records are held, whatever the chunk size. On bad input
 * every complete record before the fault is yielded, then a TruncatedError or CorruptError (with byte offset, frame and last good record) is thrown.
 */
export async function* decode(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: DecodeOptions = {}): AsyncGenerator<DecodedRecord, void, undefined> {
  for await (const batch of decodeBatches(input, opts)) yield* batch;
}

/**
 * Like decode, but yields the records of each input chunk (each 64 KiB piece of a bigger one) as one array: fewer
 * awaits per record, for consumers that go through millions of records (same errors, same order).
 */
export async function* decodeBatches(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: DecodeOptions = {}): AsyncGenerator<DecodedRecord[], void, undefined> {
  let batch: DecodedRecord[] = [];
  const sink = filterSink(opts.names, (m, dv, u8, off, size, segment, offset, frame) => { batch.push(toRecord(m, dv, u8, off, size, segment, offset, frame)); });
  const d = new StreamDecoder(sink, { kind: opts.kind ?? 'auto', schema: opts.schema ?? 'auto', onInfo: opts.onInfo, onCut: opts.onCut });
  for await (const chunk of input) {
    for (let s = 0; ; s += PIECE) {
      let err: unknown = null;
      try { d.push(piece(chunk, s)); } catch (e) { err = e; }
      const out = batch;
      batch = [];
      if (out.length) yield out;
      if (err) throw err;
      if (s + PIECE >= chunk.length) break;
    }
  }
  let err: unknown = null;
  try { d.end(); } catch (e) { err = e; }
  if (batch.length) yield batch;
  if (err) throw err;
}

/** All records of an in-memory recording (convenience for tests and small files). */
export function decodeBytes(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  const sink = filterSink(opts.names, (m, dv, u8, off, size, segment, offset, frame) => { out.push(toRecord(m, dv, u8, off, size, segment, offset, frame)); });
  const d = new StreamDecoder(sink, { kind: opts.kind ?? 'auto', schema: opts.schema ?? 'auto', onInfo: opts.onInfo, onCut: opts.onCut });
  d.push(bytes);
  d.end();
  return out;
}
