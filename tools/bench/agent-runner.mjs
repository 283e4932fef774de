// @flowmill/agent-runner figures, each against a peer measured in the same run (docs/development.md "Benchmarks"):
//   startup:   simulated agent, start → "Telemetry is flowing!" with the agent's real timers (time scale 1, no
//              connect delay), against the agent's own floor: the 2 s probe hold-off (docs/agent-protocol.md §2.4); the
//              sim also models the load time T the hold-off callback blocks for (TIMERS.compileMs + probeLoadMs).
//   records/s: intake records the sim produces (workload items → BPF model → userspace translation → encode →
//              LZ4 per 16 KiB flush → TCP sink), against raw-codec's bare RecordEncoder + LZ4 framing of the same
//              records (the encoding floor; the ratio is the simulation's overhead).
//   workload:  wall time of P children + H HTTP requests + K DNS lookups, against the same work done by
//              standard tools from a shell (/bin/true, curl, dig).
// Run after `npm run build`: node tools/bench/agent-runner.mjs [ITEMS]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const ar = await import(join(root, 'packages/agent-runner/dist/lib/index.js'));
const rc = await import(join(root, 'packages/raw-codec/dist/lib/index.js'));
const { RUN_FILES } = await import(join(root, 'packages/agent-runner/dist/lib/run-layout.js'));
const ITEMS = Number(process.argv[2] ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'bench-agent-runner-'));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

// a TCP sink that discards (the intake side is not what is measured here)
const sink = createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); });
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const port = sink.address().port;

