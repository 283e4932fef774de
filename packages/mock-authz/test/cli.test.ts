import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KEY_ID, curlAgent, runBinOnce, runPeer, startBin, tempDir, tlsMaterial, until } from './helpers.js';

test('no TLS flags: creates keys/localhost through the certs library, serves HTTPS, curl --cacert gets the token; SIGTERM exits 0', async () => {
  const t = tempDir();
  try {
    const bin = await startBin(['--port', '0', '--ready-file', 'ready.json', '--token', 'XYZ', '--intake', 'localhost'], t.dir);
    try {
      assert.match(bin.url, /^https:\/\/localhost:\d+$/);
      // announceReady writes the file before it prints the line: it is there already
      assert.ok(existsSync(join(t.dir, 'ready.json')), 'the ready file exists once the readiness line is out');
      const ready = JSON.parse(readFileSync(join(t.dir, 'ready.json'), 'utf8'));
      assert.is(ready.url, bin.url);
      assert.is(ready.port, Number(new URL(bin.url).port));
      assert.is(statSync(join(t.dir, 'keys', 'localhost', 'key.pem')).mode & 0o777, 0o600);
      assert.match(bin.stderr(), /created .*ca\.pem/);
      const r = await curlAgent(bin.url, join(t.dir, 'keys', 'ca.pem'));
      assert.is(r.status, 0, r.stderr);
      const [json, code] = r.stdout.split('\n');
      assert.is(code, '200');
      const body = JSON.parse(json);
      assert.is(body.token, 'XYZ');
      assert.is(body.intake, 'localhost');
      assert.type(body.issuedAtS, 'string');
      assert.is(Number(body.expirationS) - Number(body.issuedAtS), 3600);
      // the NDJSON line on stderr
      await until(() => /"status":200/.test(bin.stderr()), 'no NDJSON line with "status":200 on stderr after a 200 answer');
      const line = bin.stderr().split('\n').find((l) => l.includes('"status":200'))!;
      const e = JSON.parse(line);
      assert.is(e.keyId, KEY_ID);
      assert.is(e.token, 'XYZ');
      assert.is(e.issuedAtS, body.issuedAtS);
      assert.is(e.expirationS, body.expirationS);
      assert.is(e.intake, 'localhost');
      assert.type(e.latencyMs, 'number');
    } finally { bin.child.kill('SIGTERM'); }
    assert.is(await bin.exit, 0);
    // a second start reuses the same certificate (the recipe starts it every run)
    const again = await startBin(['--port', '0'], t.dir);
    try { assert.not.match(again.stderr(), /created/); } finally { again.child.kill('SIGTERM'); }
    assert.is(await again.exit, 0);
  } finally { t.done(); }
});

