// Many concurrent connections with random sizes and abrupt resets: nothing lost, nothing mixed. Expected bytes are
// what each client sent (matched to its connection by the client's own port).
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startSink, type ConnectionInfo, type SinkOptions } from '../src/index.js';
import { Events, makeKeys, sha256, tempDir } from './helpers.js';

const tmp = tempDir();
const keys = makeKeys(tmp.dir);
const ca = readFileSync(keys.ca);

interface Sent {
  port: number;
  data: Buffer;
  /** Reset clients send part of `data`, then an abrupt close; the sink must keep a prefix of it. */
  reset: boolean;
}

/** One client: sends its bytes, then either closes cleanly (draining what the server sends, docs/development.md #15) or
 * resets the connection half way. Resolves with what it sent once its socket has closed. */
function client(port: number, useTls: boolean, size: number, reset: boolean): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const data = randomBytes(size);
    // The TLS socket runs over a TCP socket of our own, so a reset client can send a real TCP RST.
    const raw = tcpConnect({ host: '127.0.0.1', port });
    const sock: Socket = useTls ? tlsConnect({ socket: raw, ca, servername: 'localhost' }) : raw;
    sock.on(useTls ? 'secureConnect' : 'connect', () => {
      const me = { port: raw.localPort!, data, reset };
      sock.on('close', () => resolve(me));
      sock.resume();
      if (!reset) return sock.end(data);
      // Wait for the sink's DISABLE_SEND word (sent on accept, see burst) so the reset comes after the accept:
      // a connection reset before it is accepted has no peer address to match it by.
      sock.once('data', () =>
        sock.write(data.subarray(0, size >> 1), () => {
          raw.resetAndDestroy();
          sock.destroy();
        }),
      );
    });
    sock.on('error', (err) => (reset ? undefined : reject(err)));
    raw.on('error', (err) => (reset ? undefined : reject(err)));
  });
}

async function burst(opts: { tls: boolean; out: SinkOptions['out']; n: number; spool?: number }) {
  const ev = new Events();
  const sink = await startSink({ port: 0, tls: opts.tls ? { cert: keys.cert, key: keys.key } : false, out: opts.out, faults: { disableSendAfterBytes: 0 }, onEvent: ev.on, spoolMemoryBytes: opts.spool, spoolDir: tmp.dir });
  const sizes = Array.from({ length: opts.n }, (_, i) => (i % 7 === 0 ? 0 : randomInt(1, 1_500_000)));
  const sent = await Promise.all(sizes.map((s, i) => client(sink.port, opts.tls, s, i % 4 === 3 && s > 0)));
  await ev.ended(opts.n);
  await sink.close();
  const byPort = new Map(sent.map((s) => [s.port, s]));
  const pairs = sink.connections.map((c) => ({ c, s: byPort.get(Number(c.peer.split(':').pop()))! }));
  assert.is(pairs.filter((p) => p.s).length, opts.n, 'every client has its connection');
  return { sink, pairs };
}

/** Clean clients arrive exactly; reset ones leave a prefix of what they sent (never someone else's bytes). */
function checkBytes(c: ConnectionInfo, s: Sent, got: Buffer, useTls: boolean): void {
  if (!s.reset) {
    assert.is(got.length, s.data.length, `conn ${c.id}: all bytes`);
    assert.ok(got.equals(s.data), `conn ${c.id}: same bytes`);
    assert.is(c.ended, 'eof');
  } else {
    assert.ok(got.length <= s.data.length >> 1, `conn ${c.id}: no more than was sent`);
    assert.ok(got.equals(s.data.subarray(0, got.length)), `conn ${c.id}: a prefix of what was sent`);
    // What the kernel reports decides: a reset arriving while bytes are still unread is often seen as an end, and
    // Node's TLS layer turns a reset into an end anyway; either way the connection is over and nothing is lost.
    assert.ok(c.ended === 'reset' || c.ended === 'eof', `conn ${c.id}: ended: ${c.ended}`);
    void useTls;
  }
}

for (const useTls of [true, false]) {
  test(`${useTls ? 'TLS' : 'plain'}: 40 concurrent connections into one file: each contiguous, whole, spooled past 1 MiB of memory`, async () => {
    const out = join(tmp.dir, `burst-${useTls}.raw`);
    const { sink, pairs } = await burst({ tls: useTls, out: { file: out }, n: 40, spool: 1 << 20 });
    const file = readFileSync(out);
    assert.is(file.length, sink.connections.reduce((n, c) => n + c.bytes, 0), 'the file is exactly the connections, nothing else');
    let at = 0;
    for (const { c, s } of [...pairs].sort((x, y) => x.c.offset! - y.c.offset!)) {
      assert.is(c.offset, at, `conn ${c.id} starts where the previous one ended`);
      checkBytes(c, s, file.subarray(c.offset!, c.offset! + c.bytes), useTls);
      at += c.bytes;
    }
    assert.equal(sink.connections.map((c) => c.offset), [...sink.connections.map((c) => c.offset!)].sort((a, b) => a - b), 'accept order');
  });
}

test('TLS: 40 concurrent connections into --out-dir: one file each, sha256 in connections.jsonl matches', async () => {
  const dir = join(tmp.dir, 'burst-dir');
  const { pairs } = await burst({ tls: true, out: { dir }, n: 40 });
  const journal = readFileSync(join(dir, 'connections.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ConnectionInfo);
  assert.is(journal.length, 40);
  for (const { c, s } of pairs) {
    const line = journal.find((j) => j.id === c.id)!;
    const got = readFileSync(join(dir, line.file!));
    checkBytes(c, s, got, true);
    assert.is(line.sha256, sha256(got));
    assert.is(line.bytes, got.length);
    assert.ok(line.start <= line.end!, 'start before end');
  }
});

test.after(() => tmp.cleanup());
test.run();
