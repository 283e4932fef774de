import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { decode } from '@flowmill/raw-codec';
import { startSink } from '@flowmill/tls-sink';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectIntake, fetchToken, makeAgentId, runSimAgent, runWorkload, type SimAgent, type SimOptions } from '../src/index.js';
import { countNames, refApp, splitRecords, text } from './helpers/ref-schema.js';

const root = mkdtempSync(join(tmpdir(), 'ar-simb-test-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const fast = { timeScale: 0.005, connectDelayMs: 0, jitter: false } satisfies Partial<SimOptions>;
/** Polls `cond` every 5 ms; fails naming `what` when it does not hold within `ms`. */
const until = async (what: string, cond: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`never happened within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('OpenTelemetry era: plain TCP, version_info(patch), connect instead of authz, no dns_response_fake; ebpf_net decodes it', async () => {
  const sink = await startSink({ port: 0, tls: false, out: { dir: join(root, 'otel') } });
  const rec = join(root, 'otel.record');
  const sim = await runSimAgent({ era: 'otel', intake: { host: '127.0.0.1', port: sink.port }, recordFile: rec, bpfDumpFile: join(root, 'otel.bpf'), ...fast });
  try {
    await sim.ready;
    await runWorkload({ onEvent: (e) => sim.addEvent(e), profile: { tcp: { connections: 2 }, processes: { count: 1 }, http: { requests: 1 }, dns: { lookups: 1 }, udp: { datagrams: 2 } } });
    await sim.drained();
  } finally { assert.is(await sim.stop(), 241); await sink.close(); }
  const recs = splitRecords(readFileSync(rec), refApp('ebpf_net', 'ingest'));
  assert.equal(recs.slice(0, 2).map((r) => r.name), ['version_info', 'connect']);
  assert.equal([recs[0].data.major, recs[0].data.minor], [0, 11]);
  assert.is(text(recs[1].data.hostname).length > 0, true);
  assert.ok(!recs.some((r) => r.name === 'dns_response_fake' || r.name === 'authz_authenticate' || r.name === 'nic_stats'));
  assert.equal(countNames(recs), sim.stats.intake);
  const cap = readFileSync(join(root, 'otel', 'conn-0001.raw'));
  const names: Record<string, number> = {};
  let schema = '';
  for await (const r of decode([cap], { kind: 'intake', schema: 'auto', onInfo: (i) => { schema = i.schema; } })) names[r.name] = (names[r.name] ?? 0) + 1;
  assert.equal(names, sim.stats.intake);
  assert.is(schema, 'ebpf_net');
  assert.equal(countNames(splitRecords(readFileSync(join(root, 'otel.bpf')), refApp('ebpf_net', 'agent_internal'))), sim.stats.bpf);
});

test('live: the process scan sends pid_info for every process of this machine that existed at start and still exists', async () => {
  // ProcessProber walks /proc (process_prober.cc@3598385a:60-84), one pid_info per tgid (render_bpf.c@3598385a:594-624)
  const procs = () => new Set(readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number));
  const before = procs();
  const sink = await startSink({ port: 0, tls: false, out: { dir: join(root, 'scan') } });
  const dump = join(root, 'scan.bpf');
  const sim = await runSimAgent({ era: 'otel', intake: { host: '127.0.0.1', port: sink.port }, recordFile: join(root, 'scan.record'), bpfDumpFile: dump, ...fast });
  try { await sim.ready; } finally { assert.is(await sim.stop(), 241); await sink.close(); }
  const after = procs();
  const seen = new Set<number>();
  for await (const r of decode([readFileSync(dump)], { kind: 'bpf', schema: 'ebpf_net' })) if (r.name === 'pid_info') seen.add(r.data.pid as number);
  const expected = [...before].filter((p) => after.has(p));
  assert.ok(expected.length > 1 && seen.has(process.pid) && seen.has(1), `${expected.length} processes, ${seen.size} pid_info`);
  for (const p of expected) assert.ok(seen.has(p), `pid_info for pid ${p}`);
});

test('faults: drop, duplicate, lost BPF samples, skipped heartbeat and a wrong token show in the recordings and in the log', async () => {
  const authz = await startAuthz({ port: 0, tls: false });
  const sink = await startSink({ port: 0, tls: false, out: { dir: join(root, 'faults') } });
  const rec = join(root, 'faults.record'), bpf = join(root, 'faults.bpf');
  const lines: string[] = [];
  const sim = await runSimAgent({
    intake: { host: '127.0.0.1', port: sink.port, tls: false }, authz: { server: authz.url, keyId: 'KFII0000', secret: 's' }, recordFile: rec, bpfDumpFile: bpf, ...fast, timeScale: 0.025, log: (l) => lines.push(l), // 50 ms heartbeats: timer jitter on a loaded box stays well under the half period the gap check needs
    faults: { drop: [{ name: 'pid_set_comm', nth: [1] }], duplicate: [{ name: 'http_response', nth: [1] }], loseBpf: [{ name: 'pid_close', nth: [1] }], skipHeartbeat: [3], wrongToken: 'WRONG-TOKEN', reorder: [{ name: 'set_state_ipv4', nth: [2] }] },
  });
  try {
    await sim.ready;
    await until('three heartbeats', () => sim.stats.heartbeats >= 3);
    await runWorkload({ onEvent: (e) => sim.addEvent(e), profile: { tcp: { connections: 1 }, processes: { count: 3 }, http: { requests: 2 }, dns: { lookups: 0 }, udp: { datagrams: 0 } } });
    await sim.drained();
    await until('a bpf_lost_samples record', () => (sim.stats.intake.bpf_lost_samples ?? 0) > 0);
  } finally { await sim.stop(); await sink.close(); await authz.close(); }
  const recs = splitRecords(readFileSync(rec), refApp('flowmill', 'ingest'));
  const dump = splitRecords(readFileSync(bpf), refApp('flowmill', 'agent_internal'));
  const n = (l: { name: string }[], name: string) => l.filter((r) => r.name === name).length;
  const wl = (l: typeof recs) => l.filter((r) => text(r.data.comm) === 'fm-wl-child');
  assert.is(wl(dump.filter((r) => r.name === 'pid_set_comm')).length, 3, 'dump keeps every pid_set_comm');
  assert.is(wl(recs.filter((r) => r.name === 'pid_set_comm')).length, 2, 'the intake lost one');
  assert.is(n(recs, 'http_response'), 2 * 2 + 1, 'one duplicated');
  assert.is(wl(dump.filter((r) => r.name === 'pid_close')).length, 2, 'a lost sample is not dumped');
  assert.is(wl(recs.filter((r) => r.name === 'pid_close_info')).length, 2, 'nor translated');
  assert.equal(recs.filter((r) => r.name === 'bpf_lost_samples').map((r) => r.data.count), [1n]);
  assert.is(text(recs.find((r) => r.name === 'authz_authenticate')!.data.token), 'WRONG-TOKEN');
  assert.is.not(authz.issued[0].token, 'WRONG-TOKEN');
  const logged = lines.filter((l) => l.startsWith('{"simFault"')).map((l) => JSON.parse(l).simFault.fault).sort();
  assert.equal(logged, ['drop', 'duplicate', 'loseBpf', 'reorder', 'skipHeartbeat', 'wrongToken']);
  assert.equal(sim.stats.faults.map((f) => f.fault).sort(), logged);
  // the skipped heartbeat's gap is asserted on the fake clock (sim-model.test.ts), where timing is exact
});

test('fault corrupt: the damaged record carries rpc_id 0xFFFF and raw-codec reports corruption at its offset', async () => {
  const sink = await startSink({ port: 0, tls: false, out: { dir: join(root, 'corrupt') } });
  const rec = join(root, 'corrupt.record');
  const sim = await runSimAgent({ era: 'otel', intake: { host: '127.0.0.1', port: sink.port }, recordFile: rec, ...fast, faults: { corrupt: [{ name: 'begin_telemetry' }] } });
  try { await sim.ready; await until('a heartbeat', () => sim.stats.heartbeats >= 1); } finally { await sim.stop(); await sink.close(); }
  const buf = readFileSync(rec);
  let err: unknown;
  try { for await (const r of decode([buf], { kind: 'record', schema: 'auto' })) void r; } catch (e) { err = e; }
  assert.ok(err, 'decoding must fail');
  assert.is((err as { code?: string }).code, 'ERR_CORRUPT');
  assert.equal(sim.stats.faults.map((f) => [f.fault, f.name]), [['corrupt', 'begin_telemetry']]);
});

test('reconnect after the server closes: a new session with its own raw version_info; DISABLE_SEND stops telemetry but not heartbeats', async () => {
  const conns: { sock: Socket; data: Buffer[] }[] = [];
  const server = createServer((sock) => { const c = { sock, data: [] as Buffer[] }; conns.push(c); sock.on('data', (d) => c.data.push(d)); sock.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const lines: string[] = [];
  let sim: SimAgent | undefined;
  try {
    sim = await runSimAgent({ era: 'otel', intake: { host: '127.0.0.1', port }, ...fast, log: (l) => lines.push(l) });
    await sim.ready;
    conns[0].sock.end(); // EOF from the server = error → reconnect (docs/agent-protocol.md §2.7)
    await until('a second connection with telemetry flowing', () => conns.length === 2 && lines.filter((l) => l.endsWith('Telemetry is flowing!')).length === 2);
    assert.ok(lines.some((l) => l.endsWith('disconnected from upstream, attempting to reconnect...')));
    assert.is(sim.stats.sessions, 2);
    // both connections begin with the raw 24-byte version_info (rpc 310)
    for (const c of conns.slice(0, 2)) await until('a version_info on each connection', () => Buffer.concat(c.data).length >= 24);
    for (const c of conns.slice(0, 2)) assert.is(Buffer.concat(c.data).readUInt16LE(8), 310);
    // DISABLE_SEND, big-endian command word (docs/wire-format.md (f))
    conns[1].sock.write(Buffer.from('e5c94272c6a3028f', 'hex'));
    await until('DISABLE_SEND taking effect', () => sim!.stats.disabled);
    const before = { ...sim.stats.intake };
    const hb = sim.stats.heartbeats;
    await until('three more heartbeats after DISABLE_SEND', () => sim!.stats.heartbeats >= hb + 3);
    const after = { ...sim.stats.intake };
    for (const k of Object.keys(after)) if (k !== 'heartbeat') assert.is(after[k], before[k], `${k} stopped`);
    assert.ok(after.heartbeat > before.heartbeat);
    assert.ok(lines.some((l) => l.endsWith('Stop sending data, instructed by the server.')));
  } finally {
    if (sim) assert.is(await sim.stop(), 241);
    for (const c of conns) c.sock.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('authz like the agent: exact URL and headers; numeric timestamps or a missing intake rejected; failures retried with back-off', async () => {
  const seen: { path: string; agentId: string | null }[] = [];
  const good = await startAuthz({ port: 0, tls: false, strict: true, onRequest: (e) => seen.push({ path: e.path, agentId: e.agentId }), faults: { failFirst: 2 } });
  const numeric = await startAuthz({ port: 0, tls: false, faults: { numericTimestamps: true } });
  const noIntake = await startAuthz({ port: 0, tls: false, faults: { omitIntake: true } });
  const sleeps: number[] = [];
  const base = { keyId: 'KFIIVU75RGHY7EC7JABW', secret: 'sec', agentId: makeAgentId(), sleep: async (ms: number) => { sleeps.push(ms); } };
  try {
    const t = await fetchToken({ ...base, server: good.url });
    assert.is(t.token, good.issued[0].token);
    assert.is(t.intake, 'localhost');
    assert.equal(seen.map((s) => s.path), Array(3).fill('/api/v1/auth/keys/KFIIVU75RGHY7EC7JABW'));
    assert.ok(seen.every((s) => s.agentId === base.agentId));
    assert.equal(sleeps, [200, 400], 'agent back-off: 200 ms, doubling (docs/agent-protocol.md §1.5)');
    sleeps.length = 0;
    await fetchToken({ ...base, server: numeric.url, attempts: 3 }).then(() => assert.unreachable('numbers must be rejected'), (e) => assert.match(e.message, /missing metadata/));
    assert.equal(sleeps, [200, 400]);
    await fetchToken({ ...base, server: noIntake.url, attempts: 1 }).then(() => assert.unreachable('no intake must be rejected'), (e) => assert.match(e.message, /missing metadata/));
    // scaled back-off (what --time-scale does)
    sleeps.length = 0;
    await fetchToken({ ...base, server: noIntake.url, attempts: 3, timeScale: 0.5 }).catch(() => {});
    assert.equal(sleeps, [100, 200]);
  } finally { await good.close(); await numeric.close(); await noIntake.close(); }
});

test('TLS like the agent: against openssl s_server -tls1_2 the only suite is ECDHE-RSA-AES256-GCM-SHA384; a wrong name is refused', async () => {
  const certs = await ensureCerts({ dir: join(root, 'keys') });
  const ca = readFileSync(certs.caCert);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const srv = execFile('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', certs.cert, '-key', certs.key, '-tls1_2', '-cipher', 'ALL', '-www'], { encoding: 'utf8' });
  try {
    let sock;
    for (let i = 0; i < 200 && !sock; i++) {
      sock = await connectIntake({ host: '127.0.0.1', port, tls: true, name: 'localhost', ca }).catch((e) => (/ECONNREFUSED/.test(String(e.cause ?? e)) ? undefined : Promise.reject(e)));
      if (!sock) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(sock);
    const t = sock as import('node:tls').TLSSocket;
    assert.is(t.getProtocol(), 'TLSv1.2');
    assert.is(t.getCipher().standardName, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    // s_server -www answers a GET with its view of the session, including the suites both sides share
    const page = await new Promise<string>((res) => { let b = ''; t.on('data', (d) => { b += d; }); t.on('end', () => res(b)); t.write('GET / HTTP/1.0\r\n\r\n'); });
    t.destroy();
    const common = /Ciphers common between both SSL end points:\n([\s\S]*?)\nSignature Algorithms/.exec(page)?.[1].split(/\s+/).filter(Boolean).sort();
    // TLS 1.3: OpenSSL's default suites (docs/agent-protocol.md §2.3 [I]); TLS 1.2: exactly the agent's one suite
    assert.equal(common, ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    await connectIntake({ host: '127.0.0.1', port, tls: true, name: 'intake.example', ca }).then(() => assert.unreachable('wrong name'), (e) => assert.match(e.message, /Could not validate any of the hostnames/));
  } finally { srv.kill(); }
});

test.run();
