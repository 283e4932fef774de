// Interop of the LZ4 codec (src/lz4) with real peers: the lz4 1.9.x CLI and liblz4's frame API (through a tiny C
// helper compiled at setup from test/fixtures/lz4f-helper.c; needs cc and liblz4-dev). Expected values come from
// the input or from those peers, never from our own earlier output.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Lz4FrameDecoder, Lz4FrameEncoder, lz4DecodeFrames, lz4EncodeFrame } from '../src/lz4/index.js';
import type { Lz4EncodeOptions } from '../src/lz4/index.js';
import { concat, eq, hex, prng, randomBytes } from './lz4-helpers.js';

const here = new URL('.', import.meta.url).pathname;
let dir = '';
let helper = '';

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lz4-interop-'));
  helper = join(dir, 'lz4f');
  execFileSync('cc', ['-O2', '-o', helper, join(here, 'fixtures/lz4f-helper.c'), '-llz4'], { stdio: ['ignore', 'ignore', 'inherit'] });
});
test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Record-shaped bytes: u64 timestamp, u16 id, a few fields from small pools, strings; periodic runs now and then. */
function records(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  const names = ['nginx', 'curl', 'kube-proxy', 'coredns', 'postgres'].map((s) => new TextEncoder().encode(s));
  let ts = 1000;
  let i = 0;
  while (i + 64 < n) {
    ts += r() % 5000;
    b[i] = ts & 0xff; b[i + 1] = (ts >>> 8) & 0xff; b[i + 2] = (ts >>> 16) & 0xff; b[i + 6] = 0xb8; b[i + 7] = 0x16;
    b[i + 8] = 0x2c + (r() % 4); b[i + 9] = 0x01;
    const k = r() % 6;
    if (k < 3) {
      for (let j = 10; j < 40; j++) b[i + j] = j % 7 === 0 ? r() & 0xff : j;
      i += 40;
    } else if (k < 5) {
      const nm = names[r() % names.length];
      b.set(nm, i + 12);
      i += 12 + nm.length;
    } else {
      b.fill(r() & 0xff, i + 10, i + 10 + (r() % 50));
      i += 60;
    }
  }
  return b;
}
function lz4(args: string[], input?: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync('lz4', args, { input, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'pipe'] }));
}
/** Streams buf through one decoder in random pieces; returns the output and the offsets where frames start. */
function streamDecode(buf: Uint8Array, seed: number): { out: Uint8Array; frameStarts: number[] } {
  const r = prng(seed);
  const dec = new Lz4FrameDecoder();
  const parts: Uint8Array[] = [];
  const frameStarts = [0];
  let s = 0;
  while (s < buf.length) {
    const chunk = buf.subarray(s, Math.min(buf.length, s + 1 + (r() % 70000)));
    for (let p = 0; p < chunk.length; ) {
      const res = dec.push(chunk, p);
      p += res.consumed;
      parts.push(...res.output);
      if (res.frameEnded && dec.bytesConsumed < buf.length) frameStarts.push(dec.bytesConsumed);
    }
    s += chunk.length;
  }
  dec.finish();
  return { out: concat(parts), frameStarts };
}

const DATA = records(1_300_000, 1);

// --- ours → lz4 CLI ------------------------------------------------------------------------------------------------
test('our frames decode with `lz4 -d`, every option set, sizes from 0 to > 4 MB', () => {
  const sets: Lz4EncodeOptions[] = [
    {}, { blockIndependence: true }, { blockSizeId: 5 }, { blockSizeId: 6, blockIndependence: true },
    { blockSizeId: 7, blockChecksum: true, contentChecksum: true, contentSize: true }, { compress: false },
  ];
  for (const data of [new Uint8Array(0), new Uint8Array([7]), randomBytes(70000, 2), DATA]) {
    for (const o of sets) eq(lz4(['-d', '-c'], lz4EncodeFrame(data, o)), data, `n=${data.length} ${JSON.stringify(o)}`);
  }
  const big = records(4_500_000, 3);
  eq(lz4(['-d', '-c'], lz4EncodeFrame(big)), big, '> 4 MB, 64 KB linked blocks');
  eq(lz4(['-d', '-c'], lz4EncodeFrame(big, { blockSizeId: 7, contentChecksum: true })), big, '> 4 MB, 4 MB blocks');
});

