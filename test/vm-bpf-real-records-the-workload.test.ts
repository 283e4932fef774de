// The agent's own BPF programs on a real kernel, with a live userspace: `recipe run --vm --bpf real` builds them from
// the vendored sources with the recorder, boots Debian's 6.1 under qemu, and runs in the guest the simulated agent
// (talking to the fake cloud on this host), bpf-recorder once the agent's session is up, and the workload; the
// agent's userspace half translates the recorder's dump as it grows. The dump is decoded here with raw-codec and held
// against what the BPF source says each workload action must produce (render_bpf.c@68f0c23f, cited per expectation)
// and what the workload measured itself (manifest.json): not against the runner's own checks. Then the checker (its
// own package, run by the recipe) holds the dump against the intake stream and record file the agent sent live.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBytes, loadSchema, type DecodedRecord } from '@flowmill/raw-codec';
import type { WorkloadManifest } from '@flowmill/agent-runner';
import { RUN_FILES } from '@flowmill/agent-runner/run-layout';

const RECIPE = new URL('../packages/recipe/dist/recipe.js', import.meta.url).pathname;
const VENDORED_RENDER = new URL('../packages/agent-runner/bpf/vendor/opentelemetry-network/render/ebpf_net.render', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'bpf-real-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const num = (r: DecodedRecord, f: string) => r.data[f] as number;

test('6.1: every workload connection, DNS lookup, child and pre-existing process is in the real dump', async () => {
  const out = join(root, 'run');
  const run = spawnSync(process.execPath, [RECIPE, 'run', '--vm', '--bpf', 'real', '--kernel', '6.1', '--out', out, '--json', '--duration', '6s'], {
    cwd: root, encoding: 'utf8', timeout: 240_000, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, NO_COLOR: '1', ...(process.env.XDG_CACHE_HOME ? { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME } : {}) },
  });
  const res = JSON.parse(run.stdout || '{}');
  const checks = existsSync(join(out, RUN_FILES.checkJson)) ? JSON.parse(readFileSync(join(out, RUN_FILES.checkJson), 'utf8')) : { checks: [] };
  const failed = (checks.checks as { id: string; status: string; figures?: Record<string, unknown> }[]).filter((c) => c.status === 'fail');
  // every check passes, but health when the kernel itself logged (bpf_log: a real diagnostic of the BPF code, sent on
  // to the intake as the collector does, buffered_poller.cc@68f0c23f:1281-1288): explained by the kernel
  const health = failed.find((c) => c.id === 'health');
  const byKernel = failed.length === 1 && health && Number(health.figures?.bpfLogDump) > 0 && health.figures?.bpfLogIntake === health.figures?.bpfLogDump && Number(health.figures?.lostSamples) === 0 && health.figures?.reconnects === 0;
  assert.ok(run.status === 0 || (run.status === 1 && byKernel), `recipe run --vm --bpf real exit ${run.status}: failed ${failed.map((c) => c.id).join(', ')}\n${run.stderr.split('\n').slice(-25).join('\n')}`);
  assert.is(res.agent?.exit?.code, 241, 'the guest stopped the agent the agent\'s way');
  for (const id of ['startup-order', 'cadence', 'bpf-intake', 'lifecycles', 'workload', 'udp-conservation', 'dns-port', 'taps-agree', 'wire-frames']) {
    assert.is(checks.checks.find((c: { id: string }) => c.id === id)?.status, 'pass', `checker ${id} on the live session over the real stream`);
  }
  const report = JSON.parse(readFileSync(join(out, RUN_FILES.bpfAttach), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(out, RUN_FILES.manifest), 'utf8')) as WorkloadManifest;
  assert.match(report.kernel, /^6\.1\./, 'the guest ran Debian 6.1');
  assert.is(report.lost_samples, 0);
  // the collector's probes that exist on every kernel since 4.x attach: none of the socket ones may fail
  const socket = report.probes.filter((p: { phase: string }) => p.phase === 'socket');
  assert.ok(socket.length >= 16 && socket.every((p: { attached: boolean }) => p.attached), 'every SocketProber probe attached (socket_prober.cc@68f0c23f:26-55)');

  const records = decodeBytes(new Uint8Array(readFileSync(join(out, RUN_FILES.bpf))), { kind: 'bpf', schema: await loadSchema(VENDORED_RENDER) });
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
  assert.ok(manifest.tcp.length >= 3);

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
  assert.ok(manifest.processes.length >= 2);
  for (const p of manifest.processes) {
    for (const n of ['pid_info', 'pid_set_comm', 'pid_close']) assert.ok(records.some((r) => r.name === n && num(r, 'pid') === p.pid), `${n} for child ${p.pid}`);
  }
  // every process that existed before the probes: one pid_info per tgid from the get_pid_task walk (render_bpf.c@68f0c23f:494-525)
  const info = new Set(records.filter((r) => r.name === 'pid_info').map((r) => num(r, 'pid')));
  assert.ok(report.walks.existing_tgids.length > 10, 'the walk saw the guest\'s processes');
  for (const t of report.walks.existing_tgids) assert.ok(info.has(t), `pid_info for existing tgid ${t}`);
  assert.ok(info.has(1), 'init among them');

});

test.run();
