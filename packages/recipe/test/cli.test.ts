// The built bundle, as a user runs it: exit codes and one-line errors for what goes wrong before or around the agent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, fakeAgent } from './fake-agent.js';

const BUNDLE = new URL('../dist/recipe.js', import.meta.url).pathname;
const cwd = mkdtempSync(join(tmpdir(), 'recipe-cli-'));
const recipe = (args: string[], opts: { timeout?: number } = {}) =>
  spawnSync(process.execPath, [BUNDLE, ...args], { cwd, encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: { PATH: process.env.PATH!, NO_COLOR: '1' } });
// DNS on any port: as root a real-agent run would take port 53, which parallel suites may want too
const quick = ['--no-sudo', '--authz-port', '0', '--intake-port', '0', '--runs', 'runs', '--keys', 'keys', '--profile', '{"dns":{"port":0}}'];

test.after(() => rmSync(cwd, { recursive: true, force: true }));

test('--help lists the subcommands; a bad flag is a usage error (64)', () => {
  const h = recipe(['--help']);
  assert.is(h.status, 0);
  for (const c of ['run', 'up', 'env', 'down', 'status']) assert.match(h.stdout + h.stderr, new RegExp(`- ${c} - `));
  const bad = recipe(['run', '--no-such-flag']);
  assert.is(bad.status, 64);
  const both = recipe(['run', '--agent', '/bin/true', '--docker', 'img']);
  assert.is(both.status, 64);
  assert.match(both.stderr, 'recipe: choose one agent: --agent PATH or --docker IMAGE');
});

test('a missing agent binary: one line, exit 66, nothing created', () => {
  const r = recipe(['run', '--agent', '/nonexistent/kernel-collector', '--runs', 'none']);
  assert.is(r.status, 66);
  assert.is(r.stderr, 'recipe: cannot start the agent: /nonexistent/kernel-collector: no such file\n');
  assert.not.ok(existsSync(join(cwd, 'none')), 'no run directory');
});

test('a busy intake port: one line naming the flag, exit 69', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  const r = recipe(['run', '--authz-port', '0', '--intake-port', String(port), '--keys', 'keys', '-q']);
  blocker.close();
  assert.is(r.status, 69);
  assert.is(r.stderr, `recipe: cannot listen: intake on 127.0.0.1:${port}: port busy (pick another with --intake-port, or 0 for any)\n`);
});

test('an agent that dies after it was ready: exit 69, its log named, its child gone', () => {
  const a = fakeAgent(cwd, 'ready-then-die');
  const r = recipe(['run', '--agent', a.path, ...quick, '--duration', '5s', '-q']);
  assert.is(r.status, 69, r.stderr);
  assert.match(r.stderr, /^recipe: agent ended early: exit 255: see .*agent\.log\n$/);
  const dir = r.stdout.trim();
  assert.match(readFileSync(join(dir, 'agent.log'), 'utf8'), 'critical: simulated crash');
  const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.is(runJson.status, 'error');
  assert.is(runJson.exitCode, 69);
  assert.is(runJson.agent.exit.code, 255);
  const [, child] = readFileSync(a.pidFile, 'utf8').trim().split('\n').map(Number);
  assert.not.ok(alive(child), 'the agent\'s own child was stopped with its process group');
});

test('an agent that never says it is ready: exit 75 after --ready-timeout, agent stopped', () => {
  const a = fakeAgent(cwd, 'never-ready');
  const t0 = Date.now();
  const r = recipe(['run', '--agent', a.path, ...quick, '--ready-timeout', '500ms', '-q']);
  assert.is(r.status, 75, r.stderr);
  assert.match(r.stderr, /^recipe: timed out: agent readiness \("Telemetry is flowing!"\): nothing after 0\.5s/);
  assert.ok(Date.now() - t0 < 10_000);
  for (const pid of readFileSync(a.pidFile, 'utf8').trim().split('\n').map(Number)) assert.not.ok(alive(pid), `pid ${pid} gone`);
});

test('an agent that runs but records nothing: exit 1, the missing recordings named, not a pass', () => {
  const a = fakeAgent(cwd, 'ready-then-wait');
  const r = recipe(['run', '--agent', a.path, ...quick, '--duration', '500ms', '--catch-up', '10ms', '--json']);
  assert.is(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.status, 'failed');
  assert.equal(out.missing.length, 3);
  assert.match(out.missing[0], 'wire capture');
  assert.is(out.agent.exit.code, 241, 'stopped like the agent: exit(-SIGTERM)');
  // a real agent gets plain http authz and a TLS intake: the agent keeps the scheme it is given
  // (util/url.cc@3598385a:19-25) and libcurl takes http:// (util/curl_engine.cc@3598385a:138)
  assert.match(out.servers.authz, /^http:\/\/localhost:\d+$/);
  assert.match(out.servers.intake, /^tls:\/\//);
  assert.ok(out.agent.argv.includes(`--authz-server=${out.servers.authz}`), out.agent.argv.join(' '));
});

test('--authz-tls: https authz for a real agent, and the steps to trust the CA system-wide are printed', () => {
  const a = fakeAgent(cwd, 'ready-then-wait');
  const r = recipe(['run', '--agent', a.path, ...quick, '--authz-tls', '--duration', '200ms', '--catch-up', '10ms', '--json']);
  assert.is(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.match(out.servers.authz, /^https:\/\/localhost:\d+$/);
  assert.ok(out.agent.argv.includes(`--authz-server=${out.servers.authz}`));
  assert.match(r.stderr, /ignores SSL_CERT_FILE/);
  assert.match(r.stderr, /update-ca-certificates/);
});

test('status with nothing running: exit 66, one line', () => {
  const r = recipe(['status', '--dir', join(cwd, 'nowhere')]);
  assert.is(r.status, 66);
  assert.match(r.stderr, /^recipe: no fake cloud: .*nowhere\/cloud\.json: nothing running there/);
});

test.run();
