import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deepMerge, defaultTolerances, resolveTolerances } from '../src/index.js';
import { cleanup, tmp } from './helpers.js';

test.after(cleanup);

/** uvu 0.5 has no assert.rejects. */
async function rejects(p: Promise<unknown>, pred: (e: Error & { code?: string }) => boolean): Promise<void> {
  try { await p; } catch (e) { assert.ok(pred(e as Error & { code?: string }), String(e)); return; }
  assert.unreachable('expected a rejection');
}

test('deepMerge merges objects key by key, replaces arrays and scalars, and leaves its inputs alone', () => {
  const base = { a: { b: 1, c: [1, 2] }, d: 'x' };
  const out = deepMerge(base, { a: { c: [9] }, d: 'y' });
  assert.equal(out, { a: { b: 1, c: [9] }, d: 'y' });
  assert.equal(base, { a: { b: 1, c: [1, 2] }, d: 'x' });
});

test('the upstream preset turns the thresholds on and keeps every other default', async () => {
  const t = await resolveTolerances('upstream');
  assert.is(t.upstream.enabled, true);
  assert.is(t.upstream.minCounts.close_sock_info, 100); // kernel_collector_test.cc, checker-facts §6
  assert.equal(t.cadence, defaultTolerances.cadence);
  assert.is((await resolveTolerances()).upstream.enabled, false);
});

test('a config file overrides one value deep inside; minCounts accepts new message names; unknown keys are refused', async () => {
  const f = join(tmp(), 'c.json');
  writeFileSync(f, JSON.stringify({ health: { maxReconnects: 2 }, upstream: { minCounts: { dns_timeout: 3 } } }));
  const t = await resolveTolerances('default', f);
  assert.is(t.health.maxReconnects, 2);
  assert.is(t.health.maxLostSamples, 0);
  assert.is(t.upstream.minCounts.dns_timeout, 3);
  assert.is(t.upstream.minCounts.socket_stats, 100);
  await rejects(resolveTolerances('default', { health: { maxReconect: 1 } }), (e: Error & { code?: string }) => e.code === 'ERR_USAGE' && /health\.maxReconect/.test(e.message));
  writeFileSync(f, '{');
  await rejects(resolveTolerances('default', f), (e: Error & { code?: string }) => e.code === 'ERR_USAGE' && /not JSON/.test(e.message));
  await rejects(resolveTolerances('default', join(tmp(), 'none.json')), (e: Error & { code?: string }) => e.code === 'ERR_MISSING_INPUT');
  await rejects(resolveTolerances('nope'), (e: Error & { code?: string }) => e.code === 'ERR_USAGE');
});

test('issue 14 keys: the stats slot defaults to the era (null), a number overrides it; the old probeLoadGaps is refused', async () => {
  const t = await resolveTolerances();
  assert.is(t.bpfIntake.statsSlotMs, null);
  assert.is(t.lifecycles.reorderWindowMs, 1000);
  assert.is(t.disableSend.graceMs, 1500);
  assert.is((await resolveTolerances('default', { bpfIntake: { statsSlotMs: 30_000 } })).bpfIntake.statsSlotMs, 30_000);
  // cadence no longer excuses long gaps: a config that still names the count of excused gaps is a mistake worth naming
  await rejects(resolveTolerances('default', { cadence: { probeLoadGaps: 1 } }), (e: Error & { code?: string }) => e.code === 'ERR_USAGE' && /cadence\.probeLoadGaps/.test(e.message));
  assert.is((await resolveTolerances('default', { cadence: { probeLoadMaxGapMs: 7500 } })).cadence.probeLoadMaxGapMs, 7500);
});

test.run();
