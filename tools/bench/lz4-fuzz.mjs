// Mutation fuzzer for the LZ4 frame decoder of @flowmill/raw-codec: ≥ 1,000,000 mutated inputs (bit flips, byte
// sets, inserted/deleted bytes, truncations, splices of two streams), decoded whole and streamed in random pieces.
// Pass: every input either decodes or throws Lz4Error (never another exception, never a hang: each case is bounded
// by its input), error offsets lie within the input, and inputs with block + content checksums never decode to
// anything but the original. Prints a summary line; exits 1 on the first failure, with the case saved to
// tools/bench/out/lz4-fuzz-failure.bin.
// Run: node --conditions=@flowmill/source --import tsx tools/bench/lz4-fuzz.mjs [cases] [seed]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const { Lz4Error, Lz4FrameDecoder, lz4DecodeFrames, lz4EncodeFrame } = await import(join(root, 'packages/raw-codec/src/lz4/index.ts'));

const CASES = Number(process.argv[2] ?? 1_000_000);
let s = Number(process.argv[3] ?? 1) >>> 0 || 1;
const rnd = () => {
  s ^= s << 13; s >>>= 0;
  s ^= s >>> 17;
  s ^= s << 5; s >>>= 0;
  return s;
};

function sample(n, kind) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 0) b[i] = rnd() & 0xff;
    else if (kind === 1) b[i] = i % 24 < 10 ? (i >> 5) & 0xff : rnd() % 3;
    else b[i] = (i % (1 + (i >> 8) % 5)) * 17;
  }
  return b;
}
function concat(parts) {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// Seeds: agent-shaped frames (no checksums) and checksummed frames, small enough that a case takes microseconds.
const seeds = [];
for (let k = 0; k < 12; k++) {
  const plain = [sample(200 + (rnd() % 3000), k % 3), sample(rnd() % 400, (k + 1) % 3)];
  const checked = k % 2 === 1;
  const opts = checked ? { blockChecksum: true, contentChecksum: true } : k % 4 === 2 ? { blockIndependence: true, contentSize: true } : {};
  seeds.push({ stream: concat(plain.map((p) => lz4EncodeFrame(p, opts))), want: concat(plain), checked });
}
// Multi-block seed (two 64 KB linked blocks + tail).
{
  const p = sample(140000, 1);
  seeds.push({ stream: lz4EncodeFrame(p, { contentChecksum: true, blockChecksum: true }), want: p, checked: true });
}

function eq(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function fail(why, input) {
  const dir = join(root, 'tools/bench/out');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lz4-fuzz-failure.bin'), input);
  console.error(`lz4-fuzz: FAIL: ${why} (input saved to tools/bench/out/lz4-fuzz-failure.bin)`);
  process.exit(1);
}

const started = Date.now();
let errors = 0;
let decoded = 0;
const reasons = new Map();
for (let c = 0; c < CASES; c++) {
  const seed = seeds[rnd() % (c % 97 === 0 ? seeds.length : seeds.length - 1)];
  let m = seed.stream.slice();
  const ops = 1 + (rnd() % 4);
  let inPlace = true; // only bit flips and byte sets: a checksummed stream must then decode to the original or fail
  for (let k = 0; k < ops; k++) {
    const op = rnd() % 10;
    const at = rnd() % m.length;
    if (op < 4) m[at] ^= 1 << (rnd() % 8);
    else if (op < 7) m[at] = rnd() & 0xff;
    else if (op === 7) inPlace = false, m = concat([m.subarray(0, at), new Uint8Array([rnd() & 0xff]), m.subarray(at)]);
    else if (op === 8) inPlace = false, m = concat([m.subarray(0, at), m.subarray(at + 1)]);
    else { inPlace = false; const o = seeds[rnd() % seeds.length].stream; m = concat([m.subarray(0, at), o.subarray(rnd() % o.length)]); }
    if (m.length === 0) m = new Uint8Array([0]);
  }
  if (rnd() % 10 === 0) inPlace = false, m = m.subarray(0, rnd() % m.length);
  const streamed = c % 4 === 0;
  try {
    let out;
    if (streamed) {
      const dec = new Lz4FrameDecoder();
      const parts = [];
      for (let p = 0; p < m.length; ) {
        const end = Math.min(m.length, p + 1 + (rnd() % 512));
        const piece = m.subarray(p, end);
        for (let q = 0; q < piece.length; ) {
          const r = dec.push(piece, q);
          if (r.consumed === 0 && !r.frameEnded) fail('push made no progress', m);
          q += r.consumed;
          parts.push(...r.output);
        }
        p = end;
      }
      dec.finish();
      out = concat(parts);
    } else {
      out = lz4DecodeFrames(m);
    }
    decoded++;
    if (seed.checked && inPlace && !eq(out, seed.want)) fail(`case ${c}: corrupt checksummed input decoded to different content`, m);
  } catch (e) {
    if (!(e instanceof Lz4Error)) fail(`case ${c}: non-Lz4Error thrown: ${e && e.stack}`, m);
    if (!(e.offset >= 0 && e.offset <= m.length)) fail(`case ${c}: error offset ${e.offset} outside input of ${m.length}`, m);
    errors++;
    const key = e.reason.replace(/0x[0-9a-f]+|\d+/g, 'N');
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
}
const secs = (Date.now() - started) / 1000;
console.log(`lz4-fuzz: ${CASES} cases in ${secs.toFixed(1)}s: ${errors} rejected with Lz4Error, ${decoded} decoded, 0 crashes, 0 hangs`);
for (const [k, v] of [...reasons.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(8)}  ${k}`);
