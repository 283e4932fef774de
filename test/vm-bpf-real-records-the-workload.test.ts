// The agent's own BPF programs on a real kernel: `agent-runner bpf-real --kernel 6.1` builds them from the vendored
// sources with the recorder, boots Debian's 6.1 under qemu, runs the workload beside bpf-recorder, and leaves the dump,
// the attach report and the manifest in the run directory. The dump is decoded here with raw-codec and held against
// what the BPF source says each workload action must produce (render_bpf.c@68f0c23f, cited per expectation) and what
// the workload measured itself (manifest.json): not against the runner's own checks. Then the checker (its own package)
// holds the dump against the intake.record the simulated agent's userspace half derived from it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBytes, loadSchema, type DecodedRecord } from '@flowmill/raw-codec';
import type { WorkloadManifest } from '@flowmill/agent-runner';
import { RUN_FILES } from '@flowmill/agent-runner/run-layout';
import { inputsFromRunDir, runChecks } from '@flowmill/checker';

const RUNNER = new URL('../packages/agent-runner/dist/agent-runner.js', import.meta.url).pathname;
const VENDORED_RENDER = new URL('../packages/agent-runner/bpf/vendor/opentelemetry-network/render/ebpf_net.render', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'bpf-real-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const num = (r: DecodedRecord, f: string) => r.data[f] as number;

test('6.1: every workload connection, DNS lookup, child and pre-existing process is in the real dump', async () => {
  const run = spawnSync(process.execPath, [RUNNER, 'bpf-real', '--kernel', '6.1', '--run-dir', root, '--json', '--workload-arg=--tcp=3', '--workload-arg=--processes=2'], { encoding: 'utf8', timeout: 240_000 });
  assert.is(run.status, 0, `agent-runner bpf-real exit ${run.status}:\n${run.stderr.split('\n').slice(-25).join('\n')}`);
  const report = JSON.parse(readFileSync(join(root, RUN_FILES.bpfAttach), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(root, RUN_FILES.manifest), 'utf8')) as WorkloadManifest;
  assert.match(report.kernel, /^6\.1\./, 'the guest ran Debian 6.1');
  assert.is(report.lost_samples, 0);
  // the collector's probes that exist on every kernel since 4.x attach: none of the socket ones may fail
  const socket = report.probes.filter((p: { phase: string }) => p.phase === 'socket');
  assert.ok(socket.length >= 16 && socket.every((p: { attached: boolean }) => p.attached), 'every SocketProber probe attached (socket_prober.cc@68f0c23f:26-55)');

  const records = decodeBytes(new Uint8Array(readFileSync(join(root, RUN_FILES.bpf))), { kind: 'bpf', schema: await loadSchema(VENDORED_RENDER) });
  assert.is(records.length, report.samples, 'the dump decodes to the last byte, one record per sample');
  for (let i = 1; i < records.length; i++) assert.ok(records[i].timestamp >= records[i - 1].timestamp, `record ${i} in timestamp order (perf_reader.cc@68f0c23f:150-171)`);

  // TCP: tcp_connect reports the connector (tx_rx 1, dport = server) and the accept the listener's socket (tx_rx 2,
  // sport = server, dport = the client's port): render_bpf.c@68f0c23f:733-751, 1108-1118
  const states = records.filter((r) => r.name === 'set_state_ipv4');
  for (const c of [...manifest.tcp, ...manifest.http]) {
    const server = c.client.tuple.remote.port;
    const client = c.client.tuple.local.port;
    assert.ok(states.some((r) => num(r, 'tx_rx') === 1 && num(r, 'dport') === server && num(r, 'sport') === client), `connector ${client} -> ${server}`);
    assert.ok(states.some((r) => num(r, 'tx_rx') === 2 && num(r, 'sport') === server && num(r, 'dport') === client), `accepted ${server} <- ${client}`);
  }
  assert.is(manifest.tcp.length, 3);

  // DNS on port 53 only (render_bpf.c@68f0c23f:2266): the workload's responder listens on 53 in the guest
  assert.is(manifest.servers.dns.port, 53);
  assert.ok(records.filter((r) => r.name === 'dns_packet').length >= 4 * manifest.dns.length, 'sent and received by client and responder');

  // HTTP, on by default in the collector (entrypoint.cc@68f0c23f:308-309, 401): the tcp-processor reports each
  // response on the client's and the server's socket with its status (bpf_http_protocol.h@68f0c23f:188)
  const codes = (cs: number) => records.filter((r) => r.name === 'http_response' && num(r, 'client_server') === cs).map((r) => num(r, 'code')).sort();
  const statuses = manifest.http.map((h) => h.status).sort();
  assert.ok(statuses.length > 0);
  assert.equal(codes(0), statuses, 'client side');
  assert.equal(codes(1), statuses, 'server side');

  // children: pid_info at wake_up_new_task (render_bpf.c@68f0c23f:460-487), pid_set_comm at exec (:430-453), pid_close (:405-425)
  assert.is(manifest.processes.length, 2);
  for (const p of manifest.processes) {
    for (const n of ['pid_info', 'pid_set_comm', 'pid_close']) assert.ok(records.some((r) => r.name === n && num(r, 'pid') === p.pid), `${n} for child ${p.pid}`);
  }
  // every process that existed before the probes: one pid_info per tgid from the get_pid_task walk (render_bpf.c@68f0c23f:494-525)
  const info = new Set(records.filter((r) => r.name === 'pid_info').map((r) => num(r, 'pid')));
  assert.ok(report.walks.existing_tgids.length > 10, 'the walk saw the guest\'s processes');
  for (const t of report.walks.existing_tgids) assert.ok(info.has(t), `pid_info for existing tgid ${t}`);
  assert.ok(info.has(1), 'init among them');

  // the simulated agent's userspace half on these records (intake.record): the checker's BPF→intake checks hold
  const checked = await runChecks(inputsFromRunDir(root), { only: ['decode', 'bpf-intake', 'lifecycles', 'workload', 'udp-conservation', 'dns-port'] });
  for (const c of checked.checks.filter((x) => x.status !== 'not-run')) assert.is(c.status, 'pass', `checker ${c.id}: ${JSON.stringify(c).slice(0, 300)}`);
  assert.is(checked.summary.pass, 6);
});

test.run();
