// The library's contract: faults, stopping, output safety and clear errors.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BadKeyError, PortBusyError, WouldOverwriteError, startSink, type SinkOptions } from '../src/index.js';
import { DISABLE_SEND_WIRE, Events, makeKeys, tempDir } from './helpers.js';

const tmp = tempDir();
const keys = makeKeys(tmp.dir);
const ca = readFileSync(keys.ca);
let n = 0;
const fresh = (ext = 'raw') => join(tmp.dir, `f${++n}.${ext}`);

/** Connects, collecting what the sink sends back; `closed` resolves when the socket closes. */
function connect(port: number, useTls: boolean) {
  const sock: Socket = useTls ? tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }) : tcpConnect({ host: '127.0.0.1', port });
  const got: Buffer[] = [];
  sock.on('data', (d: Buffer) => got.push(d));
  sock.on('error', () => {});
  const ready = new Promise<void>((res) => sock.once(useTls ? 'secureConnect' : 'connect', () => res()));
  const closed = new Promise<void>((res) => sock.once('close', () => res()));
  const received = (len: number) =>
    new Promise<Buffer>((res) => {
      const check = () => Buffer.concat(got).length >= len && (sock.off('data', check), res(Buffer.concat(got)));
      sock.on('data', check);
      check();
    });
  return { sock, ready, closed, received, got: () => Buffer.concat(got) };
}

test('close after N bytes: exactly N recorded, the client is disconnected, ended = fault', async () => {
  const out = fresh();
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { file: out }, faults: { closeAfterBytes: 100_000 }, onEvent: ev.on });
  const c = connect(sink.port, true);
  const data = randomBytes(1_000_000);
  await c.ready;
  c.sock.write(data);
  await c.closed;
  await ev.ended(1);
  await sink.close();
  assert.ok(readFileSync(out).equals(data.subarray(0, 100_000)));
  assert.is(sink.connections[0].ended, 'fault');
  assert.ok(ev.all.some((e) => e.type === 'fault' && e.fault === 'close'));
});

test('DISABLE_SEND after N bytes: the client receives exactly e5 c9 42 72 c6 a3 02 8f, once, and nothing else', async () => {
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { file: fresh() }, faults: { disableSendAfterBytes: 5000 }, onEvent: ev.on });
  const c = connect(sink.port, true);
  await c.ready;
  c.sock.write(randomBytes(4999));
  c.sock.write(randomBytes(1));
  assert.equal(await c.received(8), DISABLE_SEND_WIRE);
  c.sock.end(randomBytes(100_000)); // more data: no second word
  await ev.ended(1);
  await c.closed;
  await sink.close();
  assert.equal(c.got(), DISABLE_SEND_WIRE);
  assert.is(sink.connections[0].bytes, 105_000);
});

test('DISABLE_SEND after a time, over plain TCP: the word arrives without any data sent', async () => {
  const sink = await startSink({ port: 0, tls: false, out: { file: fresh() }, faults: { disableSendAfterMs: 10 } });
  const c = connect(sink.port, false);
  assert.equal(await c.received(8), DISABLE_SEND_WIRE);
  c.sock.end();
  await c.closed;
  await sink.close();
});

test('stop reading after N bytes: the sink takes no more (backpressure), and what it read is kept', async () => {
  const out = fresh();
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: false, out: { file: out }, faults: { stopReadingAfterBytes: 64 * 1024 }, onEvent: ev.on });
  const c = connect(sink.port, false);
  await c.ready;
  const data = randomBytes(64 << 20); // far more than the loopback socket buffers can hold
  const accepted = c.sock.write(data);
  await ev.until(() => ev.all.some((e) => e.type === 'fault' && e.fault === 'stop-reading'));
  assert.is(accepted, false);
  await sink.close();
  c.sock.destroy();
  const file = readFileSync(out);
  assert.ok(file.length >= 64 * 1024 && file.length < data.length, `read ${file.length}`);
  assert.ok(file.equals(data.subarray(0, file.length)));
  assert.is(sink.connections[0].ended, 'shutdown');
});

test('close() mid-stream: what was received is on disk, the connection ends as shutdown, done resolves', async () => {
  const out = fresh();
  const sink = await startSink({ port: 0, tls: { cert: keys.cert, key: keys.key }, out: { file: out }, faults: { disableSendAfterBytes: 300_000 } });
  const c = connect(sink.port, true);
  await c.ready;
  const data = randomBytes(300_000);
  c.sock.write(data);
  await c.received(8); // the sink has all 300 000 bytes
  await sink.close();
  await sink.done;
  await c.closed;
  assert.ok(readFileSync(out).equals(data));
  assert.is(sink.connections[0].ended, 'shutdown');
});

