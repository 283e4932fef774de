// The same bundles run under Deno (installed from the npm registry as the `deno` package): a smoke suite that runs
// every bin's help and one real job per bin, under `deno run -A`, with the results checked by Node or a real peer.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runLayout } from '@flowmill/agent-runner/run-layout';

const root = new URL('..', import.meta.url).pathname;
// The real binary, not node_modules/.bin/deno (a Node wrapper: signalling it would leave deno running).
const deno = join(root, 'node_modules', 'deno', 'deno');

export function bins(): { pkg: string; bin: string; path: string }[] {
  return readdirSync(join(root, 'packages')).flatMap((pkg) => {
    const pj = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
    return Object.entries<string>(pj.bin ?? {}).map(([bin, rel]) => ({ pkg, bin, path: join(root, 'packages', pkg, rel) }));
  });
}

test('deno is installed from the npm registry and runs', () => {
  const r = spawnSync(deno, ['--version'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^deno \d+\.\d+/);
});

for (const { bin, path } of bins()) {
  test(`${bin} --help runs under deno and names its bin`, () => {
    assert.ok(existsSync(path), `${path} is built`);
    const r = spawnSync(deno, ['run', '-A', path, '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(bin));
  });
}

const bundle = (pkg: string) => join(root, 'packages', pkg, 'dist', `${pkg}.js`);

/** Starts a bundled server under deno and resolves with its port once the readiness line appears. */
function startUnderDeno(pkg: string, args: string[], cwd: string): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(deno, ['run', '-A', bundle(pkg), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${pkg} not ready under deno: ${err}`)); }, 30_000);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /ready: listening on \S+:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]), stderr: () => err }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${pkg} exited ${code} under deno: ${err}`)); });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

test('certs under deno makes a CA and a leaf that openssl verifies, keys mode 0600', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deno-certs-'));
  try {
    const r = spawnSync(deno, ['run', '-A', bundle('certs'), '--dir', dir, 'localhost'], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    const v = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'localhost', 'cert.pem')], { encoding: 'utf8' });
    assert.is(v.status, 0, v.stdout + v.stderr);
    assert.is(statSync(join(dir, 'localhost', 'key.pem')).mode & 0o777, 0o600);
    assert.is(statSync(join(dir, 'ca-key.pem')).mode & 0o777, 0o600);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('mock-authz under deno serves the token contract to curl, timestamps as strings, intake present', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deno-authz-'));
  const s = await startUnderDeno('mock-authz', ['--http', '--port', '0', '--intake', 'localhost'], dir);
  try {
    const r = spawnSync('curl', ['-sS', '-H', 'Authorization: Bearer secret', '-H', 'Grpc-Metadata-Agent-ID: FAID0123456789ABCDEFGHIJKLMNOPQRSTUV',
      `http://127.0.0.1:${s.port}/api/v1/auth/keys/KFIIVU75RGHY7EC7JABW`], { encoding: 'utf8', timeout: 10_000 });
    assert.is(r.status, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.type(body.token, 'string');
    assert.match(body.issuedAtS, /^\d+$/);
    assert.match(body.expirationS, /^\d+$/);
    assert.ok(Number(body.expirationS) > Number(body.issuedAtS));
    assert.is(body.intake, 'localhost');
  } finally {
    assert.is(await stop(s.child), 0, s.stderr());
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls-sink --plain under deno writes what a client sent, byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deno-sink-'));
  const out = join(dir, 'capture.raw');
  const s = await startUnderDeno('tls-sink', ['--plain', '0', '--out', out], dir);
  const data = randomBytes(3 << 20);
  try {
    await new Promise<void>((resolve, reject) => {
      const c = connect(s.port, '127.0.0.1', () => c.end(data));
      c.on('error', reject);
      c.resume(); // drain, then close cleanly (docs/development.md #15)
      c.on('close', () => resolve());
    });
  } finally {
    assert.is(await stop(s.child), 0, s.stderr());
  }
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  assert.is(sha(readFileSync(out)), sha(data));
  rmSync(dir, { recursive: true, force: true });
});

test('raw-codec under deno decodes an intake capture built from docs/wire-format.md worked examples and the lz4 CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deno-codec-'));
  try {
    // docs/wire-format.md (b), examples 1 and 2, timestamp 0x16b8000000000001; the frame is made by the lz4 CLI.
    const ts = '01 00 00 00 00 00 b8 16';
    const hex = (h: string) => Uint8Array.from(h.trim().split(/\s+/), (x) => parseInt(x, 16));
    const versionInfo = hex(`${ts} 36 01 00 00 00 00 00 00 09 00 00 00 e1 10 00 00`);
    const authz = hex(`${ts} 94 01 11 00 05 00 01 54 4f 4b 45 4e 68 6f 73 74 31`);
    const lz = spawnSync('lz4', ['-c', '-q'], { input: authz });
    assert.is(lz.status, 0);
    const capture = join(dir, 'intake.raw');
    writeFileSync(capture, Buffer.concat([versionInfo, lz.stdout]));
    const r = spawnSync(deno, ['run', '-A', bundle('raw-codec'), 'decode', capture, '--schema', 'flowmill'], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const [v, a] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.is(v.name, 'version_info');
    assert.is(v.rpc_id, 310);
    assert.is(v.timestamp, String(0x16b8000000000001n));
    assert.equal(v.data, { major: 0, minor: 9, build: 4321 });
    assert.is(a.name, 'authz_authenticate');
    assert.is(a.rpc_id, 404);
    assert.equal(a.data, { token: 'TOKEN', collector_type: 1, hostname: 'host1' });
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('recipe run under deno: keys, TLS fake cloud, simulated agent, workload, decode and checker all pass', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deno-recipe-'));
  try {
    const r = spawnSync(deno, ['run', '-A', bundle('recipe'), 'run', '--json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, r.stderr.slice(-2000));
    const run = runLayout(join(dir, 'runs', 'current')); // the recipe's default run directory
    const runJson = JSON.parse(readFileSync(run.path('runJson'), 'utf8'));
    const check = JSON.parse(readFileSync(run.path('checkJson'), 'utf8'));
    assert.is(check.ok, true);
    assert.ok(check.checks.filter((c: { status: string }) => c.status === 'pass').length >= 8, 'the checks ran');
    assert.ok(!check.checks.some((c: { status: string }) => c.status === 'fail'));
    assert.is(runJson.runtime.name, 'deno', 'run.json names the runtime that ran the recipe');
    assert.is(runJson.era, 'flowmill', 'the default run is the Flowmill (TLS) era');
    assert.is(runJson.simulated, true);
    assert.is(runJson.status, 'passed');
    for (const { pkg } of bins()) {
      const own = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
      assert.is(runJson.versions[own.name], own.version, `run.json's version of ${own.name} is its package.json's`);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
