import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChecks, type CheckReport } from '../src/index.js';
import { check, cleanup, evidenceText, statuses, tmp } from './helpers.js';
import { scaledTolerances, simRun, type SimRunFiles } from './sim-run.js';
import type { SimFaults } from '@flowmill/agent-runner';

// agent-runner's simulated agent against the real mock-authz and tls-sink, with its fault switches: each fault makes
// the check it targets fail (and a clean run passes everything).
// Made when this suite starts, not at import: uvu imports every file first, and another file's after(cleanup) would
// remove a directory made then; ensureCerts would recreate it outside the cleanup list, leaving a CA key in /tmp.
let keysDir = '';
test.before(() => void (keysDir = join(tmp('checker-sim-keys-'), 'keys')));
test.after(cleanup);

async function faulted(faults: SimFaults | undefined, maxGapPeriods?: number, settleMs?: number): Promise<{ f: SimRunFiles; r: CheckReport }> {
  const f = await simRun(join(tmp('checker-sim-'), 'run'), { faults, keysDir, settleMs });
  const r = await runChecks({ wire: f.wire, record: f.record, bpf: f.bpf, manifest: f.manifest, authzLog: f.authzLog }, { config: scaledTolerances(undefined, maxGapPeriods) });
  return { f, r };
}

test('a clean simulated run passes every check', async () => {
  const { r } = await faulted(undefined);
  // not run, with nothing to check: no preset, no DISABLE_SEND, and no socket outlives a stats slot (1 s on the agent's
  // clock, which the time scale does not shrink) in a run this short
  const idle = ['upstream-thresholds', 'disable-send', 'socket-stats-live'];
  for (const c of r.checks) assert.is(c.status, idle.includes(c.id) ? 'not-run' : 'pass', `${c.id}: ${c.reason} ${evidenceText(c).slice(0, 600)}`);
});

test('sim drop (intake pid_set_comm) -> bpf-intake and workload fail', async () => {
  const { f, r } = await faulted({ drop: [{ name: 'pid_set_comm' }] });
  assert.ok(f.faults.length > 0, 'the fault was applied');
  assert.is(check(r, 'bpf-intake').status, 'fail');
  assert.match(evidenceText(check(r, 'bpf-intake')), /pid_set_comm never reached the intake/);
  assert.is(check(r, 'workload').status, 'fail');
  assert.is(check(r, 'taps-agree').status, 'pass', 'both taps lost the same record');
});

test('sim duplicate (close_sock_info) -> lifecycles and bpf-intake fail', async () => {
  const { r } = await faulted({ duplicate: [{ name: 'close_sock_info', nth: [1] }] });
  assert.is(check(r, 'lifecycles').status, 'fail');
  assert.match(evidenceText(check(r, 'lifecycles')), /closed twice/);
  assert.match(check(r, 'bpf-intake').reason!, /intake record without a BPF source/);
});

test('sim reorder (begin_telemetry with the next record) -> startup-order fails', async () => {
  const { r } = await faulted({ reorder: [{ name: 'socket_steady_state' }] });
  assert.is(check(r, 'startup-order').status, 'fail', statuses(r).toString());
  assert.match(evidenceText(check(r, 'startup-order')), /before socket_steady_state/);
});

test('sim corrupt (a heartbeat) -> decode fails, naming the bad id', async () => {
  const { r } = await faulted({ corrupt: [{ name: 'heartbeat', nth: [3] }] });
  const d = check(r, 'decode');
  assert.is(d.status, 'fail');
  assert.match(evidenceText(d), /ERR_CORRUPT/);
  assert.not.ok(r.ok);
});

test('sim loseBpf (pid_info) -> health fails on bpf_lost_samples', async () => {
  // The Flowmill agent reports a loss at the next stats-slot rollover (buffered_poller.cc@3598385a:216-221, 231; slots
  // of ~1 s on the agent's clock, :75, which --time-scale does not shrink): the run goes on past one.
  const { r } = await faulted({ loseBpf: [{ name: 'pid_info', nth: [1] }] }, undefined, 1300);
  assert.is(check(r, 'health').status, 'fail');
  assert.match(check(r, 'health').reason!, /perf samples lost/);
});

test('sim skipHeartbeat -> cadence fails', async () => {
  const { r } = await faulted({ skipHeartbeat: [4] }, 1.75);
  assert.is(check(r, 'cadence').status, 'fail');
  assert.match(check(r, 'cadence').reason!, /heartbeat gaps? out of tolerance/);
  assert.match(evidenceText(check(r, 'cadence')), /heartbeat gap \d+\.\d ms outside/);
});

test('sim wrongToken -> authz fails', async () => {
  const { r } = await faulted({ wrongToken: 'not-the-issued-token' });
  assert.is(check(r, 'authz').status, 'fail');
  assert.match(evidenceText(check(r, 'authz')), /never issued/);
});

test.run();
