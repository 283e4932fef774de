// A clean simulated run, assembled from the pieces themselves (no recipe): mock-authz (TLS, strict, its request log),
// tls-sink (--out-dir), agent-runner's simulated agent (record file, BPF dump) and its real workload (manifest), in a
// run directory with the run-layout.ts names. The checker's bundled bin, pointed at that directory, passes every check
// (the upstream preset's thresholds are not run by default and say so), exits 0, and writes a self-contained HTML
// page. The OpenTelemetry era (plain intake, no authz) passes every check that applies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimAgent, runWorkload } from '@flowmill/agent-runner';
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { startSink } from '@flowmill/tls-sink';

const CHECKER = new URL('../packages/checker/dist/checker.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'clean-sim-run-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** The sim's timers run at 1/20 of the agent's; the checker's cadence band follows. */
const SCALE = 0.05;
const hb = 2000 * SCALE;
// 2.5 periods: a busy event loop (the workload shares the process) may stall one beat; a skipped beat is 2.
const config = { cadence: { heartbeatMs: hb, heartbeatMinGapMs: hb / 2, heartbeatMaxGapMs: hb * 2.5, probeLoadMaxGapMs: 130_000 * SCALE + 1000 } };
const profile = { tcp: { connections: 4 }, udp: { datagrams: 6 }, processes: { count: 3 }, http: { requests: 3, statuses: [200, 404, 500] }, dns: { lookups: 2 } };

function checker(args: string[]) {
  const cfg = join(root, 'cadence.json');
  writeFileSync(cfg, JSON.stringify(config));
  return spawnSync(process.execPath, [CHECKER, '--config', cfg, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('Flowmill era through mock-authz and tls-sink: every check passes, exit 0, HTML report written', async () => {
  const dir = join(root, 'flowmill');
  mkdirSync(dir);
  const certs = await ensureCerts({ dir: join(root, 'keys') });
  const tls = { cert: readFileSync(certs.cert), key: readFileSync(certs.key) };
  const ca = readFileSync(certs.caCert);
  const authz = await startAuthz({ port: 0, tls, strict: true, onRequest: (e) => appendFileSync(join(dir, 'authz.jsonl'), JSON.stringify(e) + '\n') });
  const sink = await startSink({ port: 0, tls, out: { dir: join(dir, 'intake') } });
  let code = -1;
  try {
    const sim = await runSimAgent({
      intake: { host: '127.0.0.1', port: sink.port, ca }, authz: { server: authz.url, keyId: 'KFIIVU75RGHY7EC7JABW', secret: 's3cret', ca },
      recordFile: join(dir, 'intake.record'), bpfDumpFile: join(dir, 'bpf.raw'), timeScale: SCALE, connectDelayMs: 0, jitter: false, log: () => {},
    });
    try {
      await sim.ready;
      await runWorkload({ onEvent: (e) => sim.addEvent(e), agent: { kind: 'sim', era: 'flowmill' }, manifestPath: join(dir, 'manifest.json'), profile });
      await sim.drained();
      await new Promise((r) => setTimeout(r, 500)); // a few more heartbeats after the workload
    } finally {
      code = await sim.stop();
    }
  } finally {
    await sink.close();
    await authz.close();
  }
  assert.is(code, 241);

  const html = join(dir, 'check.html');
  const r = checker(['--run-dir', dir, '--json', '--html', html]);
  const rep = JSON.parse(r.stdout);
  const bad = rep.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string; reason: string; evidence?: unknown[] }) => `${c.id}: ${c.reason} ${JSON.stringify(c.evidence?.slice(0, 2))}`);
  assert.is(r.status, 0, bad.join('\n') || r.stderr);
  assert.is(rep.ok, true);
  // not run, with nothing to check: no preset, no DISABLE_SEND, no socket outliving a stats slot in so short a run
  const idle = ['upstream-thresholds', 'socket-stats-live', 'disable-send'];
  for (const c of rep.checks) assert.is(c.status, idle.includes(c.id) ? 'not-run' : 'pass', c.id);
  // Every input was found by its run-layout.ts name and read whole.
  assert.equal(rep.inputs.map((i: { kind: string }) => i.kind).sort(), ['authzLog', 'bpf', 'manifest', 'record', 'wire']);
  assert.ok(rep.inputs.every((i: { error?: string }) => !i.error));
  // The workload really showed: every manifest item matched.
  const wl = rep.checks.find((c: { id: string }) => c.id === 'workload').figures;
  assert.equal([wl.tcp.ok, wl.http.ok, wl.processes.ok, wl.udp.ok], [4, 3, 3, 1]);
  // The page is self-contained and shows the table.
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<span class="badge ok" id="verdict">PASS<\/span>/);
  assert.not.match(page, /<script|<link /i);
});

test('OpenTelemetry era (plain intake, no authz): every check that applies passes; authz is not run, with the reason', async () => {
  const dir = join(root, 'otel');
  mkdirSync(dir);
  const sink = await startSink({ port: 0, tls: false, out: { dir: join(dir, 'intake') } });
  try {
    const sim = await runSimAgent({ era: 'otel', intake: { host: '127.0.0.1', port: sink.port }, recordFile: join(dir, 'intake.record'), bpfDumpFile: join(dir, 'bpf.raw'), timeScale: SCALE, connectDelayMs: 0, jitter: false, log: () => {} });
    try {
      await sim.ready;
      await runWorkload({ onEvent: (e) => sim.addEvent(e), agent: { kind: 'sim', era: 'otel' }, manifestPath: join(dir, 'manifest.json'), profile });
      await sim.drained();
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await sim.stop();
    }
  } finally {
    await sink.close();
  }
  const r = checker(['--run-dir', dir, '--json']);
  const rep = JSON.parse(r.stdout);
  assert.is(r.status, 0, rep.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { id: string; reason: string }) => `${c.id}: ${c.reason}`).join('\n'));
  const st = Object.fromEntries(rep.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
  assert.is(st.authz, 'not-run');
  assert.is(st['upstream-thresholds'], 'not-run');
  assert.equal(Object.entries(st).filter(([, s]) => s === 'pass').length, 11); // the 8 of before + wire-frames, udp-conservation, dns-port
  assert.is(rep.inputs.find((i: { kind: string }) => i.kind === 'wire').schema, 'ebpf_net');
  assert.is(rep.inputs.find((i: { kind: string }) => i.kind === 'bpf').schema, 'ebpf_net', 'the dump is read with the era the intake names');
});

test.run();
