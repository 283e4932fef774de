// Every bin, given a malformed input as a user would type it (real processes, real files, a real busy port), ends
// within seconds with ONE stderr line `<bin>: what failed: where: why` and the exit code the table in packages/cli
// gives that kind of mistake, leaves no process behind, and never shows Node's own error text or a stack
// (issue 12 items 4 and 10, and "a malformed input to any flag of any bin ends in one line and a distinct exit code").
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../../..', import.meta.url).pathname;
const bin = (name: string) => join(root, 'packages', name, 'dist', `${name}.js`);
const dir = mkdtempSync(join(tmpdir(), 'bins-malformed-'));
let busy: Server;
let busyPort = 0;

test.before(async () => {
  writeFileSync(join(dir, 'garbage.raw'), 'garbage\n');
  writeFileSync(join(dir, 'not-pem.txt'), 'not a certificate\n');
  writeFileSync(join(dir, 'not-json.json'), '{ nope\n');
  writeFileSync(join(dir, 'existing.raw'), 'x');
  mkdirSync(join(dir, 'a-dir'));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
});
test.after(() => {
  busy.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; pid: number; timedOut: boolean }

/** Runs a bin in its own process group from the scratch directory; kills the group if it outlives `timeoutMs`. */
export function runBin(name: string, args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin(name), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch {}
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid!, timedOut });
    });
  });
}

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// [bin, arguments (BUSY is the busy port), exit code, what the line must say]
const cases: [string, string[], number, RegExp][] = [
  ['certs', ['--bogus'], 64, /bad usage: Unknown arguments: --bogus/],
  ['certs', ['--dir'], 64, /No value provided: --dir/],
  ['certs', ['bad name!'], 64, /bad certificate name/],
  ['certs', ['check', '--dir', 'not-pem.txt'], 66, /not-pem\.txt/],
  ['certs', ['--dir', 'not-pem.txt'], 73, /not-pem\.txt/],
  ['certs', ['create', '--nope'], 64, /Unknown arguments: --nope \(try 'certs create --help'\)/],
  ['certs', ['check', '--nope'], 64, /Unknown arguments: --nope \(try 'certs check --help'\)/],
  ['certs', ['--dir', '/proc/flowmill-keys'], 66, /\/proc\/flowmill-keys: no such file or directory/], // Node's recursive mkdir loops here
  ['mock-authz', ['--port', '70000'], 64, /not a port/],
  ['mock-authz', ['--keys-dir', '/proc/flowmill-keys'], 66, /\/proc\/flowmill-keys/],
  ['mock-authz', ['--port', 'abc'], 64, /--port/],
  ['mock-authz', ['--http', '--port', 'BUSY'], 69, /127\.0\.0\.1:\d+: .*in use/],
  ['mock-authz', ['--http', '--port', '0', '--host', '192.0.2.1'], 69, /192\.0\.2\.1.*not available/],
  ['mock-authz', ['--cert', 'missing.pem', '--key', 'missing.pem'], 66, /missing\.pem/],
  ['mock-authz', ['--cert', 'not-pem.txt', '--key', 'not-pem.txt'], 66, /not a PEM file/],
  ['mock-authz', ['--http', '--port', '0', '--log', 'missing/authz.log'], 66, /missing\/authz\.log/],
  ['mock-authz', ['--http', '--port', '0', '--log', 'a-dir'], 66, /a-dir/],
  ['mock-authz', ['--http', '--port', '0', '--ttl', '-5'], 64, /--ttl/],
  ['mock-authz', ['--http', '--port', '0', '--delay', 'soon'], 64, /not a duration/],
  ['mock-authz', ['--http', '--port', '0', '--ready-file', 'missing/ready.json'], 66, /missing\/ready\.json/],
  ['tls-sink', ['99999'], 64, /not a port/],
  ['tls-sink', ['--plain', 'BUSY'], 69, /127\.0\.0\.1:\d+: address already in use/],
  ['tls-sink', ['--plain', '--host', '192.0.2.1', '0'], 69, /192\.0\.2\.1.*not available/],
  ['tls-sink', ['--plain', '0', '--out', 'missing/x.raw'], 66, /missing\/x\.raw/],
  ['tls-sink', ['--plain', '0', '--out', 'existing.raw'], 73, /existing\.raw/],
  ['tls-sink', ['--plain', '0', '--close-after'], 64, /No value provided: --close-after/],
  ['tls-sink', ['--plain', '0', '--out-dir', '/proc/flowmill-intake'], 66, /\/proc\/flowmill-intake/],
  ['tls-sink', ['--cert', 'not-pem.txt', '--key', 'not-pem.txt', '0'], 66, /not a PEM file/],
  ['raw-codec', ['decode', 'missing.raw'], 66, /missing\.raw/],
  ['raw-codec', ['decode', 'garbage.raw'], 65, /corrupt/],
  ['raw-codec', ['decode', 'a-dir'], 66, /a-dir/],
  ['raw-codec', ['decode', '--kind', 'nosuch', 'garbage.raw'], 64, /nosuch/],
  ['raw-codec', ['frobnicate'], 64, /Not a valid subcommand name: frobnicate/],
  ['checker', ['--wire', 'missing.raw'], 66, /missing\.raw/],
  ['checker', ['--run-dir', 'missing'], 66, /missing/],
  ['checker', ['--config', 'missing.json', '--wire', 'garbage.raw'], 66, /missing\.json/],
  ['checker', ['--schema', 'nosuch', '--wire', 'garbage.raw'], 66, /nosuch/],
  ['checker', ['--html', 'missing/r.html', '--wire', 'garbage.raw'], 66, /missing\/r\.html/],
  ['checker', ['--only', 'nosuch', '--wire', 'garbage.raw'], 64, /nosuch/],
  ['agent-runner', ['sim', '--era', 'nosuch'], 64, /--era/],
  ['agent-runner', ['workload', '--profile', 'missing.yaml'], 66, /missing\.yaml/],
  ['agent-runner', ['bogus'], 64, /Not a valid subcommand name: bogus/],
  ['agent-runner', ['sim', '--intake-port', 'abc'], 64, /--intake-port/],
  ['recipe', ['--port', 'abc'], 64, /--port/],
  ['recipe', ['status', '--dir', 'missing'], 66, /missing/],
  ['recipe', ['down', '--dir', 'missing'], 66, /missing/],
  ['recipe', ['run', '--duration', 'banana'], 64, /not a duration/],
  ['recipe', ['run', '--agent', 'missing/agent'], 66, /missing\/agent/],
];

for (const [name, rawArgs, code, says] of cases) {
  test(`${name} ${rawArgs.join(' ')} → one line, exit ${code}, nothing left running`, async () => {
    const args = rawArgs.map((a) => (a === 'BUSY' ? String(busyPort) : a));
    const r = await runBin(name, args);
    assert.not.ok(r.timedOut, `still running after 20 s; stderr: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.is(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
    const line = lines[0];
    assert.ok(line.startsWith(`${name}: `), line);
    assert.match(line, says);
    // Node's own words never reach the user: no `ENOENT: no such file or directory, open '…'`, no `listen EADDRINUSE`
    assert.not.match(line, /\bE[A-Z]+: [^,]+, \w+/, line);
    assert.not.match(line, /\b(listen|connect|spawn|getaddrinfo) E[A-Z]+/, line);
    assert.is(r.code, code, line);
    assert.not.ok(groupAlive(r.pid), 'a process of the bin outlived it');
  });
}

test.run();