test('our concatenated 16 KiB frames (the intake shape) decode with `lz4 -d` to the whole input', () => {
  const frames: Uint8Array[] = [];
  for (let s = 0; s < DATA.length; s += 16384) frames.push(lz4EncodeFrame(DATA.subarray(s, s + 16384)));
  eq(lz4(['-d', '-c'], concat(frames)), DATA, 'concatenated frames');
});

// --- lz4 CLI → ours ------------------------------------------------------------------------------------------------
test('`lz4` CLI frames with many options decode with ours (whole and streamed in random pieces)', () => {
  const file = join(dir, 'data.bin');
  writeFileSync(file, DATA);
  const optionSets = [
    [], ['-B4'], ['-B5'], ['-B6'], ['-B7'], ['-BD'], ['-B4', '-BD'], ['--content-size'], ['--no-frame-crc'],
    ['-BX'], ['-BX', '-BD', '--content-size'], ['-1'], ['-9'], ['-12'], ['--favor-decSpeed', '-9'], ['--fast=8'],
    ['-l'], // legacy frame format
  ];
  optionSets.forEach((opts, i) => {
    const f = lz4(['-c', ...opts, file]);
    eq(lz4DecodeFrames(f), DATA, `lz4 ${opts.join(' ')}`);
    eq(streamDecode(f, i + 1).out, DATA, `lz4 ${opts.join(' ')}, streamed`);
  });
  // > 4 MB with 4 MB blocks (two blocks, the second linked) and a content checksum.
  const big = records(5_000_000, 4);
  const bigFile = join(dir, 'big.bin');
  writeFileSync(bigFile, big);
  eq(lz4DecodeFrames(lz4(['-c', '-B7', '-BD', '--content-size', bigFile])), big, 'lz4 -B7 -BD, 5 MB');
});

test('`lz4` CLI frames of short sequences (periods 1..24, literal runs 0..20) and of tiny inputs decode with ours', () => {
  // Exercises the decoder's fixed-width copies for short literals and matches: overlapping matches at every small
  // offset, and sequences near a block's end where only the exact-length paths may run.
  const r = prng(99);
  const b = new Uint8Array(400_000);
  let i = 0;
  while (i < b.length - 100) {
    const lit = r() % 21;
    for (let k = 0; k < lit; k++) b[i++] = r() & 0xff;
    const period = 1 + (r() % 24);
    const run = r() % 41;
    for (let k = 0; k < run; k++, i++) b[i] = i >= period ? b[i - period] : 7;
  }
  const file = join(dir, 'short.bin');
  writeFileSync(file, b);
  for (const opts of [['-1'], ['-9'], ['-12'], ['-B4', '-BD'], ['--fast=3']]) {
    eq(lz4DecodeFrames(lz4(['-c', ...opts, file])), b, `lz4 ${opts.join(' ')}, short sequences`);
  }
  // Every input length 0..300 (from the same data): blocks where the whole block is inside the fast paths' margins.
  const frames: Uint8Array[] = [];
  const want: Uint8Array[] = [];
  for (let n = 0; n <= 300; n++) {
    const part = b.subarray(n * 37, n * 37 + n);
    frames.push(lz4(['-c', '-9'], part));
    want.push(part);
  }
  eq(lz4DecodeFrames(concat(frames)), concat(want), 'lz4 -9 of lengths 0..300');
});

test('concatenated `lz4` files (different options, an empty one, a skippable frame) decode to the joined inputs', () => {
  const a = DATA.subarray(0, 200000);
  const b = randomBytes(30000, 5);
  const c = new Uint8Array(0);
  const fa = join(dir, 'a.bin'), fb = join(dir, 'b.bin'), fc = join(dir, 'c.bin');
  writeFileSync(fa, a); writeFileSync(fb, b); writeFileSync(fc, c);
  const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
  const cat = concat([lz4(['-c', '-BD', fa]), skippable, lz4(['-c', '-B5', '-BX', fb]), lz4(['-c', fc]), lz4(['-c', '-9', fa])]);
  const want = concat([a, b, c, a]);
  eq(lz4(['-d', '-c'], cat), want, 'lz4 -d agrees on the expected content');
  const got = streamDecode(cat, 9);
  eq(got.out, want, 'ours');
  assert.is(got.frameStarts.length, 5);
});