test('--http --log FILE: plain HTTP, NDJSON lines in the file (mode 0600), refused when the log exists (73) unless --force', async () => {
  const t = tempDir();
  try {
    const bin = await startBin(['--http', '--port', '0', '--log', 'authz.jsonl', '--strict', '--fail-first', '1', '--fail-mode', 'close'], t.dir);
    try {
      assert.match(bin.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const first = await curlAgent(bin.url, null);
      assert.is(first.status, 52, first.stderr); // curl: empty reply from server
      const second = await curlAgent(bin.url, null);
      assert.match(second.stdout, /\n200$/);
      const api = await runPeer('curl', ['-sS', '-w', '\\n%{http_code}', '-H', 'Authorization: Bearer s', '-H', 'Grpc-Metadata-Agent-ID: FAID0123456789ABCDEFGHIJKLMNOPQRSTUV', `${bin.url}/api/v1/auth/keys/KFIA1234`]);
      assert.match(api.stdout, /appears to be an API key[\s\S]*\n401$/);
    } finally { bin.child.kill('SIGTERM'); }
    assert.is(await bin.exit, 0, 'first: ' + bin.stderr());
    const lines = readFileSync(join(t.dir, 'authz.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.map((l) => [l.status, l.fault ?? null]), [[0, 'close'], [200, null], [401, null]]);
    assert.is(statSync(join(t.dir, 'authz.jsonl')).mode & 0o777, 0o600);
    assert.not.match(bin.stderr(), /"status"/);
    const again = await runBinOnce(['--http', '--port', '0', '--log', 'authz.jsonl'], t.dir);
    assert.is(again.status, 73, again.stderr);
    assert.match(again.stderr, /^mock-authz: refusing to overwrite: authz\.jsonl/);
    const forced = await startBin(['--http', '--port', '0', '--log', 'authz.jsonl', '--force'], t.dir);
    forced.child.kill('SIGTERM');
    assert.is(await forced.exit, 0, 'forced: ' + forced.stderr());
    assert.is(readFileSync(join(t.dir, 'authz.jsonl'), 'utf8'), '');
  } finally { t.done(); }
});

test('failures give one line and distinct codes: busy port 69, bad flag 64, missing cert 66, garbage key 66, half TLS flags 64', async () => {
  const t = tempDir();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const busy = await runBinOnce(['--http', '--port', String(port)], t.dir);
    assert.is(busy.status, 69, busy.stderr);
    assert.is(busy.stderr, `mock-authz: cannot listen: 127.0.0.1:${port}: the port is in use (another mock-authz or stunnel?)\n`);
    const bad = await runBinOnce(['--bogus'], t.dir);
    assert.is(bad.status, 64);
    const port2 = await runBinOnce(['--port', '70000'], t.dir);
    assert.is(port2.status, 64);
    const missing = await runBinOnce(['--port', '0', '--cert', 'nope.pem', '--key', 'nope-key.pem'], t.dir);
    assert.is(missing.status, 66, missing.stderr);
    assert.is(missing.stderr, 'mock-authz: cannot read: nope.pem: no such file\n');
    const tls = await tlsMaterial(t.dir);
    writeFileSync(join(t.dir, 'garbage.pem'), 'garbage\n');
    const garbage = await runBinOnce(['--port', '0', '--cert', tls.paths.cert, '--key', 'garbage.pem'], t.dir);
    assert.is(garbage.status, 66, garbage.stderr);
    assert.is(garbage.stderr, "mock-authz: not a PEM file: garbage.pem: no '-----BEGIN' line\n");
    const other = await tlsMaterial(join(t.dir, 'other'));
    const mismatch = await runBinOnce(['--port', '0', '--cert', tls.paths.cert, '--key', other.paths.key], t.dir);
    assert.is(mismatch.status, 66, mismatch.stderr);
    assert.match(mismatch.stderr, /^mock-authz: bad TLS material: .*key\.pem and .*cert\.pem: .*mismatch/);
    for (const args of [['--cert', tls.paths.cert], ['--http', '--cert', tls.paths.cert, '--key', tls.paths.key]]) {
      const r = await runBinOnce(['--port', '0', ...args], t.dir);
      assert.is(r.status, 64, r.stderr);
      assert.is(r.stderr.split('\n').length, 2, r.stderr);
      assert.match(r.stderr, /^mock-authz: bad option: --/);
    }
  } finally { blocker.close(); t.done(); }
});

test('--log: a directory that does not exist is 66; a full disk stops the server with one line and exit 74 (not 73)', async () => {
  const t = tempDir();
  try {
    const nodir = await runBinOnce(['--http', '--port', '0', '--log', 'no-such-dir/authz.jsonl'], t.dir);
    assert.is(nodir.status, 66, nodir.stderr);
    assert.is(nodir.stderr, 'mock-authz: cannot create: no-such-dir/authz.jsonl: its directory does not exist\n');
    // /dev/full takes the open and answers every write with ENOSPC (Linux); 'w' on a device truncates nothing
    const bin = await startBin(['--http', '--port', '0', '--log', '/dev/full', '--force'], t.dir);
    await curlAgent(bin.url, null);
    assert.is(await bin.exit, 74, bin.stderr());
    assert.is(bin.stderr().split('\n').filter((l) => l && !/ready: listening/.test(l)).join('\n'), 'mock-authz: cannot write: /dev/full: disk full (ENOSPC)');
  } finally { t.done(); }
});

test('a --ready-file that cannot be written: one line, exit 66, and the server closes instead of listening unannounced', async () => {
  const t = tempDir();
  try {
    const r = await runBinOnce(['--http', '--port', '0', '--ready-file', 'no-such-dir/ready.json'], t.dir);
    assert.is(r.status, 66, r.stderr);
    assert.is(r.stderr, 'mock-authz: cannot write the ready file: no-such-dir/ready.json: its directory does not exist\n');
    writeFileSync(join(t.dir, 'notes.txt'), 'mine\n');
    const foreign = await runBinOnce(['--http', '--port', '0', '--ready-file', 'notes.txt'], t.dir);
    assert.is(foreign.status, 73, foreign.stderr);
    assert.is(readFileSync(join(t.dir, 'notes.txt'), 'utf8'), 'mine\n');
  } finally { t.done(); }
});

test.run();
