#!/usr/bin/env node
// The whole test suite (`npm test`, also what .ci/run calls):
//   0. installs the Debian packages the interop tests need when missing (tools/test/setup.sh);
//   1. builds every package through Nx (cached), so the CLI tests and the Deno smoke suite run the real bundles;
//   2. runs each package's uvu tests and the root scenarios (test/) in their own process, two at a time;
//   3. prints one closing line `N passed, N failed` from uvu's own counts (CI reads that line, not uvu's summary).
// A suite that dies or hangs without a summary counts as one failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
process.chdir(root);
const only = process.argv.slice(2); // `npm test -- raw-codec` builds and runs that one suite
const SUITE_TIMEOUT_MS = 240_000;
const PARALLEL = 2;

const setup = spawnSync('bash', ['tools/test/setup.sh'], { stdio: ['ignore', 2, 2] });
if (setup.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const build = spawnSync(process.execPath, ['tools/build-all.mjs', ...only], { stdio: ['ignore', 2, 2] });
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const suites = [
  ...readdirSync('packages').filter((p) => existsSync(join('packages', p, 'test'))).map((p) => ({ name: p, dir: join('packages', p, 'test') })),
  ...(existsSync('test') ? [{ name: 'scenarios', dir: 'test' }] : []),
].filter((s) => only.length === 0 || only.includes(s.name));

const uvu = join(root, 'node_modules', 'uvu', 'bin.js');
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runSuite({ name, dir }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--conditions=@flowmill/source', '--import', 'tsx', uvu, dir, '\\.test\\.ts$'], {
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills whatever the tests started too
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[${name}] timed out after ${SUITE_TIMEOUT_MS / 1000}s\n`;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, SUITE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      try { process.kill(-child.pid, 'SIGKILL'); } catch {} // nothing a suite started outlives it
      const text = strip(out);
      const num = (re) => Number(re.exec(text)?.[1] ?? NaN);
      const total = num(/Total:\s+(\d+)/), passed = num(/Passed:\s+(\d+)/), skipped = num(/Skipped:\s+(\d+)/) || 0;
      let p = 0, f = 0;
      if (Number.isNaN(total) || Number.isNaN(passed)) f = 1;
      else { p = passed; f = total - passed - skipped; if (code !== 0 && f === 0) f = 1; }
      process.stdout.write(`\n── ${name} (${((Date.now() - started) / 1000).toFixed(1)}s, exit ${code}) ──\n${out.trimEnd()}\n`);
      resolve({ p, f, s: skipped });
    });
  });
}

let passed = 0, failed = 0, skipped = 0;
const queue = [...suites];
await Promise.all(Array.from({ length: PARALLEL }, async () => {
  while (queue.length) {
    const r = await runSuite(queue.shift());
    passed += r.p; failed += r.f; skipped += r.s;
  }
}));
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
