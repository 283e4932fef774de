// `recipe run` with the simulated agent, from nothing (no keys, no runs/) to a checked recording: every check passes,
// exit 0, and the run directory holds what run.json says, byte for byte. The wire capture's LZ4 frames, inflated by
// the real `lz4` CLI, are exactly the agent's record file: the two taps agree without our decoder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const CHECKER = new URL('../packages/checker/dist/checker.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-sim-'));
const recipe = (args: string[]) => spawnSync(process.execPath, [BUNDLE, ...args], { cwd, encoding: 'utf8', timeout: 90_000, env: { PATH: process.env.PATH!, NO_COLOR: '1' } });

test.after(() => rmSync(cwd, { recursive: true, force: true }));

test('Flowmill era (TLS, mock-authz): every check passes, exit 0, files as run.json says', () => {
  const r = recipe(['--json']);
  const out = JSON.parse(r.stdout);
  const failed = (out.checks?.failedIds ?? []).join(', ');
  assert.is(r.status, 0, `exit ${r.status}: ${out.error?.message ?? `failed checks: ${failed}`}`);
  assert.is(out.status, 'passed');
  assert.is(out.simulated, true);
  assert.is(out.era, 'flowmill');
  assert.ok(out.checks.passed >= 8, `${out.checks.passed} checks passed`);
  assert.is(out.checks.failed, 0);
  assert.is(out.agent.exit.code, 241, 'stopped like the agent on SIGTERM');
  assert.ok(existsSync(join(cwd, 'keys', 'ca.pem')), 'keys created');
  const dir = join(cwd, 'runs', 'current');
  const report = JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8'));
  assert.ok(report.ok);
  for (const c of report.checks) assert.ok(c.status !== 'fail', `${c.id}: ${c.reason}`);
  for (const [f, e] of Object.entries(out.files as Record<string, { sha256: string; bytes: number; complete: boolean }>)) {
    const bytes = readFileSync(join(dir, f));
    assert.is(e.bytes, bytes.length, f);
    assert.is(e.sha256, createHash('sha256').update(bytes).digest('hex'), f);
    assert.ok(e.complete, f);
  }
  for (const f of ['intake/conn-0001.raw', 'intake.record', 'bpf.raw', 'manifest.json', 'authz.jsonl', 'agent.log', 'intake.ndjson', 'record.ndjson', 'bpf.ndjson', 'check.json', 'check.html']) {
    assert.ok(out.files[f]?.bytes > 0, `${f} is there and not empty`);
  }
  // the real lz4 CLI inflates the capture (after its 24 raw version_info bytes, docs/agent-protocol.md §2.5) into the
  // agent's plaintext record file (§2.9), which starts with the same version_info
  const wire = readFileSync(join(dir, 'intake', 'conn-0001.raw'));
  const record = readFileSync(join(dir, 'intake.record'));
  const inflated = spawnSync('lz4', ['-d', '-c', '-'], { input: wire.subarray(24), maxBuffer: 1 << 28 });
  assert.is(inflated.status, 0, String(inflated.stderr));
  assert.ok(Buffer.concat([wire.subarray(0, 24), inflated.stdout]).equals(record), 'wire plaintext = record file');
  // the checker's HTML report is a page
  assert.match(readFileSync(join(dir, 'check.html'), 'utf8'), /^<!doctype html>/i);
  // a user re-checking the run directory by hand gets the same verdict: the run carries the tolerances of the
  // simulated agent's scaled timers, and the checker picks them up
  const again = spawnSync(process.execPath, [CHECKER, '--run-dir', dir, '--json'], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.is(again.status, 0, again.stdout.slice(0, 2000) + again.stderr);
  assert.match(again.stderr, /check-config\.json/);
  assert.equal(JSON.parse(again.stdout).checks.map((c: { status: string }) => c.status), report.checks.map((c: { status: string }) => c.status));
});

test('OpenTelemetry era (plain intake, no authz): every check that applies passes', () => {
  const r = recipe(['--era', 'otel', '--json']);
  const out = JSON.parse(r.stdout);
  assert.is(r.status, 0, `exit ${r.status}: ${out.error?.message ?? (out.checks?.failedIds ?? []).join(', ')}`);
  assert.is(out.era, 'otel');
  assert.is(out.servers.tls, false);
  assert.is(out.servers.authz, undefined);
  assert.is(out.checks.failed, 0);
});

test('Flowmill era --plain (no TLS, plain HTTP authz, no keys needed): every check passes', () => {
  const r = recipe(['--plain', '--keys', 'no-keys-here', '--json']);
  const out = JSON.parse(r.stdout);
  assert.is(r.status, 0, `exit ${r.status}: ${out.error?.message ?? (out.checks?.failedIds ?? []).join(', ')}`);
  assert.is(out.servers.tls, false);
  assert.match(out.servers.authz, /^http:\/\//);
  assert.is(out.checks.failed, 0);
  assert.not.ok(existsSync(join(cwd, 'no-keys-here')), 'no keys created');
});

test.run();
