// A fault injected into the simulated agent makes exactly the check that guards against it fail, and `recipe run`
// exits 1 (checks failed), not with an error code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-fault-'));
const run = (faults: object) => {
  const r = spawnSync(process.execPath, [BUNDLE, 'run', '--json', '--faults', JSON.stringify(faults)], { cwd, encoding: 'utf8', timeout: 90_000, env: { PATH: process.env.PATH!, NO_COLOR: '1' } });
  return { status: r.status, out: JSON.parse(r.stdout), stderr: r.stderr };
};

test.after(() => rmSync(cwd, { recursive: true, force: true }));

test('a skipped heartbeat fails the cadence check only', () => {
  const { status, out } = run({ skipHeartbeat: [3] });
  assert.is(status, 1);
  assert.is(out.status, 'failed');
  assert.equal(out.checks.failedIds, ['cadence']);
});

test('a token mock-authz never issued fails the authz check only', () => {
  const { status, out } = run({ wrongToken: 'not-the-issued-token' });
  assert.is(status, 1);
  assert.equal(out.checks.failedIds, ['authz']);
});

test('a bad --faults value is a usage error before anything starts', () => {
  const r = spawnSync(process.execPath, [BUNDLE, 'run', '--faults', '{not json', '--runs', 'never'], { cwd, encoding: 'utf8' });
  assert.is(r.status, 64);
  assert.match(r.stderr, /^recipe: bad --faults: \{not json: /);
});

test.run();
