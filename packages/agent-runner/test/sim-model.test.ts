// The simulated agent's model held against the agent's source (issue 14), on the fake clock of simulateRun, where
// every timer is exact. Each expectation cites the agent's source (Flowmill 3598385a, OpenTelemetry main).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTAKE_CAPTURE } from '@flowmill/agent-runner/run-layout';
import { decode, type DecodedRecord } from '@flowmill/raw-codec';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeQuery, simulateRun, type SimulateRunOptions, type SimulatedRun } from '../src/index.js';
import { SimUserspace } from '../src/sim/userspace.js';

const root = mkdtempSync(join(tmpdir(), 'ar-simmodel-test-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const MS = 1_000_000n;

interface Run { run: SimulatedRun; intake: DecodedRecord[]; bpf: DecodedRecord[]; log: string[] }
async function sim(o: Omit<SimulateRunOptions, 'dir'> = {}): Promise<Run> {
  const log: string[] = [];
  const run = await simulateRun({ durationMs: 12_000, ...o, dir: join(root, `run${++n}`), log: (l) => log.push(l) });
  const intake: DecodedRecord[] = [];
  const caps = readdirSync(run.files.wire).filter((f) => INTAKE_CAPTURE.test(f)).sort();
  for (const c of caps) for await (const r of decode([readFileSync(join(run.files.wire, c))], { kind: 'intake', schema: 'auto' })) intake.push({ ...r, segment: caps.indexOf(c) });
  const bpf: DecodedRecord[] = [];
  for await (const r of decode([readFileSync(run.files.bpf)], { kind: 'bpf', schema: o.era === 'otel' ? 'ebpf_net' : 'flowmill' })) bpf.push(r);
  return { run, intake, bpf, log };
}
/** A blob field as raw-codec gives it (a string when valid UTF-8, else { hex }) back as bytes. */
const bytesOf = (v: unknown): number[] => (typeof v === 'string' ? [...new TextEncoder().encode(v)] : v && typeof v === 'object' && 'hex' in v ? [...Buffer.from((v as { hex: string }).hex, 'hex')] : [...(v as Uint8Array)]);
const named = (l: DecodedRecord[], name: string) => l.filter((r) => r.name === name);
const ms = (a: bigint, b: bigint) => Number(a - b) / 1e6;

for (const [compileMs, probeLoadMs] of [[300, 900], [1000, 1500]] as const) {
  const T = compileMs + probeLoadMs;
  test(`heartbeats around a probe load of T = ${T} ms: none during it, heartbeat 1 right after collector_health, heartbeat 2 max(0, 2 s − T) later`, async () => {
    // heartbeat and hold-off timers both start at authentication, 2 s, the hold-off first; compile and load block
    // the loop inside the hold-off callback (kernel_collector.cc@3598385a:271-322, main:252-316); the interval timer
    // re-arms from the loop's cached time (scheduling/interval_scheduler.cc:74-82)
    const { intake } = await sim({ compileMs, probeLoadMs });
    const at = (name: string) => intake.find((r) => r.name === name)!;
    const hb = named(intake, 'heartbeat');
    const auth = at('metadata_complete').timestamp;
    assert.ok(!intake.some((r) => r.name === 'heartbeat' && r.timestamp < at('collector_health').timestamp), 'no heartbeat while the probes load');
    const i = intake.indexOf(at('collector_health'));
    assert.is(intake[i + 1].name, 'heartbeat', 'heartbeat 1 is the record after collector_health');
    assert.ok(Math.abs(ms(hb[0].timestamp, auth) - (2000 + T)) < 5, `heartbeat 1 ${ms(hb[0].timestamp, auth)} ms after authentication`);
    assert.ok(Math.abs(ms(hb[1].timestamp, hb[0].timestamp) - Math.max(0, 2000 - T)) < 5, `gap 1-2: ${ms(hb[1].timestamp, hb[0].timestamp)} ms`);
    for (let k = 2; k < hb.length; k++) assert.ok(Math.abs(ms(hb[k].timestamp, hb[k - 1].timestamp) - 2000) < 1, `gap ${k}-${k + 1}`);
  });
}

test('a skipped heartbeat (fault) leaves one gap of two periods', async () => {
  const { intake } = await sim({ faults: { skipHeartbeat: [3] } });
  const hb = named(intake, 'heartbeat');
  assert.ok(Math.abs(ms(hb[2].timestamp, hb[1].timestamp) - 4000) < 1);
});

test('framing during the probe load: each poll inside load_probes flushes; begin_telemetry and collector_health leave with heartbeat 1', async () => {
  // buf_poller_->start(1, 1) after each prober and probe group (bpf_handler.cc@3598385a:69-316); every poll ends
  // with a flush (buffered_poller.cc@3598385a:225); the markers after the load are flushed by the heartbeat sender
  // (kernel_collector.cc@3598385a:314-321, :581-585)
  const { intake } = await sim();
  const frame = (name: string): number => {
    const f = intake.find((r) => r.name === name)?.frame;
    if (f === undefined) throw new Error(`no frame index for ${name}`);
    return f;
  };
  assert.ok(frame('bpf_compiled') < frame('process_steady_state'));
  assert.ok(frame('process_steady_state') < frame('socket_steady_state'));
  assert.ok(frame('socket_steady_state') < frame('begin_telemetry'));
  assert.is(frame('collector_health'), frame('begin_telemetry'));
  assert.is(named(intake, 'heartbeat')[0].frame, frame('begin_telemetry'), 'heartbeat 1 in the same frame');
});

test('OpenTelemetry era: the existing cgroups are scanned during the load, each existing_cgroup_probe sent as cgroup_create', async () => {
  // cgroup_prober.cc (main) walks the v2 tree and triggers the probe per directory; buffered_poller.cc:111 and
  // 1246-1252 (main) write cgroup_create with the sample's timestamp and fields. Flowmill 3598385a scans only v1
  // (cgroup_prober.cc@3598385a:55-72), nothing on a v2 host.
  const { intake, bpf } = await sim({ era: 'otel' });
  const probes = named(bpf, 'existing_cgroup_probe');
  assert.ok(probes.length > 0);
  const created = named(intake, 'cgroup_create');
  assert.equal(created.map((r) => [r.timestamp, r.data.cgroup, r.data.cgroup_parent]), probes.map((r) => [r.timestamp, r.data.cgroup, r.data.cgroup_parent]));
  const steady = intake.findIndex((r) => r.name === 'process_steady_state');
  assert.ok(created.every((r) => intake.indexOf(r) < steady), 'before process_steady_state');
  const fm = await sim();
  assert.is(named(fm.intake, 'cgroup_create').length, 0);
});

test('DNS on port 53: four dns_packets per lookup, two dns_response per lookup on the responder socket', async () => {
  // only UDP to or from port 53 (render_bpf.c@3598385a:2453-2456); the request key's direction is stored but not
  // compared, so the responder's own send answers both pending requests (dns_requests.cc@3598385a:44-46); the
  // response's own socket is the sk_id (buffered_poller.cc@3598385a:341-349)
  const { intake, bpf, run } = await sim();
  const m = run.manifest;
  assert.ok(m.dns.length > 0 && m.dns.every((d) => d.server.tuple.local.port === 53 && d.visibleToAgent));
  assert.is(named(bpf, 'dns_packet').length, 4 * m.dns.length);
  const resp = named(intake, 'dns_response');
  assert.is(resp.length, 2 * m.dns.length);
  for (const d of m.dns) {
    const mine = resp.filter((r) => r.data.domain_name === d.name);
    assert.is(mine.length, 2, d.name);
    assert.ok(mine.every((r) => bytesOf(r.data.ipv4_addrs).join('.') === d.answers[0].address && r.data.client_server === 1), d.name);
  }
});

test('the process scan sends pid_info for every process existing at start, once per session (a seeded machine in the deterministic mode)', async () => {
  // ProcessProber walks /proc and every thread's task dir (process_prober.cc@3598385a:60-84); onret_get_pid_task
  // submits one pid_info per tgid (render_bpf.c@3598385a:594-624); a new connection builds a new BPF module and
  // walks again (kernel_collector.cc@3598385a:290, bpf_handler.cc@3598385a:80-83)
  const { bpf, run } = await sim({ sessions: 2 });
  const infos = named(bpf, 'pid_info');
  const count = (pid: number) => infos.filter((r) => r.data.pid === pid).length;
  const workload = new Set([run.manifest.workload.pid, ...run.manifest.processes.map((p) => p.pid)]);
  const scanned = [...new Set(infos.map((r) => r.data.pid as number))].filter((p) => !workload.has(p));
  // init and kthreadd exist on every Linux machine, with parent 0
  for (const pid of [1, 2]) {
    assert.is(count(pid), 2, `pid ${pid}: one pid_info per session`);
    assert.ok(infos.filter((r) => r.data.pid === pid).every((r) => r.data.parent_pid === 0), `pid ${pid}'s parent is 0`);
  }
  assert.ok(scanned.length >= 10, `${scanned.length} processes scanned`);
  for (const pid of scanned) assert.is(count(pid), 2, `pid ${pid}: once per session`);
});

test('socket addresses: a closed socket\'s sk is handed to a later socket of the same kind, never while it is open', async () => {
  // The kernel's slab reuses a freed struct sock: the real 6.1 dumps show loopback connections on the same two
  // addresses one after another (bpf/README.md, "Simulator and real kernel"); the agent keys its tables by sk and
  // erases the entry at close (buffered_poller.cc@3598385a:654-684, tcp_socket_table_.erase), so reuse after close is legal.
  const { bpf } = await sim();
  for (const [start, end] of [['new_sock_created', 'close_sock_info'], ['udp_new_socket', 'udp_destroy_socket']] as const) {
    const open = new Set<bigint>();
    let starts = 0;
    const seen = new Set<bigint>();
    for (const r of bpf) {
      const sk = r.data.sk as bigint;
      if (r.name === start) { assert.ok(!open.has(sk), `${start} on ${sk} while it is open`); open.add(sk); seen.add(sk); starts++; }
      else if (r.name === end) open.delete(sk);
    }
    if (start === 'new_sock_created') assert.ok(seen.size < starts / 2, `${starts} TCP sockets on ${seen.size} addresses`);
  }
});

test('BPF events reach the intake within one 100 ms poll; live sockets report socket_stats every slot', async () => {
  // polls every 100 ms (kernel_collector.cc@3598385a:689-704); each drains every sample up to now and flushes
  const { run, intake } = await sim({ durationMs: 30_000 });
  const l = run.stats.latency!;
  assert.ok(l.samples > 100);
  assert.ok(l.p99Ms < 150, `p99 ${l.p99Ms} ms`);
  // the agent's own intake connection (found by the socket scan: reset_tcp_counters -> new_sock_info) is a live
  // socket: its bytes are reported in every 1 s slot they moved (buffered_poller.cc@3598385a:216-222, 837-852)
  const own = named(intake, 'new_sock_info')[0].data.sk;
  const tx = intake.filter((r) => r.name === 'socket_stats' && r.data.sk === own && r.data.is_rx === 0);
  assert.ok(tx.length >= 25, `${tx.length} slots with intake bytes in 30 s`);
});

test('OpenTelemetry era: socket stats every 10 s (--socket-stats-interval-sec default, entrypoint.cc:284)', async () => {
  const { intake } = await sim({ era: 'otel', durationMs: 45_000 });
  // the agent's own connection, a live socket (a closing socket's stats go out with its close, at any time)
  const own = named(intake, 'new_sock_info')[0].data.sk;
  const ts = [...new Set(intake.filter((r) => r.name === 'socket_stats' && r.data.sk === own).map((r) => r.timestamp))];
  assert.ok(ts.length >= 3 && ts.length <= 6, `${ts.length} stats slots in 45 s`);
  for (let k = 1; k < ts.length; k++) assert.ok(ms(ts[k], ts[k - 1]) >= 9_900, `slot gap ${ms(ts[k], ts[k - 1])} ms`);
});

test('OpenTelemetry era: a lost sample sends bpf_lost_samples at once, warns, and restarts the connection', async () => {
  // buffered_poller.cc:159-163, 197-202 and kernel_collector.cc:483-493 (main); the restart waits for the next
  // connection attempt, at least 120 s after the last probe load (enter_try_connecting, kernel_collector.cc:566-583)
  const { intake, log, run } = await sim({ era: 'otel', faults: { loseBpf: [{ name: 'pid_set_comm', nth: [1] }] }, durationMs: 200_000 });
  const lost = named(intake, 'bpf_lost_samples');
  assert.equal(lost.map((r) => r.data.count), [1n]);
  const fault = run.stats.faults.find((f) => f.fault === 'loseBpf')!;
  assert.ok(ms(lost[0].timestamp, BigInt(fault.timestampNs)) <= 100, 'within the poll that read it');
  assert.ok(log.some((l) => / warning .*Lost 1 bpf samples - restarting kernel collector\./.test(l)));
  assert.is(run.stats.sessions, 2);
  const firstLoad = named(intake, 'metadata_complete')[0].timestamp + 2000n * MS; // the hold-off callback starts
  const second = intake.find((r) => r.segment === 1)!;
  assert.ok(ms(second.timestamp, firstLoad) >= 120_000, `reconnected ${ms(second.timestamp, firstLoad)} ms after the probe load`);
});

test('Flowmill era: a lost sample is reported at the next stats slot, without a restart', async () => {
  // send_report_if_recent_loss when the slot turns (buffered_poller.cc@3598385a:208-222)
  const { intake, run } = await sim({ faults: { loseBpf: [{ name: 'pid_set_comm', nth: [1] }] } });
  assert.equal(named(intake, 'bpf_lost_samples').map((r) => r.data.count), [1n]);
  assert.is(run.stats.sessions, 1);
});

test('metadata values: os_version "unknown", kernel_headers_source 0 (Flowmill binary) and 5 (OpenTelemetry libbpf)', async () => {
  // os_version is GCP's image or "unknown" (main.cc@3598385a:658-661; entrypoint.cc:498-501 in main); the Flowmill
  // binary is told its headers source only by --kernel-headers-source (main.cc@3598385a:308-310), default unknown = 0
  // (common/kernel_headers_source.h@3598385a:24); OpenTelemetry always libbpf = 5 (kernel_headers_source.h:18 in main)
  const fm = await sim();
  const os = named(fm.intake, 'os_info')[0].data;
  assert.equal([os.os, os.flavor, os.os_version], [1, 0, 'unknown']);
  assert.is(named(fm.intake, 'kernel_headers_source')[0].data.source, 0);
  const ot = await sim({ era: 'otel' });
  assert.is(named(ot.intake, 'kernel_headers_source')[0].data.source, 5);
  assert.is(named(ot.intake, 'os_info')[0].data.os_version, 'unknown');
});

test('after DISABLE_SEND only the timer polls stop: heartbeats go on, and a ring past its watermark still drains into the dump and the intake', async () => {
  // polling_steady_state and the slow poll return when disabled_ (kernel_collector.cc@3598385a:212-216, 233-237);
  // the heartbeat sender is another timer; the perf container still wakes the poller at the events ring's watermark
  // of 512 pages (probe_handler.cc@3598385a:33-34, 119; buffered_poller.cc@3598385a:158-161 handle_event)
  const { intake, bpf, run } = await sim({ disableSendAtMs: 1000, durationMs: 8000, background: { tcpPerS: 3000, processesPerS: 0 } });
  assert.ok(run.stats.disabled);
  const at = named(intake, 'heartbeat')[0].timestamp + 1000n * MS; // ≈ when the command came
  const after = (l: DecodedRecord[], name: string) => l.filter((r) => r.name === name && r.timestamp > at + 200n * MS).length;
  assert.is(after(intake, 'agent_resource_usage'), 0, 'no slow poll');
  assert.ok(after(intake, 'heartbeat') >= 3, 'heartbeats go on'); // every 2 s for the 6.8 s left
  assert.ok(after(bpf, 'new_sock_created') > 0, 'the ring drained at its watermark');
  assert.ok(after(intake, 'new_sock_info') > 0, 'and its samples were sent');
});

test('DNS answers are counted as the agent\'s reply parser counts them: only the question\'s name and its CNAME chain', () => {
  // dns_parse_a_aaaa_reply walks the answers in order: a CNAME replaces the name looked for, an A/AAAA counts only
  // when its owner is the current name (dns/ares_parse_a_aaaa_reply.c@3598385a:113-155)
  const name = (n: string) => [...n.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]), 0];
  const rr = (owner: string, type: number, data: number[]) => [...name(owner), 0, type, 0, 1, 0, 0, 0, 60, data.length >> 8, data.length & 255, ...data];
  const q = encodeQuery(0x4242, 'www.example.test', 1);
  const resp = Uint8Array.from([
    ...q.subarray(0, 2), 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0, ...q.subarray(12),
    ...rr('www.example.test', 1, [9, 9, 9, 9]), // before the CNAME: the current name, counted
    ...rr('www.example.test', 5, name('edge.example.test')),
    ...rr('other.example.test', 1, [5, 6, 7, 8]), // not in the chain
    ...rr('edge.example.test', 1, [1, 2, 3, 4]),
  ]);
  const user = new SimUserspace(() => true, () => '');
  const sk = 0xffff888100001000n;
  const m = (name: string, ts: bigint, data: Record<string, unknown>, seq: number) => ({ name, ts, data, seq });
  const out = user.poll([
    m('udp_new_socket', 1n, { pid: 7, sk, laddr: new Uint8Array(16), lport: 5353 }, 0),
    m('dns_packet', 2n, { sk, pkt: q, total_len: q.length, is_rx: 0 }, 1),
    m('dns_packet', 3n, { sk, pkt: resp, total_len: resp.length, is_rx: 1 }, 2),
  ], 4n);
  const dns = out.filter((r) => r.name === 'dns_response');
  assert.is(dns.length, 1);
  assert.equal([...(dns[0].data.ipv4_addrs as Uint8Array)], [9, 9, 9, 9, 1, 2, 3, 4]);
});

test.run();
