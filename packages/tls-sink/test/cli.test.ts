// The built bundle (dist/tls-sink.js) as a user runs it: exit codes and one-line errors, stdout capture with the
// default keys made through @flowmill/certs, SIGTERM mid-stream, and the same bundle under Deno.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUNDLE, DISABLE_SEND_WIRE, ROOT, makeKeys, portOf, randomFile, run, sha256, tempDir, waitReady } from './helpers.js';

const tmp = tempDir();
const keys = makeKeys(tmp.dir);
const sink = (args: string[], runner: string[] = [process.execPath]) => run(runner[0], [...runner.slice(1), BUNDLE, ...args], { cwd: tmp.dir });

async function fails(args: string[], code: number, pattern: RegExp) {
  const p = sink(args);
  const r = await p.exited;
  const lines = p.stderr().trimEnd().split('\n');
  assert.is(r.code, code, p.stderr());
  assert.is(lines.length, 1, `one line: ${p.stderr()}`);
  assert.match(lines[0], /^tls-sink: /);
  assert.match(lines[0], pattern);
  assert.is(p.stdout().length, 0, 'nothing on stdout');
}

test('bad flags exit 64 with one line', async () => {
  await fails(['--out', 'a.raw', '--out-dir', 'd'], 64, /--out and --out-dir/);
  await fails(['--bogus'], 64, /bad usage.*--bogus/);
  await fails(['70000'], 64, /port/);
  await fails(['0', '--plain', '--keylog', 'k.log'], 64, /--plain/);
});

