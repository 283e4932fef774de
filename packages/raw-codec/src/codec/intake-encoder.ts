import { Lz4FrameEncoder } from '../lz4/index.js';

/** The agent's BufferedWriter flushes at 16 KiB (docs/agent-protocol.md §2.6, collector/constants.h:23). */
export const FLUSH_SIZE = 16384;

/**
 * An intake wire capture: the raw version_info record, then one LZ4 frame per flush (docs/wire-format.md (d)).
 * `flushes` gives the records of each flush; a flush with no bytes is skipped, as the agent never sends one.
 * One encoder for the whole capture, as the agent keeps one liblz4 context for its process (lz4_channel.cc, a member
 * of its single UpstreamConnection): the frames are then byte for byte what the agent writes, not only equivalent.
 */
export function encodeIntake(flushes: Iterable<Uint8Array[]>, versionInfo: Uint8Array): Uint8Array {
  const lz4 = new Lz4FrameEncoder();
  const parts: Uint8Array[] = [versionInfo];
  for (const recs of flushes) {
    const n = recs.reduce((a, r) => a + r.length, 0);
    if (n === 0) continue;
    const plain = new Uint8Array(n);
    let at = 0;
    for (const r of recs) { plain.set(r, at); at += r.length; }
    parts.push(lz4.encode(plain));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Groups records into flushes the way the agent's 16 KiB BufferedWriter does: a flush when the next one does not fit. */
export function* packFlushes(records: Iterable<Uint8Array>, flushSize = FLUSH_SIZE): Generator<Uint8Array[]> {
  let cur: Uint8Array[] = [];
  let n = 0;
  for (const r of records) {
    if (n + r.length > flushSize && cur.length > 0) { yield cur; cur = []; n = 0; }
    cur.push(r);
    n += r.length;
  }
  if (cur.length > 0) yield cur;
}
