import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChecks, type CheckReport } from '../src/index.js';
import { cleanup, dnsMessage, Encoders, MS, S, steadySession, T0, tmp, v4mapped, writeRun, type R } from './agent-records.js';

// The new dump ↔ intake checks (issue 14 item 12), each shown failing and passing on recordings laid out from the
// agent's source (Flowmill era: 1 s stats slots, buffered_poller.cc@3598385a:75).
test.after(cleanup);
const check = (r: CheckReport, id: string) => r.checks.find((c) => c.id === id)!;
type Fig = Record<string, number>;

async function run(bpf: R[], after: R[], only: string[], manifest?: object) {
  const e = new Encoders('flowmill');
  const f = writeRun(e, [{ records: steadySession('flowmill', T0, { seconds: 14, after }).records }], bpf);
  let m: string | undefined;
  if (manifest) { m = join(tmp(), 'manifest.json'); writeFileSync(m, JSON.stringify(manifest)); }
  return runChecks({ wire: f.wire, bpf: f.bpf, manifest: m }, { only });
}

// socket-stats-live: a connection open 3 s → 12 s, its rtt_estimator samples every 100 ms (bytes_acked +1000 each);
// userspace sums each 1 s slot and sends socket_stats at the first fast poll after it (buffered_poller.cc@3598385a:
// 216-222, 692-775, 854-880), the rest at close with the close's ts (:654-690).
function longLived(statsEverySlot: boolean): { bpf: R[]; after: R[] } {
  const sk = 0xffff8884_00002000n, open = T0 + 3n * S, close = T0 + 12n * S;
  const bpf: R[] = [{ name: 'new_sock_created', ts: open, data: { sk, pid: 5000 } }];
  const after: R[] = [{ name: 'new_sock_info', ts: open, data: { sk, pid: 5000 } }];
  let acked = 0n, slotSum = 0n, slotEnd = T0 + 4n * S;
  for (let t = open + 100n * MS; t < close; t += 100n * MS) {
    if (t >= slotEnd) {
      if (statsEverySlot && slotSum) after.push({ name: 'socket_stats', ts: slotEnd + 40n * MS, data: { sk, is_rx: 0, diff_bytes: slotSum, diff_delivered: 1 } });
      if (statsEverySlot) slotSum = 0n;
      slotEnd += 1n * S;
    }
    acked += 1000n;
    slotSum += 1000n;
    bpf.push({ name: 'rtt_estimator', ts: t, data: { sk, bytes_acked: acked, packets_delivered: Number(acked / 1000n) } });
  }
  bpf.push({ name: 'rtt_estimator', ts: close, data: { sk, bytes_acked: acked, packets_delivered: Number(acked / 1000n) } }, { name: 'close_sock_info', ts: close, data: { sk } });
  after.push({ name: 'socket_stats', ts: close, data: { sk, is_rx: 0, diff_bytes: slotSum, diff_delivered: 1 } }, { name: 'close_sock_info', ts: close, data: { sk } });
  return { bpf, after };
}

test('socket-stats-live: a long-lived socket reported every slot passes', async () => {
  const l = longLived(true);
  const r = await run(l.bpf, l.after, ['socket-stats-live', 'bpf-intake']);
  assert.is(check(r, 'socket-stats-live').status, 'pass', JSON.stringify(check(r, 'socket-stats-live').evidence));
  assert.ok((check(r, 'socket-stats-live').figures as Fig).checks >= 5, JSON.stringify(check(r, 'socket-stats-live').figures));
  assert.is(check(r, 'bpf-intake').status, 'pass', JSON.stringify(check(r, 'bpf-intake').evidence));
});

test('socket-stats-live: a long-lived socket whose stats come only at close fails, though its totals conserve', async () => {
  const l = longLived(false);
  const r = await run(l.bpf, l.after, ['socket-stats-live', 'bpf-intake']);
  const c = check(r, 'socket-stats-live');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /1 live socket whose bytes reached the intake more than one slot late/);
  assert.is(check(r, 'bpf-intake').status, 'pass'); // TCP conservation at close cannot see it
});

