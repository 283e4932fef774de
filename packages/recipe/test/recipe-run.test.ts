import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRecipe, InterruptedError, PortBusyError, ChildExitedError, StepTimeoutError, type RunJson } from '../src/index.js';
import { fakeDeps, sink } from './fakes.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'recipe-run-'));
const readRunJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunJson;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

test('a passing run: every step in order, exit 0, run.json final with hashes of every file', async () => {
  const base = tmp();
  const { deps, calls } = fakeDeps();
  const err = sink();
  const r = await runRecipe({ deps, durationMs: 0, runsDir: join(base, 'runs'), keysDir: join(base, 'keys'), stderr: err, catchUpMs: 1 });
  assert.is(r.status, 'passed');
  assert.is(r.exitCode, 0);
  assert.equal(calls.steps, ['certs', 'authz', 'sink', 'sim', 'workload', 'decode:intake', 'decode:record', 'decode:bpf', 'check']);
  assert.equal([...calls.open], [], 'nothing left open');
  const j = readRunJson(r.dir);
  assert.is(j.status, 'passed');
  assert.is(j.simulated, true);
  assert.is(j.era, 'flowmill');
  assert.is(j.agent.exit?.code, 241);
  assert.equal(j.checks, { ok: true, passed: 1, failed: 0, notRun: 0, failedIds: [], notRunIds: [] });
  for (const f of ['intake/conn-0001.raw', 'intake.record', 'bpf.raw', 'manifest.json', 'intake.ndjson', 'record.ndjson', 'bpf.ndjson', 'check.json', 'check.html', 'agent.log', 'recipe.log']) {
    assert.ok(j.files[f], `run.json lists ${f}`);
    assert.is(j.files[f].sha256, sha(join(r.dir, f)), `hash of ${f}`);
    assert.is(j.files[f].complete, true);
  }
  assert.is(readFileSync(join(r.dir, 'intake/conn-0001.raw'), 'utf8'), 'hello intake');
  assert.ok(j.milestones.ready <= j.milestones.telemetry);
  assert.equal(j.timings.map((t) => t.step), ['keys', 'servers', 'agent', 'workload', 'catch-up', 'stop', 'decode', 'check']);
  // the checker got the contract's file names
  const ci = calls.checkInputs as { wire: string[]; record: string; bpf: string; manifest: string; authzLog: string; schema: string };
  assert.equal(ci.wire, [join(r.dir, 'intake', 'conn-0001.raw')]);
  assert.is(ci.record, join(r.dir, 'intake.record'));
  assert.is(ci.authzLog, join(r.dir, 'authz.jsonl'));
  assert.is(ci.schema, 'flowmill');
  assert.match(err.text(), /\[1\/8\] keys/);
  assert.match(err.text(), /\[agent\]\s+Agent connected successfully/);
  assert.ok(existsSync(join(base, 'runs', 'current', 'run.json')), 'runs/current points at the run');
  rmSync(base, { recursive: true });
});

test('a failed check: exit 1, status failed, the failing id in run.json', async () => {
  const base = tmp();
  const { deps } = fakeDeps({ checksOk: false });
  const r = await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet', catchUpMs: 1 });
  assert.is(r.exitCode, 1);
  assert.is(r.status, 'failed');
  assert.equal(readRunJson(r.dir).checks?.failedIds, ['heartbeat-cadence']);
  rmSync(base, { recursive: true });
});

test('a report in which nothing was checked is not a pass (exit 1)', async () => {
  const base = tmp();
  const { deps } = fakeDeps({ noneRun: true });
  const r = await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet', catchUpMs: 1 });
  assert.is(r.status, 'failed');
  assert.is(r.exitCode, 1);
  rmSync(base, { recursive: true });
});