test('a busy port exits 69 with one line naming it', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  await fails([String(port), '--plain', '--out', 'busy.raw'], 69, new RegExp(`127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
  blocker.close();
});

test('an unreadable key exits 66 with one line naming it', async () => {
  await fails(['0', '--cert', keys.cert, '--key', join(tmp.dir, 'missing-key.pem'), '--out', 'k.raw'], 66, /^tls-sink: cannot read: .*missing-key\.pem: no such file$/);
  writeFileSync(join(tmp.dir, 'not-pem.txt'), 'hello\n');
  await fails(['0', '--cert', 'not-pem.txt', '--key', keys.key, '--out', 'k.raw'], 66, /^tls-sink: not a PEM file: not-pem\.txt/);
});

test('a full disk under --out is an I/O error (74) with one line, not "would overwrite" (73)', async () => {
  // /dev/full takes the open and answers every write with ENOSPC (Linux); 'w' on a device truncates nothing
  const p = sink(['0', '--plain', '--out', '/dev/full', '--force', '--once', '--quiet']);
  const port = portOf(await waitReady(p));
  randomFile(join(tmp.dir, 'full.bin'), 200_000);
  const s = run('socat', ['-u', `FILE:${join(tmp.dir, 'full.bin')}`, `TCP:127.0.0.1:${port}`]);
  await s.exited;
  const r = await p.exited;
  assert.is(r.code, 74, p.stderr());
  const lines = p.stderr().trimEnd().split('\n').filter((l) => !/ready: listening/.test(l));
  assert.equal(lines, ['tls-sink: cannot write the capture: /dev/full: disk full (ENOSPC)']);
});

test('an existing output file exits 73 and is left alone', async () => {
  writeFileSync(join(tmp.dir, 'taken.raw'), 'keep');
  await fails(['0', '--plain', '--out', 'taken.raw'], 73, /taken\.raw/);
  assert.is(readFileSync(join(tmp.dir, 'taken.raw'), 'utf8'), 'keep');
});

test('an --out FILE in a directory that does not exist, or an --out-dir that is a file: 66 with one line naming it', async () => {
  await fails(['0', '--plain', '--out', 'no-such-dir/x.raw'], 66, /^tls-sink: cannot create: no-such-dir\/x\.raw: its directory does not exist$/);
  writeFileSync(join(tmp.dir, 'a-file'), 'keep');
  await fails(['0', '--plain', '--out-dir', 'a-file/sub'], 66, /^tls-sink: cannot write the capture: a-file\/sub: a path component is not a directory \(ENOTDIR\)$/);
  assert.is(readFileSync(join(tmp.dir, 'a-file'), 'utf8'), 'keep');
});

test('a --ready-file that cannot be written: one line, exit 66, the sink closes instead of listening unannounced', async () => {
  await fails(['0', '--plain', '--out', 'rf.raw', '--ready-file', 'no-such-dir/ready.json'], 66, /^tls-sink: cannot write the ready file: no-such-dir\/ready\.json: its directory does not exist$/);
});

test('a --keylog that cannot be opened: 66 with one line naming it, and no capture file left behind', async () => {
  await fails(['0', '--cert', keys.cert, '--key', keys.key, '--keylog', 'no-such-dir/k.log', '--out', 'kl.raw'], 66, /^tls-sink: cannot create: no-such-dir\/k\.log: its directory does not exist$/);
  assert.not.ok(existsSync(join(tmp.dir, 'kl.raw')), 'a retry must not find a stray empty capture');
});

/** openssl s_client pushes `file` into the sink; the sink's DISABLE_SEND (after all bytes) tells it to stop. */
async function sClient(port: number, file: string, ca: string, version: string[]) {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...version, '-servername', 'localhost', '-CAfile', ca, '-verify_return_error', '-quiet'];
  const child = spawn('openssl', args, { stdio: [openSync(file, 'r'), 'pipe', 'pipe'] });
  let got = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => ((got = Buffer.concat([got, d])), got.length >= 8 && resolve()));
    child.on('close', (code) => reject(new Error(`s_client exited ${code} early`)));
  });
  child.kill();
  assert.equal(got.subarray(0, 8), DISABLE_SEND_WIRE);
}

test('default keys: keys/localhost is made through @flowmill/certs; TLS 1.2 with the agent suite to stdout, --once exits 0', async () => {
  const input = randomFile(join(tmp.dir, 'stdout.bin'), 3_000_000);
  const p = sink(['0', '--once', '--disable-send-after', String(input.length)]);
  const url = await waitReady(p);
  assert.match(p.stderr(), /created .*keys\/localhost\/cert\.pem/);
  await sClient(portOf(url), join(tmp.dir, 'stdout.bin'), join(tmp.dir, 'keys', 'ca.pem'), ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384']);
  const r = await p.exited;
  assert.is(r.code, 0, p.stderr());
  assert.is(sha256(p.stdout()), sha256(input));
  assert.match(p.stderr(), /conn 1: from 127\.0\.0\.1:\d+ TLSv1\.2 ECDHE-RSA-AES256-GCM-SHA384 sni=localhost/);
});

test('SIGTERM mid-stream: what was received is on disk (fsynced), exit 0', async () => {
  const out = join(tmp.dir, 'term.raw');
  const p = sink(['0', '--plain', '--out', out, '--disable-send-after', '500000']);
  const port = portOf(await waitReady(p));
  const { connect } = await import('node:net');
  const c = connect({ host: '127.0.0.1', port });
  const data = randomBytes(500_000);
  const word = new Promise<void>((res) => c.once('data', () => res()));
  c.write(data);
  await word; // the sink has all 500 000 bytes; the connection stays open
  p.child.kill('SIGTERM');
  const r = await p.exited;
  c.destroy();
  assert.is(r.code, 0, p.stderr());
  assert.ok(readFileSync(out).equals(data));
  assert.match(p.stderr(), /SIGTERM: finishing writes/);
  assert.match(p.stderr(), /conn 1: ended \(shutdown\) after 500000 bytes/);
});

test('--out-dir with --ready-file: socat over plain TCP, journal and file agree with the input', async () => {
  const input = randomFile(join(tmp.dir, 'dir.bin'), 2_000_000);
  const ready = join(tmp.dir, 'ready.json');
  const p = sink(['0', '--plain', '--out-dir', 'capture', '--once', '--ready-file', ready, '--quiet']);
  await waitReady(p);
  const port = JSON.parse(readFileSync(ready, 'utf8')).port;
  const s = run('socat', ['-u', `FILE:${join(tmp.dir, 'dir.bin')}`, `TCP:127.0.0.1:${port}`]);
  assert.is((await s.exited).code, 0);
  assert.is((await p.exited).code, 0, p.stderr());
  const line = JSON.parse(readFileSync(join(tmp.dir, 'capture', 'connections.jsonl'), 'utf8'));
  assert.is(line.sha256, sha256(input));
  assert.is(line.ended, 'eof');
  assert.is(sha256(readFileSync(join(tmp.dir, 'capture', line.file))), sha256(input));
});

const deno = [join(ROOT, 'node_modules', '.bin', 'deno'), 'run', '-A'];

test('Deno: --help, and a TLS 1.3 s_client transfer to stdout with --once', async () => {
  const h = sink(['--help'], deno);
  assert.is((await h.exited).code, 0, h.stderr());
  assert.match(h.stdout().toString(), /--out-dir/);
  // Deno's node:tls has no keylog events: refused with one line rather than an empty key log
  const k = sink(['0', '--cert', keys.cert, '--key', keys.key, '--keylog', 'deno.keylog', '--out', 'deno-k.raw'], deno);
  assert.is((await k.exited).code, 64, k.stderr());
  assert.match(k.stderr(), /^tls-sink: cannot write a TLS key log: deno\.keylog: .*Deno/);
  const input = randomFile(join(tmp.dir, 'deno.bin'), 4_000_000);
  const p = sink(['0', '--cert', keys.cert, '--key', keys.key, '--once', '--disable-send-after', String(input.length)], deno);
  const url = await waitReady(p);
  await sClient(portOf(url), join(tmp.dir, 'deno.bin'), keys.ca, ['-tls1_3']);
  const r = await p.exited;
  assert.is(r.code, 0, p.stderr());
  assert.is(sha256(p.stdout()), sha256(input));
});

test.after(() => tmp.cleanup());
test.run();