try {
  // --- startup, real timers
  const starts = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const sim = await ar.runSimAgent({ era: 'otel', intake: { host: '127.0.0.1', port }, connectDelayMs: 0, jitter: false });
    await sim.ready;
    starts.push(performance.now() - t0);
    await sim.stop();
  }

  // --- records/s: synthetic TCP items (each = 2 sockets, 8 intake records) fed in-process
  const rec = join(dir, RUN_FILES.record);
  const authzSrv = (await import(join(root, 'packages/mock-authz/dist/lib/index.js'))).startAuthz;
  const authz = await authzSrv({ port: 0, tls: false });
  const s2 = await ar.runSimAgent({ intake: { host: '127.0.0.1', port, tls: false }, authz: { server: authz.url, keyId: 'KFIIBENCH', secret: 'x' }, recordFile: rec, timeScale: 0.05, connectDelayMs: 0, jitter: false });
  await s2.ready;
  const clock = new ar.AgentClock();
  const t = clock.now();
  const ep = (p) => ({ ip: '127.0.0.1', port: p });
  s2.addEvent({ type: 'start', format: 'flowmill-workload-manifest', version: 1, simulated: true, agent: { kind: 'sim' }, tools: {}, profile: ar.DEFAULT_PROFILE, clock: clock.info(), started: '', startedNs: String(t), workload: { pid: process.pid, comm: 'node' }, servers: { tcp: ep(9), udp: ep(10), dns: ep(11), http: ep(12) } });
  const before = s2.stats.records;
  const t0 = performance.now();
  for (let i = 0; i < ITEMS; i++) {
    const a = t + BigInt(i) * 10_000n;
    s2.addEvent({ type: 'tcp', item: { index: i, startNs: String(a), connectedNs: String(a + 2000n), endNs: String(a + 9000n), client: { pid: process.pid, comm: 'node', tuple: { local: ep(40000 + (i % 20000)), remote: ep(9) } }, server: { pid: process.pid, comm: 'node', tuple: { local: ep(9), remote: ep(40000 + (i % 20000)) } }, clientSentBytes: 4096, clientReceivedBytes: 8192, serverSentBytes: 8192, serverReceivedBytes: 4096 } });
  }
  await s2.drained();
  const simMs = performance.now() - t0;
  const produced = s2.stats.records - before;
  await s2.stop();
  await authz.close();

  // peer: encode the same records (decoded back from the record file) with RecordEncoder + LZ4 per 16 KiB flush
  const recs = [];
  for await (const r of rc.decode([readFileSync(rec)], { kind: 'record', schema: rc.builtinSchema('flowmill') })) recs.push(r);
  const enc = new rc.RecordEncoder(rc.builtinSchema('flowmill').apps.ingest);
  const p0 = performance.now();
  let buf = new Uint8Array(16384), len = 0, frames = 0;
  for (const r of recs) {
    const b = enc.encode(r.name, r.timestamp, r.data);
    if (len + b.length > buf.length) { rc.lz4EncodeFrame(buf.subarray(0, len)); frames++; len = 0; }
    buf.set(b, len); len += b.length;
  }
  if (len) { rc.lz4EncodeFrame(buf.subarray(0, len)); frames++; }
  const peerMs = performance.now() - p0;

  // --- workload wall time vs standard tools
  const P = 20, H = 20, K = 20;
  const wl = [];
  const shell = [];
  for (let i = 0; i < 3; i++) {
    const w0 = performance.now();
    await ar.runWorkload({ profile: { tcp: { connections: 0 }, udp: { datagrams: 0 }, processes: { count: P }, http: { requests: H }, dns: { lookups: K } } });
    wl.push(performance.now() - w0);
    // peer: an HTTP server and our DNS responder are up; the shell does the same work with /bin/true, curl, dig
    const dns = await ar.startDnsResponder({ domain: 'flowmill.test' });
    const srv = createServer((s) => { s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n')); s.on('error', () => {}); });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const script = join(dir, 'peer.sh');
    writeFileSync(script, `for i in $(seq ${P}); do /bin/true; done\nfor i in $(seq ${H}); do curl -s -o /dev/null http://127.0.0.1:${srv.address().port}/; done\nfor i in $(seq ${K}); do dig +short +tries=1 -p ${dns.port} @127.0.0.1 q$i.flowmill.test A >/dev/null; done\n`);
    const s0 = performance.now();
    await new Promise((res) => spawn('sh', [script], { stdio: 'ignore' }).on('exit', res));
    shell.push(performance.now() - s0);
    srv.close();
    await dns.close();
  }

  const result = {
    startupMs: Math.round(median(starts)), startupVsHoldOff: +(median(starts) / 2000).toFixed(2),
    items: ITEMS, intakeRecords: produced, simRecordsPerSec: Math.round(produced / (simMs / 1000)), peerRecordsPerSec: Math.round(recs.length / (peerMs / 1000)),
    simOverSimplePeer: +((produced / simMs) / (recs.length / peerMs)).toFixed(2), peerFrames: frames,
    workloadMs: Math.round(median(wl)), shellPeerMs: Math.round(median(shell)), workloadOverShell: +(median(wl) / median(shell)).toFixed(2),
  };
  const lines = [
    'agent-runner: simulated agent and workload (ratios against peers measured in this run)',
    `  startup to "Telemetry is flowing!" (real timers)  ${result.startupMs} ms = ${result.startupVsHoldOff}× the agent's 2 s probe hold-off (its floor)`,
    `  records/s produced by the sim                     ${result.simRecordsPerSec} (${produced} records from ${ITEMS} TCP items)`,
    `  records/s, bare RecordEncoder + LZ4 (peer)        ${result.peerRecordsPerSec}   ratio sim/peer ${result.simOverSimplePeer}`,
    `  workload (P=${P} children, H=${H} HTTP, K=${K} DNS)    ${result.workloadMs} ms vs shell + /bin/true, curl, dig ${result.shellPeerMs} ms: ratio ${result.workloadOverShell} (< 1: faster)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(join(root, 'tools/bench/out'), { recursive: true });
  writeFileSync(join(root, 'tools/bench/out/agent-runner.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(root, 'tools/bench/out/agent-runner.txt'), `${lines.join('\n')}\n`);
} finally {
  sink.close();
  rmSync(dir, { recursive: true, force: true });
}
