// checker diff over runs written by agent-runner's deterministic simulateRun: same workload, other seed → no change;
// one injected change (a dropped message, a doubled rate, a doubled workload, the other era) → exactly that change.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulateRun, type SimulateRunOptions } from '@flowmill/agent-runner';
import { RUN_FILES } from '@flowmill/agent-runner/run-layout';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffRunPaths, diffRuns, inputsFromRunDir, runChecks, type RunDiff, type RunProfile } from '../src/index.js';
import { ratioBand } from '../src/diff/index.js';
import { defaultThresholds } from '../src/diff/types.js';

const BIN = new URL('../dist/checker.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'checker-diff-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const DEFAULT_PROFILE = { tcp: { connections: 8 }, udp: { datagrams: 16 }, dns: { lookups: 4 }, processes: { count: 4 }, http: { requests: 6 } };

let n = 0;
async function run(o: Omit<SimulateRunOptions, 'dir'>): Promise<string> {
  const dir = join(root, `run-${++n}`);
  await simulateRun({ durationMs: 12_000, profile: DEFAULT_PROFILE, ...o, dir });
  return dir;
}
let base: string;
const areas = (d: RunDiff) => [...new Set(d.changes.map((c) => c.area))].sort();
const messageChanges = (d: RunDiff) => d.changes.filter((c) => c.area === 'message').map((c) => c.subject);

test.before(async () => { base = await run({ seed: 1 }); });

test('the same workload with another seed: no change past the thresholds', async () => {
  const d = await diffRunPaths(base, await run({ seed: 2 }));
  assert.equal(d.changes, [], d.changes.map((c) => c.detail).join('\n'));
  assert.is(d.changed, false);
  assert.ok(d.messages.length > 20, 'the runs were compared message by message');
  assert.ok(d.checks.length > 0 && d.checks.every((c) => !c.changed), 'verdicts side by side, equal');
});

test('a message the agent stopped sending (drop every intake http_response): exactly that message changes', async () => {
  const d = await diffRunPaths(base, await run({ seed: 3, faults: { drop: [{ name: 'http_response' }] } }));
  assert.equal(messageChanges(d), ['intake http_response']);
  const row = d.messages.find((m) => m.stream === 'intake' && m.name === 'http_response')!;
  assert.is(row.b, 0);
  assert.match(row.note!, /only in run A/);
  // what else may move: the checks that hold the intake against the dump and the workload, nothing else
  assert.equal(areas(d).filter((a) => a !== 'check'), ['message']);
});

test('a doubled rate (every intake socket_stats sent twice): exactly that message, ×2', async () => {
  const d = await diffRunPaths(base, await run({ seed: 4, faults: { duplicate: [{ name: 'socket_stats' }] } }));
  assert.equal(messageChanges(d), ['intake socket_stats']);
  const row = d.messages.find((m) => m.stream === 'intake' && m.name === 'socket_stats')!;
  assert.ok(Math.abs(row.ratio! - 2) < 0.1, `ratio ${row.ratio}`);
  assert.equal(areas(d).filter((a) => a !== 'check'), ['message']);
});

test('a doubled workload: the workload changes, no message does (counts are normalised by the manifest)', async () => {
  const doubled = { tcp: { connections: 16 }, udp: { datagrams: 32 }, dns: { lookups: 8 }, processes: { count: 8 }, http: { requests: 12 } };
  const d = await diffRunPaths(base, await run({ seed: 5, profile: doubled }));
  assert.equal(areas(d), ['workload'], d.changes.map((c) => c.detail).join('\n'));
  const [w] = d.changes;
  assert.equal([(w.a as Record<string, number>).tcp, (w.b as Record<string, number>).tcp], [8, 16]);
  assert.equal([(w.a as Record<string, number>).http, (w.b as Record<string, number>).http], [6, 12]);
});

test('a run twice as long with the same workload: no change (heartbeats go with time, sockets with the workload)', async () => {
  const d = await diffRunPaths(base, await run({ seed: 6, durationMs: 24_000 }));
  assert.equal(d.changes, [], d.changes.map((c) => c.detail).join('\n'));
  assert.ok(d.b.seconds > 1.6 * d.a.seconds, `${d.a.seconds} s vs ${d.b.seconds} s`);
});

test('the other era: the schema, and the startup sequence at its second message (authz_authenticate → connect)', async () => {
  // Flowmill sends version_info, authz_authenticate, os_info, report_cpu_cores, kernel_headers_source
  // (collector/kernel/kernel_collector.cc@3598385a:328,354,359,366,368); OpenTelemetry sends connect where
  // authz_authenticate was (kernel_collector.cc@68f0c23f:322,339,342,346,348).
  const d = await diffRunPaths(base, await run({ seed: 7, era: 'otel' }));
  assert.equal(d.changes.find((c) => c.area === 'era')!.b, 'ebpf_net');
  assert.equal(d.a.startup.slice(0, 5), ['version_info', 'authz_authenticate', 'os_info', 'report_cpu_cores', 'kernel_headers_source']);
  assert.equal(d.b.startup.slice(0, 5), ['version_info', 'connect', 'os_info', 'report_cpu_cores', 'kernel_headers_source']);
  assert.match(d.changes.find((c) => c.area === 'startup')!.detail, /#2: authz_authenticate → connect/);
});

test('check verdicts come from each run\'s check.json when it has one', async () => {
  const b = join(root, 'with-check-json');
  cpSync(base, b, { recursive: true });
  const report = await runChecks(inputsFromRunDir(b));
  report.checks.find((c) => c.id === 'cadence')!.status = 'fail'; // a verdict the recordings do not give: only the file says so
  writeFileSync(join(b, RUN_FILES.checkJson), JSON.stringify(report));
  const d = await diffRunPaths(base, b);
  assert.is(d.b.reportFrom, 'check.json');
  assert.equal(d.changes.map((c) => [c.area, c.subject, c.a, c.b]), [['check', 'cadence', 'pass', 'fail']]);
});

test('the noise band: the run-length and workload ratios, widened by 20% and 2σ of the Poisson log-ratio', () => {
  const p = (seconds: number, total: number) => ({ seconds, workload: { items: {}, total } }) as unknown as RunProfile;
  const [lo, hi] = ratioBand(p(10, 10), p(20, 10), 100, 100, defaultThresholds);
  const w = Math.log(1.2) + 2 * Math.sqrt(2 / 100);
  assert.ok(Math.abs(lo - Math.exp(-w)) < 1e-12 && Math.abs(hi - 2 * Math.exp(w)) < 1e-12, `${lo} ${hi}`);
  // the same counts in a run twice as long with a workload twice as big: inside; ×3: outside
  const row = (nb: number) => diffRuns({ ...p(10, 10), messages: [{ stream: 'intake', name: 'x', count: 100, bytes: 0 }], startup: [], fields: [], errors: [], kind: 'run', source: 'a' },
    { ...p(20, 20), messages: [{ stream: 'intake', name: 'x', count: nb, bytes: 0 }], startup: [], fields: [], errors: [], kind: 'run', source: 'b' }).messages[0];
  assert.is(row(200).changed, false);
  assert.is(row(600).changed, true);
  assert.is(row(40).changed, true);
});

test('CLI: --fail-on-change exits 1 on a change and 0 without; --json; --html writes a page; bad pairs are usage errors', async () => {
  const dropped = await run({ seed: 8, faults: { drop: [{ name: 'http_response' }] } });
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'diff', ...args], { encoding: 'utf8' });
  const same = cli(base, base, '--fail-on-change', '--no-checks');
  assert.is(same.status, 0, same.stderr);
  assert.match(same.stdout, /^SAME: no change/m);
  const html = join(root, 'diff.html');
  const changed = cli(base, dropped, '--fail-on-change', '--json', '--html', html);
  assert.is(changed.status, 1, changed.stderr);
  const j = JSON.parse(changed.stdout);
  assert.ok(j.changes.some((c: { subject: string }) => c.subject === 'intake http_response'));
  assert.is(j.a.report, undefined, 'the embedded reports stay out of the JSON');
  assert.ok(existsSync(html));
  const page = readFileSync(html, 'utf8');
  assert.match(page, /id="verdict">CHANGED</);
  assert.ok((page.match(/<svg /g) ?? []).length >= 5, 'rates, and latency and heartbeats for each run');
  assert.is(cli(base, dropped, '--html', html).status, 73, 'an existing page is not replaced without --force');
  assert.is(cli(base, join(base, RUN_FILES.bpf)).status, 64, 'a run directory against a recording');
  assert.is(cli(join(base, RUN_FILES.bpf), join(dropped, RUN_FILES.record)).status, 64, 'a dump against a record file');
  assert.is(cli(base, join(root, 'nope')).status, 66);
  assert.is(cli(base, dropped, '--threshold', 'bogus=1').status, 64);
  const recs = cli(join(base, RUN_FILES.bpf), join(dropped, RUN_FILES.bpf), '--no-checks');
  assert.is(recs.status, 0, recs.stderr); // the dump is untouched by an intake drop
});

test.run();
