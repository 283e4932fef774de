import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChecks } from '../src/index.js';
import { cleanup, Encoders, metadata, MS, S, T0, writeRun, type Era, type R } from './agent-records.js';

// Heartbeats re-timed to what the agent's source does, not to what our simulator does:
// - on authentication the 2 s probe hold-off starts, then the 2 s heartbeat timer, from the same loop time
//   (kernel_collector.cc@3598385a:271-277 and :41, constants.h:22; main:252-258 and :28);
// - the hold-off callback compiles, loads the probes (T seconds) and writes begin_telemetry + collector_health
//   (kernel_collector.cc@3598385a:279-322; main:260-316);
// - heartbeat 1 is due in the same timer pass and runs right after; the scheduler re-arms from the loop's cached time
//   (scheduling/interval_scheduler.cc@3598385a:74-82, timer.cc:46-49), so heartbeat 2 comes max(0, 2 s − T) later.
test.after(cleanup);

interface Shape { T: bigint; skip?: number; oldSimulator?: boolean; rearmFromEnd?: boolean; seconds?: number }

/** One session's intake: metadata, the hold-off callback's records, then heartbeats and slow polls. */
function session(era: Era, s0: bigint, o: Shape): R[] {
  const out = metadata(era, s0);
  const L = s0 + 2n * S + 400_000n; // the hold-off fires with the loop's time (L0 ≈ version_info) + 2 s
  const compile = o.T / 4n;
  const done = L + o.T;
  out.push(
    { name: 'bpf_compiled', ts: L + compile },
    { name: 'system_wide_process_settings', ts: L + compile + 1n * MS, data: { clock_ticks_per_second: 100, memory_page_bytes: 4096 } },
    { name: 'process_steady_state', ts: L + o.T / 2n, data: { time: 0 } },
    { name: 'socket_steady_state', ts: L + (o.T * 9n) / 10n, data: { time: 0 } },
    { name: 'begin_telemetry', ts: done },
    { name: 'collector_health', ts: done, data: { status: 0, detail: 0 } },
  );
  const beats: bigint[] = [];
  if (o.oldSimulator) {
    // What a simulator with an asynchronous load does: the heartbeat timer fires during the load, then a long gap.
    beats.push(L + 100_000n);
    for (let b = done + 1n * MS; b < s0 + BigInt(o.seconds ?? 20) * S; b += 2n * S) beats.push(b);
  } else {
    beats.push(done + 200_000n); // heartbeat 1: right after collector_health, in the same timer pass
    let due = o.rearmFromEnd ? done + 2n * S : L + 2n * S; // re-armed from the cached loop time L, not from "now"
    let at = due > done + 1n * MS ? due + 300_000n : done + 1n * MS; // overdue: the next loop iteration
    for (let i = 0; at < s0 + BigInt(o.seconds ?? 20) * S; i++) {
      beats.push(at);
      due = due > at ? due + 2n * S : at + 2n * S - 300_000n; // each callback re-arms from its pass's loop time
      at = due + 300_000n + BigInt(i % 3) * 100_000n;
    }
  }
  beats.forEach((b, i) => { if (o.skip !== i + 1) out.push({ name: 'heartbeat', ts: b }); });
  for (let u = done + 1n * S; u < s0 + BigInt(o.seconds ?? 20) * S; u += 1n * S) out.push({ name: 'agent_resource_usage', ts: u + 2n * MS });
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

async function cadenceOf(era: Era, o: Shape) {
  const e = new Encoders(era);
  const f = writeRun(e, [{ records: session(era, T0, o) }]);
  const r = await runChecks({ wire: f.wire, record: f.record }, { only: ['cadence', 'startup-order'] });
  return { cadence: r.checks.find((c) => c.id === 'cadence')!, startup: r.checks.find((c) => c.id === 'startup-order')! };
}

for (const era of ['flowmill', 'ebpf_net'] as const) {
  for (const T of [300n, 1900n, 2500n]) {
    test(`${era}: a probe load of ${T} ms gives one short gap after it (max(0, 2 s − T)), and the run passes`, async () => {
      const { cadence, startup } = await cadenceOf(era, { T: T * MS });
      assert.is(startup.status, 'pass', startup.reason);
      assert.is(cadence.status, 'pass', `${cadence.reason} ${JSON.stringify(cadence.evidence)}`);
      const fig = cadence.figures as { shortGapAfterLoadMs: number[]; heartbeatsDuringLoad: number; heartbeat1AfterHealthMs: number[] };
      const want = Math.max(0, 2000 - Number(T)) + 0.4 - 0.2; // L + 2 s + 0.3 ms vs done + 0.2 ms, or the next pass
      assert.ok(Math.abs(fig.shortGapAfterLoadMs[0] - want) < 1.5, `gap ${fig.shortGapAfterLoadMs[0]} vs ${want}`);
      assert.is(fig.heartbeatsDuringLoad, 0);
      assert.ok(fig.heartbeat1AfterHealthMs[0] < 1);
    });
  }
}

test('a heartbeat the agent really skipped later in the session still fails, with its gap', async () => {
  const { cadence } = await cadenceOf('flowmill', { T: 300n * MS, skip: 5 });
  assert.is(cadence.status, 'fail');
  assert.match(cadence.reason!, /^1 heartbeat gap out of tolerance$/);
  const gap = (cadence.evidence![0] as { gapMs: number }).gapMs;
  assert.ok(gap > 3900 && gap < 4100, `gap ${gap}`);
});

test('a heartbeat during the probe load and one long gap after it (an asynchronous load) fails: the agent cannot', async () => {
  const { cadence } = await cadenceOf('flowmill', { T: 1500n * MS, oldSimulator: true });
  assert.is(cadence.status, 'fail');
  assert.match(JSON.stringify(cadence.evidence), /heartbeat before collector_health/);
});

test('heartbeat 2 a full period after heartbeat 1 (a timer re-armed from the end of the load) fails', async () => {
  const { cadence } = await cadenceOf('ebpf_net', { T: 1900n * MS, rearmFromEnd: true });
  assert.is(cadence.status, 'fail');
  assert.match(JSON.stringify(cadence.evidence), /heartbeat 2 .* after heartbeat 1/);
});

test.run();
