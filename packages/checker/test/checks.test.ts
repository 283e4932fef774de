import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intakeCaptureName } from '@flowmill/agent-runner/run-layout';
import { decode } from '@flowmill/raw-codec';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SimEdit } from '@flowmill/agent-runner';
import { check, checkAll, cleanup, change, drop, dup, all, evidenceText, simRun, statuses } from './helpers.js';

test.after(cleanup);

for (const era of ['flowmill', 'otel'] as const) {
  test(`a clean simulated run (${era} era) passes every check; upstream-thresholds is not run without its preset`, async () => {
    const r = await checkAll(await simRun({ era }));
    const s = statuses(r);
    // Nothing for these to check in a clean run: no preset, no DISABLE_SEND from the sink; the OTel era has no authz.
    const idle = ['upstream-thresholds', 'disable-send', ...(era === 'otel' ? ['authz'] : [])];
    for (const [id, st] of Object.entries(s)) assert.is(st, idle.includes(id) ? 'not-run' : 'pass', `${id}: ${check(r, id).reason} ${evidenceText(check(r, id)).slice(0, 400)}`);
    assert.ok(r.ok);
    assert.is(check(r, 'upstream-thresholds').reason, 'only with --preset upstream');
    const bi = check(r, 'bpf-intake').figures as Record<string, number>;
    assert.is(bi.intakeOrphans, 0);
    assert.is(bi.bpfOrphans, 0);
    assert.ok(bi.matched > 100);
    // The agent's poll is 100 ms and flushes at its end (kernel_collector.cc@3598385a:689-704, buffered_poller.cc@3598385a:225):
    // the report leads with the in-frame lower bound, under 150 ms, and names the loose upper bound beside it.
    const l = r.figures.latency!;
    assert.is(l.bound, 'lower');
    assert.ok(l.lowerP99Ms! < 150 && l.lowerP99Ms! <= l.upperP99Ms!, JSON.stringify(l));
    assert.match(check(r, 'bpf-intake').reason!, /^BPF→intake latency p99 ≥ [\d.]+ ms \(to its own frame's latest timestamp\), ≤ [\d.]+ ms \(to the next agent-stamped record\)$/);
    // agent_resource_usage comes with every slow poll, a 1 s timer (kernel_collector.cc@3598385a:233-243, :689-704)
    assert.is((check(r, 'cadence').figures as { resourceUsageMedianGapMs: number }).resourceUsageMedianGapMs, 1000);
    // The dump has no version_info: it is read with the schema the intake's first records name.
    const bpf = r.inputs.find((i) => i.kind === 'bpf')!;
    assert.equal([bpf.schema, bpf.schemaConfidence], [era === 'flowmill' ? 'flowmill' : 'ebpf_net', 'from the intake']);
  });
}

test('decode: an unknown rpc id appended to the BPF dump fails decode, and the checks that need the dump are not run', async () => {
  const f = await simRun({ wire: 'file' });
  // 8-byte timestamp + rpc 0x7777 (not an agent_internal id) + 14 more bytes.
  appendFileSync(f.bpf, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0x77, 0x77, ...new Array(14).fill(0)]));
  const r = await checkAll(f);
  const d = check(r, 'decode');
  assert.is(d.status, 'fail');
  assert.match(d.reason!, /^bpf: /);
  const size = readFileSync(f.bpf).length;
  assert.is((d.evidence![0] as { offset: number }).offset, size - 24, 'the error names the offset of the bad record');
  assert.is(check(r, 'bpf-intake').status, 'not-run');
  assert.match(check(r, 'bpf-intake').reason!, /bpf recording did not decode/);
  assert.is(check(r, 'startup-order').status, 'pass', 'checks on other inputs still run');
  assert.not.ok(r.ok);
});

test('decode: a manifest that is not JSON and a bad authz log line fail decode', async () => {
  const f = await simRun({ wire: 'file' });
  writeFileSync(f.manifest, '{"tcp": [');
  appendFileSync(f.authzLog, 'not json\n');
  const r = await checkAll(f);
  const d = check(r, 'decode');
  assert.is(d.status, 'fail');
  assert.match(d.reason!, /manifest/);
  assert.match(d.reason!, /authzLog: 1 bad line/);
  assert.is(check(r, 'workload').status, 'not-run');
});

