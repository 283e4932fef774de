// Unit tests of the LZ4 codec (src/lz4): XXH32, round trips, streaming pushes, frame boundaries, every error kind,
// every truncation point, and a fast mutation fuzz. Interop with the real lz4 CLI and liblz4 is in
// lz4-interop.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  LZ4_FRAME_MAGIC,
  Lz4Error,
  Lz4FrameDecoder,
  Lz4FrameEncoder,
  Lz4TruncatedError,
  Xxh32,
  isLz4FrameStart,
  lz4CompressBlock,
  lz4DecodeFrames,
  lz4DecompressBlock,
  lz4EncodeFrame,
  xxh32,
} from '../src/lz4/index.js';
import type { Lz4EncodeOptions } from '../src/lz4/index.js';
import { concat, eq, hex, prng, randomBytes } from './lz4-helpers.js';

// --- helpers -------------------------------------------------------------------------------------------------------
/** Record-like data: repeated 24-byte shapes with a few varying bytes, some periodic runs and random stretches. */
function recordLike(n: number, seed = 7): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  let i = 0;
  while (i < n) {
    const kind = r() % 8;
    if (kind < 5) {
      for (let k = 0; k < 24 && i < n; k++, i++) b[i] = k < 8 ? (i >> 3) & 0xff : k % 5 === 0 ? r() & 0xff : k * 3;
    } else if (kind === 5) {
      const period = 1 + (r() % 4); // periods 1..4: overlapping matches
      const len = 16 + (r() % 300);
      const pat = [r() & 0xff, r() & 0xff, r() & 0xff, r() & 0xff];
      for (let k = 0; k < len && i < n; k++, i++) b[i] = pat[k % period];
    } else {
      const len = r() % 40;
      for (let k = 0; k < len && i < n; k++, i++) b[i] = r() & 0xff;
    }
  }
  return b;
}
/** Decodes with pushes of the given sizes (cycled), following frame ends; returns output and frame end offsets. */
function decodeInPieces(buf: Uint8Array, sizes: number[], opts?: { verifyChecksums?: boolean }): { out: Uint8Array; ends: number[] } {
  const dec = new Lz4FrameDecoder(opts);
  const parts: Uint8Array[] = [];
  const ends: number[] = [];
  let s = 0;
  let k = 0;
  while (s < buf.length) {
    const chunk = buf.subarray(s, Math.min(buf.length, s + sizes[k++ % sizes.length]));
    for (let p = 0; p < chunk.length; ) {
      const r = dec.push(chunk, p);
      p += r.consumed;
      parts.push(...r.output);
      if (r.frameEnded) {
        ends.push(dec.bytesConsumed);
        assert.is(dec.inFrame, false);
      }
      if (r.consumed === 0 && !r.frameEnded) assert.unreachable('push made no progress');
    }
    s += chunk.length;
  }
  dec.finish();
  return { out: concat(parts), ends };
}
function expectError<T extends Lz4Error>(fn: () => unknown, cls: new (...a: never[]) => T, check: (e: T) => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof cls)) throw e;
    check(e);
    return;
  }
  assert.unreachable(`expected ${cls.name}`);
}
function u32le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
/** A frame header with the given FLG and BD, its checksum computed by XXH32 (checked against the CLI below). */
function header(flg: number, bd: number, extra: number[] = []): number[] {
  const desc = new Uint8Array([flg, bd, ...extra]);
  return [0x04, 0x22, 0x4d, 0x18, flg, bd, ...extra, (xxh32(desc, 0) >>> 8) & 0xff];
}

// --- XXH32 ---------------------------------------------------------------------------------------------------------
test('xxh32 matches the published test vectors', () => {
  const te = new TextEncoder();
  assert.is(xxh32(new Uint8Array(0), 0), 0x02cc5d05);
  assert.is(xxh32(te.encode('a'), 0), 0x550d7456);
  assert.is(xxh32(te.encode('abc'), 0), 0x32d153ff);
  assert.is(xxh32(te.encode('Nobody inspects the spammish repetition'), 0), 0xe2293b2f);
});

