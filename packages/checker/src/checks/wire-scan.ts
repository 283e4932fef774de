import { isLz4FrameStart, Lz4FrameDecoder } from '@flowmill/raw-codec';
import { fileChunks } from '../inputs.js';

/** Every connection starts with one raw version_info record: u64 ts + the 16-byte message (kernel_collector.cc@3598385a:324-331). */
export const RAW_VERSION_INFO_BYTES = 24;

export interface WireVisitor {
  /** Raw (uncompressed) bytes where a connection starts: `rpc` is the record's id. Return false to stop the scan. */
  raw(fileOffset: number, rpc: number): boolean;
  /** An LZ4 frame at `fileOffset` (FLG byte `flg`), its plaintext in `plain` (chunks). */
  frame(fileOffset: number, plain: Uint8Array[], flg: number): void;
}

/**
 * Walks a wire capture's framing: raw version_info records and LZ4 frames, each frame's plaintext handed over whole.
 * Stops quietly at bytes that are neither (the decode check says what they are) and at a frame cut off by the end.
 */
export async function scanWire(path: string, v: WireVisitor): Promise<void> {
  const dec = new Lz4FrameDecoder({ output: 'copy' });
  let buf = new Uint8Array(0);
  let base = 0; // file offset of buf[0]
  let framing = false, frameStart = 0, flg = 0;
  let out: Uint8Array[] = [];
  try {
    for await (const chunk of fileChunks(path)) {
      const nb = new Uint8Array(buf.length + chunk.length);
      nb.set(buf); nb.set(chunk, buf.length);
      buf = nb;
      let p = 0;
      for (;;) {
        if (framing) {
          const r = dec.push(buf, p);
          out.push(...r.output);
          p += r.consumed;
          if (!r.frameEnded) break; // needs more input
          v.frame(frameStart, out, flg);
          out = [];
          framing = false;
          continue;
        }
        if (buf.length - p < 5) break;
        if (isLz4FrameStart(buf, p)) {
          framing = true;
          frameStart = base + p;
          flg = buf[p + 4];
          continue;
        }
        if (buf.length - p < RAW_VERSION_INFO_BYTES) break;
        if (!v.raw(base + p, buf[p + 8] | (buf[p + 9] << 8))) return;
        p += RAW_VERSION_INFO_BYTES;
      }
      buf = buf.slice(p);
      base += p;
    }
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_CORRUPT' && (err as { code?: unknown }).code !== 'ERR_TRUNCATED') throw err;
    /* a corrupt frame: the decode check reports it */
  }
}

/**
 * The plaintext offset (the decoder's record `offset`: raw version_info included) at which a connection's capture had
 * `fileBytes` bytes: everything in frames that start before it.
 */
export async function plaintextAt(path: string, fileBytes: number): Promise<number> {
  let plain = 0;
  await scanWire(path, {
    raw: (at) => { if (at < fileBytes) plain += RAW_VERSION_INFO_BYTES; return true; },
    frame: (at, chunks) => { if (at < fileBytes) plain += chunks.reduce((a, c) => a + c.length, 0); },
  });
  return plain;
}