test('decode: a record cut off at the end is tolerated by default and fails with allowTruncatedTail false', async () => {
  const f = await simRun({ wire: 'file' });
  const rec = readFileSync(f.record);
  writeFileSync(f.record, rec.subarray(0, rec.length - 3));
  const r1 = await checkAll(f, { only: ['decode'] });
  assert.is(check(r1, 'decode').status, 'pass');
  assert.match(check(r1, 'decode').reason!, /cut-off record/);
  const r2 = await checkAll(f, { only: ['decode'], config: { decode: { allowTruncatedTail: false } } });
  assert.is(check(r2, 'decode').status, 'fail');
  assert.match(evidenceText(check(r2, 'decode')), /ERR_TRUNCATED/);
});

test('decode: a wire capture cut inside its last LZ4 frame is a tolerated tail for decode, but the taps then differ', async () => {
  const f = await simRun({ wire: 'file' });
  const w = readFileSync(f.wire);
  writeFileSync(f.wire, w.subarray(0, w.length - 5));
  const r = await checkAll(f, { only: ['decode', 'taps-agree'] });
  assert.is(check(r, 'decode').status, 'pass');
  assert.match(check(r, 'decode').reason!, /wire ends in a cut-off record/);
  assert.is(check(r, 'taps-agree').status, 'fail');
});

test("decode: a tls-sink out dir whose connections.jsonl disagrees with its capture files fails", async () => {
  const f = await simRun();
  const idx = join(f.wire, (await import('@flowmill/agent-runner/run-layout')).INTAKE_INDEX);
  const ok = await checkAll(f, { only: ['decode'] });
  assert.is(check(ok, 'decode').status, 'pass', check(ok, 'decode').reason);
  const line = JSON.parse(readFileSync(idx, 'utf8').trim());
  writeFileSync(idx, JSON.stringify({ ...line, bytes: line.bytes + 100 }) + '\n');
  const r = await checkAll(f, { only: ['decode'] });
  assert.is(check(r, 'decode').status, 'fail');
  assert.match(evidenceText(check(r, 'decode')), /the sink counted \d+ bytes, the file has \d+/);
});

test('decode: an appended capture whose first connection was cut inside an LZ4 frame goes on with the next one (tolerated, named)', async () => {
  const f = await simRun({ sessions: 2 });
  const c1 = readFileSync(join(f.wire, intakeCaptureName(1))), c2 = readFileSync(join(f.wire, intakeCaptureName(2)));
  const joined = `${f.dir}/appended.raw`;
  writeFileSync(joined, Buffer.concat([c1.subarray(0, c1.length - 5), c2]));
  const { runChecks } = await import('../src/index.js');
  const r = await runChecks({ wire: joined }, { only: ['decode', 'startup-order'] });
  assert.is(check(r, 'decode').status, 'pass', check(r, 'decode').reason);
  assert.match(check(r, 'decode').reason!, /wire: 1 connection\(s\) cut off \(tolerated\)/);
  assert.is(r.inputs[0].segments, 2, 'both sessions decoded');
  const strict = await runChecks({ wire: joined }, { only: ['decode'], config: { decode: { allowTruncatedTail: false } } });
  assert.is(check(strict, 'decode').status, 'fail');
});

test('startup-order: an empty intake capture has no session to check, which is a failure, not a pass', async () => {
  const f = await simRun({ wire: 'file' });
  writeFileSync(f.wire, '');
  const r = await (await import('../src/index.js')).runChecks({ wire: f.wire });
  assert.is(check(r, 'startup-order').status, 'fail');
  assert.is(check(r, 'startup-order').reason, 'the intake holds no record: no session to check');
  assert.not.ok(r.ok);
});

test('decode: a manifest alone is read and passes; everything else is not run', async () => {
  const f = await simRun({ wire: 'file' });
  const r = await (await import('../src/index.js')).runChecks({ manifest: f.manifest });
  assert.is(check(r, 'decode').status, 'pass');
  assert.is(check(r, 'dns-port').status, 'pass'); // the manifest's visible lookups are served on port 53
  assert.is(r.summary.notRun, r.summary.total - 2);
});

