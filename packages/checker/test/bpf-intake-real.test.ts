import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChecks, type CheckReport } from '../src/index.js';
import { cleanup, dnsMessage, Encoders, MS, S, steadySession, T0, v4mapped, writeRun, type Era, type R } from './agent-records.js';

// Translation rules and orderings a healthy real agent shows, each laid out from the agent's source.
test.after(cleanup);

const check = (r: CheckReport, id: string) => r.checks.find((c) => c.id === id)!;
type Fig = Record<string, number>;

/** One session; `bpf` samples and their intake records given by the test. */
async function run(era: Era, o: { bpf: R[]; during?: R[]; after?: R[] }, only = ['bpf-intake', 'lifecycles']) {
  const e = new Encoders(era);
  const s = steadySession(era, T0, { during: o.during, after: o.after });
  const f = writeRun(e, [{ records: s.records }], o.bpf);
  return runChecks({ wire: f.wire, record: f.record, bpf: f.bpf }, { only });
}

// OpenTelemetry main walks the existing cgroups on v1 and v2 while loading (cgroup_prober.cc@main:55-110): each one is
// an existing_cgroup_probe sample (render_bpf.c@main:2538-2620) that userspace turns into cgroup_create with the
// sample's timestamp and fields (buffered_poller.cc@main:111, 1246-1252).
function cgroupScan(at: bigint): { bpf: R[]; intake: R[] } {
  const bpf: R[] = [], intake: R[] = [];
  ['', 'system.slice', 'user.slice'].forEach((name, i) => {
    const data = { cgroup: 0xffff8881_00001000n + BigInt(i) * 0x1000n, cgroup_parent: i ? 0xffff8881_00001000n : 0n, name };
    bpf.push({ name: 'existing_cgroup_probe', ts: at + BigInt(i) * MS, data });
    intake.push({ name: 'cgroup_create', ts: at + BigInt(i) * MS, data });
  });
  return { bpf, intake };
}

test('ebpf_net: an OTel cgroup scan (existing_cgroup_probe -> cgroup_create) passes bpf-intake and lifecycles', async () => {
  const scan = cgroupScan(T0 + 2n * S + 80n * MS);
  const r = await run('ebpf_net', { bpf: scan.bpf, during: scan.intake });
  assert.is(check(r, 'bpf-intake').status, 'pass', JSON.stringify(check(r, 'bpf-intake').evidence));
  assert.is((check(r, 'bpf-intake').figures as Fig).matched, 3);
  assert.is(check(r, 'lifecycles').status, 'pass');
  assert.is((check(r, 'lifecycles').figures as Fig).cgroupStarts, 3);
});

test('ebpf_net: a scanned cgroup missing from the intake still fails', async () => {
  const scan = cgroupScan(T0 + 2n * S + 80n * MS);
  const r = await run('ebpf_net', { bpf: scan.bpf, during: scan.intake.slice(1) });
  assert.is(check(r, 'bpf-intake').status, 'fail');
  assert.match(check(r, 'bpf-intake').reason!, /1 BPF sample missing from the intake/);
});

// A child forks on one CPU (pid_info at wake_up_new_task) and execs on another (pid_set_comm), render_bpf.c@3598385a:
// 534-591. Per-CPU rings are merged by their head timestamps, and a sample not yet visible in its ring is read at the
// next poll (perf_reader.cc@3598385a:111-114, 172-194): the intake can carry pid_set_comm before pid_info_create, each
// with its own sample's timestamp (buffered_poller.cc@3598385a:1060-1109).
function processReadLate(era: Era, infoAfterComm: boolean): { bpf: R[]; intake: R[] } {
  const t = T0 + 5n * S;
  const info = { pid: 4242, comm: 'workload', cgroup: 7n, parent_pid: 4000 };
  const comm = { pid: 4242, comm: 'child' };
  const infoTs = infoAfterComm ? t + 3n * MS : t; // the real agent: fork before exec, so the info's ts is earlier
  const commTs = t + 1n * MS;
  const bpf: R[] = [{ name: 'pid_set_comm', ts: commTs, data: comm }, { name: 'pid_info', ts: infoTs, data: info }];
  const ref = { _ref: 1n };
  const intake: R[] = [
    { name: 'pid_set_comm', ts: commTs, data: comm },
    // the tracked block is written, userspace-stamped, just before pid_info_create (process_handler.cc@3598385a:106-115)
    { name: 'tracked_process_start', ts: t + 100n * MS, data: ref },
    { name: 'set_tgid', ts: t + 100n * MS, data: { ...ref, tgid: 4242 } },
    { name: 'set_command', ts: t + 100n * MS, data: { ...ref, command: 'child' } },
    { name: 'set_cgroup', ts: t + 100n * MS, data: { ...ref, cgroup: 7n } },
    { name: 'pid_info_create', ts: infoTs, data: { ...info, cmdline: 'child' } },
  ];
  void era;
  return { bpf, intake };
}

