import { decode, isLz4FrameStart, Lz4FrameDecoder } from '@flowmill/raw-codec';
import { plural, jsonSafe, type CheckDef, type Rec } from '../framework.js';
import { fileChunks, type WireFile } from '../inputs.js';
import { isoOfNs } from '../values.js';

/**
 * The two intake taps agree byte for byte (docs/checker-facts.md §0 "Intake transport"; docs/wire-format.md (d)): the wire
 * capture, with each connection's raw 24-byte version_info kept and its LZ4 frames decompressed, equals the record
 * file, which receives the same flushes uncompressed. Streams both and compares them in lockstep.
 */

/** Every connection starts with one raw version_info record: u64 ts + 16-byte body (docs/wire-format.md (c), (d)). */
const RAW_VERSION_INFO_BYTES = 24;

export class WireSplitError extends Error {
  constructor(message: string, readonly file: string, readonly offset: number) {
    super(message);
  }
}

/** The wire capture's plaintext: raw version_info records kept, LZ4 frames decompressed; reports where each connection (segment) starts. */
export async function* wirePlaintext(files: WireFile[], onSegment: (segment: number, plainOffset: number) => void): AsyncGenerator<Uint8Array> {
  let seg = -1;
  let plainPos = 0;
  for (const f of files) {
    const dec = new Lz4FrameDecoder();
    let stage = new Uint8Array(0);
    let rawLeft = 0;
    let filePos = 0;
    for await (const chunk of fileChunks(f.path)) {
      let p = 0;
      while (p < chunk.length) {
        if (rawLeft > 0) {
          const n = Math.min(rawLeft, chunk.length - p);
          yield chunk.subarray(p, p + n);
          plainPos += n; p += n; rawLeft -= n;
          continue;
        }
        if (!dec.inFrame) {
          const take = Math.min(4 - stage.length, chunk.length - p);
          const s2 = new Uint8Array(stage.length + take);
          s2.set(stage); s2.set(chunk.subarray(p, p + take), stage.length);
          stage = s2; p += take;
          if (stage.length < 4) continue;
          if (isLz4FrameStart(stage)) {
            const res = dec.push(stage);
            for (const o of res.output) { yield o; plainPos += o.length; }
          } else {
            seg++;
            onSegment(seg, plainPos);
            yield stage;
            plainPos += 4;
            rawLeft = RAW_VERSION_INFO_BYTES - 4;
          }
          stage = new Uint8Array(0);
          continue;
        }
        const res = dec.push(chunk, p);
        for (const o of res.output) { yield o; plainPos += o.length; }
        p += res.consumed;
      }
      filePos += chunk.length;
    }
    if (stage.length || rawLeft) throw new WireSplitError('the capture ends inside a raw version_info record', f.path, filePos);
    dec.finish();
  }
}

interface Cursor { it: AsyncIterator<Uint8Array>; buf: Uint8Array; pos: number; done: boolean; total: number }

async function fill(c: Cursor): Promise<boolean> {
  while (!c.done && c.pos >= c.buf.length) {
    const n = await c.it.next();
    if (n.done) c.done = true;
    else { c.buf = n.value; c.pos = 0; }
  }
  return !c.done;
}

/** First differing byte offset of two byte streams (or undefined), and both lengths. */
export async function compareStreams(a: AsyncIterable<Uint8Array>, b: AsyncIterable<Uint8Array>): Promise<{ diffAt?: number; lenA: number; lenB: number; headA: number[]; headB: number[] }> {
  const A: Cursor = { it: a[Symbol.asyncIterator](), buf: new Uint8Array(0), pos: 0, done: false, total: 0 };
  const B: Cursor = { it: b[Symbol.asyncIterator](), buf: new Uint8Array(0), pos: 0, done: false, total: 0 };
  let off = 0;
  let diffAt: number | undefined;
  const headA: number[] = [], headB: number[] = [];
  while (diffAt === undefined) {
    const ha = await fill(A), hb = await fill(B);
    if (!ha || !hb) break;
    const n = Math.min(A.buf.length - A.pos, B.buf.length - B.pos);
    const ba = A.buf, bb = B.buf;
    let i = 0;
    while (i < n && ba[A.pos + i] === bb[B.pos + i]) i++;
    if (i < n) {
      diffAt = off + i;
      // Up to 16 bytes of each side from the difference on, for the evidence.
      for (let k = 0; k < 16 && A.pos + i + k < ba.length; k++) headA.push(ba[A.pos + i + k]);
      for (let k = 0; k < 16 && B.pos + i + k < bb.length; k++) headB.push(bb[B.pos + i + k]);
    }
    A.pos += n; B.pos += n; off += n;
  }
  // Count the rest of both streams so the lengths are known.
  let lenA = off, lenB = off;
  if (diffAt !== undefined) { lenA = off; lenB = off; }
  for (const [c, add] of [[A, (k: number) => (lenA += k)], [B, (k: number) => (lenB += k)]] as const) {
    while (await fill(c)) { add(c.buf.length - c.pos); c.pos = c.buf.length; }
  }
  return { diffAt, lenA, lenB, headA, headB };
}