test('startup-order: a missing metadata_complete, markers out of order and a repeated marker each fail', async () => {
  const r1 = await checkAll(await simRun({ edit: drop('intake', 'metadata_complete') }), { only: ['startup-order'] });
  assert.is(check(r1, 'startup-order').status, 'fail');
  assert.match(evidenceText(check(r1, 'startup-order')), /never sent metadata_complete/);

  // begin_telemetry moved before socket_steady_state (same session, earlier in the stream).
  const swap = (r: { name: string; ts: bigint; data: Record<string, unknown> }, w: { stream: string }) =>
    w.stream === 'intake' && r.name === 'socket_steady_state' ? [{ ...r, name: 'begin_telemetry', data: {} }, r] : w.stream === 'intake' && r.name === 'begin_telemetry' ? [] : [r];
  const r2 = await checkAll(await simRun({ edit: swap }), { only: ['startup-order'] });
  assert.match(evidenceText(check(r2, 'startup-order')), /begin_telemetry before socket_steady_state/);

  const r3 = await checkAll(await simRun({ edit: dup('intake', 'bpf_compiled') }), { only: ['startup-order'] });
  assert.match(evidenceText(check(r3, 'startup-order')), /bpf_compiled appears more than once/);
});

test('startup-order: each session of a reconnected run is checked on its own', async () => {
  const r = await checkAll(await simRun({ sessions: 2, edit: drop('intake', 'collector_health', 2) }), { only: ['startup-order'] });
  const c = check(r, 'startup-order');
  assert.is(c.status, 'fail');
  assert.is((c.figures as { sessions: number }).sessions, 2);
  assert.match(evidenceText(c), /session 1 never sent collector_health/);
  assert.not.match(evidenceText(c), /session 0 never sent/);
});

test('taps-agree: a record missing from the record file fails, naming the offset and the record there', async () => {
  const f = await simRun({ wire: 'file' });
  // cut the 2nd pid_set_comm out of the record file only (the wire keeps it)
  const rec = readFileSync(f.record);
  const found: { offset: number; size: number }[] = [];
  let prev: { name: string; offset: number } | undefined;
  for await (const r of decode([rec], { kind: 'record', schema: 'auto' })) {
    if (prev?.name === 'pid_set_comm') found.push({ offset: prev.offset, size: r.offset - prev.offset });
    prev = { name: r.name, offset: r.offset };
  }
  assert.ok(found.length >= 2, 'two pid_set_comm followed by another record');
  const cut = found[1];
  writeFileSync(f.record, Buffer.concat([rec.subarray(0, cut.offset), rec.subarray(cut.offset + cut.size)]));
  const r = await checkAll(f, { only: ['taps-agree'] });
  const c = check(r, 'taps-agree');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /differ at plaintext byte \d+ \(session 0/);
  // What the record file has at the difference is the record after the dropped one, which the wire still has.
  const ev = c.evidence as { name?: string }[];
  assert.ok(ev.some((e) => e.name !== undefined), 'evidence names the record');
});

test('taps-agree: a clean reconnected run written as a tls-sink out dir passes; the wire plaintext per session is reported', async () => {
  const f = await simRun({ sessions: 2 });
  const r = await checkAll(f, { only: ['taps-agree', 'decode'] });
  assert.is(check(r, 'taps-agree').status, 'pass', check(r, 'taps-agree').reason);
  const fig = check(r, 'taps-agree').figures as { sessions: number; wirePlaintextBytes: number; recordBytes: number };
  assert.is(fig.sessions, 2);
  assert.is(fig.wirePlaintextBytes, readFileSync(f.record).length);
});

test('bpf-intake: a dropped intake record, an extra one, a changed field and an early derived record each fail', async () => {
  const r1 = await checkAll(await simRun({ edit: drop('intake', 'pid_set_comm', 3) }), { only: ['bpf-intake'] });
  const c1 = check(r1, 'bpf-intake');
  assert.is(c1.status, 'fail');
  assert.match(c1.reason!, /1 BPF sample missing from the intake/);
  assert.match(evidenceText(c1), /pid_set_comm never reached the intake/);

  const r2 = await checkAll(await simRun({ edit: drop('bpf', 'http_response', 2) }), { only: ['bpf-intake'] });
  assert.match(check(r2, 'bpf-intake').reason!, /1 intake record without a BPF source/);

  const r3 = await checkAll(await simRun({ edit: change('intake', 'pid_info_create', 2, (r) => ({ ...r, data: { ...r.data, parent_pid: 1 } })) }), { only: ['bpf-intake'] });
  assert.match(check(r3, 'bpf-intake').reason!, /1 field mismatch/);
  assert.match(evidenceText(check(r3, 'bpf-intake')), /fields differ from its BPF sample \(pid_info\)/);

  const r4 = await checkAll(await simRun({ edit: change('intake', 'tracked_process_start', 1, (r) => ({ ...r, ts: r.ts - 5_000_000_000n })) }), { only: ['bpf-intake'] });
  assert.match(check(r4, 'bpf-intake').reason!, /1 derived record before their source/);
});

