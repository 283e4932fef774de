import type { TruncatedError } from '../errors.js';
import type { Schema } from '../schema/types.js';
import { filterSink } from './decode.js';
import { StreamDecoder, type DecodeInfo, type InputKind } from './stream.js';

export interface NdjsonOptions {
  kind?: InputKind | 'auto';
  schema?: Schema | 'auto' | 'flowmill' | 'ebpf_net';
  names?: string[];
  onInfo?: (info: DecodeInfo) => void;
  /** Go on past an intake connection cut inside a frame (see StreamDecoderOptions.onCut). */
  onCut?: (err: TruncatedError) => void;
  /** Receives UTF-8 NDJSON in large batches of whole lines; may return a promise to apply backpressure. Each
   * batch is a view of a buffer that is never written again, so it may be kept. */
  write: (bytes: Uint8Array) => unknown;
}

const OUT_SIZE = 1 << 20;

/**
 * The fast path behind `raw-codec decode`: bytes in, NDJSON out, without record objects (each message's compiled
 * `lineBytes` writes its fields straight from the record bytes into an output buffer, no strings). Output equals `toJsonLine(r) + "\n"` per record. Output is
 * handed to `write` at least once per input chunk, so records appear as they arrive. Returns the decoder.
 */
export async function decodeNdjson(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: NdjsonOptions): Promise<StreamDecoder> {
  let out = new Uint8Array(OUT_SIZE);
  let n = 0;
  const ready: Uint8Array[] = [];
  const sink = filterSink(opts.names, (m, dv, u8, off, size, segment) => {
    const need = m.maxLine(size - 8);
    if (n + need > out.length) {
      if (n > 0) ready.push(out.subarray(0, n));
      out = new Uint8Array(Math.max(OUT_SIZE, need));
      n = 0;
    }
    n = m.lineBytes(dv, u8, off, size - 8, segment, out, n);
  });
  const d = new StreamDecoder(sink, { kind: opts.kind ?? 'auto', schema: opts.schema ?? 'auto', onInfo: opts.onInfo, onCut: opts.onCut });
  const flush = async (): Promise<void> => {
    if (n > 0) {
      ready.push(out.subarray(0, n));
      // Keep filling the rest of this buffer when a good part is left, else start a fresh one.
      out = out.length - n >= OUT_SIZE / 4 ? out.subarray(n) : new Uint8Array(OUT_SIZE);
      n = 0;
    }
    for (const b of ready.splice(0)) await opts.write(b);
  };
  try {
    for await (const chunk of input) {
      d.push(chunk);
      await flush();
    }
    d.end();
  } finally {
    await flush();
  }
  return d;
}
