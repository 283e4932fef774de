#!/usr/bin/env node
// The whole test suite (`npm test`, also what .ci/run calls):
//   0. installs the Debian packages the suite needs when missing (tools/test/setup.sh);
//   1. builds every package through Nx (cached), so the CLI tests and the Deno smoke suite run the real bundles;
//   2. runs each package's uvu tests, the root scenarios (test/) and the runner's own tests (tools/test/) in their own
//      process, two at a time;
//   3. prints one closing line `N passed, N failed` (CI reads that line, not uvu's summary).
// How a suite is counted (failed = Total - Passed, a crash counts the tests it did not run, a leftover .only fails the
// run, a non-zero exit is never a pass) is tools/test/count.mjs, proven by tools/test/count.test.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { closingLine } from './count.mjs';
import { runSuite } from './suite.mjs';

const root = new URL('../..', import.meta.url).pathname;
process.chdir(root);
const only = process.argv.slice(2); // `npm test -- raw-codec` builds and runs that one suite
const PARALLEL = 2;

const setup = spawnSync('bash', ['tools/test/setup.sh'], { stdio: ['ignore', 2, 2] });
if (setup.status !== 0) {
  console.log(closingLine({ passed: 0, failed: 1 }));
  process.exit(1);
}
// `tools` (the runner's own tests) needs no build; every other name builds that package (`scenarios`: all of them).
const toBuild = only.filter((s) => s !== 'tools').map((s) => (s.startsWith('scenarios/') ? 'scenarios' : s));
const build = only.length > 0 && toBuild.length === 0 ? { status: 0 } : spawnSync(process.execPath, ['tools/build-all.mjs', ...toBuild], { stdio: ['ignore', 2, 2] });
if (build.status !== 0) {
  console.log(closingLine({ passed: 0, failed: 1 }));
  process.exit(1);
}

// Each root scenario is a suite of its own, so the per-suite timeout bounds one scenario and the two lanes share them.
// The ones that boot a VM go first, together: their guests (software-emulated CPUs) then have the machine to
// themselves, and the timer-sensitive suites after them run on two quiet cores.
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const scenarios = existsSync('test') ? readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort() : [];
const bootsVm = (f) => /(^|-)vm(-|\.)/.test(f);
const suites = [
  ...scenarios.filter(bootsVm).map((f) => ({ name: `scenarios/${f}`, dir: 'test', pattern: `^${escape(f)}$` })),
  ...scenarios.filter((f) => !bootsVm(f)).map((f) => ({ name: `scenarios/${f}`, dir: 'test', pattern: `^${escape(f)}$` })),
  ...readdirSync('packages').filter((p) => existsSync(join('packages', p, 'test'))).map((p) => ({ name: p, dir: join('packages', p, 'test') })),
  { name: 'tools', dir: 'tools/test', pattern: '\\.test\\.mjs$' },
].filter((s) => only.length === 0 || only.includes(s.name) || (s.name.startsWith('scenarios/') && only.includes('scenarios')));

let passed = 0, failed = 0, skipped = 0;
const queue = [...suites];
await Promise.all(Array.from({ length: PARALLEL }, async () => {
  while (queue.length) {
    const r = await runSuite(queue.shift());
    passed += r.passed; failed += r.failed; skipped += r.skipped;
    const notes = r.notes.map((n) => `[${r.name}] ${n}\n`).join('');
    process.stdout.write(`\n── ${r.name} (${r.seconds.toFixed(1)}s, exit ${r.code}) ──\n${r.output.trimEnd()}\n${notes}`);
  }
}));
if (skipped) console.log(`\n(${skipped} skipped)`);
console.log(`\n${closingLine({ passed, failed })}`);
process.exit(failed > 0 ? 1 : 0);