test('bpf-intake: socket_stats totals that differ from the rtt_estimator deltas fail TCP conservation', async () => {
  // Every rtt_estimator of the first connecting socket (set_state_ipv4 tx_rx=1) claims 100 more bytes acked: the
  // deltas then sum to 100 more than the socket_stats the intake reported. Only that lifetime: its sk is reused later.
  let client: bigint | undefined, closed = false;
  const more: SimEdit = (x, w) => {
    if (w.stream !== 'bpf' || closed) return [x];
    if (x.name === 'set_state_ipv4' && x.data.tx_rx === 1 && client === undefined) client = x.data.sk as bigint;
    if (x.name === 'close_sock_info' && x.data.sk === client) closed = true;
    return x.name === 'rtt_estimator' && x.data.sk === client ? [{ ...x, data: { ...x.data, bytes_acked: (x.data.bytes_acked as bigint) + 100n } }] : [x];
  };
  const r = await checkAll(await simRun({ edit: more }), { only: ['bpf-intake'] });
  const c = check(r, 'bpf-intake');
  assert.match(c.reason!, /1 TCP lifetime whose socket_stats totals differ from the BPF deltas/);
  const e = (c.evidence as { note: string; intake: { txBytes: string }; bpf: { txBytes: string } }[]).find((x) => /conservation/.test(x.note))!;
  assert.is(BigInt(e.bpf.txBytes) - BigInt(e.intake.txBytes), 100n);
  const clean = await checkAll(await simRun({ wire: 'file' }), { only: ['bpf-intake'] });
  // every workload TCP and HTTP exchange is two lifetimes (the default profile: 8 + 6), plus the listeners
  assert.ok((check(clean, 'bpf-intake').figures as { tcpLifetimesConserved: number }).tcpLifetimesConserved >= 2 * (8 + 6));
});

test('bpf-intake: an sk_id that is not what the LIFO pool would hand out is a field mismatch', async () => {
  const r = await checkAll(await simRun({ edit: change('intake', 'udp_new_socket', 3, (x) => ({ ...x, data: { ...x.data, sk_id: 999 } })) }), { only: ['bpf-intake'] });
  const c = check(r, 'bpf-intake');
  assert.match(c.reason!, /1 field mismatch/);
  const e = (c.evidence as { note: string; intake: { sk_id: string }; bpf: { fields: { sk_id: string } } }[]).find((x) => /udp_new_socket fields differ/.test(x.note))!;
  assert.is(e.intake.sk_id, '999');
  assert.not.equal(e.bpf.fields.sk_id, '999');
});

test('bpf-intake: the DNS matcher predicts dns_response from the dump; a missing or altered one fails', async () => {
  const f = await simRun({ wire: 'file' });
  const clean = await checkAll(f, { only: ['bpf-intake'] });
  const fig = check(clean, 'bpf-intake').figures as { dnsResponsesPredicted: number };
  // Two per lookup: the on-host responder's send matches both pending requests, the client's and its own receive,
  // because the request key's direction is stored but not compared (dns_requests.cc@3598385a:44-46, checker-facts Q1).
  const lookups = JSON.parse(readFileSync(f.manifest, 'utf8')).dns.length;
  assert.ok(lookups > 0);
  assert.is(fig.dnsResponsesPredicted, 2 * lookups);
  const r1 = await checkAll(await simRun({ edit: drop('intake', 'dns_response', 3) }), { only: ['bpf-intake'] });
  assert.match(evidenceText(check(r1, 'bpf-intake')), /dns_response never reached the intake/);
  const r2 = await checkAll(await simRun({ edit: change('intake', 'dns_response', 2, (x) => ({ ...x, data: { ...x.data, latency_ns: 1n } })) }), { only: ['bpf-intake'] });
  assert.match(evidenceText(check(r2, 'bpf-intake')), /dns_response fields differ/);
});

