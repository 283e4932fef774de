// Real peers against the sink: openssl s_client (TLS 1.2 with the agent's only suite, and TLS 1.3), socat and nc
// (plain TCP). Expected bytes are the random input files; the DISABLE_SEND word tells the client that the sink has
// everything, so no client closes early (docs/development.md #15) and no test sleeps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSink } from '../src/index.js';
import { DISABLE_SEND_WIRE, Events, makeKeys, randomFile, run, sha256, tempDir } from './helpers.js';

const tmp = tempDir();
const keys = makeKeys(tmp.dir);

async function sClientTransfer(version: '-tls1_2' | '-tls1_3', size: number) {
  const name = `in${version}.bin`;
  const input = randomFile(join(tmp.dir, name), size);
  const ev = new Events();
  const outDir = join(tmp.dir, `out${version}`);
  const keylog = join(tmp.dir, `sink${version}.keylog`);
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { dir: outDir }, faults: { disableSendAfterBytes: size }, keylog, onEvent: ev.on });
  const clientKeylog = join(tmp.dir, `client${version}.keylog`);
  const args = ['s_client', '-connect', `127.0.0.1:${sink.port}`, version, '-servername', 'localhost', '-CAfile', keys.ca, '-verify_return_error', '-quiet', '-keylogfile', clientKeylog];
  if (version === '-tls1_2') args.push('-cipher', 'ECDHE-RSA-AES256-GCM-SHA384');
  const { spawn } = await import('node:child_process');
  const { openSync } = await import('node:fs');
  const fd = openSync(join(tmp.dir, name), 'r');
  const child = spawn('openssl', args, { stdio: [fd, 'pipe', 'pipe'] });
  let got = Buffer.alloc(0), err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 8) resolve();
    });
    child.on('close', (code) => reject(new Error(`s_client exited ${code} before DISABLE_SEND: ${err}`)));
  });
  child.kill();
  await ev.ended(1);
  await sink.close();
  return { input, got, outDir, sink, keylog, clientKeylog };
}

for (const [version, label] of [['-tls1_2', 'TLSv1.2'], ['-tls1_3', 'TLSv1.3']] as const) {
  test(`openssl s_client ${version}: a 6 MB random file arrives whole, reported with version, cipher, SNI and sha256`, async () => {
    const r = await sClientTransfer(version, 6_000_001);
    assert.equal(r.got.subarray(0, 8), DISABLE_SEND_WIRE, 'the client received exactly the DISABLE_SEND word');
    const file = readFileSync(join(r.outDir, 'conn-0001.raw'));
    assert.is(file.length, r.input.length);
    assert.is(sha256(file), sha256(r.input));
    const journal = readFileSync(join(r.outDir, 'connections.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.is(journal.length, 1);
    assert.is(journal[0].sha256, sha256(r.input));
    assert.is(journal[0].bytes, r.input.length);
    assert.is(journal[0].tlsVersion, label);
    assert.is(journal[0].sni, 'localhost');
    assert.is(journal[0].file, 'conn-0001.raw');
    if (version === '-tls1_2') assert.is(journal[0].cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
    else assert.match(journal[0].cipher, /^TLS_/);
    // The key log holds the same secrets as the client's own (both NSS format): Wireshark can decrypt a capture.
    const lines = (p: string) => new Set(readFileSync(p, 'utf8').split('\n').filter((l) => /^[A-Z_0-9]+ [0-9a-f]+ [0-9a-f]+$/.test(l)));
    const mine = lines(r.keylog), theirs = lines(r.clientKeylog);
    assert.ok(theirs.size > 0, 'the client wrote secrets');
    for (const l of theirs) assert.ok(mine.has(l), `sink key log lacks: ${l.slice(0, 40)}`);
  });
}

test('plain TCP (--plain): socat then nc -N, one after another, land whole and in order in one file', async () => {
  const a = randomFile(join(tmp.dir, 'plain-a.bin'), 3_000_000);
  const b = randomFile(join(tmp.dir, 'plain-b.bin'), 1_234_567);
  const ev = new Events();
  const out = join(tmp.dir, 'plain.raw');
  const sink = await startSink({ port: 0, tls: false, out: { file: out }, onEvent: ev.on });
  assert.match(sink.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const s = run('socat', ['-u', `FILE:${join(tmp.dir, 'plain-a.bin')}`, `TCP:127.0.0.1:${sink.port}`]);
  assert.is((await s.exited).code, 0, s.stderr());
  await ev.ended(1);
  const { openSync } = await import('node:fs');
  const n = run('nc', ['-N', '127.0.0.1', String(sink.port)], { stdin: openSync(join(tmp.dir, 'plain-b.bin'), 'r') });
  assert.is((await n.exited).code, 0, n.stderr());
  await ev.ended(2);
  await sink.close();
  const file = readFileSync(out);
  assert.is(sha256(file), sha256(Buffer.concat([a, b])));
  assert.equal(sink.connections.map((c) => [c.offset, c.bytes, c.ended]), [[0, a.length, 'eof'], [a.length, b.length, 'eof']]);
});

test('a TLS client that does not trust the sink fails the handshake: reported, no connection recorded', async () => {
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { stream: { write() {} } }, onEvent: ev.on });
  // No -CAfile: the self-made CA is unknown to the system store, so -verify_return_error aborts.
  const c = run('openssl', ['s_client', '-connect', `127.0.0.1:${sink.port}`, '-servername', 'localhost', '-verify_return_error'], { stdin: 'pipe' });
  c.child.stdin!.end();
  assert.is.not((await c.exited).code, 0);
  await ev.until(() => ev.all.some((e) => e.type === 'tls-error'));
  await sink.close();
  assert.is(sink.connections.length, 0);
});

test('a plain-TCP client (nc) on a TLS sink is reported as "not TLS", pointing at --plain', async () => {
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { stream: { write() {} } }, onEvent: ev.on });
  const c = run('nc', ['-N', '127.0.0.1', String(sink.port)], { stdin: 'pipe' });
  c.child.stdin!.end('version_info would be here\n');
  await ev.until(() => ev.all.some((e) => e.type === 'tls-error'));
  await c.exited;
  await sink.close();
  const e = ev.all.find((x) => x.type === 'tls-error') as { message: string };
  assert.match(e.message, /not TLS.*--plain/);
  assert.is(sink.connections.length, 0);
});

test.after(() => tmp.cleanup());
test.run();