test('flowmill: pid_set_comm read before its pid_info_create (another CPU, a later poll) passes; counted in figures', async () => {
  const p = processReadLate('flowmill', false);
  // The intake records in the order userspace read them (the test places them by hand, not by timestamp).
  const e = new Encoders('flowmill');
  const s = steadySession('flowmill', T0);
  const at = s.records.findIndex((x) => x.ts > T0 + 5n * S + 100n * MS);
  s.records.splice(at, 0, ...p.intake);
  const f = writeRun(e, [{ records: s.records }], p.bpf);
  const r = await runChecks({ wire: f.wire, bpf: f.bpf }, { only: ['bpf-intake', 'lifecycles'] });
  assert.is(check(r, 'lifecycles').status, 'pass', JSON.stringify(check(r, 'lifecycles').evidence));
  assert.is((check(r, 'lifecycles').figures as Fig).processReadOutOfOrder, 1);
  assert.is(check(r, 'bpf-intake').status, 'pass', JSON.stringify(check(r, 'bpf-intake').evidence));
});

test('flowmill: a pid_set_comm stamped before its process was created still fails (no CPU can do that)', async () => {
  const p = processReadLate('flowmill', true);
  const e = new Encoders('flowmill');
  const s = steadySession('flowmill', T0);
  const at = s.records.findIndex((x) => x.ts > T0 + 5n * S + 100n * MS);
  s.records.splice(at, 0, ...p.intake);
  const f = writeRun(e, [{ records: s.records }], p.bpf);
  const r = await runChecks({ wire: f.wire, bpf: f.bpf }, { only: ['lifecycles'] });
  assert.is(check(r, 'lifecycles').status, 'fail');
  assert.match(JSON.stringify(check(r, 'lifecycles').evidence), /pid_set_comm: process 4242 used before its start/);
});

// The agent's reply parser takes only the A/AAAA records owned by the question name or its CNAME target
// (collector/kernel/dns/ares_parse_a_aaaa_reply.c@3598385a:91-160), not every address in the packet, and sends one
// dns_response per matching request with the response's socket, ts and latency (buffered_poller.cc@3598385a:317-518).
function dnsLookup(intakeAddrs: number[]): { bpf: R[]; after: R[] } {
  const t = T0 + 6n * S, sk = 0xffff8882_0000a000n;
  const q = dnsMessage({ id: 77, response: false, name: 'www.example.com' });
  const a = dnsMessage({ id: 77, response: true, name: 'www.example.com', answers: [
    { name: 'www.example.com', type: 'CNAME', data: 'edge.example.net' },
    { name: 'edge.example.net', type: 'A', data: '10.1.2.3' },
    { name: 'other.example.org', type: 'A', data: '10.9.9.9' }, // not on the chain: the agent skips it
  ] });
  const sock = { pid: 4100, laddr: v4mapped('127.0.0.1'), lport: 40000 };
  const bpf: R[] = [
    { name: 'udp_new_socket', ts: t, data: { ...sock, sk } },
    { name: 'dns_packet', ts: t + 1n * MS, data: { sk, pkt: q, total_len: q.length, is_rx: 0 } },
    { name: 'dns_packet', ts: t + 5n * MS, data: { sk, pkt: a, total_len: a.length, is_rx: 1 } },
  ];
  const after: R[] = [
    { name: 'udp_new_socket', ts: t, data: { ...sock, sk_id: 0 } },
    { name: 'dns_response', ts: t + 5n * MS, data: { sk_id: 0, total_dn_len: 15, domain_name: 'www.example.com', ipv4_addrs: Uint8Array.from(intakeAddrs), ipv6_addrs: new Uint8Array(0), latency_ns: 4n * MS, client_server: 0 } },
  ];
  return { bpf, after };
}