test('bpf-intake: a request whose answer never came times out at its socket destroy (predicted dns_timeout)', async () => {
  // Drop both response packets of the first lookup (the responder's send and the client's receive: either would
  // answer, direction is ignored) from the dump: the two requests stay pending until their sockets are destroyed,
  // so the checker expects two dns_timeouts there, and the intake's dns_responses have no source.
  const r = await checkAll(await simRun({ edit: all(drop('bpf', 'dns_packet', 3), drop('bpf', 'dns_packet', 4)) }), { only: ['bpf-intake'] });
  const c = check(r, 'bpf-intake');
  assert.is((c.figures as { dnsTimeoutsPredicted: number }).dnsTimeoutsPredicted, 2);
  assert.match(evidenceText(c), /dns_timeout never reached the intake/);
  assert.match(evidenceText(c), /dns_response with no BPF sample/);
});

test('bpf-intake: a reused dump (opened in append mode, §0) with an earlier run in front still passes; those samples are outside every session', async () => {
  const earlier = await simRun({ seed: 2, startNs: BigInt(Date.UTC(2026, 10, 25, 6, 0, 0)) * 1_000_000n });
  const f = await simRun({ wire: 'file' });
  writeFileSync(f.bpf, Buffer.concat([readFileSync(earlier.bpf), readFileSync(f.bpf)]));
  const r = await checkAll(f, { only: ['bpf-intake', 'lifecycles'] });
  assert.is(check(r, 'bpf-intake').status, 'pass', evidenceText(check(r, 'bpf-intake')).slice(0, 400));
  assert.is(check(r, 'lifecycles').status, 'pass', evidenceText(check(r, 'lifecycles')).slice(0, 400));
  const fig = check(r, 'bpf-intake').figures as { bpfOutsideSessions: number; matched: number };
  assert.ok(fig.bpfOutsideSessions > 100, `${fig.bpfOutsideSessions} samples of the earlier run`);
});

test('bpf-intake: the latency histogram counts every matched sample', async () => {
  const r = await checkAll(await simRun({ wire: 'file' }), { only: ['bpf-intake'] });
  const l = r.figures.latency!;
  assert.is(l.counts.reduce((a, b) => a + b, 0), l.samples);
  assert.is(l.samples, (check(r, 'bpf-intake').figures as { matched: number }).matched);
  assert.is(l.counts.length, l.boundsMs.length + 1);
});

test('lifecycles: a double close, a use before start and a duplicate process start fail', async () => {
  const r1 = await checkAll(await simRun({ edit: dup('intake', 'close_sock_info', 4) }), { only: ['lifecycles'] });
  assert.match(evidenceText(check(r1, 'lifecycles')), /closed twice/);

  const r2 = await checkAll(await simRun({ edit: drop('intake', 'udp_new_socket', 1) }), { only: ['lifecycles'] });
  assert.match(evidenceText(check(r2, 'lifecycles')), /: udp \d+ used (before its start|after its end)/);

  const r3 = await checkAll(await simRun({ edit: dup('intake', 'pid_info_create', 1) }), { only: ['lifecycles'] });
  assert.match(evidenceText(check(r3, 'lifecycles')), /process \d+ started twice/);

  const r5 = await checkAll(await simRun({ edit: drop('bpf', 'udp_new_socket', 1) }), { only: ['lifecycles'] });
  assert.match(evidenceText(check(r5, 'lifecycles')), /udp_stats: bpfUdp \d+ used before its start/);

  const r4 = await checkAll(await simRun({ edit: change('bpf', 'rtt_estimator', 3, (r) => ({ ...r, data: { ...r.data, sk: 0xdeadn } })) }), { only: ['lifecycles'] });
  assert.match(evidenceText(check(r4, 'lifecycles')), /rtt_estimator: bpfTcp 57005 used before its start/);
});