test('xxh32 gives the header checksums the lz4 1.9.4 CLI and the agent write', () => {
  // 60 40 → 82 (lz4 CLI, one independent block), 64 40 → a7 (with content checksum), 40 40 → c0 (the agent's frame):
  // docs/wire-format.md (d) and what `lz4` writes (see lz4-interop.test.ts).
  assert.is((xxh32(new Uint8Array([0x60, 0x40]), 0) >>> 8) & 0xff, 0x82);
  assert.is((xxh32(new Uint8Array([0x64, 0x40]), 0) >>> 8) & 0xff, 0xa7);
  assert.is((xxh32(new Uint8Array([0x40, 0x40]), 0) >>> 8) & 0xff, 0xc0);
});

test('streaming Xxh32 equals one-shot xxh32 for any split and seed', () => {
  const data = randomBytes(1000, 3);
  const r = prng(11);
  for (let t = 0; t < 200; t++) {
    const n = r() % 1000;
    const seed = t % 3 === 0 ? 0 : r();
    const h = new Xxh32(seed);
    let p = 0;
    while (p < n) {
      const step = Math.min(n - p, 1 + (r() % 40));
      h.update(data, p, p + step);
      p += step;
    }
    assert.is(h.digest(), xxh32(data.subarray(0, n), seed), `n=${n}`);
  }
});

// --- encoder defaults ----------------------------------------------------------------------------------------------
test('default frame header is the agent one: 04 22 4D 18 40 40 C0 (docs/wire-format.md (d))', () => {
  const f = lz4EncodeFrame(new TextEncoder().encode('hello hello hello hello hello'));
  assert.is(hex(f.subarray(0, 7)), '04 22 4d 18 40 40 c0');
  assert.is(hex(f.subarray(f.length - 4)), '00 00 00 00');
  assert.is(LZ4_FRAME_MAGIC, 0x184d2204);
});

test('a 10-byte flush is the 25-byte stored-block frame of docs/wire-format.md (d)', () => {
  const rec = new Uint8Array([1, 0, 0, 0, 0, 0, 0xb8, 0x16, 0x2c, 0x01]);
  const f = lz4EncodeFrame(rec);
  assert.is(f.length, 25);
  assert.is(hex(f.subarray(0, 11)), '04 22 4d 18 40 40 c0 0a 00 00 80');
  eq(f.subarray(11, 21), rec, 'stored block body');
  assert.is(hex(f.subarray(21)), '00 00 00 00');
});

test('empty input is header + end mark', () => {
  assert.is(hex(lz4EncodeFrame(new Uint8Array(0))), '04 22 4d 18 40 40 c0 00 00 00 00');
  assert.is(lz4DecodeFrames(lz4EncodeFrame(new Uint8Array(0))).length, 0);
});

test('incompressible blocks are stored (bit 31), compressible ones are not', () => {
  const rnd = lz4EncodeFrame(randomBytes(5000));
  assert.is(rnd[10] & 0x80, 0x80);
  const zeros = lz4EncodeFrame(new Uint8Array(5000));
  assert.is(zeros[10] & 0x80, 0);
  assert.ok(zeros.length < 100);
  const stored = lz4EncodeFrame(new Uint8Array(5000), { compress: false });
  assert.is(stored.length, 7 + 4 + 5000 + 4);
});

// --- round trips ---------------------------------------------------------------------------------------------------
const SIZES = [0, 1, 4, 5, 11, 12, 13, 14, 100, 4095, 16384, 65535, 65536, 65537, 131071, 131072, 131073, 262145];
const KINDS: [string, (n: number) => Uint8Array][] = [
  ['random', (n) => randomBytes(n, n + 1)],
  ['zeros', (n) => new Uint8Array(n)],
  ['record-like', (n) => recordLike(n, n + 3)],
];
const OPTION_SETS: Lz4EncodeOptions[] = [
  {},
  { blockIndependence: true },
  { blockChecksum: true, contentChecksum: true, contentSize: true },
  { blockSizeId: 5 },
  { blockSizeId: 6, blockIndependence: true, contentChecksum: true },
  { blockSizeId: 7, blockChecksum: true },
  { compress: false, contentSize: true },
];

test('round trip: sizes around block boundaries × data kinds × frame options', () => {
  for (const [kind, make] of KINDS) {
    for (const n of SIZES) {
      const data = make(n);
      for (const o of OPTION_SETS) {
        const f = lz4EncodeFrame(data, o);
        eq(lz4DecodeFrames(f), data, `${kind} n=${n} ${JSON.stringify(o)}`);
      }
    }
  }
});