test('legacy frames (`lz4 -l`): several 8 MB blocks, and followed by other frames', () => {
  const big = records(9_000_000, 11);
  const bigFile = join(dir, 'legacy.bin');
  writeFileSync(bigFile, big);
  const legacy = lz4(['-c', '-l', bigFile]);
  eq(lz4DecodeFrames(legacy), big, 'two legacy blocks');
  const small = DATA.subarray(0, 50000);
  const smallFile = join(dir, 'legacy-small.bin');
  writeFileSync(smallFile, small);
  const cat = concat([lz4(['-c', '-l', smallFile]), lz4(['-c', smallFile]), lz4(['-c', '-l', smallFile])]);
  const want = concat([small, small, small]);
  eq(lz4(['-d', '-c'], cat), want, 'lz4 -d agrees');
  eq(lz4DecodeFrames(cat), want, 'ours, whole');
  eq(streamDecode(cat, 5).out, want, 'ours, streamed');
});

test('the header checksums we compute match the ones the CLI writes', () => {
  // `lz4` writes FLG 0x64 (independent, content checksum) BD 0x40 by default for stdin input.
  const f = lz4(['-c'], new TextEncoder().encode('abc'));
  assert.is(hex(f.subarray(0, 7)), hex(lz4EncodeFrame(new Uint8Array(3), { blockIndependence: true, contentChecksum: true }).subarray(0, 7)));
});

// --- liblz4 frame API with NULL preferences (the agent's calls) ------------------------------------------------------
function helperRun(mode: string, chunk: number, input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(helper, [mode, String(chunk)], { input, maxBuffer: 1 << 28 }));
}
const TEXT = new Uint8Array(readFileSync(join(here, 'lz4.test.ts')));
const INPUTS: [string, Uint8Array][] = [
  ['records', DATA.subarray(0, 400000)],
  ['random', randomBytes(50000, 6)],
  ['zeros', new Uint8Array(100000)],
  ['text', concat([TEXT, TEXT, TEXT])],
];

test('liblz4 Begin/Update/End with NULL preferences: every frame header is 04 22 4D 18 40 40 C0, and ours decodes it', () => {
  for (const mode of ['reuse', 'fresh']) {
    for (const [name, input] of INPUTS) {
      const lib = helperRun(mode, 16384, input);
      const { out, frameStarts } = streamDecode(lib, 3);
      eq(out, input, `${mode} ${name}: decoded`);
      assert.is(frameStarts.length, Math.ceil(input.length / 16384), `${mode} ${name}: one frame per 16 KiB chunk`);
      for (const s of frameStarts) assert.is(hex(lib.subarray(s, s + 7)), '04 22 4d 18 40 40 c0', `${mode} ${name}: header at ${s}`);
    }
  }
});

test('our default frames are byte-identical to liblz4 NULL-preferences frames', () => {
  for (const chunk of [16384, 65536, 100000]) {
    for (const [name, input] of INPUTS) {
      // A fresh liblz4 context per frame = lz4EncodeFrame; one context reused for all frames = Lz4FrameEncoder.
      const fresh: Uint8Array[] = [];
      const reused: Uint8Array[] = [];
      const enc = new Lz4FrameEncoder();
      for (let s = 0; s < input.length; s += chunk) {
        fresh.push(lz4EncodeFrame(input.subarray(s, s + chunk)));
        reused.push(enc.encode(input.subarray(s, s + chunk)));
      }
      eq(concat(fresh), helperRun('fresh', chunk, input), `fresh context, ${name}, chunk ${chunk}`);
      eq(concat(reused), helperRun('reuse', chunk, input), `reused context, ${name}, chunk ${chunk}`);
    }
  }
});

test('LZ4F_compressFrame(NULL) writes FLG 0x60 (independent) for one-block input; ours matches with blockIndependence', () => {
  for (const [name, input] of INPUTS) {
    const lib = helperRun('frame', 16384, input);
    assert.is(hex(lib.subarray(0, 7)), '04 22 4d 18 60 40 82', name);
    const ours: Uint8Array[] = [];
    for (let s = 0; s < input.length; s += 16384) ours.push(lz4EncodeFrame(input.subarray(s, s + 16384), { blockIndependence: true }));
    eq(concat(ours), lib, `compressFrame ${name}`);
    eq(lz4DecodeFrames(lib), input, `decoded ${name}`);
  }
});

test.run();