test('lifecycles: pid_set_comm before pid_info_create is a scan race while the process scan runs, a failure after it', async () => {
  const comm = [98, 97, 115, 104, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const after = (marker: string) => (r: { name: string; ts: bigint; data: Record<string, unknown> }, w: { stream: string }) =>
    w.stream === 'intake' && r.name === marker ? [r, { name: 'pid_set_comm', ts: r.ts, data: { pid: 777, comm } }] : [r];
  const during = await checkAll(await simRun({ edit: after('system_wide_process_settings') }), { only: ['lifecycles'] });
  assert.is(check(during, 'lifecycles').status, 'pass');
  assert.is((check(during, 'lifecycles').figures as Record<string, number>).processUsesDuringScan, 1);
  const later = await checkAll(await simRun({ edit: after('begin_telemetry') }), { only: ['lifecycles'] });
  assert.match(evidenceText(check(later, 'lifecycles')), /pid_set_comm: process 777 used before its start/);
});

for (const era of ['flowmill', 'otel'] as const) {
  test(`lifecycles: a reconnected run (${era} era) restarts the BPF trackers: the new session's scan sends pid_info again for every task`, async () => {
    // Each connection builds a new BPF module (kernel_collector.cc@3598385a:290; the old one goes on close, :245-247,
    // :536-539) and re-runs the /proc walk (bpf_handler.cc@3598385a:80-83, process_prober.cc@3598385a:46-51) while the
    // dump file stays open (kernel_collector.cc@3598385a:137-147): the dump holds a second pid_info per task, no pid_close.
    const r = await checkAll(await simRun({ era, sessions: 2 }), { only: ['lifecycles'] });
    const c = check(r, 'lifecycles'), fig = c.figures as Record<string, number>;
    assert.is(c.status, 'pass', `${c.reason} ${evidenceText(c).slice(0, 400)}`);
    assert.is(fig.bpfRestarts, 1);
    // Within one session a second pid_info without a pid_close is still a finding.
    const twice = await checkAll(await simRun({ era, sessions: 2, edit: dup('bpf', 'pid_info', 1) }), { only: ['lifecycles'] });
    assert.match(evidenceText(check(twice, 'lifecycles')), /pid_info: bpfProcess \d+ started twice without an end/);
  });
}

test('workload: wrong byte totals, a missing http_response and a missing child process fail', async () => {
  // the first connecting socket's tx socket_stats says 4000 bytes where the client sent 4096 (that lifetime only)
  let client: bigint | undefined, closed = false;
  const wrong: SimEdit = (x, w) => {
    if (w.stream !== 'intake' || closed) return [x];
    if (x.name === 'set_state_ipv4' && x.data.tx_rx === 1 && client === undefined) client = x.data.sk as bigint;
    if (x.name === 'close_sock_info' && x.data.sk === client) closed = true;
    return x.name === 'socket_stats' && x.data.sk === client && x.data.is_rx === 0 ? [{ ...x, data: { ...x.data, diff_bytes: 4000n } }] : [x];
  };
  const r1 = await checkAll(await simRun({ edit: wrong }), { only: ['workload'] });
  const c1 = check(r1, 'workload');
  assert.is(c1.status, 'fail');
  assert.match(evidenceText(c1), /client tx bytes 4000, want 4096\.\.4097/);

  const r2 = await checkAll(await simRun({ edit: all(drop('intake', 'http_response', 1)) }), { only: ['workload'] });
  assert.match(evidenceText(check(r2, 'workload')), /server side: 0 http_response cs=1, want 1 with code 200/);

  const f = await simRun({ wire: 'file' });
  const m = JSON.parse(readFileSync(f.manifest, 'utf8'));
  m.processes.push({ ...m.processes[0], index: m.processes.length, pid: 99999 });
  writeFileSync(f.manifest, JSON.stringify(m));
  const r3 = await checkAll(f, { only: ['workload'] });
  assert.match(evidenceText(check(r3, 'workload')), /no pid_info_create for pid 99999/);
});

test('cadence: a skipped heartbeat after begin_telemetry fails with the gap', async () => {
  const r = await checkAll(await simRun({ edit: drop('intake', 'heartbeat', 4) }), { only: ['cadence'] });
  const c = check(r, 'cadence');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /1 heartbeat gap out of tolerance/);
  const gap = (c.evidence![0] as { gapMs: number }).gapMs;
  assert.ok(gap > 3800 && gap < 4200, `gap ${gap}`);
});