// udp-conservation: udp_stats samples summed per slot and sent (buffered_poller.cc@3598385a:966-1058, 1216-1247), the
// rest at destroy with the destroy's ts (:918-964). The first sample of an address carries changed_af: userspace sends
// the (empty) slot, then starts a new one from the sample.
function udpSocket(o: { dropOneSlot?: boolean; secondPeer?: boolean } = {}): { bpf: R[]; after: R[] } {
  const sk = 0xffff8885_00003000n, open = T0 + 4n * S, destroy = T0 + 9n * S;
  const sock = { pid: 5100, laddr: v4mapped('127.0.0.1'), lport: 41000 };
  const peer = (port: number) => ({ raddr: v4mapped('127.0.0.1'), rport: ((port & 0xff) << 8) | (port >> 8), laddr: v4mapped('127.0.0.1'), lport: ((41000 & 0xff) << 8) | (41000 >> 8) });
  const bpf: R[] = [{ name: 'udp_new_socket', ts: open, data: { ...sock, sk } }, { name: 'udp_stats', ts: open + 10n * MS, data: { sk, ...peer(9000), packets: 0, bytes: 0, changed_af: 2, is_rx: 0 } }];
  const after: R[] = [{ name: 'udp_new_socket', ts: open, data: { ...sock, sk_id: 0 } }, { name: 'udp_stats_addr_changed_v4', ts: open + 10n * MS, data: { sk_id: 0, is_rx: 0, packets: 0, bytes: 0, raddr: 0x0100007f, rport: 9000 } }];
  for (let k = 0; k < 4; k++) {
    const t = open + BigInt(k + 1) * S;
    bpf.push({ name: 'udp_stats', ts: t, data: { sk, ...peer(9000), packets: 10, bytes: 10 * 128, is_rx: 0 } });
    if (!(o.dropOneSlot && k === 1)) after.push({ name: 'udp_stats_addr_unchanged', ts: t + 1n * S, data: { sk_id: 0, is_rx: 0, packets: 10, bytes: 1280 } });
  }
  if (o.secondPeer) {
    // A second destination: the slot still holding 10 packets is sent, then sent again with the new address (not zeroed).
    bpf.push({ name: 'udp_stats', ts: destroy - 200n * MS, data: { sk, ...peer(9001), packets: 0, bytes: 0, changed_af: 2, is_rx: 0 } });
    after.push({ name: 'udp_stats_addr_changed_v4', ts: destroy - 200n * MS, data: { sk_id: 0, is_rx: 0, packets: 10, bytes: 1280, raddr: 0x0100007f, rport: 9001 } });
  }
  bpf.push({ name: 'udp_destroy_socket', ts: destroy, data: { sk } });
  after.push({ name: 'udp_destroy_socket', ts: destroy, data: { sk_id: 0 } });
  return { bpf, after };
}

test('udp-conservation: one socket, first use of its sk_id, one address: exact, passes', async () => {
  const u = udpSocket();
  const c = check(await run(u.bpf, u.after, ['udp-conservation']), 'udp-conservation');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.equal([(c.figures as Fig).compared, (c.figures as Fig).exact], [1, 1]);
});

test('udp-conservation: a slot of stats missing from the intake fails', async () => {
  const u = udpSocket({ dropOneSlot: true });
  const c = check(await run(u.bpf, u.after, ['udp-conservation']), 'udp-conservation');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /1 UDP lifetime not conserved/);
});

test('udp-conservation: a second address re-sends the slot (more in the intake than the dump): allowed, counted', async () => {
  const u = udpSocket({ secondPeer: true });
  const c = check(await run(u.bpf, u.after, ['udp-conservation']), 'udp-conservation');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.is((c.figures as Fig).intakeAboveDump, 1);
});