test('round trip > 4 MB, linked 64 KB blocks and 4 MB blocks, with checksums', () => {
  const data = recordLike(4 * 1024 * 1024 + 12345, 99);
  for (const o of [{}, { blockSizeId: 7 as const, contentChecksum: true, blockChecksum: true }]) {
    const f = lz4EncodeFrame(data, o);
    assert.ok(f.length < data.length * 0.8, 'it compresses');
    eq(lz4DecodeFrames(f), data, JSON.stringify(o));
    eq(decodeInPieces(f, [65536, 1000, 7]).out, data, `${JSON.stringify(o)} in pieces`);
  }
});

test('block API: compress/decompress, with a dictionary, and too small a destination', () => {
  for (const n of [0, 1, 13, 1000, 70000]) {
    const d = recordLike(n, 5);
    const c = lz4CompressBlock(d);
    const out = new Uint8Array(n);
    assert.is(lz4DecompressBlock(c, out), n);
    eq(out, d, `block n=${n}`);
  }
  // A block whose matches reach into the preceding data (a linked frame's second block).
  const data = recordLike(200000, 8);
  const f = lz4EncodeFrame(data); // linked 64 KB blocks
  const size2 = (f[7 + 4 + ((f[7] | (f[8] << 8) | (f[9] << 16)) & 0x7fffff)] | 0) >>> 0;
  void size2;
  const b1len = (f[7] | (f[8] << 8) | (f[9] << 16) | (f[10] << 24)) & 0x7fffffff;
  const at2 = 7 + 4 + b1len;
  const b2len = (f[at2] | (f[at2 + 1] << 8) | (f[at2 + 2] << 16) | (f[at2 + 3] << 24)) & 0x7fffffff;
  assert.is(f[at2 + 3] & 0x80, 0, 'second block is compressed');
  const block2 = f.subarray(at2 + 4, at2 + 4 + b2len);
  const out = new Uint8Array(65536);
  assert.is(lz4DecompressBlock(block2, out, data.subarray(0, 65536)), 65536);
  eq(out, data.subarray(65536, 131072), 'second block with dictionary');
  expectError(() => lz4DecompressBlock(block2, out), Lz4Error, (e) => assert.match(e.message, /window/));
  expectError(() => lz4DecompressBlock(lz4CompressBlock(new Uint8Array(100)), new Uint8Array(99)), Lz4Error, (e) => assert.match(e.message, /overflow/));
});

test('inputs that are views at an odd byte offset of a bigger buffer decode the same', () => {
  const data = recordLike(100000, 17);
  const f = lz4EncodeFrame(data, { blockChecksum: true });
  const big = new Uint8Array(f.length + 10);
  big.set(f, 3);
  eq(lz4DecodeFrames(big.subarray(3, 3 + f.length)), data, 'frame at byte 3 of its buffer');
  const c = lz4CompressBlock(data.subarray(0, 5000));
  const cb = new Uint8Array(c.length + 5);
  cb.set(c, 5);
  const out = new Uint8Array(5008).subarray(3, 5003);
  assert.is(lz4DecompressBlock(cb.subarray(5), out), 5000);
  eq(out, data.subarray(0, 5000), 'block at byte 5 into a view at byte 3');
});

test('Lz4FrameEncoder (reused context) frames decode like lz4EncodeFrame ones', () => {
  const enc = new Lz4FrameEncoder();
  const data = recordLike(300000, 12);
  const frames: Uint8Array[] = [];
  for (let s = 0; s < data.length; s += 16384) frames.push(enc.encode(data.subarray(s, s + 16384)));
  eq(lz4DecodeFrames(concat(frames)), data, 'reused-context frames');
});

