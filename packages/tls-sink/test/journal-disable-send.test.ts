// connections.jsonl's `disableSend` field: what the checker's disable-send check reads
// (packages/checker/src/checks/disable-send.ts: `disableSend.bytes`, the capture's size when the sink sent the word,
// else `disableSend.at`, the sink's clock as ISO time).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSink } from '../src/index.js';
import { DISABLE_SEND_WIRE, Events, makeKeys, tempDir } from './helpers.js';

const tmp = tempDir();
const keys = makeKeys(tmp.dir);
const ca = readFileSync(keys.ca);
let n = 0;

/** Resolves once the client has received `len` bytes from the sink. */
function receive(sock: Socket, len: number): Promise<Buffer> {
  const got: Buffer[] = [];
  return new Promise((resolve) => {
    const on = (d: Buffer) => {
      got.push(d);
      const all = Buffer.concat(got);
      if (all.length >= len) {
        sock.off('data', on);
        resolve(all);
      }
    };
    sock.on('data', on);
  });
}

const journal = (dir: string) => readFileSync(join(dir, 'connections.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('DISABLE_SEND after N bytes over TLS: the journal line says the bytes received then and the sink\'s time', async () => {
  const dir = join(tmp.dir, `out${++n}`);
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { dir }, faults: { disableSendAfterBytes: 5000 }, onEvent: ev.on });
  const sock = tlsConnect({ host: '127.0.0.1', port: sink.port, ca, servername: 'localhost' });
  await new Promise((r) => sock.once('secureConnect', r));
  const before = Date.now();
  const word = receive(sock, 8);
  sock.write(randomBytes(3000));
  sock.write(randomBytes(2000)); // nothing more until the word arrives: the capture holds exactly 5000 bytes then
  assert.equal(await word, DISABLE_SEND_WIRE);
  const after = Date.now();
  sock.end(randomBytes(70_000));
  await ev.ended(1);
  await sink.close();
  const [line] = journal(dir);
  assert.is(line.bytes, 75_000);
  assert.is(line.disableSend.bytes, 5000);
  assert.type(line.disableSend.at, 'string');
  const at = Date.parse(line.disableSend.at);
  assert.ok(at >= before - 1 && at <= after + 1, `${line.disableSend.at} between the first byte and the word's arrival`);
  assert.is(new Date(at).toISOString(), line.disableSend.at);
});

test('DISABLE_SEND after a time over plain TCP, before any data: bytes 0; a connection without the fault has no field', async () => {
  const dir = join(tmp.dir, `out${++n}`);
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: false, out: { dir }, faults: { disableSendAfterMs: 20 }, onEvent: ev.on });
  const sock = tcpConnect({ host: '127.0.0.1', port: sink.port });
  assert.equal(await receive(sock, 8), DISABLE_SEND_WIRE);
  sock.end(randomBytes(1000));
  await ev.ended(1);
  await sink.close();
  const [line] = journal(dir);
  assert.is(line.bytes, 1000);
  assert.equal(Object.keys(line.disableSend).sort(), ['at', 'bytes']);
  assert.is(line.disableSend.bytes, 0);
  assert.ok(!Number.isNaN(Date.parse(line.disableSend.at)));

  const dir2 = join(tmp.dir, `out${++n}`);
  const ev2 = new Events();
  const plain = await startSink({ port: 0, tls: false, out: { dir: dir2 }, onEvent: ev2.on });
  const s2 = tcpConnect({ host: '127.0.0.1', port: plain.port });
  s2.end(randomBytes(1000));
  await ev2.ended(1);
  await plain.close();
  assert.is(journal(dir2)[0].disableSend, undefined);
});

test.after(() => tmp.cleanup());
test.run();