test('health: lost samples, bpf_log, an error log and a reconnect each fail; a warning does not', async () => {
  const at = (name: string, data: Record<string, unknown>) => (r: { name: string; ts: bigint; data: Record<string, unknown> }, w: { stream: string; nth: number }) =>
    w.stream === 'intake' && r.name === 'agent_resource_usage' && w.nth === 3 ? [r, { name, ts: r.ts, data }] : [r];
  const lost = await checkAll(await simRun({ edit: at('bpf_lost_samples', { count: 7 }) }), { only: ['health'] });
  assert.match(check(lost, 'health').reason!, /7 perf samples lost/);
  const log = await checkAll(await simRun({ edit: at('bpf_log', { filename: 'x.c', line: 1, code: 2, arg0: 0, arg1: 0, arg2: 0 }) }), { only: ['health'] });
  assert.match(check(log, 'health').reason!, /1 bpf_log in the intake/);
  const err = await checkAll(await simRun({ edit: at('log_message', { log_level: 4, message: 'boom' }) }), { only: ['health'] });
  assert.match(check(err, 'health').reason!, /1 error-level log_message/);
  assert.match(evidenceText(check(err, 'health')), /boom/);
  const warn = await checkAll(await simRun({ edit: at('log_message', { log_level: 3, message: 'meh' }) }), { only: ['health'] });
  assert.is(check(warn, 'health').status, 'pass');
  const rc = await checkAll(await simRun({ sessions: 2 }), { only: ['health'] });
  assert.match(check(rc, 'health').reason!, /1 reconnect/);
  const rcOk = await checkAll(await simRun({ sessions: 2 }), { only: ['health'], config: { health: { maxReconnects: 1 } } });
  assert.is(check(rcOk, 'health').status, 'pass');
});

test('authz: a token mock-authz never issued and an expired token fail', async () => {
  const r1 = await checkAll(await simRun({ edit: change('intake', 'authz_authenticate', 1, (r) => ({ ...r, data: { ...r.data, token: 'forged' } })) }), { only: ['authz'] });
  assert.is(check(r1, 'authz').status, 'fail');
  assert.match(evidenceText(check(r1, 'authz')), /never issued/);
  const f = await simRun({ wire: 'file' });
  const e = JSON.parse(readFileSync(f.authzLog, 'utf8').trim());
  e.expirationS = String(Number(e.issuedAtS) - 60);
  writeFileSync(f.authzLog, JSON.stringify(e) + '\n');
  const r2 = await checkAll(f, { only: ['authz'] });
  assert.match(evidenceText(check(r2, 'authz')), /expired/);
});

test('upstream preset: a short run misses the kernel_collector_test.cc counts; a bigger one meets them', async () => {
  // the thresholds: ≥ 100 close_sock_info, ≥ 10 dns_response and http_response, ≥ 5 of each process record
  const small = await checkAll(await simRun({ durationMs: 8000 }), { preset: 'upstream', only: ['upstream-thresholds'] });
  const c = check(small, 'upstream-thresholds');
  assert.is(c.status, 'fail');
  assert.match(c.reason!, /close_sock_info/);
  const big = await checkAll(await simRun({ durationMs: 20_000, profile: { tcp: { connections: 60 }, dns: { lookups: 6 }, processes: { count: 6 }, http: { requests: 10 } } }), { preset: 'upstream', only: ['upstream-thresholds'] });
  assert.is(check(big, 'upstream-thresholds').status, 'pass', check(big, 'upstream-thresholds').reason);
});

test('the record file alone stands in for the intake (no wire): every check but taps-agree runs on it', async () => {
  const f = await simRun({ wire: 'file' });
  const { runChecks } = await import('../src/index.js');
  const r = await runChecks({ record: f.record, bpf: f.bpf, manifest: f.manifest, authzLog: f.authzLog });
  const st = statuses(r);
  assert.is(st['taps-agree'], 'not-run');
  for (const id of ['decode', 'startup-order', 'bpf-intake', 'lifecycles', 'workload', 'cadence', 'health', 'authz']) assert.is(st[id], 'pass', id);
});

test('checks whose inputs are absent are not run, with the reason; not run is not a failure', async () => {
  const f = await simRun({ wire: 'file' });
  const r = await (await import('../src/index.js')).runChecks({ bpf: f.bpf });
  assert.is(check(r, 'decode').status, 'pass');
  assert.is(check(r, 'startup-order').status, 'not-run');
  assert.match(check(r, 'startup-order').reason!, /needs an intake recording/);
  assert.match(check(r, 'taps-agree').reason!, /needs the wire capture \(--wire\) and the record file \(--record\)/);
  assert.match(check(r, 'authz').reason!, /mock-authz log/);
  assert.ok(r.ok);
  assert.is(r.summary.fail, 0);
});

test.run();
