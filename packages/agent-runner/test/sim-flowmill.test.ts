import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCerts } from '@flowmill/certs';
import { startAuthz } from '@flowmill/mock-authz';
import { decode } from '@flowmill/raw-codec';
import { startSink } from '@flowmill/tls-sink';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSimAgent, runWorkload } from '../src/index.js';
import { countNames, refApp, splitRecords, text } from './helpers/ref-schema.js';

/** Every interface's tx/rx byte counters, read the way the agent reads them (nic_poller.cc@3598385a:40-74). */
function nicCounters(): Map<string, { tx: bigint; rx: bigint }> {
  const m = new Map<string, { tx: bigint; rx: bigint }>();
  for (const n of readdirSync('/sys/class/net')) {
    const f = (x: string) => { const p = `/sys/class/net/${n}/statistics/${x}`; return existsSync(p) ? BigInt(readFileSync(p, 'utf8').trim()) : 0n; };
    m.set(n, { tx: f('tx_bytes'), rx: f('rx_bytes') });
  }
  return m;
}

const root = mkdtempSync(join(tmpdir(), 'ar-sim-test-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('sim (Flowmill era) against the real mock-authz and tls-sink: handshake, byte stream, record file, dump and manifest agree', async () => {
  const dir = join(root, 'run1');
  mkdirSync(dir);
  const certs = await ensureCerts({ dir: join(root, 'keys') });
  const tls = { cert: readFileSync(certs.cert), key: readFileSync(certs.key) };
  const ca = readFileSync(certs.caCert);
  const authz = await startAuthz({ port: 0, tls, strict: true });
  const sink = await startSink({ port: 0, tls, out: { dir: join(dir, 'intake') } });
  const lines: string[] = [];
  const nicBefore = nicCounters();
  const sim = await runSimAgent({
    intake: { host: '127.0.0.1', port: sink.port, ca }, authz: { server: authz.url, keyId: 'KFIIVU75RGHY7EC7JABW', secret: 's3cret', ca },
    recordFile: join(dir, 'intake.record'), bpfDumpFile: join(dir, 'bpf.raw'), timeScale: 0.02, connectDelayMs: 0, jitter: false, log: (l) => lines.push(l),
  });
  let code = -1;
  let m;
  try {
    await sim.ready;
    m = await runWorkload({ onEvent: (e) => sim.addEvent(e), agent: { kind: 'sim', era: 'flowmill' }, profile: { tcp: { connections: 3 }, processes: { count: 2 }, http: { requests: 3, statuses: [200, 404, 500] }, dns: { lookups: 2 } } });
    await sim.drained();
  } finally {
    code = await sim.stop();
    await sink.close();
    await authz.close();
  }
  assert.is(code, 241, 'exit status like the agent on SIGTERM');
  const nicAfter = nicCounters();
  assert.ok(lines.some((l) => l.endsWith('Agent connected successfully. Telemetry is flowing!')));
  assert.ok(lines[0].includes('SIMULATED'), 'says it is simulated');

  // the TLS handshake as the server saw it: TLS 1.3 (offered by the sink), SNI = the token's intake name
  const conn = sink.connections[0];
  assert.is(sink.connections.length, 1);
  assert.is(conn.tlsVersion, 'TLSv1.3');
  assert.is(conn.cipher, 'TLS_AES_256_GCM_SHA384');
  assert.is(conn.sni, 'localhost');
  assert.is(conn.ended, 'eof', 'the sim closes cleanly');

  // the capture = raw version_info (24 bytes) + LZ4 frames; the lz4 CLI's decompression equals the record file
  const cap = readFileSync(join(dir, 'intake', conn.file!));
  const record = readFileSync(join(dir, 'intake.record'));
  assert.equal(Array.from(cap.subarray(0, 24)), Array.from(record.subarray(0, 24)));
  assert.equal(Array.from(cap.subarray(24, 31)), [0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0xc0], 'the agent\'s frame header');
  const plain = execFileSync('lz4', ['-dc'], { input: cap.subarray(24) });
  assert.ok(Buffer.concat([cap.subarray(0, 24), plain]).equals(record), 'lz4 -d of the capture equals the record file');

  // split with the reference layout tables: the counts equal the sim's own stats
  const recs = splitRecords(record, refApp('flowmill', 'ingest'));
  assert.equal(countNames(recs), sim.stats.intake);
  const dump = splitRecords(readFileSync(join(dir, 'bpf.raw')), refApp('flowmill', 'agent_internal'));
  assert.equal(countNames(dump), sim.stats.bpf);

  // raw-codec decodes the TLS capture (version_info + LZ4 frames) into the same message counts
  const viaCodec: Record<string, number> = {};
  for await (const r of decode([cap], { kind: 'intake', schema: 'auto' })) viaCodec[r.name] = (viaCodec[r.name] ?? 0) + 1;
  assert.equal(viaCodec, sim.stats.intake);

  // session prologue (docs/checker-facts.md §5 O1) and the token mock-authz issued
  assert.equal(recs.slice(0, 3).map((r) => r.name), ['version_info', 'authz_authenticate', 'os_info']);
  assert.is(text(recs[1].data.token), authz.issued[0].token);
  assert.match(authz.issued[0].agentId ?? '', /^FAID[A-Z0-9]{32}$/);
  const order = ['metadata_complete', 'bpf_compiled', 'system_wide_process_settings', 'process_steady_state', 'socket_steady_state', 'begin_telemetry', 'collector_health'];
  const idx = order.map((n) => recs.findIndex((r) => r.name === n));
  assert.ok(idx.every((i, k) => i >= 0 && (k === 0 || i > idx[k - 1])), `prologue order ${idx}`);

  // against the manifest (docs/checker-facts.md §3): children, HTTP, DNS, TCP
  assert.ok(m);
  const setComm = recs.filter((r) => r.name === 'pid_set_comm' && text(r.data.comm) === 'fm-wl-child');
  assert.equal(setComm.map((r) => r.data.pid), m.processes.map((p) => p.pid));
  const created = recs.filter((r) => r.name === 'pid_info_create' && m!.processes.some((p) => p.pid === r.data.pid));
  assert.ok(created.every((r) => r.data.parent_pid === process.pid && text(r.data.comm) === m!.workload.comm));
  const http = recs.filter((r) => r.name === 'http_response');
  assert.equal(http.map((r) => r.data.code).sort(), [200, 200, 404, 404, 500, 500]);
  assert.is(http.filter((r) => r.data.client_server === 0).length, 3);
  // the responder runs on a port other than 53 (no root here): the DNS probe submits only UDP packets from or to port
  // 53 (render_bpf.c@3598385a:2453-2456), so the agent sees the datagrams but no DNS: no dns_packet, no dns_response
  assert.is(m.dns.length, 2);
  assert.ok(m.dns.every((d) => d.server.tuple.local.port !== 53 && d.visibleToAgent === false));
  assert.is(dump.filter((r) => r.name === 'dns_packet').length, 0);
  assert.is(recs.filter((r) => r.name === 'dns_response' || r.name === 'dns_timeout').length, 0);
  const dnsSocket = recs.find((r) => r.name === 'udp_new_socket' && r.data.lport === m!.dns[0].client.tuple.local.port);
  assert.ok(dnsSocket, 'the DNS client socket itself is seen');
  const connects = recs.filter((r) => r.name === 'set_state_ipv4' && r.data.tx_rx === 1 && r.data.dport === m!.servers.tcp.port);
  assert.equal(connects.map((r) => r.data.sport), m.tcp.map((t) => t.client.tuple.local.port));
  // TCP conservation: client tx bytes = C for each workload connection
  // (per lifetime: a closed socket's sk is reused by a later one, as the kernel's slab does)
  for (const c of connects) {
    const from = recs.indexOf(c), to = recs.findIndex((r, i) => i > from && r.name === 'close_sock_info' && r.data.sk === c.data.sk);
    const sent = recs.slice(from, to + 1).filter((r) => r.name === 'socket_stats' && r.data.sk === c.data.sk && r.data.is_rx === 0).reduce((a, r) => a + (r.data.diff_bytes as bigint), 0n);
    assert.is(sent, 4096n);
  }
  // every http_response lies inside its socket's lifetime (new_sock_info … close_sock_info: docs/checker-facts.md §5 L1)
  for (const h of http) {
    const at = recs.indexOf(h);
    const open = recs.slice(0, at).reverse().find((r) => r.name === 'new_sock_info' && r.data.sk === h.data.sk)!;
    const close = recs.slice(at).find((r) => r.name === 'close_sock_info' && r.data.sk === h.data.sk)!;
    assert.ok(open && close && open.ts <= h.ts && h.ts <= close.ts, `http_response ${h.data.code} cs=${h.data.client_server} outside its socket's lifetime`);
  }
  // nic_stats: every interface but lo (and cali*), its totals read from /sys/class/net while the sim ran
  // (nic_poller.cc@3598385a:40-74): between what the test read before and after
  const nics = recs.filter((r) => r.name === 'nic_stats');
  const want = [...nicBefore.keys()].filter((k) => k !== 'lo' && !k.startsWith('cali')).sort();
  assert.equal([...new Set(nics.map((r) => text(r.data.if_name)))].sort(), want);
  for (const r of nics) {
    const name = text(r.data.if_name), b = nicBefore.get(name)!, a = nicAfter.get(name)!;
    const tx = r.data.tx_bytes_total as bigint, rx = r.data.rx_bytes_total as bigint;
    assert.ok(tx >= b.tx && tx <= a.tx && rx >= b.rx && rx <= a.rx, `${name}: tx ${tx} in [${b.tx}, ${a.tx}], rx ${rx} in [${b.rx}, ${a.rx}]`);
  }
  // BPF ts = intake ts for the 1:1 messages
  const bpfComm = dump.filter((r) => r.name === 'pid_set_comm').map((r) => r.ts);
  assert.equal(recs.filter((r) => r.name === 'pid_set_comm').map((r) => r.ts), bpfComm);
});

test('sim dies like the agent when authz leaves out intake: ten attempts, then status 255 and ready rejected', async () => {
  const authz = await startAuthz({ port: 0, tls: false, faults: { omitIntake: true } });
  const lines: string[] = [];
  try {
    const sim = await runSimAgent({ intake: { host: '127.0.0.1', port: 9 }, authz: { server: authz.url, keyId: 'KFII1', secret: 's' }, timeScale: 0.001, jitter: false, log: (l) => lines.push(l) });
    await sim.ready.then(() => assert.unreachable(), (e) => assert.match(e.message, /missing metadata from authz token response/));
    assert.is(await sim.exited, 255);
    assert.is(authz.requests, 10);
    assert.is(lines.filter((l) => l.includes('backing-off for')).length, 9);
  } finally { await authz.close(); }
});

test.run();
