import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// issue 12 item 4: `--run-dir DIR` makes DIR (as tls-sink --out-dir does), owner-only; a path that cannot be made is one
// line and exit 66 within seconds (Node 20's recursive mkdir loops forever under /proc).
const BIN = join(import.meta.dirname, '..', 'dist', 'agent-runner.js');
const tmp = mkdtempSync(join(tmpdir(), 'ar-rundir-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('workload --run-dir of a directory that does not exist yet makes it and writes the manifest there', () => {
  const dir = join(tmp, 'new', 'run');
  const r = spawnSync(process.execPath, [BIN, 'workload', '--run-dir', dir, '--tcp', '1', '--udp', '0', '--dns', '0', '--processes', '0', '--http', '0'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'manifest.json')), 'manifest.json in the new directory');
  assert.is(statSync(dir).mode & 0o777, 0o700);
});

test('workload --run-dir under /proc: one line, exit 66, no hang', () => {
  const r = spawnSync(process.execPath, [BIN, 'workload', '--run-dir', '/proc/no-such/run', '--tcp', '1'], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.signal, null, 'it ended by itself');
  assert.is(r.status, 66, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^agent-runner: .*\/proc\/no-such/);
});

test.run();
