import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { check, checkAll, cleanup, drop, evidenceText, simRun } from './helpers.js';

test.after.each(cleanup);

// issue 12 item 3: items dropped because the agent was not recording yet (a workload started before "Telemetry is
// flowing!") must be named as the cause, not left as a bare "no lifetime" symptom.
test('a TCP item that happened before the first session: workload fails and names the agent not recording as the cause', async () => {
  const f = await simRun({ seed: 11 });
  const m = JSON.parse(readFileSync(f.manifest, 'utf8'));
  // the workload ran this connection one hour before the agent's first record (its clock is the agent's: manifest.ts)
  const shift = 3_600_000_000_000n;
  m.tcp[0].startNs = String(BigInt(m.tcp[0].startNs) - shift);
  m.tcp[0].endNs = String(BigInt(m.tcp[0].endNs) - shift);
  writeFileSync(f.manifest, JSON.stringify(m));
  const w = check(await checkAll(f), 'workload');
  assert.is(w.status, 'fail');
  assert.match(w.reason!, /while the agent was not recording/);
  assert.match(evidenceText(w), /before its probes were loaded/);
});

test('an item lost while the agent recorded gets no such cause', async () => {
  const f = await simRun({ seed: 11, edit: drop('intake', 'pid_close_info', 1) });
  const w = check(await checkAll(f), 'workload');
  assert.is(w.status, 'fail');
  assert.not.match(w.reason!, /not recording/);
});

test.run();