// --- streaming -----------------------------------------------------------------------------------------------------
function multiFrameStream(bigSize = 70000): { stream: Uint8Array; frames: Uint8Array[]; plain: Uint8Array[] } {
  // The 4th frame has two blocks (64 KB + rest); bigSize is its content size.
  const big = recordLike(bigSize, 3);
  big.fill(0x2a, 2000, bigSize - 100); // mostly one long run, so that it compresses to a few hundred bytes
  const plain = [recordLike(3000, 1), new Uint8Array(0), randomBytes(500, 2), big, new TextEncoder().encode('x')];
  const opts: Lz4EncodeOptions[] = [{}, {}, { contentChecksum: true, blockChecksum: true }, { contentSize: true, blockIndependence: true }, {}];
  const frames = plain.map((p, i) => lz4EncodeFrame(p, opts[i]));
  // A skippable frame (magic 0x184D2A53, 5 bytes of payload) between frames 1 and 2 (lz4_Frame_format.md).
  const skip = new Uint8Array([0x53, 0x2a, 0x4d, 0x18, ...u32le(5), 1, 2, 3, 4, 5]);
  frames.splice(2, 0, skip);
  plain.splice(2, 0, new Uint8Array(0));
  return { stream: concat(frames), frames, plain };
}

test('push stops right after each frame end; any piece sizes give the same output', () => {
  const { stream, frames, plain } = multiFrameStream();
  const wantEnds: number[] = [];
  let o = 0;
  for (const f of frames) wantEnds.push((o += f.length));
  const want = concat(plain);
  for (const sizes of [[stream.length], [1], [2, 3], [7], [4096], [13, 1, 100]]) {
    const { out, ends } = decodeInPieces(stream, sizes);
    eq(out, want, `pieces ${sizes}`);
    assert.equal(ends, wantEnds, `frame ends with pieces ${sizes}`);
  }
});

test("output 'view': every chunk of a push stays intact until the next push, across window moves", () => {
  const { stream, plain } = multiFrameStream();
  const big = recordLike(600000, 31);
  const frames = [stream];
  for (let s = 0; s < big.length; s += 16384) frames.push(lz4EncodeFrame(big.subarray(s, s + 16384), { blockIndependence: (s >> 14) % 2 === 0 }));
  frames.push(lz4EncodeFrame(big)); // linked 64 KB blocks: the window moves its last 64 KB to the front
  const input = concat(frames);
  const want = concat([...plain, big, big]);
  for (const piece of [input.length, 100000, 7000, 333]) {
    const dec = new Lz4FrameDecoder({ output: 'view' });
    const copies: Uint8Array[] = [];
    for (let s = 0; s < input.length; s += piece) {
      const chunk = input.subarray(s, Math.min(input.length, s + piece));
      for (let p = 0; p < chunk.length; ) {
        const r = dec.push(chunk, p);
        p += r.consumed;
        const mine = r.output.map((v) => v.slice());
        // All views of this push, checked only now that the push is over.
        r.output.forEach((v, i) => eq(v, mine[i], `view ${i} of a push, piece ${piece}`));
        copies.push(...mine);
      }
    }
    dec.finish();
    eq(concat(copies), want, `view mode, piece ${piece}`);
  }
});

test('the intake shape: raw 24-byte version_info between connections is left to the caller', () => {
  const vi = new Uint8Array(24).fill(0x36); // not an LZ4 magic
  const a = recordLike(20000, 4);
  const b = recordLike(9000, 5);
  const stream = concat([vi, lz4EncodeFrame(a.subarray(0, 16384)), lz4EncodeFrame(a.subarray(16384)), vi, lz4EncodeFrame(b)]);
  const dec = new Lz4FrameDecoder();
  const segments: Uint8Array[][] = [];
  let p = 0;
  while (p < stream.length) {
    if (!dec.inFrame && !isLz4FrameStart(stream, p)) {
      eq(stream.subarray(p, p + 24), vi, `version_info at ${p}`);
      segments.push([]);
      p += 24;
      continue;
    }
    const r = dec.push(stream, p);
    p += r.consumed;
    segments[segments.length - 1].push(...r.output);
  }
  dec.finish();
  assert.is(segments.length, 2);
  eq(concat(segments[0]), a, 'segment 0');
  eq(concat(segments[1]), b, 'segment 1');
  assert.is(dec.bytesConsumed, stream.length - 48);
});