test('close() with a connection waiting its turn: the live one is cut, the spooled one follows it whole', async () => {
  const out = fresh();
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: false, out: { file: out }, faults: { disableSendAfterBytes: 1000 }, onEvent: ev.on, spoolMemoryBytes: 1000 });
  const first = connect(sink.port, false), second = connect(sink.port, false);
  const a = randomBytes(1000), b = randomBytes(200_000);
  await first.ready;
  first.sock.write(a);
  await first.received(8); // the first connection has the output and stays open
  await second.ready;
  second.sock.end(b);
  await ev.ended(1); // the second one is over, spooled (to a file: 1000 bytes of memory)
  await sink.close();
  assert.ok(readFileSync(out).equals(Buffer.concat([a, b])));
  assert.equal(sink.connections.map((c) => c.ended), ['shutdown', 'eof']);
  first.sock.destroy();
});

test('a real TCP reset after the data arrived: ended = reset, the bytes are kept', async () => {
  const out = fresh();
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: false, out: { file: out }, faults: { disableSendAfterBytes: 10_000 }, onEvent: ev.on });
  const c = connect(sink.port, false);
  const data = randomBytes(10_000);
  await c.ready;
  c.sock.write(data);
  await c.received(8);
  c.sock.resetAndDestroy();
  await ev.ended(1);
  await sink.close();
  assert.is(sink.connections[0].ended, 'reset');
  assert.ok(readFileSync(out).equals(data));
});

test('--once: done resolves after the first connection; a second one is never recorded', async () => {
  const out = fresh();
  const sink = await startSink({ port: 0, tls: false, out: { file: out }, once: true });
  const c = connect(sink.port, false);
  await c.ready;
  c.sock.end('first');
  await sink.done;
  assert.is(readFileSync(out, 'utf8'), 'first');
  const second = tcpConnect({ host: '127.0.0.1', port: sink.port });
  const refused = await new Promise((res) => second.on('error', (e: NodeJS.ErrnoException) => res(e.code)).on('connect', () => res('connected')));
  second.destroy();
  assert.is(refused, 'ECONNREFUSED');
  assert.is(sink.connections.length, 1);
});

async function oneConnection(opts: Partial<SinkOptions> & { out: SinkOptions['out'] }, payload: string) {
  const sink = await startSink({ port: 0, tls: false, ...opts, once: true });
  const c = connect(sink.port, false);
  await c.ready;
  c.sock.end(payload);
  await sink.done;
  return sink;
}

test('an existing output file is refused (nothing bound, file untouched); append continues it, force replaces it', async () => {
  const out = fresh();
  writeFileSync(out, 'old;');
  const err = await startSink({ port: 0, tls: false, out: { file: out } }).catch((e) => e);
  assert.instance(err, WouldOverwriteError);
  assert.is(err.code, 'ERR_WOULD_OVERWRITE');
  assert.match(err.message, out);
  assert.is(readFileSync(out, 'utf8'), 'old;');
  const s = await oneConnection({ out: { file: out, append: true } }, 'new');
  assert.is(readFileSync(out, 'utf8'), 'old;new');
  assert.is(s.connections[0].offset, 4);
  await oneConnection({ out: { file: out, force: true } }, 'forced');
  assert.is(readFileSync(out, 'utf8'), 'forced');
});

test('--out-dir refuses a directory holding a capture unless forced; force clears the old files', async () => {
  const dir = join(tmp.dir, 'dir-capture');
  await oneConnection({ out: { dir } }, 'a');
  await oneConnection({ out: { dir } }, 'b').then(() => assert.unreachable('should refuse'), (e) => assert.instance(e, WouldOverwriteError));
  writeFileSync(join(dir, 'conn-0009.raw'), 'stale');
  await oneConnection({ out: { dir, force: true } }, 'c');
  assert.is(readFileSync(join(dir, 'conn-0001.raw'), 'utf8'), 'c');
  assert.not.ok(existsSync(join(dir, 'conn-0009.raw')));
  assert.is(readFileSync(join(dir, 'connections.jsonl'), 'utf8').trim().split('\n').length, 1);
});

test('a busy port is a PortBusyError naming host and port', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  const err = await startSink({ port, tls: false, out: { stream: { write() {} } } }).catch((e) => e);
  blocker.close();
  assert.instance(err, PortBusyError);
  assert.is(err.code, 'ERR_PORT_BUSY');
  assert.match(err.message, `127.0.0.1:${port}`);
  assert.match(err.message, 'EADDRINUSE');
});

test('missing, non-PEM and mismatched keys are BadKeyErrors naming the file', async () => {
  const sink = (tls: SinkOptions['tls']) => startSink({ port: 0, tls, out: { stream: { write() {} } } }).catch((e) => e);
  const missing = await sink({ cert: keys.cert, key: join(tmp.dir, 'nope.pem') });
  assert.instance(missing, BadKeyError);
  assert.match(missing.message, 'nope.pem');
  const garbage = join(tmp.dir, 'garbage.pem');
  writeFileSync(garbage, 'not a key');
  assert.match((await sink({ cert: keys.cert, key: garbage })).message, /garbage\.pem: not a PEM/);
  // The CA's certificate with the leaf's key: both valid PEM, not a pair.
  const mismatch = await sink({ cert: keys.ca, key: keys.key });
  assert.instance(mismatch, BadKeyError);
  assert.is(mismatch.code, 'ERR_BAD_KEY');
});

test.after(() => tmp.cleanup());
test.run();
