// Ctrl-C at any step of `recipe run` tears everything down in reverse order: no process left (the recipe's own
// process group, the agent and what it started), no port left listening, and every file in the run directory
// either complete and listed in run.json or marked (`complete: false`, or a `.partial` name). A second Ctrl-C forces
// what does not stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const BUNDLE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-ctrlc-'));

test.after(() => rmSync(cwd, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

/** Starts `recipe run` in its own process group; resolves `waitFor` once stderr matches. */
function start(args: string[]): { child: ChildProcess; stderr: () => string; waitFor: (re: RegExp) => Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BUNDLE, 'run', ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH!, NO_COLOR: '1' } });
  let err = '';
  const waiters: [RegExp, () => void][] = [];
  child.stderr!.on('data', (d) => {
    err += d;
    for (const w of [...waiters]) if (w[0].test(err)) (waiters.splice(waiters.indexOf(w), 1), w[1]());
  });
  child.stdout!.resume();
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr: () => err, waitFor: (re) => new Promise((r) => (re.test(err) ? r() : waiters.push([re, r]))), exit };
}

function checkRunDir(dir: string): { status: string; files: Record<string, { complete: boolean }> } {
  const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [relative(dir, join(d, e.name))]));
  for (const f of walk(dir)) {
    if (f === 'run.json') continue;
    assert.not.match(f, /\.tmp$/, `no temp file left: ${f}`);
    assert.ok(runJson.files[f], `${f} is listed in run.json`);
    if (f.endsWith('.partial')) assert.is(runJson.files[f].complete, false, `${f} is marked incomplete`);
  }
  return runJson;
}

test('Ctrl-C while the simulated agent records the workload: exit 130, nothing left, recordings marked', async () => {
  const r = start(['--out', 'sim-run', '--duration', '30s']);
  await r.waitFor(/\[5\/8\] agent catches up/);
  const ports = JSON.parse(readFileSync(join(cwd, 'sim-run', 'run.json'), 'utf8')); // still status "running"
  assert.is(ports.status, 'running');
  process.kill(r.child.pid!, 'SIGINT');
  assert.is(await r.exit, 130);
  assert.match(r.stderr(), /recipe: SIGINT: stopping everything \(again to force\)/);
  assert.match(r.stderr(), /stopped agent \(simulated\)[\s\S]*stopped tls-sink[\s\S]*stopped mock-authz/, 'reverse order');
  assert.equal(groupMembers(r.child.pid!), [], 'no process of the run is left');
  const j = checkRunDir(join(cwd, 'sim-run'));
  assert.is(j.status, 'interrupted');
  assert.is(j.files['intake.record'].complete, false);
  assert.is(j.files['bpf.raw'].complete, false);
  const run = JSON.parse(readFileSync(join(cwd, 'sim-run', 'run.json'), 'utf8'));
  const intakePort = Number(String(run.servers.intake).split(':').pop());
  const authzPort = Number(String(run.servers.authz).split(':').pop());
  assert.ok(await refused(intakePort), 'intake port closed');
  assert.ok(await refused(authzPort), 'authz port closed');
});

test('a real agent that ignores SIGTERM: the first Ctrl-C waits out its grace, the second kills it and its children', async () => {
  const pidFile = join(cwd, 'agent.pids');
  const agent = join(cwd, 'stubborn-agent.sh');
  writeFileSync(agent, `#!/bin/bash\necho $$ > ${pidFile}\nsleep 300 &\necho $! >> ${pidFile}\necho "Agent connected successfully. Telemetry is flowing!"\ntrap 'echo ignoring TERM' TERM\nwhile :; do wait; done\n`);
  chmodSync(agent, 0o755);
  const r = start(['--agent', agent, '--no-sudo', '--authz-port', '0', '--intake-port', '0', '--profile', '{"dns":{"port":0}}', '--out', 'real-run', '--grace', '60s', '--duration', '60s']);
  await r.waitFor(/\[5\/8\] agent catches up/);
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  assert.ok(pids.every(alive));
  process.kill(r.child.pid!, 'SIGINT');
  await r.waitFor(/\[agent\]\s+ignoring TERM/);
  assert.ok(alive(pids[0]), 'the agent is still within its grace period (its sleep child took the SIGTERM)');
  const t0 = Date.now();
  process.kill(r.child.pid!, 'SIGINT');
  assert.is(await r.exit, 130);
  assert.ok(Date.now() - t0 < 5000, 'forced, not waited out');
  assert.match(r.stderr(), /second SIGINT: killing what is left/);
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((res) => setTimeout(res, 20));
  for (const pid of pids) assert.not.ok(alive(pid), `pid ${pid} gone`);
  assert.equal(groupMembers(r.child.pid!), []);
});

test('SIGTERM behaves like Ctrl-C: exit 143, run.json says interrupted', async () => {
  const r = start(['--out', 'term-run', '--duration', '30s']);
  await r.waitFor(/\[5\/8\] agent catches up/);
  process.kill(r.child.pid!, 'SIGTERM');
  assert.is(await r.exit, 143);
  assert.is(checkRunDir(join(cwd, 'term-run')).status, 'interrupted');
});

test.run();