test('isLz4FrameStart: standard and skippable magics only, needs 4 bytes', () => {
  const f = lz4EncodeFrame(new Uint8Array(3));
  assert.ok(isLz4FrameStart(f, 0));
  assert.not.ok(isLz4FrameStart(f, 1));
  assert.not.ok(isLz4FrameStart(f.subarray(0, 3), 0));
  assert.ok(isLz4FrameStart(new Uint8Array([0x5f, 0x2a, 0x4d, 0x18]), 0));
  assert.not.ok(isLz4FrameStart(new Uint8Array([0x60, 0x2a, 0x4d, 0x18]), 0));
});

// --- errors --------------------------------------------------------------------------------------------------------
function decodeErr(bytes: number[] | Uint8Array, cls: new (...a: never[]) => Lz4Error = Lz4Error): Lz4Error {
  let err: Lz4Error | undefined;
  expectError(() => lz4DecodeFrames(new Uint8Array(bytes)), cls, (e) => { err = e; });
  return err!;
}

test('corrupt headers: magic, version, reserved bits, block size id, header checksum, dictionary', () => {
  let e = decodeErr([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.is(e.code, 'ERR_CORRUPT');
  assert.is(e.offset, 0);
  assert.is(e.frame, 0);
  assert.match(e.message, /bad magic number 0x04030201/);
  assert.match(decodeErr([...header(0x80, 0x40), 0, 0, 0, 0]).message, /version/);
  assert.match(decodeErr([...header(0x42, 0x40), 0, 0, 0, 0]).message, /reserved bit set in FLG/);
  assert.match(decodeErr([...header(0x40, 0x41), 0, 0, 0, 0]).message, /reserved bits set in BD/);
  assert.match(decodeErr([...header(0x40, 0xc0), 0, 0, 0, 0]).message, /reserved bits set in BD/);
  assert.match(decodeErr([...header(0x40, 0x30), 0, 0, 0, 0]).message, /block maximum size id 3/);
  e = decodeErr([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0xc1, 0, 0, 0, 0]);
  assert.match(e.message, /header checksum mismatch \(stored 0xc1, computed 0xc0\)/);
  assert.is(e.offset, 6);
  assert.match(decodeErr([...header(0x41, 0x40, [1, 2, 3, 4]), 0, 0, 0, 0]).message, /dictionary/);
  // Second frame bad: the offset and frame index point at it.
  const good = lz4EncodeFrame(new Uint8Array(100));
  e = decodeErr(concat([good, new Uint8Array([9, 9, 9, 9])]));
  assert.is(e.offset, good.length);
  assert.is(e.frame, 1);
});

test('corrupt blocks: too large, offset 0, offset out of window, output overflow, ends with a match', () => {
  const h = header(0x40, 0x40);
  let e = decodeErr([...h, ...u32le(65537), 0]);
  assert.match(e.message, /block of 65537 bytes exceeds the frame's block maximum size 65536/);
  assert.is(e.offset, 7);
  // token 0x10: 1 literal 'a', then offset 0.
  e = decodeErr([...h, ...u32le(4), 0x10, 0x61, 0, 0, 0, 0, 0, 0]);
  assert.match(e.message, /match offset 0/);
  assert.is(e.offset, 7 + 4 + 2);
  // 1 literal then offset 2 (only 1 byte of history).
  e = decodeErr([...h, ...u32le(4), 0x10, 0x61, 2, 0, 0, 0, 0, 0]);
  assert.match(e.message, /window/);
  // 1 literal, offset 1, match length 15+255*300: far more than 64 KB.
  const ml = [0x1f, 0x61, 1, 0, ...new Array(300).fill(255), 0, 0x00];
  e = decodeErr([...h, ...u32le(ml.length), ...ml, 0, 0, 0, 0]);
  assert.match(e.message, /overflow/);
  // 1 literal + match, and nothing after: the last sequence must be literals only.
  e = decodeErr([...h, ...u32le(4), 0x10, 0x61, 1, 0, 0, 0, 0, 0]);
  assert.match(e.message, /ends with a match/);
});

test('checksum and content size mismatches are detected (and skipped with verifyChecksums: false)', () => {
  const data = recordLike(5000, 9);
  const f = lz4EncodeFrame(data, { blockChecksum: true, contentChecksum: true });
  const bad = f.slice();
  bad[f.length - 9] ^= 1; // last byte of the block checksum
  assert.match(decodeErr(bad).message, /block checksum mismatch/);
  const bad2 = f.slice();
  bad2[f.length - 1] ^= 0x80; // content checksum
  const e = decodeErr(bad2);
  assert.match(e.message, /content checksum mismatch/);
  assert.is(e.offset, f.length - 4);
  eq(lz4DecodeFrames(bad, { verifyChecksums: false }), data, 'no verification');
  const cs = lz4EncodeFrame(data, { contentSize: true });
  cs[6] ^= 1; // content size low byte; the header checksum must then be fixed up
  cs[14] = (xxh32(cs.subarray(4, 14), 0) >>> 8) & 0xff;
  assert.match(decodeErr(cs).message, /content size mismatch/);
});

test('errors are sticky, and carry a code, an offset and a frame index', () => {
  const dec = new Lz4FrameDecoder();
  const bad = new Uint8Array([0, 1, 2, 3]);
  let first: unknown;
  try { dec.push(bad); } catch (e) { first = e; }
  assert.instance(first, Lz4Error);
  try { dec.push(lz4EncodeFrame(new Uint8Array(3))); assert.unreachable(); } catch (e) { assert.is(e, first); }
});

test('every truncation point of a multi-frame stream: Lz4TruncatedError at finish, or a clean end at frame ends', () => {
  const { stream, frames, plain } = multiFrameStream();
  const ends = new Set<number>([0]);
  const outAt = new Map<number, number>([[0, 0]]);
  let o = 0;
  let n = 0;
  frames.forEach((f, i) => { o += f.length; n += plain[i].length; ends.add(o); outAt.set(o, n); });
  const starts = [0];
  for (const f of frames) starts.push(starts[starts.length - 1] + f.length);
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const split of [cut, cut >> 1]) {
      const dec = new Lz4FrameDecoder();
      let out = 0;
      const feed = (buf: Uint8Array) => {
        for (let p = 0; p < buf.length; ) {
          const r = dec.push(buf, p);
          p += r.consumed;
          for (const c of r.output) out += c.length;
        }
      };
      feed(stream.subarray(0, split));
      feed(stream.subarray(split, cut));
      assert.is(dec.bytesConsumed, cut);
      if (ends.has(cut)) {
        dec.finish();
        assert.is(out, outAt.get(cut), `output at clean cut ${cut}`);
      } else {
        expectError(() => dec.finish(), Lz4TruncatedError, (e) => {
          assert.is(e.code, 'ERR_TRUNCATED');
          assert.is(e.offset, cut);
          let idx = 0;
          while (starts[idx + 1] <= cut) idx++;
          assert.is(e.frame, idx, `frame index at cut ${cut}`);
        });
      }
    }
  }
});

test('fuzz: 20k single and multi-byte mutations never crash, hang or pass corrupt data with checksums on', () => {
  const r = prng(2024);
  const plainA = recordLike(6000, 21);
  const plainB = randomBytes(300, 22);
  const withSums = concat([lz4EncodeFrame(plainA, { blockChecksum: true, contentChecksum: true, blockSizeId: 4 }), lz4EncodeFrame(plainB, { contentChecksum: true })]);
  const agent = concat([lz4EncodeFrame(plainA), lz4EncodeFrame(plainB)]);
  const want = concat([plainA, plainB]);
  let errors = 0;
  for (let i = 0; i < 20000; i++) {
    const base = i & 1 ? withSums : agent;
    const m = base.slice();
    const flips = 1 + (r() % 3);
    for (let k = 0; k < flips; k++) {
      const at = r() % m.length;
      m[at] = r() % 4 === 0 ? m[at] ^ (1 << (r() % 8)) : r() & 0xff;
    }
    const cut = r() % 8 === 0 ? r() % m.length : m.length;
    const input = m.subarray(0, cut);
    try {
      const out = lz4DecodeFrames(input);
      if (base === withSums && cut === m.length) eq(out, want, `mutation ${i} passed checksums`);
    } catch (e) {
      if (!(e instanceof Lz4Error)) throw e;
      assert.ok(e.offset >= 0 && e.offset <= input.length, `offset ${e.offset} within input`);
      errors++;
    }
  }
  assert.ok(errors > 10000, `most mutations are caught (${errors})`);
});

test.run();
