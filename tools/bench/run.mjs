#!/usr/bin/env node
// `npm run bench`: builds everything, then runs every tools/bench/*.mjs (or the ones named: `npm run bench -- lz4`)
// one after another (benchmarks share 2 cores: never in parallel), each with its output kept in tools/bench/out/.
// Every script reports its figures as ratios against a peer measured in the same run (docs/development.md "Benchmarks").
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
process.chdir(root);
const only = process.argv.slice(2);
const dir = 'tools/bench';
mkdirSync(join(dir, 'out'), { recursive: true });

// The peers the benchmarks measure against (stunnel4, mkcert, and the test suite's), installed when missing.
const setup = spawnSync('bash', ['tools/bench/setup.sh'], { stdio: ['ignore', 2, 2] });
if (setup.status !== 0) process.exit(setup.status ?? 1);
const build = spawnSync(process.execPath, ['tools/build-all.mjs'], { stdio: ['ignore', 2, 2] });
if (build.status !== 0) process.exit(build.status ?? 1);

const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.endsWith('-fuzz.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const f of scripts) {
  console.error(`\n=== ${f} ===`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--conditions=@flowmill/source', '--import', 'tsx', join(dir, f)], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  const out = r.stdout.toString();
  process.stdout.write(out);
  writeFileSync(join(dir, 'out', f.replace(/\.mjs$/, '.txt')), out);
  console.error(`=== ${f}: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)}s ===`);
  if (r.status !== 0) failed++;
}
console.error(`\n${scripts.length - failed} benchmarks ran, ${failed} failed (fuzzers: node tools/bench/<pkg>-fuzz.mjs)`);
process.exit(failed ? 1 : 0);
