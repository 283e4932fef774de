import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Flow } from '../src/flow-control/flow.js';
import { killOthers } from '../src/flow-control/kill-others.js';
import { runStep } from '../src/flow-control/start.js';
import { Teardown } from '../src/flow-control/teardown.js';
import { waitReady } from '../src/flow-control/wait-ready.js';
import { createReporter } from '../src/progress.js';
import { StepTimeoutError, ChildExitedError, InterruptedError, type ProgressEvent } from '../src/index.js';

const events = () => {
  const list: ProgressEvent[] = [];
  return { list, reporter: { emit: (e: ProgressEvent) => void list.push(e) } };
};

test('teardown stops in reverse start order', async () => {
  const order: string[] = [];
  const t = new Teardown();
  for (const n of ['keys', 'authz', 'sink', 'agent']) t.push({ name: n, stop: async () => void order.push(n) });
  await t.run();
  assert.equal(order, ['agent', 'sink', 'authz', 'keys']);
});

test('teardown: a stop that hangs past the grace period is killed, and the rest still stop', async () => {
  const order: string[] = [];
  const { list, reporter } = events();
  const t = new Teardown(reporter, 50);
  t.push({ name: 'sink', stop: async () => void order.push('sink') });
  t.push({ name: 'agent', stop: () => new Promise(() => {}), kill: () => void order.push('agent killed') });
  await t.run();
  assert.equal(order, ['agent killed', 'sink']);
  assert.ok(list.some((e) => e.event === 'teardown' && e.what === 'agent' && e.status === 'killed'));
});

test('teardown: something started after teardown began is stopped at once', async () => {
  const t = new Teardown();
  await t.run();
  let stopped = false;
  t.push({ name: 'late server', stop: async () => void (stopped = true) });
  await new Promise((r) => setTimeout(r, 0));
  assert.ok(stopped);
});

test('teardown.force kills everything left without waiting', () => {
  const killed: string[] = [];
  const t = new Teardown();
  t.push({ name: 'a', stop: () => new Promise(() => {}), kill: () => void killed.push('a') });
  t.push({ name: 'b', stop: () => new Promise(() => {}), kill: () => void killed.push('b') });
  void t.run(); // stuck on b
  t.force();
  assert.equal(killed.sort(), ['a', 'b']);
});

test('runStep: progress lines with index/total, and a Ctrl-C abort rejects the step at once', async () => {
  const out: string[] = [];
  const flow = new Flow(createReporter('human', { write: (s) => void out.push(s) }), 3);
  const v = await runStep(flow, { id: 'keys', title: 'keys', detail: (x: number) => `got ${x}` }, async () => 42);
  assert.is(v, 42);
  assert.match(out.join(''), /\[1\/3\] keys…/);
  assert.match(out.join(''), /\[1\/3\] ✓ keys \(\d+ms\): got 42/);
  const p = runStep(flow, { id: 'agent', title: 'agent' }, () => new Promise(() => {}));
  flow.abort(new InterruptedError('SIGINT'));
  try {
    await p;
    assert.unreachable();
  } catch (err) {
    assert.instance(err, InterruptedError);
  }
  assert.equal(flow.timings.map((t) => [t.step, t.status]), [['keys', 'done'], ['agent', 'failed']]);
  try {
    await runStep(flow, { id: 'next', title: 'next' }, async () => 1);
    assert.unreachable('an aborted flow starts no new step');
  } catch (err) {
    assert.instance(err, InterruptedError);
  }
});

test('waitReady: timeout gives StepTimeoutError with the hint', async () => {
  try {
    await waitReady('the agent', new Promise(() => {}), { timeoutMs: 20, hint: 'see agent.log' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, StepTimeoutError);
    assert.match((err as Error).message, 'timed out: the agent: nothing after 0.0s (see agent.log)');
  }
  assert.is(await waitReady('x', Promise.resolve(7), { timeoutMs: 1000 }), 7);
});

test('killOthers: an unexpected exit aborts the flow; an expected one does not', async () => {
  let reason: Error | undefined;
  killOthers((r) => (reason = r), 'agent', Promise.resolve({ code: 255, signal: null }), { expected: () => false, logFile: 'agent.log' });
  await new Promise((r) => setTimeout(r, 0));
  assert.instance(reason, ChildExitedError);
  assert.is(reason!.message, 'agent ended early: exit 255: see agent.log');
  reason = undefined;
  killOthers((r) => (reason = r), 'agent', Promise.resolve({ code: 241, signal: null }), { expected: () => true });
  await new Promise((r) => setTimeout(r, 0));
  assert.is(reason, undefined);
});

test.run();
