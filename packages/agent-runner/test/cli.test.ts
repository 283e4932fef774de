// The built bin, as the recipe or a person runs it: `sim --run-dir` follows the workload's event log written by a
// separate `workload --run-dir` process; SIGTERM ends the sim with the agent's 241 and its stats on stdout.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAuthz } from '@flowmill/mock-authz';
import { startSink } from '@flowmill/tls-sink';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countNames, refApp, splitRecords } from './helpers/ref-schema.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'agent-runner.js');
const dir = mkdtempSync(join(tmpdir(), 'ar-cli-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  return { p, out: () => out, err: () => err, exited, waitErr: async (re: RegExp) => { while (!re.test(err)) { if (p.exitCode !== null) throw new Error(`exited ${p.exitCode}: ${err}`); await new Promise((r) => setTimeout(r, 10)); } } };
}

test('bin: sim follows a workload run in another process; SIGTERM → 241 and stats that match the record file', async () => {
  const authz = await startAuthz({ port: 0, tls: false });
  const sink = await startSink({ port: 0, tls: false, out: { dir: join(dir, 'intake') } });
  try {
    const sim = run(['sim', '--run-dir', dir, '--plain', '--intake-port', String(sink.port), '--authz-server', authz.url, '--time-scale', '0.01', '--connect-delay', '0', '--no-jitter']);
    await sim.waitErr(/^agent-runner: ready: telemetry flowing \(SIMULATED flowmill agent\)/m);
    const wl = run(['workload', '--run-dir', dir, '--agent-kind', 'sim', '--era', 'flowmill', '--tcp', '2', '--processes', '2', '--http', '2', '--dns', '1', '--udp', '3']);
    assert.is(await wl.exited, 0, wl.err());
    await sim.waitErr(/workload ended: \d+ items simulated/);
    sim.p.kill('SIGTERM');
    assert.is(await sim.exited, 241);
    const stats = JSON.parse(sim.out());
    assert.is(stats.simulated, true);
    assert.equal(countNames(splitRecords(readFileSync(join(dir, 'intake.record')), refApp('flowmill', 'ingest'))), stats.intake);
    assert.equal(countNames(splitRecords(readFileSync(join(dir, 'bpf.raw')), refApp('flowmill', 'agent_internal'))), stats.bpf);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.is(m.simulated, true);
    assert.is(stats.workloadItems, m.tcp.length + m.udp.length + m.dns.length + m.processes.length + m.http.length);
    assert.is(stats.intake.pid_set_comm >= 2, true);
  } finally { await sink.close(); await authz.close(); }
});

test('bin: run a stand-in agent (no preflight) for --duration: readiness line, SIGTERM, 241 reported, exit 0', async () => {
  const { chmodSync, mkdirSync } = await import('node:fs');
  const agent = join(dir, 'fake-agent.sh');
  writeFileSync(agent, '#!/bin/sh\ntrap \'echo "Caught signal 15"; exit 241\' TERM\necho "Agent connected successfully. Telemetry is flowing!"\nwhile true; do sleep 0.05; done\n');
  chmodSync(agent, 0o755);
  const runDir = join(dir, 'real');
  mkdirSync(runDir);
  const r = run(['run', '--era', 'otel', '--agent', agent, '--run-dir', runDir, '--skip-preflight', '--duration', '100ms']);
  assert.is(await r.exited, 0, r.err());
  assert.match(r.err(), /^agent-runner: ready: telemetry flowing \(real otel agent, pid \d+\)$/m);
  assert.match(r.err(), /^agent\| Caught signal 15$/m);
  assert.equal(JSON.parse(r.out()).code, 241);
  assert.match(readFileSync(join(runDir, 'agent.log'), 'utf8'), /^agent\| Agent connected successfully/m);
});

/**
 * The error contract (packages/cli: `<bin>: what failed: where: why`, one line), not its wording: the shared runMain
 * words Node's system errors its own way, so the tests hold the line count, the bin's prefix, what the line must name
 * (the flag or file, the path, the reason) and that Node's raw text ("ENOENT: …, open '…'") is not pasted through.
 */
function oneLine(err: string, names: (RegExp | string)[]): void {
  assert.match(err, /^agent-runner: [^\n]+\n$/, `one line: ${JSON.stringify(err)}`);
  for (const n of names) assert.ok(typeof n === 'string' ? err.includes(n) : n.test(err), `${String(n)} in ${JSON.stringify(err)}`);
  assert.not.match(err, /, open '/, 'not Node\'s raw error text');
}

test('bin: usage errors exit 64 with one line', async () => {
  const r = run(['workload', '--tcp-client-bytes', '3']);
  assert.is(await r.exited, 64);
  oneLine(r.err(), [/workload profile/, /tcp\.clientBytes/, /multiple of 4/]);
});

test('bin: a missing --profile file is missing input (66), one line naming it', async () => {
  const missing = join(dir, 'no-such-profile.yaml');
  const r = run(['workload', '--profile', missing]);
  assert.is(await r.exited, 66);
  oneLine(r.err(), [/workload profile/, missing, /ENOENT|no such file/i]);
});

test('bin: a missing --faults @FILE is missing input (66), one line naming it', async () => {
  const missing = join(dir, 'no-such-faults.json');
  const r = run(['sim', '--plain', '--faults', `@${missing}`]);
  assert.is(await r.exited, 66);
  oneLine(r.err(), [/--faults/, missing, /ENOENT|no such file/i]);
});

test('bin: sim refuses an existing --record or --bpf-dump-file (73, one line naming it) and leaves it alone', async () => {
  const taken = join(dir, 'taken.record');
  writeFileSync(taken, 'keep');
  for (const args of [['--record', taken], ['--bpf-dump-file', taken], ['--record', join(dir, 'fresh.record'), '--bpf-dump-file', taken]]) {
    const r = run(['sim', '--plain', '--intake-port', '1', ...args]);
    assert.is(await r.exited, 73, r.err());
    oneLine(r.err(), [/overwrite/, taken, /--force/]);
    assert.is(readFileSync(taken, 'utf8'), 'keep');
  }
});

test.run();