const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

export const tapsAgree: CheckDef = {
  id: 'taps-agree',
  title: 'the LZ4-decompressed wire capture equals the record file byte for byte, per session',
  needs: ['wire', 'record'],
  create(ctx) {
    return {
      async finish() {
        const starts: number[] = [];
        let r: Awaited<ReturnType<typeof compareStreams>>;
        try {
          r = await compareStreams(wirePlaintext(ctx.inputs.wire, (_s, at) => starts.push(at)), fileChunks(ctx.inputs.record!));
        } catch (err) {
          // A capture that ends inside a frame (tolerated by decode as a cut-off tail) cannot be compared to its end.
          return { status: 'fail', reason: `the wire capture cannot be inflated to its end: ${(err as Error).message}`, evidence: [{ note: (err as Error).message, offset: (err as { offset?: number }).offset }] };
        }
        const segLen = starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] : r.lenA) - s);
        const figures = { wirePlaintextBytes: r.lenA, recordBytes: r.lenB, sessions: starts.length, sessionBytes: segLen };
        const segOf = (off: number) => Math.max(0, starts.filter((s) => s <= off).length - 1);
        if (r.diffAt === undefined && r.lenA === r.lenB) return { status: 'pass', figures };
        if (r.diffAt === undefined && r.lenB < r.lenA && r.lenA - r.lenB <= ctx.tol.taps.allowRecordShorterBytes) {
          return { status: 'pass', reason: `the record file lacks the last ${r.lenA - r.lenB} bytes (tolerated)`, figures };
        }
        const at = r.diffAt ?? Math.min(r.lenA, r.lenB);
        const evidence: Record<string, unknown>[] = [];
        const where = { plaintextOffset: at, segment: segOf(at), segmentOffset: at - (starts[segOf(at)] ?? 0) };
        if (r.diffAt !== undefined) evidence.push({ ...where, note: 'first differing byte', wire: hex(r.headA), record: hex(r.headB) });
        else evidence.push({ ...where, note: r.lenA > r.lenB ? `the record file ends ${r.lenA - r.lenB} bytes early` : `the record file has ${r.lenB - r.lenA} bytes the wire lacks` });
        // Name the record-file record at the difference (a second pass, only on failure).
        const rec = await recordAt(ctx.inputs.record!, at);
        if (rec) evidence.push({ note: 'record-file record at that offset', name: rec.name, offset: rec.offset, size: rec.size, timestamp: rec.timestamp.toString(), time: isoOfNs(rec.timestamp), data: jsonSafe(rec.data) });
        const reason = r.diffAt !== undefined
          ? `the taps differ at plaintext byte ${at} (session ${where.segment}, byte ${where.segmentOffset})`
          : `the taps differ in length: wire ${r.lenA} bytes, record file ${r.lenB} (${plural(starts.length, 'session')})`;
        return { status: 'fail', reason, evidence, figures };
      },
    };
  },
};

async function recordAt(path: string, off: number): Promise<Rec | undefined> {
  try {
    for await (const r of decode(fileChunks(path), { kind: 'record', schema: 'auto' }) as AsyncIterable<Rec>) {
      if (r.offset <= off && off < r.offset + r.size) return r;
      if (r.offset > off) return undefined;
    }
  } catch {
    /* the decode check reports it */
  }
  return undefined;
}
