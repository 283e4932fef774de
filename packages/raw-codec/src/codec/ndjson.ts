import type { Schema } from '../schema/types.js';
import { filterSink } from './decode.js';
import { StreamDecoder, type DecodeInfo, type InputKind } from './stream.js';

export interface NdjsonOptions {
  kind?: InputKind | 'auto';
  schema?: Schema | 'auto';
  names?: string[];
  onInfo?: (info: DecodeInfo) => void;
  /** Receives NDJSON text in large batches (whole lines); may return a promise to apply backpressure. */
  write: (text: string) => unknown;
}

/**
 * The fast path behind `raw-codec decode`: bytes in, NDJSON text out, without building record objects (each
 * message's compiled `line` reads its fields straight from the bytes). Output equals `toJsonLine` + "\n" per record.
 * Written text is flushed once per input chunk, so records appear as they arrive. Returns the decoder (counts, info).
 */
export async function decodeNdjson(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: NdjsonOptions): Promise<StreamDecoder> {
  let text = '';
  const sink = filterSink(opts.names, (m, dv, u8, off, size, segment) => { text += m.line(dv, u8, off, size - 8, segment); });
  const d = new StreamDecoder(sink, { kind: opts.kind ?? 'auto', schema: opts.schema ?? 'auto', onInfo: opts.onInfo });
  const flush = async (): Promise<void> => {
    if (text.length === 0) return;
    const t = text;
    text = '';
    await opts.write(t);
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
