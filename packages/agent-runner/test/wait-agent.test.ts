import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TimeoutError } from '../src/errors.js';
import { waitForAgentReady } from '../src/workload/wait-agent.js';

// issue 12 item 3: the workload can refuse to start before the agent is ready. The line is the agent's own
// (collector/kernel/kernel_collector.cc@3598385a:318), written here by hand as the agent writes it.
const dir = mkdtempSync(join(tmpdir(), 'wait-agent-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const LINE = '2026-12-05 09:00:00.000000+0000 info [p:1 t:1] Agent connected successfully. Telemetry is flowing!\n';

test('resolves once a log that did not exist yet gets the readiness line, not before', async () => {
  const log = join(dir, 'late.log');
  let done = false;
  const w = waitForAgentReady(log, { pollMs: 10, timeoutMs: 10_000 }).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 60));
  writeFileSync(log, 'info: connecting\n');
  await new Promise((r) => setTimeout(r, 60));
  assert.not.ok(done, 'not ready on another line');
  appendFileSync(log, LINE);
  await w;
  assert.ok(done);
});

test('a log that never says it: TimeoutError naming the file', async () => {
  const log = join(dir, 'never.log');
  writeFileSync(log, 'info: connecting\n');
  const err = await waitForAgentReady(log, { pollMs: 10, timeoutMs: 100 }).catch((e) => e);
  assert.instance(err, TimeoutError);
  assert.match((err as Error).message, 'never.log');
});

test('an abort ends the wait at once', async () => {
  const ac = new AbortController();
  const w = waitForAgentReady(join(dir, 'absent.log'), { pollMs: 1000, timeoutMs: 60_000, signal: ac.signal }).catch((e) => e);
  setTimeout(() => ac.abort(), 20);
  const err = await w;
  assert.is((err as Error).name, 'AbortError');
});

test.run();
