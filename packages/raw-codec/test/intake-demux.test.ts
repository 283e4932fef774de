// The intake demux lets each LZ4 frame's structure decide where it ends; the connection signature (a raw version_info,
// rpc 310 = 36 01 at +8, then an LZ4 magic at +24) is looked for only when a frame breaks (issue 17).
// The agent writes the raw version_info before the LZ4 frames of each connection (collector/kernel/
// kernel_collector.cc@3598385a:326-328), then one frame per flush with NULL preferences, so no checksums
// (channel/lz4_channel.cc@3598385a:53-63).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinSchema, decode, decodeBytes, encodeIntake, packFlushes, RecordEncoder, TruncatedError, type DecodedRecord } from '../src/index.js';
import { lastConnectionStart } from '../src/codec/intake-demux.js';
import { cat, rng } from './helpers.js';

const fm = builtinSchema('flowmill');
const e = new RecordEncoder(fm.apps.ingest);
const T0 = 1_700_000_000_000_000_000n;
const versionInfo = (t = T0) => e.encode('version_info', t, { major: 0, minor: 9, build: 4321 });
/** A version_info made of bytes found nowhere else (so LZ4 keeps it as literals): random timestamp and version. */
const oddVersionInfo = (r: () => number) => e.encode('version_info', BigInt.asUintN(64, BigInt(Math.floor(r() * 2 ** 53)) * 1999n + 7n), { major: 0x10000000 + Math.floor(r() * 2 ** 27), minor: 0x20000000 + Math.floor(r() * 2 ** 27), build: 0x30000000 + Math.floor(r() * 2 ** 27) });
const hexOf = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Bytes no LZ4 match can reach: a fresh random run (so they stay literals in the compressed block). */
function noise(r: () => number, n: number): Uint8Array { return Uint8Array.from({ length: n }, () => (r() * 256) | 0); }

/** Frame starts of an intake capture of one connection, found by walking the frames (header, block sizes, end mark). */
function frameStarts(cap: Uint8Array): number[] {
  const dv = new DataView(cap.buffer, cap.byteOffset, cap.byteLength);
  const out: number[] = [];
  let p = 24;
  while (p < cap.length) {
    out.push(p);
    assert.is(dv.getUint32(p, true), 0x184d2204, `frame magic at ${p}`);
    const flg = cap[p + 4];
    p += 7 + (flg & 0x08 ? 8 : 0);
    for (;;) {
      const v = dv.getUint32(p, true);
      p += 4;
      if (v === 0) break;
      p += (v & 0x7fffffff) + (flg & 0x10 ? 4 : 0);
    }
    if (flg & 0x04) p += 4;
  }
  return out;
}

const lines = (rs: DecodedRecord[]) => rs.map((r) => `${r.name} ${r.timestamp} ${r.segment} ${JSON.stringify(r.data)}`);

/**
 * One connection of `frames` flushes; every flush ends with a set_config_label whose last 12 bytes start with 36 01,
 * so at every frame boundary the 28 bytes before the next magic's end look like a new connection's start.
 */
function signatureAtEveryBoundary(frames: number, seed = 1): { cap: Uint8Array; recs: Uint8Array[] } {
  const r = rng(seed);
  const flushes: Uint8Array[][] = [];
  const all: Uint8Array[] = [versionInfo(), e.encode('authz_authenticate', T0 + 1n, { token: 'TOKEN', collector_type: 1, hostname: 'h' })];
  for (let f = 0; f < frames; f++) {
    const t = T0 + BigInt(1000 * (f + 1));
    const fl = [e.encode('heartbeat', t, {}), e.encode('set_config_label', t, { key: `k${f}`, value: { hex: hexOf(cat(noise(r, 20), Uint8Array.of(0x36, 0x01), noise(r, 10))) } })];
    if (f === 0) fl.unshift(all[1]);
    flushes.push(fl);
    all.push(...(f === 0 ? fl.slice(1) : fl));
  }
  return { cap: encodeIntake(flushes, all[0]), recs: all };
}

test('a valid frame whose last bytes form the connection signature is not a cut', async () => {
  const { cap, recs } = signatureAtEveryBoundary(40);
  const starts = frameStarts(cap);
  // The precondition this test is about: every boundary looks like a connection start.
  for (const f of starts.slice(1)) assert.ok(lastConnectionStart(cap, f - 24, f - 23) === f - 24, `signature before frame at ${f}`);
  const cuts: TruncatedError[] = [];
  const got = decodeBytes(cap, { onCut: (x) => cuts.push(x) });
  assert.is(cuts.length, 0);
  assert.is(got.length, recs.length);
  assert.equal(lines(decodeBytes(cap)), lines(got), 'no error without onCut either');
  assert.ok(got.every((x) => x.segment === 0));
  // Any chunking: the same.
  for (const step of [1, 23, 24, 27, 28, 29, 4096]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < cap.length; i += step) chunks.push(cap.subarray(i, i + step));
    const out: DecodedRecord[] = [];
    for await (const x of decode(chunks)) out.push(x);
    assert.equal(lines(out), lines(got), `step ${step}`);
  }
});

test('a frame whose literals hold a whole version_info and an LZ4 magic is not a cut', () => {
  const r = rng(7);
  const fake = () => cat(oddVersionInfo(r), Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0xc0));
  const recs = [versionInfo(), e.encode('authz_authenticate', T0 + 1n, { token: 'TOKEN', collector_type: 1, hostname: 'h' })];
  for (let i = 0; i < 30; i++) recs.push(e.encode('set_config_label', T0 + BigInt(10 + i), { key: `k${i}`, value: { hex: hexOf(i % 5 === 2 ? cat(noise(r, 9), fake(), noise(r, 9)) : noise(r, 40)) } }));
  const cap = encodeIntake(packFlushes(recs.slice(1), 600), recs[0]);
  const inside = lastConnectionStart(cap, 25, cap.length);
  assert.ok(inside > 24, 'the precondition: a signature inside a frame');
  const cuts: TruncatedError[] = [];
  const got = decodeBytes(cap, { onCut: (x) => cuts.push(x) });
  assert.is(cuts.length, 0);
  assert.is(got.length, recs.length);
  assert.ok(got.every((x) => x.segment === 0));
});

