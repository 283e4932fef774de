import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanup, drop, simRun, tmp } from './helpers.js';

// The CLI test runs the built bundle, as users get it (npm test builds first).
const BIN = new URL('../dist/checker.js', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test.after(cleanup);

test('the bundle exists (npm test builds it)', async () => {
  assert.ok(existsSync(BIN), BIN);
});

test('a clean run directory: one line per check, a summary, exit 0, nothing on stderr', async () => {
  const f = await simRun({ wire: 'file' });
  const r = run(['--run-dir', f.dir]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 16, r.stdout);
  assert.match(lines[0], /^pass\s+decode\s/);
  assert.match(lines[9], /^not run\s+upstream-thresholds\s+only with --preset upstream$/);
  // the agent's intake connection lives across stats slots, so socket-stats-live has something to check
  assert.match(lines[15], /^ok: 13 passed, 0 failed, 2 not run \(not a failure/);
});

test('a failed check: exit 1, FAIL line with evidence under it', async () => {
  const f = await simRun({ wire: 'file', edit: drop('intake', 'heartbeat', 4) });
  const r = run(['--run-dir', f.dir]);
  assert.is(r.status, 1);
  assert.match(r.stdout, /^FAIL\s+cadence\s+1 heartbeat gap out of tolerance\n\s+- intake session 0 @\d+ .*heartbeat gap (39|40|41)\d\d\.\d ms outside \[1800, 2500\]/m);
  assert.match(r.stdout, /^FAIL: 12 passed, 1 failed/m);
});

test('a damaged LZ4 frame in the wire capture fails decode (exit 1, not a crash) and names the offset', async () => {
  const f = await simRun({ wire: 'file' });
  const b = readFileSync(f.wire);
  // Byte 24 starts the first frame (after the raw 24-byte version_info); break its magic number.
  b[24] ^= 0xff;
  writeFileSync(f.wire, b);
  const r = run(['--wire', f.wire, '--json']);
  assert.is(r.status, 1, r.stderr);
  const rep = JSON.parse(r.stdout);
  const d = rep.checks.find((c: { id: string }) => c.id === 'decode');
  assert.is(d.status, 'fail');
  assert.is(d.evidence[0].input, 'wire');
  assert.is(d.evidence[0].code, 'ERR_CORRUPT');
  assert.is(d.evidence[0].offset, 24);
});

test('--json: every check with status, evidence and figures; --only limits the run', async () => {
  const f = await simRun({ wire: 'file' });
  const r = run(['--run-dir', f.dir, '--json', '--only', 'cadence,health', '--only', 'authz']);
  assert.is(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.is(rep.ok, true);
  assert.is(rep.checks.length, 15);
  const st = Object.fromEntries(rep.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
  assert.equal(st, { decode: 'not-run', 'startup-order': 'not-run', 'taps-agree': 'not-run', 'bpf-intake': 'not-run', lifecycles: 'not-run', workload: 'not-run', cadence: 'pass', health: 'pass', authz: 'pass', 'upstream-thresholds': 'not-run', 'wire-frames': 'not-run', 'socket-stats-live': 'not-run', 'udp-conservation': 'not-run', 'dns-port': 'not-run', 'disable-send': 'not-run' });
  // 12 s of telemetry: heartbeat 1 when it starts, heartbeat 2 max(0, 2 s − T) later (T = 1.2 s), then every 2 s
  // (kernel_collector.cc@3598385a:271-322, scheduling/interval_scheduler.cc:74-82): 1 + 1 + 5
  assert.is(rep.checks.find((c: { id: string }) => c.id === 'cadence').figures.heartbeats, 7);
});

test('--config overrides a tolerance (deep merge) and --preset upstream turns the thresholds on', async () => {
  const f = await simRun({ wire: 'file', edit: drop('intake', 'heartbeat', 4) });
  const cfg = join(tmp(), 'tol.json');
  writeFileSync(cfg, JSON.stringify({ cadence: { heartbeatMaxGapMs: 4500 } }));
  const r = run(['--run-dir', f.dir, '--config', cfg, '--preset', 'upstream']);
  assert.match(r.stdout, /^pass\s+cadence/m);
  assert.match(r.stdout, /^FAIL\s+upstream-thresholds\s+\d+ of 21 thresholds not met/m);
  assert.is(r.status, 1);
});

test('exit codes: a missing named file 66, bad usage 64 (unknown flag, unknown check, unknown preset, bad config, no input)', async () => {
  const f = await simRun({ wire: 'file' });
  const missing = run(['--bpf', join(f.dir, 'nope.raw')]);
  assert.is(missing.status, 66);
  assert.is(missing.stderr, `checker: cannot read the bpf input: ${join(f.dir, 'nope.raw')}: no such file\n`);
  assert.is(run(['--run-dir', join(f.dir, 'nope')]).status, 66);
  // a run directory that holds no recording is missing input, not "give --run-dir" (it was given)
  const empty = tmp();
  const none = run(['--run-dir', empty]);
  assert.is(none.status, 66);
  assert.is(none.stderr, `checker: cannot read the run directory input: ${empty}: holds none of intake/, intake.raw, intake.record, bpf.raw, manifest.json, authz.jsonl\n`);
  const aFile = run(['--run-dir', join(f.dir, 'manifest.json')]);
  assert.is(aFile.status, 66);
  assert.match(aFile.stderr, /: is a file, not a directory\n$/);
  assert.is(run(['--run-dir', f.dir, '--frobnicate']).status, 64);
  const badId = run(['--run-dir', f.dir, '--only', 'nope']);
  assert.is(badId.status, 64);
  assert.match(badId.stderr, /^checker: unknown check id: nope: expected one of decode, /);
  assert.is(run(['--run-dir', f.dir, '--preset', 'strictest']).status, 64);
  const cfg = join(tmp(), 'bad.json');
  writeFileSync(cfg, JSON.stringify({ cadence: { heartbeatMaxGap: 1 } }));
  const badCfg = run(['--run-dir', f.dir, '--config', cfg]);
  assert.is(badCfg.status, 64);
  assert.match(badCfg.stderr, /cadence\.heartbeatMaxGap: unknown key \(valid keys of cadence: heartbeatMs, heartbeatMinGapMs, heartbeatMaxGapMs, probeLoadMaxGapMs\)/);
  writeFileSync(cfg, JSON.stringify({ cadence: { heartbeatMs: '500' } }));
  const wrongType = run(['--run-dir', f.dir, '--config', cfg]);
  assert.is(wrongType.status, 64);
  assert.match(wrongType.stderr, /cadence\.heartbeatMs: expected a number, got "500"/);
  assert.is(run([]).status, 64);
});

test('--html into a directory that does not exist: the report is still printed, then exit 66 with one error line', async () => {
  const f = await simRun({ wire: 'file' });
  const r = run(['--run-dir', f.dir, '--html', join(f.dir, 'no', 'such', 'dir', 'r.html')]);
  assert.is(r.status, 66); // the shared output helper: a missing directory is a missing input, as for every bin
  assert.match(r.stdout, /^ok: 13 passed/m);
  assert.match(r.stderr, /^checker: cannot create: .*r\.html: its directory does not exist/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

test('--html never replaces an existing file without --force: 73 before any check runs, the file unchanged', async () => {
  const f = await simRun({ wire: 'file' });
  const out = join(tmp(), 'precious.pem');
  writeFileSync(out, 'not a report\n');
  const r = run(['--run-dir', f.dir, '--html', out]);
  assert.is(r.status, 73);
  assert.is(r.stdout, '');
  assert.is(r.stderr, `checker: refusing to overwrite: ${out}: exists (use --force to replace it)\n`);
  assert.is(readFileSync(out, 'utf8'), 'not a report\n');
  const forced = run(['--run-dir', f.dir, '--html', out, '--force']);
  assert.is(forced.status, 0, forced.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>/);
  assert.is(run(['--run-dir', f.dir, '--force']).status, 64);
});

test('--html writes one self-contained page (no scripts, no external URLs)', async () => {
  const f = await simRun({ wire: 'file' });
  const out = join(tmp(), 'report.html');
  const r = run(['--run-dir', f.dir, '--html', out]);
  assert.is(r.status, 0);
  const html = readFileSync(out, 'utf8');
  assert.ok(statSync(out).size > 10_000);
  assert.not.match(html, /<script|<link|src=|@import|url\(/i);
  assert.not.match(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, ''), /https?:\/\//);
  for (const id of ['decode', 'startup-order', 'taps-agree', 'bpf-intake', 'lifecycles', 'workload', 'cadence', 'health', 'authz', 'upstream-thresholds']) assert.match(html, new RegExp(`data-check="${id}"`));
  for (const sec of ['timeline', 'latency', 'heartbeats', 'segments']) assert.match(html, new RegExp(`<section id="${sec}">`));
});

test.run();
