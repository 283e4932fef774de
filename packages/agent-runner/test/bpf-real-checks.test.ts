// The real-dump checks and the attach summary on small hand-made inputs: each expectation is the rule the agent's
// source states (cited in src/bpf-real/checks.ts), applied to records written here, not taken from a run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRealBpf, summarizeAttach, type AttachReport, type WorkloadManifest } from '../src/index.js';

const probe = (phase: string, fn: string, attached: boolean, alternatives: string | null = null) =>
  ({ phase, kind: 'kprobe' as const, program: `on_${fn}`, function: fn, alternatives, attached, removed_after_walk: false, error: attached ? null : 'No such file or directory' });

function report(over: Partial<AttachReport> = {}): AttachReport {
  return {
    kernel: '6.1.0-50-amd64', status: 'recorded', error: null, probes_attached: 3, probes_failed: 0,
    probes: [probe('cgroup', 'kill_css', false, 'kill_css'), probe('cgroup', 'css_clear_dir', true, 'kill_css'), probe('socket', 'tcp_connect', true), probe('tcp-processor', 'tcp_sendmsg', true)],
    tail_calls: [], walks: { tasks: 2, socket_inodes: 0, inode_update_failures: 0, network_namespaces: 1, proc_net_files: 4, cgroups: 1, conntrack_dump_error: null, existing_tgids: [1, 7] },
    samples: 0, bytes: 0, lost_samples: 0, malformed_samples: 0, arrived_out_of_order: 0, written_out_of_order: 0, cpus: 2, boot_time_adjustment_ns: 0,
    ready_boottime_ns: 9_000_000_000, first_sample_boottime_ns: 8_000_000_000, end_boottime_ns: 20_000_000_000, ...over,
  };
}

const tuple = (local: number, remote: number) => ({ local: { ip: '127.0.0.1', port: local }, remote: { ip: '127.0.0.1', port: remote } });
const manifest = {
  tcp: [{ index: 0, client: { pid: 50, comm: 'node', tuple: tuple(40000, 9000) }, server: { pid: 50, comm: 'node', tuple: tuple(9000, 40000) } }],
  http: [{ index: 0, status: 404, client: { pid: 50, comm: 'node', tuple: tuple(40001, 9100) }, server: { pid: 50, comm: 'node', tuple: tuple(9100, 40001) } }],
  dns: [{ visibleToAgent: true }], processes: [{ pid: 60, comm: 'fm-wl-child' }], servers: { dns: { ip: '127.0.0.1', port: 53 } },
} as unknown as WorkloadManifest;

let t = 1000n;
const rec = (name: string, data: Record<string, unknown>) => ({ name, timestamp: (t += 10n), data });
const comm = (s: string) => [...Buffer.from(s), ...new Array(16 - s.length).fill(0)];
function goodRecords() {
  t = 1000n;
  return [
    rec('pid_info', { pid: 1, comm: comm('init') }), rec('pid_info', { pid: 7, comm: comm('sh') }),
    rec('set_state_ipv4', { dport: 9000, sport: 40000, tx_rx: 1 }), rec('set_state_ipv4', { dport: 40000, sport: 9000, tx_rx: 2 }),
    rec('set_state_ipv4', { dport: 9100, sport: 40001, tx_rx: 1 }), rec('set_state_ipv4', { dport: 40001, sport: 9100, tx_rx: 2 }),
    ...[0, 1, 2, 3].map(() => rec('dns_packet', {})),
    rec('http_response', { code: 404, client_server: 1 }), rec('http_response', { code: 404, client_server: 0 }),
    rec('pid_info', { pid: 60, comm: comm('node') }), rec('pid_set_comm', { pid: 60, comm: comm('fm-wl-child') }), rec('pid_close', { pid: 60, comm: comm('fm-wl-child') }),
  ];
}
const byId = (cs: ReturnType<typeof checkRealBpf>) => Object.fromEntries(cs.map((c) => [c.id, c.ok]));

test('a dump holding everything the source promises passes every check', () => {
  const r = byId(checkRealBpf(goodRecords(), manifest, report(), { byPort: { 9000: 1, 9100: 1 } }));
  assert.equal(r, { 'probes-loaded': true, 'no-lost-samples': true, 'timestamp-order': true, 'tcp-connections': true, 'kernel-view': true, 'dns-packets': true, 'http-responses': true, 'process-events': true, 'existing-pid-info': true });
});

test('each missing piece fails its own check only', () => {
  const drop = (pred: (r: ReturnType<typeof rec>) => boolean) => byId(checkRealBpf(goodRecords().filter((r) => !pred(r)), manifest, report(), { byPort: { 9000: 1, 9100: 1 } }));
  const accepted = drop((r) => r.name === 'set_state_ipv4' && r.data.tx_rx === 2 && r.data.sport === 9000);
  assert.is(accepted['tcp-connections'], false);
  assert.is(accepted['kernel-view'], true, 'the kernel view counts connectors only');
  assert.is(drop((r) => r.name === 'set_state_ipv4' && r.data.tx_rx === 1 && r.data.dport === 9100)['kernel-view'], false);
  assert.is(drop((r) => r.name === 'dns_packet' && r.timestamp % 20n === 0n)['dns-packets'], false, 'fewer than 4 per port-53 lookup');
  assert.is(drop((r) => r.name === 'http_response' && r.data.client_server === 0)['http-responses'], false);
  assert.is(drop((r) => r.name === 'pid_set_comm')['process-events'], false);
  assert.is(drop((r) => r.name === 'pid_info' && r.data.pid === 7)['existing-pid-info'], false);
});

test('records out of timestamp order, lost samples and a failed load are failures', () => {
  const recs = goodRecords();
  [recs[2], recs[3]] = [recs[3], recs[2]];
  assert.is(byId(checkRealBpf(recs, manifest, report()))['timestamp-order'], false);
  assert.is(byId(checkRealBpf(goodRecords(), manifest, report({ lost_samples: 3 })))['no-lost-samples'], false);
  assert.is(byId(checkRealBpf(goodRecords(), manifest, report({ status: 'load failed', probes_attached: 0 })))['probes-loaded'], false);
});

test('the summary names failed probes once per group and the alternatives passed over', () => {
  const s = summarizeAttach(report({ probes: [probe('cgroup', 'kill_css', false, 'kill_css'), probe('cgroup', 'css_clear_dir', true, 'kill_css'), probe('nat', 'nf_ct_delete', false), probe('steady', 'a', false, 'g'), probe('steady', 'b', false, 'g')] }));
  assert.equal(s.failedProbes, ['kprobe nf_ct_delete', 'g: a|b']);
  assert.equal(s.fellBack, ['kill_css [kill_css]']);
  assert.is(s.bootToFirstSampleMs, 8000);
  assert.is(s.bootToReadyMs, 9000);
});

test.run();