test('a connection cut after a frame\'s fake signature: the cut is the last signature, and no record of the next connection belongs to the cut frame', () => {
  const r = rng(11);
  const fake = () => cat(oddVersionInfo(r), Uint8Array.of(0x04, 0x22, 0x4d, 0x18));
  const a = [versionInfo(), e.encode('authz_authenticate', T0 + 1n, { token: 'T', collector_type: 1, hostname: 'a' })];
  for (let i = 0; i < 6; i++) a.push(e.encode('set_config_label', T0 + BigInt(10 + i), { key: `a${i}`, value: { hex: hexOf(cat(noise(r, 30), fake(), noise(r, 30))) } }));
  const capA = encodeIntake(packFlushes(a.slice(1), 4000), a[0]); // one frame
  const b = [versionInfo(T0 + 100n), e.encode('authz_authenticate', T0 + 101n, { token: 'T', collector_type: 1, hostname: 'b' }), e.encode('heartbeat', T0 + 102n, {})];
  const capB = encodeIntake(packFlushes(b.slice(1), 4000), b[0]);
  const fakeAt = lastConnectionStart(capA, 25, capA.length);
  assert.ok(fakeAt > 24, 'precondition: a fake signature inside the frame');
  for (const cutAt of [fakeAt + 40, capA.length - 9, capA.length - 1]) {
    const bytes = cat(capA.subarray(0, cutAt), capB);
    assert.throws(() => decodeBytes(bytes), (x: unknown) => x instanceof TruncatedError && x.offset === cutAt && /connection cut inside LZ4 frame 0/.test(x.message));
    const cuts: TruncatedError[] = [];
    const got = decodeBytes(bytes, { onCut: (x) => cuts.push(x) });
    assert.equal(cuts.map((x) => x.offset), [cutAt]);
    // The cut frame was the connection's only frame: only its version_info, then the whole next connection.
    assert.equal(got.map((x) => `${x.segment} ${x.timestamp}`), [`0 ${T0}`, ...b.map((_, i) => `1 ${T0 + BigInt([100, 101, 102][i])}`)]);
  }
});

test('a connection cut at every byte offset of its frames is found there, with only whole frames kept before it', () => {
  const a = [versionInfo(), e.encode('authz_authenticate', T0 + 1n, { token: 'TOKEN', collector_type: 1, hostname: 'a' })];
  for (let i = 0; i < 30; i++) a.push(i % 2 ? e.encode('heartbeat', T0 + BigInt(10 + i), {}) : e.encode('set_config_label', T0 + BigInt(10 + i), { key: `k${i}`, value: 'v'.repeat(i) }));
  const flushes = [...packFlushes(a.slice(1), 200)];
  const capA = encodeIntake(flushes, a[0]);
  const b = [versionInfo(T0 + 1000n), e.encode('authz_authenticate', T0 + 1001n, { token: 'TOKEN', collector_type: 1, hostname: 'b' }), e.encode('heartbeat', T0 + 1002n, {})];
  const capB = encodeIntake(packFlushes(b.slice(1), 200), b[0]);
  const starts = [...frameStarts(capA), capA.length];
  // Records of A that lie in frames before frame k: version_info plus the flushes before k.
  const before = (k: number) => 1 + flushes.slice(0, k).reduce((n, f) => n + f.length, 0);
  const bLines = b.map((r, i) => `${1} ${T0 + BigInt([1000, 1001, 1002][i])}`);
  let checked = 0;
  for (let cutAt = starts[0]; cutAt <= capA.length; cutAt++) {
    const k = starts.findIndex((f, i) => cutAt >= f && cutAt < (starts[i + 1] ?? Infinity));
    const atBoundary = starts.includes(cutAt);
    const cuts: number[] = [];
    const got = decodeBytes(cat(capA.subarray(0, cutAt), capB), { onCut: (x) => cuts.push(x.offset!) });
    assert.equal(cuts, atBoundary ? [] : [cutAt], `cuts for a cut at ${cutAt}`);
    const keep = before(atBoundary ? k : k);
    assert.equal(got.map((r) => `${r.segment} ${r.timestamp}`), [...a.slice(0, keep).map((_, i) => `0 ${got[i].timestamp}`), ...bLines], `records for a cut at ${cutAt}`);
    assert.equal(got.slice(0, keep).map((r) => r.timestamp), a.slice(0, keep).map((r) => new DataView(r.buffer, r.byteOffset).getBigUint64(0, true)), `A's records for a cut at ${cutAt}`);
    checked++;
  }
  assert.ok(checked > 400, `${checked} offsets`);
});

test('a large capture (tens of thousands of frames, a signature-shaped tail at every boundary) is read whole', async () => {
  const { cap, recs } = signatureAtEveryBoundary(30_000, 3);
  let n = 0;
  let cuts = 0;
  let last: DecodedRecord | null = null;
  // Read as a file is read: big chunks that end anywhere.
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < cap.length; i += 65_521) chunks.push(cap.subarray(i, i + 65_521));
  for await (const x of decode(chunks, { onCut: () => cuts++ })) { n++; last = x; }
  assert.is(cuts, 0);
  assert.is(n, recs.length);
  assert.is(last!.segment, 0);
  assert.is(last!.name, 'set_config_label');
});

test.run();