test('the OpenTelemetry era: no keys, no authz, plain intake, ebpf_net schema', async () => {
  const base = tmp();
  const { deps, calls } = fakeDeps();
  const r = await runRecipe({ deps, durationMs: 0, era: 'otel', runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet', catchUpMs: 1 });
  assert.is(r.exitCode, 0);
  assert.not.ok(calls.steps.includes('certs'));
  assert.not.ok(calls.steps.includes('authz'));
  assert.is((calls.checkInputs as { schema: string }).schema, 'ebpf_net');
  assert.is((calls.checkInputs as { authzLog?: string }).authzLog, undefined);
  assert.is(readRunJson(r.dir).servers.tls, false);
  rmSync(base, { recursive: true });
});

test('a busy port: PortBusyError naming the flag, nothing left listening, no decode or check', async () => {
  const base = tmp();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  const { deps, calls } = fakeDeps();
  const r = await runRecipe({ deps, durationMs: 0, intakePort: port, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet' });
  blocker.close();
  assert.instance(r.error, PortBusyError);
  assert.match(String((r.error as Error).message), `127.0.0.1:${port}`);
  assert.match(String((r.error as Error).message), '--intake-port');
  assert.is(r.status, 'error');
  assert.equal([...calls.open], [], 'authz was closed again');
  assert.not.ok(calls.steps.includes('check'));
  assert.is(readRunJson(r.dir).error?.step, 'servers');
  rmSync(base, { recursive: true });
});

test('an agent that dies early aborts the run (kill-others) and tears the servers down', async () => {
  const base = tmp();
  const { deps, calls } = fakeDeps({ dieAfterMs: 5, workloadMs: 2000 });
  const t0 = Date.now();
  const r = await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet' });
  assert.ok(Date.now() - t0 < 1500, 'did not wait for the workload to finish');
  assert.instance(r.error, ChildExitedError);
  assert.match((r.error as Error).message, 'agent ended early: exit 255');
  assert.equal([...calls.open], []);
  const j = readRunJson(r.dir);
  assert.is(j.files['intake.record'].complete, false, 'recordings of an aborted run are marked incomplete');
  rmSync(base, { recursive: true });
});

test('--keep-going: an early agent death still decodes and checks what was recorded', async () => {
  const base = tmp();
  const { deps, calls } = fakeDeps({ dieAfterMs: 5, workloadMs: 2000 });
  const r = await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet', keepGoing: true });
  assert.ok(calls.steps.includes('check'));
  assert.is(r.status, 'error', 'the early death still decides the status');
  assert.ok(r.report);
  rmSync(base, { recursive: true });
});

test('readiness timeout: StepTimeoutError (exit 75 in the CLI), agent stopped', async () => {
  const base = tmp();
  const { deps, calls } = fakeDeps({ neverReady: true });
  const r = await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet', readyTimeoutMs: 100 });
  assert.instance(r.error, StepTimeoutError);
  assert.is((r.error as { code: string }).code, 'ERR_TIMEOUT');
  assert.equal([...calls.open], []);
  rmSync(base, { recursive: true });
});

test('Ctrl-C mid-workload: interrupted, exit 130, everything stopped, no unmarked half-written file', async () => {
  const base = tmp();
  const { deps, calls } = fakeDeps({ workloadMs: 5000 });
  const stop = new AbortController();
  const err = sink();
  const p = runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), stderr: err, signal: stop.signal });
  while (!calls.steps.includes('workload')) await new Promise((r) => setTimeout(r, 5));
  stop.abort(new InterruptedError('SIGINT'));
  const r = await p;
  assert.is(r.status, 'interrupted');
  assert.is(r.exitCode, 130);
  assert.equal([...calls.open], []);
  assert.not.ok(calls.steps.includes('check'));
  const j = readRunJson(r.dir);
  assert.is(j.status, 'interrupted');
  const listed = new Set(Object.keys(j.files));
  const walk = (d: string, pre = ''): string[] => readdirSync(join(d, pre), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(d, join(pre, e.name)) : [join(pre, e.name)]));
  for (const f of walk(r.dir)) if (f !== 'run.json') assert.ok(listed.has(f), `${f} is listed in run.json`);
  assert.is(j.files['intake.record'].complete, false);
  assert.match(err.text(), /stopped agent/);
  rmSync(base, { recursive: true });
});

test('a decode error stops before the checker (exit 65 code) unless --keep-going', async () => {
  const base = tmp();
  const bad = Object.assign(new Error('corrupt input: conn-0001.raw: byte 24: bad LZ4 magic'), { code: 'ERR_CORRUPT' });
  const { deps, calls } = fakeDeps({ decodeError: bad });
  const r = await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'quiet', catchUpMs: 1, exitCodeFor: (e) => ((e as { code?: string }).code === 'ERR_CORRUPT' ? 65 : 70) });
  assert.is(r.exitCode, 65);
  assert.not.ok(calls.steps.includes('check'));
  assert.ok(existsSync(join(r.dir, 'intake.ndjson.partial')), 'the half-written output keeps its .partial name');
  assert.is(readRunJson(r.dir).files['intake.ndjson.partial'].complete, false);
  rmSync(base, { recursive: true });
});

test('--out refuses a directory that already holds a run, unless force', async () => {
  const base = tmp();
  const { deps } = fakeDeps();
  const out = join(base, 'here');
  const first = await runRecipe({ deps, durationMs: 0, out, keysDir: join(base, 'keys'), progress: 'quiet', catchUpMs: 1 });
  assert.is(first.exitCode, 0);
  let refused: unknown;
  try {
    await runRecipe({ deps, durationMs: 0, out, keysDir: join(base, 'keys'), progress: 'quiet' });
  } catch (err) {
    refused = err;
  }
  assert.match(String((refused as Error)?.message), /run directory in use/);
  assert.is((refused as { code: string }).code, 'ERR_WOULD_OVERWRITE');
  writeFileSync(join(out, 'bpf.ndjson.partial'), 'left by an interrupted run');
  writeFileSync(join(out, 'notes.txt'), 'mine');
  const again = await runRecipe({ deps, durationMs: 0, out, force: true, keysDir: join(base, 'keys'), progress: 'quiet', catchUpMs: 1 });
  assert.is(again.exitCode, 0);
  assert.not.ok(existsSync(join(out, 'bpf.ndjson.partial')), '--force clears the previous run\'s files');
  assert.is(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine', 'and only those');
  rmSync(base, { recursive: true });
});

test('--json progress: one JSON object per line on stderr', async () => {
  const base = tmp();
  const { deps } = fakeDeps();
  const err = sink();
  await runRecipe({ deps, durationMs: 0, runsDir: base, keysDir: join(base, 'keys'), progress: 'json', stderr: err, catchUpMs: 1 });
  const lines = err.text().trim().split('\n');
  const events = lines.map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.event === 'step' && e.step === 'check' && e.status === 'done'));
  rmSync(base, { recursive: true });
});

test.run();
