// The two LZ4 block decoders: liblz4 built to WebAssembly (the default) and the TypeScript one (the fallback where
// WebAssembly is missing, and the one that explains a block liblz4 rejects). Expected bytes come from the input
// (round trips through the `lz4` CLI and our encoder), never from either decoder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lz4Error, Lz4FrameDecoder, lz4DecodeFrames, lz4EncodeFrame } from '../src/lz4/index.js';
import { wasmBlockDecoderAvailable } from '../src/lz4/block-wasm.js';
import { LZ4_BLOCK_WASM_BASE64 } from '../src/lz4/wasm/lz4-block-wasm.js';
import { concat, eq, prng as xorshift, randomBytes } from './lz4-helpers.js';

/** Numbers in [0, 1) from the tests' xorshift32. */
const prng = (seed: number) => { const r = xorshift(seed); return () => r() / 4294967296; };

const here = dirname(fileURLToPath(import.meta.url));

/** Record-like bytes: repeats at many distances, so matches reach into earlier blocks of a linked frame. */
function recordLike(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i > 300 && r() < 0.8 ? out[i - 1 - Math.floor(r() * 300)] : Math.floor(r() * 256);
  return out;
}

test('the embedded module is the committed lz4-block.wasm, and it loads here', () => {
  const file = readFileSync(join(here, '../src/lz4/wasm/lz4-block.wasm'));
  assert.is(Buffer.from(LZ4_BLOCK_WASM_BASE64, 'base64').equals(file), true);
  assert.ok(wasmBlockDecoderAvailable());
});

test('under Deno too, the built library loads the module and decodes with it', () => {
  const deno = join(here, '../../../node_modules/.bin/deno');
  const lib = join(here, '../dist/lib/lz4');
  const src = `import { wasmBlockDecoderAvailable } from '${lib}/block-wasm.js';
import { lz4DecodeFrames } from '${lib}/index.js';
const frame = Uint8Array.from(atob('${Buffer.from(execFileSync('lz4', ['-1', '-c'], { input: recordLike(100_000, 12) })).toString('base64')}'), (c) => c.charCodeAt(0));
const out = lz4DecodeFrames(frame);
let sum = 0; for (const b of out) sum = (sum * 31 + b) >>> 0;
console.log(JSON.stringify({ wasm: wasmBlockDecoderAvailable(), n: out.length, sum }));`;
  const file = join(mkdtempSync(join(tmpdir(), 'raw-codec-deno-')), 'lz4.mjs');
  writeFileSync(file, src);
  const r = execFileSync(deno, ['run', '-A', file], { encoding: 'utf8', timeout: 180_000 });
  const want = recordLike(100_000, 12);
  let sum = 0;
  for (const b of want) sum = (sum * 31 + b) >>> 0;
  assert.equal(JSON.parse(r), { wasm: true, n: want.length, sum });
});

test('liblz4 (wasm) and the TypeScript decoder give the input back: lz4 CLI frames (linked 64 KiB blocks) and ours', () => {
  for (const [i, plain] of [recordLike(300_000, 1), randomBytes(70_000, 2), recordLike(16_384, 3), new Uint8Array(0)].entries()) {
    const cli = new Uint8Array(execFileSync('lz4', ['-1', '-B4', '-BD', '-c'], { input: plain, maxBuffer: 1 << 26 }));
    for (const frame of [cli, lz4EncodeFrame(plain)]) {
      eq(lz4DecodeFrames(frame), plain, `case ${i}, liblz4`);
      eq(lz4DecodeFrames(frame, { blockDecoder: 'typescript' }), plain, `case ${i}, typescript`);
    }
  }
});

test('a corrupt block: both decoders reject it, and the error says where', () => {
  // Words from a small pool: many short matches and literal runs, so mutations land on tokens and offsets.
  const pool = Array.from({ length: 64 }, (_, i) => randomBytes(5 + (i % 7), 100 + i));
  const pick = prng(4);
  const plain = concat(Array.from({ length: 6000 }, () => pool[Math.floor(pick() * 64)]));
  const frame = lz4EncodeFrame(plain);
  const r = prng(5);
  let rejected = 0;
  for (let k = 0; k < 300; k++) {
    const bad = frame.slice();
    const at = 11 + Math.floor(r() * (bad.length - 15)); // inside the block (after the header and block size)
    bad[at] ^= 1 + Math.floor(r() * 255);
    const errs = (['liblz4', 'typescript'] as const).map((d) => {
      try { lz4DecodeFrames(bad, { blockDecoder: d }); return null; } catch (e) { return e; }
    });
    for (const e of errs) if (e !== null) assert.instance(e, Lz4Error);
    if (errs[0]) { rejected++; assert.ok((errs[0] as Lz4Error).offset >= 11 && (errs[0] as Lz4Error).offset <= bad.length, 'offset inside the frame'); }
    // When liblz4 accepts a mutated block, so does the TypeScript decoder, with the same bytes.
    if (!errs[0]) eq(lz4DecodeFrames(bad), lz4DecodeFrames(bad, { blockDecoder: 'typescript' }), `mutation at ${at}`);
  }
  assert.ok(rejected > 0);
});

test('concatenated frames decode alike with either decoder', () => {
  const parts = [recordLike(10_000, 6), recordLike(16_384, 7), randomBytes(5_000, 8)];
  const all = concat(parts.map((p) => lz4EncodeFrame(p)));
  eq(lz4DecodeFrames(all), concat(parts), 'liblz4');
  eq(lz4DecodeFrames(all, { blockDecoder: 'typescript' }), concat(parts), 'typescript');
});

test('decoders whose window lives in the module memory: a newer one takes it over, the older goes on with a copy', () => {
  const plains = [recordLike(400_000, 9), recordLike(300_000, 10), recordLike(200_000, 11)];
  // Linked 64 KiB blocks: matches reach into earlier blocks, so a window lost mid-frame must keep its history.
  const frames = plains.map((p) => new Uint8Array(execFileSync('lz4', ['-1', '-B4', '-BD', '-c'], { input: p, maxBuffer: 1 << 26 })));
  const decs = frames.map(() => new Lz4FrameDecoder({ wasmWindow: true }));
  const outs: Uint8Array[][] = frames.map(() => []);
  const at = frames.map(() => 0);
  // Interleaved 5000-byte pushes: each decoder starts while the others are mid-frame.
  for (let more = true; more;) {
    more = false;
    frames.forEach((f, i) => {
      if (at[i] >= f.length) return;
      const piece = f.subarray(at[i], at[i] + 5000);
      for (let p = 0; p < piece.length;) { const r = decs[i].push(piece, p); p += r.consumed; outs[i].push(...r.output); }
      at[i] += piece.length;
      more = true;
    });
  }
  decs.forEach((d, i) => { d.finish(); eq(concat(outs[i]), plains[i], `stream ${i}`); });
});

test.run();
