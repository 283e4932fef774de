import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfile, resolveProfile, runWorkload, startDnsResponder, type WorkloadEvent, type WorkloadObservations } from '../src/index.js';

// the responder runs in this process, so the peer must run asynchronously
const dig = async (...args: string[]) => ({ stdout: (await promisify(execFile)('dig', ['+tries=1', '+time=2', ...args], { encoding: 'utf8' })).stdout });
const dir = mkdtempSync(join(tmpdir(), 'ar-wl-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('workload: manifest matches what the local servers and the children themselves observed', async () => {
  // a child that records its own view: comm (what the kernel shows), pid and parent pid
  const out = join(dir, 'children.txt');
  const script = join(dir, 'report.sh');
  writeFileSync(script, `#!/bin/sh\necho "$(cat /proc/$$/comm) $$ $PPID" >> ${out}\n`);
  chmodSync(script, 0o755);
  let obs: WorkloadObservations | undefined;
  const events: WorkloadEvent[] = [];
  const profile = { tcp: { connections: 3, clientBytes: 1000, serverBytes: 2048 }, udp: { datagrams: 5, bytes: 100 }, dns: { lookups: 3, domain: 'example.test' }, processes: { count: 3, command: 'wl-probe-child' }, http: { requests: 4, statuses: [200, 404, 503] } };
  const m = await runWorkload({ profile, childBinary: script, manifestPath: join(dir, 'manifest.json'), eventsPath: join(dir, 'events.jsonl'), onObserved: (o) => { obs = o; }, onEvent: (e) => events.push(e) });
  assert.ok(obs);
  // TCP: the server saw the same 4-tuples and byte counts; C and S as asked
  assert.is(m.tcp.length, 3);
  for (const t of m.tcp) {
    const s = obs.tcp.find((c) => c.remotePort === t.client.tuple.local.port);
    assert.ok(s, `server saw client port ${t.client.tuple.local.port}`);
    assert.is(s.received, 1000); assert.is(s.sent, 2048);
    assert.is(t.clientSentBytes, 1000); assert.is(t.clientReceivedBytes, 2048);
    assert.is(t.serverReceivedBytes, 1000); assert.is(t.serverSentBytes, 2048);
    assert.is(t.client.tuple.remote.port, m.servers.tcp.port);
    assert.equal(t.server.tuple.remote, t.client.tuple.local);
    assert.is(t.client.pid, process.pid);
    assert.ok(BigInt(t.startNs) <= BigInt(t.connectedNs) && BigInt(t.connectedNs) <= BigInt(t.endNs));
  }
  // UDP
  assert.is(m.udp[0].sentDatagrams, 5);
  assert.is(obs.udp.filter((u) => u.from.port === m.udp[0].client.tuple.local.port).length, 5);
  assert.is(m.udp[0].receivedBytes, 500);
  // DNS: the responder saw each query id and name from the client's port
  assert.equal(obs.dns.map((q) => [q.id, q.name, q.from.port]), m.dns.map((d) => [d.queryId, d.name, d.client.tuple.local.port]));
  assert.equal(m.dns.map((d) => d.answers.map((a) => a.address)), obs.dns.map((q) => q.answers));
  // children: their own report
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(' '));
  assert.equal(lines.map((l) => l[0]), ['wl-probe-child', 'wl-probe-child', 'wl-probe-child']);
  assert.equal(lines.map((l) => Number(l[1])), m.processes.map((p) => p.pid));
  assert.equal(lines.map((l) => Number(l[2])), m.processes.map(() => process.pid));
  assert.ok(m.processes.every((p) => p.comm === 'wl-probe-child' && p.exitCode === 0 && p.parent.pid === process.pid));
  // HTTP: statuses round-robin, the server saw each on the client's port
  assert.equal(m.http.map((h) => h.status), [200, 404, 503, 200]);
  assert.equal(obs.http.map((h) => [h.status, h.remotePort, h.method]), m.http.map((h) => [h.status, h.client.tuple.local.port, 'GET']));
  // files: the manifest on disk equals the returned one; replaying the events gives it too
  assert.equal(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), m);
  const lines2 = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines2, JSON.parse(JSON.stringify(events)));
  // start, 3 tcp, 1 udp, 3 dns, 3 children each as spawned and as exited, 4 http, end
  assert.is(lines2.length, 1 + 3 + 1 + 3 + 3 * 2 + 4 + 1);
  // a child is reported as soon as spawn returns (after its exec), with its pid, inside its item's span
  const spawns = lines2.filter((e) => e.type === 'spawn');
  assert.equal(spawns.map((e) => e.pid), m.processes.map((p) => p.pid));
  for (const [k, sp] of spawns.entries()) {
    const it = m.processes[k];
    assert.ok(lines2.indexOf(sp) < lines2.findIndex((e) => e.type === 'process' && e.item.pid === it.pid), 'spawn before the item');
    assert.ok(BigInt(it.startNs) <= BigInt(sp.spawnedNs) && BigInt(sp.spawnedNs) <= BigInt(it.endNs));
  }
  assert.is(m.simulated, false);
  assert.ok(BigInt(m.startedNs) < BigInt(m.endedNs));
  // the clock is the agent's: realtime within 1 s of Date.now()
  assert.ok(Math.abs(Number(BigInt(m.endedNs) / 1_000_000n) - Date.now()) < 1000);
});

test('workload: refuses to overwrite a manifest, and rejects byte counts that are not multiples of 4', async () => {
  writeFileSync(join(dir, 'exists.json'), '{}');
  await runWorkload({ manifestPath: join(dir, 'exists.json') }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_WOULD_OVERWRITE'));
  await runWorkload({ profile: { tcp: { clientBytes: 1001 } } }).then(() => assert.unreachable(), (e) => { assert.is(e.code, 'ERR_USAGE'); assert.match(e.message, /multiple of 4/); });
});

test('profiles: YAML and JSON files merge over the defaults, flags over files; unknown fields refused', async () => {
  const y = join(dir, 'small.yaml');
  writeFileSync(y, 'tcp:\n  connections: 2\n  clientBytes: 64\nhttp: { statuses: [204, 418] }\npauseMs: 5\n');
  const p = resolveProfile(await loadProfile(y), { tcp: { connections: 3 } });
  assert.is(p.name, 'small');
  assert.equal([p.tcp.connections, p.tcp.clientBytes, p.tcp.serverBytes, p.http.statuses, p.pauseMs, p.udp.datagrams], [3, 64, 8192, [204, 418], 5, 16]);
  const j = join(dir, 'p.json');
  writeFileSync(j, JSON.stringify({ name: 'j', dns: { lookups: 9, bogus: 1 } }));
  await loadProfile(j).then((x) => resolveProfile(x)).then(() => assert.unreachable(), (e) => assert.match(e.message, /dns\.bogus: unknown (field|key)/));
});

test('dns responder answers dig (a real resolver client) for the test domain', async () => {
  const r = await startDnsResponder({ domain: 'flowmill.test' });
  try {
    const a = await dig('+short', '-p', String(r.port), '@127.0.0.1', 'q258.flowmill.test', 'A');
    assert.is(a.stdout.trim(), '10.53.1.2');
    const nx = await dig('-p', String(r.port), '@127.0.0.1', 'nope.flowmill.test', 'A');
    assert.match(nx.stdout, /status: NXDOMAIN/);
    const refused = await dig('-p', String(r.port), '@127.0.0.1', 'example.com', 'A');
    assert.match(refused.stdout, /status: REFUSED/);
  } finally { await r.close(); }
});

test.run();