// dns-port: the kernel side captures DNS only when the source or destination port is 53 (render_bpf.c@3598385a:
// 2452-2456); the dump's udp_stats ports are network order.
function lookup(serverPort: number): { bpf: R[]; after: R[] } {
  const sk = 0xffff8886_00004000n, t = T0 + 5n * S;
  const q = dnsMessage({ id: 9, response: false, name: 'svc.test' });
  const be = (p: number) => ((p & 0xff) << 8) | (p >> 8);
  return {
    bpf: [
      { name: 'udp_new_socket', ts: t, data: { pid: 5200, sk, laddr: v4mapped('127.0.0.1'), lport: 42000 } },
      { name: 'udp_stats', ts: t + 1n * MS, data: { sk, raddr: v4mapped('127.0.0.1'), rport: be(serverPort), laddr: v4mapped('127.0.0.1'), lport: be(42000), changed_af: 2, is_rx: 0 } },
      { name: 'dns_packet', ts: t + 1n * MS, data: { sk, pkt: q, total_len: q.length, is_rx: 0 } },
      { name: 'udp_destroy_socket', ts: t + 2n * S, data: { sk } },
    ],
    after: [],
  };
}

test('dns-port: DNS on a socket talking to port 53 passes', async () => {
  const l = lookup(53);
  const c = check(await run(l.bpf, l.after, ['dns-port']), 'dns-port');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.is((c.figures as Fig).dnsOnPort53, 1);
});

test('dns-port: a dns_packet on a socket that talked only to port 5353 fails (the kernel would not capture it)', async () => {
  const l = lookup(5353);
  const c = check(await run(l.bpf, l.after, ['dns-port']), 'dns-port');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /1 DNS record off port 53/);
});

test('dns-port: a manifest lookup served on port 5353 but marked visible to the agent fails', async () => {
  const side = { pid: 1, comm: 'w', tuple: { local: { ip: '127.0.0.1', port: 5353 }, remote: { ip: '127.0.0.1', port: 42000 } } };
  const manifest = { dns: [{ index: 0, name: 'svc.test', visibleToAgent: true, queryId: 9, answers: [], startNs: '0', endNs: '0', client: side, server: side }] };
  const c = check(await run([], [], ['dns-port'], manifest), 'dns-port');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /1 manifest lookup served off port 53/);
});

test('dns-port: a lookup served off port 53 (not visible to the agent) passes with no trace, fails with a dns_response', async () => {
  const side = { pid: 1, comm: 'w', tuple: { local: { ip: '127.0.0.1', port: 5353 }, remote: { ip: '127.0.0.1', port: 42000 } } };
  const manifest = { dns: [{ index: 0, name: 'hidden.test', visibleToAgent: false, queryId: 9, answers: [], startNs: '0', endNs: '0', client: side, server: side }] };
  const quiet = check(await run([], [], ['dns-port'], manifest), 'dns-port');
  assert.is(quiet.status, 'pass', JSON.stringify(quiet.evidence));
  const seen: R[] = [
    { name: 'udp_new_socket', ts: T0 + 5n * S, data: { pid: 1, sk_id: 0, laddr: v4mapped('127.0.0.1'), lport: 42000 } },
    { name: 'dns_response', ts: T0 + 5n * S + 3n * MS, data: { sk_id: 0, total_dn_len: 11, domain_name: 'hidden.test', ipv4_addrs: Uint8Array.of(10, 0, 0, 1), ipv6_addrs: new Uint8Array(0), latency_ns: 1n * MS, client_server: 0 } },
  ];
  const loud = check(await run([], seen, ['dns-port'], manifest), 'dns-port');
  assert.is(loud.status, 'fail');
  assert.match(loud.reason!, /1 DNS record of lookups served off port 53/);
});

test('dns-port, udp-conservation, socket-stats-live: no DNS, no UDP, no TCP: not run, never passed', async () => {
  const r = await run([], [], ['dns-port', 'udp-conservation', 'socket-stats-live']);
  for (const id of ['dns-port', 'udp-conservation', 'socket-stats-live']) assert.is(check(r, id).status, 'not-run', id);
});

test.run();