test('flowmill: a CNAME answer: the dns_response carries only the chain address, as the agent counts it', async () => {
  const r = await run('flowmill', dnsLookup([10, 1, 2, 3]));
  const c = check(r, 'bpf-intake');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.is((c.figures as Fig).dnsResponsesPredicted, 1);
  assert.is((c.figures as Fig).dnsAddressesOffTheChain, 1);
});

test('flowmill: a dns_response carrying an address off the question/CNAME chain fails as a field mismatch', async () => {
  const r = await run('flowmill', dnsLookup([10, 1, 2, 3, 10, 9, 9, 9]));
  const c = check(r, 'bpf-intake');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /1 field mismatch/);
});

// A TCP socket open before the agent started: the socket scan sends reset_tcp_counters (new_sock_info) with its
// counters as the baseline, not sent (buffered_poller.cc@3598385a:777-809); later socket_stats are deltas from it.
test('flowmill: a socket that existed before the agent: stats are deltas from the scan baseline; passes', async () => {
  const t = T0 + 2n * S + 200n * MS, sk = 0xffff8883_00001000n;
  const bpf: R[] = [
    { name: 'reset_tcp_counters', ts: t, data: { sk, pid: 900, bytes_acked: 100_000n, bytes_received: 50_000n, packets_delivered: 70, packets_retrans: 0 } },
    { name: 'rtt_estimator', ts: T0 + 7n * S, data: { sk, bytes_acked: 100_400n, bytes_received: 50_000n, packets_delivered: 72 } },
    { name: 'rtt_estimator', ts: T0 + 9n * S, data: { sk, bytes_acked: 100_800n, bytes_received: 50_200n, packets_delivered: 74, rcv_delivered: 3 } },
    { name: 'close_sock_info', ts: T0 + 9n * S, data: { sk } },
  ];
  const intake: R[] = [
    { name: 'new_sock_info', ts: t, data: { sk, pid: 900 } },
    { name: 'socket_stats', ts: T0 + 8n * S + 50n * MS, data: { sk, is_rx: 0, diff_bytes: 400n, diff_delivered: 2 } },
    { name: 'socket_stats', ts: T0 + 9n * S, data: { sk, is_rx: 0, diff_bytes: 400n, diff_delivered: 2 } },
    { name: 'socket_stats', ts: T0 + 9n * S, data: { sk, is_rx: 1, diff_bytes: 200n, diff_delivered: 3 } },
    { name: 'close_sock_info', ts: T0 + 9n * S, data: { sk } },
  ];
  const r = await run('flowmill', { bpf, during: intake.slice(0, 1), after: intake.slice(1) });
  const c = check(r, 'bpf-intake');
  assert.is(c.status, 'pass', JSON.stringify(c.evidence));
  assert.is((c.figures as Fig).tcpLifetimesConserved, 1);
  assert.is((c.figures as Fig).tcpExistingAtScan, 1);
  assert.is(check(r, 'lifecycles').status, 'pass', JSON.stringify(check(r, 'lifecycles').evidence));
});

