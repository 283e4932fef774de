#!/usr/bin/env node
// Mutation fuzzing of @flowmill/raw-codec's decoders: at least a million cases (FUZZ_CASES to change), seeds are
// real-looking intake captures, record files and BPF dumps of both eras (see packages/raw-codec/tools/fuzz-core.mjs).
// Run after `npm run build`. Writes tools/bench/out/raw-codec-fuzz.json; exits 1 on the first bug, saving its input.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const lib = await import(join(root, 'packages/raw-codec/dist/lib/index.js'));
const { fuzz } = await import(join(root, 'packages/raw-codec/tools/fuzz-core.mjs'));
const outDir = join(root, 'tools/bench/out');
mkdirSync(outDir, { recursive: true });

// Stack traces are not needed for the expected errors and cost more than decoding a case.
Error.stackTraceLimit = 0;
const total = Number(process.env.FUZZ_CASES ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? 1);
const batch = 50_000;
const t0 = performance.now();
const sum = { cases: 0, ok: 0, ERR_TRUNCATED: 0, ERR_CORRUPT: 0, slowestMs: 0 };
try {
  for (let done = 0; done < total; done += batch) {
    const r = fuzz(lib, Math.min(batch, total - done), seed + done);
    for (const k of ['cases', 'ok', 'ERR_TRUNCATED', 'ERR_CORRUPT']) sum[k] += r[k];
    sum.slowestMs = Math.max(sum.slowestMs, r.slowestMs);
    process.stderr.write(`raw-codec-fuzz: ${sum.cases}/${total} cases, ${((performance.now() - t0) / 1000).toFixed(1)} s\r`);
  }
} catch (e) {
  const file = join(outDir, 'raw-codec-fuzz-failure.bin');
  if (e.bytes) writeFileSync(file, e.bytes);
  console.error(`\nraw-codec-fuzz: BUG: ${e.message}\ninput saved to ${file}`);
  process.exit(1);
}
const secs = (performance.now() - t0) / 1000;
const res = { ...sum, seconds: Number(secs.toFixed(1)), casesPerSecond: Math.round(sum.cases / secs) };
writeFileSync(join(outDir, 'raw-codec-fuzz.json'), `${JSON.stringify(res, null, 1)}\n`);
console.log(`\nraw-codec-fuzz: ${res.cases} cases, no crash/hang: ${res.ok} decoded, ${res.ERR_TRUNCATED} truncated, ${res.ERR_CORRUPT} corrupt (each located); slowest case ${res.slowestMs.toFixed(1)} ms; ${res.casesPerSecond} cases/s`);