// A UDP socket whose udp_new_socket sample has lport 0 is not reported then; userspace sends udp_new_socket just
// before its first stats, with the lport the stats carry and the stats' timestamp (buffered_poller.cc@3598385a:
// 882-916, 1146-1168), and its destroy only because it was reported (:918-964).
test('flowmill: a UDP socket reported late (bound with port 0) passes; its destroy is then expected', async () => {
  const sk = 0xffff8887_00005000n, t = T0 + 5n * S;
  const laddr = v4mapped('127.0.0.1');
  const be = (p: number) => ((p & 0xff) << 8) | (p >> 8);
  const bpf: R[] = [
    { name: 'udp_new_socket', ts: t, data: { pid: 4300, sk, laddr, lport: 0 } },
    { name: 'udp_stats', ts: t + 20n * MS, data: { sk, raddr: laddr, rport: be(9000), laddr, lport: be(41500), changed_af: 2, is_rx: 0 } },
    { name: 'udp_destroy_socket', ts: t + 2n * S, data: { sk } },
  ];
  const after: R[] = [
    { name: 'udp_new_socket', ts: t + 20n * MS, data: { pid: 4300, sk_id: 0, laddr, lport: 41500 } },
    { name: 'udp_stats_addr_changed_v4', ts: t + 20n * MS, data: { sk_id: 0, is_rx: 0, raddr: 0x0100007f, rport: 9000 } },
    { name: 'udp_destroy_socket', ts: t + 2n * S, data: { sk_id: 0 } },
  ];
  const ok = await run('flowmill', { bpf, after });
  assert.is(check(ok, 'bpf-intake').status, 'pass', JSON.stringify(check(ok, 'bpf-intake').evidence));
  assert.is((check(ok, 'bpf-intake').figures as Fig).udpReportedLate, 1);
  const noDestroy = await run('flowmill', { bpf, after: after.slice(0, 2) });
  assert.match(check(noDestroy, 'bpf-intake').reason!, /1 BPF sample missing from the intake/);
});

// Latency: the agent drains the rings every 100 ms (kernel_collector.cc@3598385a:42, 212-231) and flushes at the end
// of each poll (buffered_poller.cc@3598385a:225), so a sample reaches the wire in the frame of the poll after it. The
// in-frame figure (sample → the latest timestamp of its own frame) is a lower bound of its latency.
async function latencyOf(delayMs: bigint) {
  const e = new Encoders('flowmill');
  const s = steadySession('flowmill', T0, { seconds: 14 });
  const bpf: R[] = [], samples: R[] = [];
  for (let i = 0; i < 60; i++) {
    const ts = T0 + 4n * S + BigInt(i) * 137n * MS;
    const data = { pid: 6000 + i, comm: 'w', cgroup: 1n, parent_pid: 1 };
    bpf.push({ name: 'pid_info', ts, data });
    samples.push({ name: 'pid_info_create', ts, data: { ...data, cmdline: '' } });
  }
  // Each record written at its poll: userspace-stamped ones at their own time, samples `delayMs` after theirs.
  const poll = 100n * MS;
  const writeAt = (r: R) => (r.name === 'pid_info_create' ? r.ts + delayMs * MS : r.ts);
  const flushes = new Map<bigint, R[]>();
  for (const r of [...s.records.slice(1), ...samples]) {
    const k = (writeAt(r) - T0) / poll;
    flushes.set(k, [...(flushes.get(k) ?? []), r]);
  }
  const ordered = [...flushes.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, rs]) => rs.sort((a, b) => (writeAt(a) < writeAt(b) ? -1 : 1)));
  const f = writeRun(e, [{ records: s.records.slice(0, 1), flushes: ordered }], bpf);
  const r = await runChecks({ wire: f.wire, bpf: f.bpf }, { only: ['bpf-intake'] });
  assert.is(check(r, 'bpf-intake').status, 'pass', JSON.stringify(check(r, 'bpf-intake').evidence));
  return r.figures.latency!;
}

test('latency: samples forwarded within a poll give an in-frame p99 under 150 ms; held 900 ms, over 800 ms', async () => {
  const prompt = await latencyOf(30n);
  assert.ok(prompt.lowerP99Ms! < 150, JSON.stringify(prompt));
  const held = await latencyOf(900n);
  assert.ok(held.lowerP99Ms! > 800, JSON.stringify(held));
  assert.ok(held.upperP99Ms! >= held.lowerP99Ms!, 'the upper bound is not below the lower one');
  assert.is(held.bound, 'lower', 'a wire capture: the histogram and p99Ms are the lower bound');
  assert.is(held.p99Ms, held.lowerP99Ms);
});

test.run();
