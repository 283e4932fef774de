import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KERNEL_VIEW_FORMAT, type KernelView } from '@flowmill/agent-runner';
import { check, checkAll, cleanup, evidenceText, simRun } from './helpers.js';

/** A kernel view as the VM runner writes it, counting one tcp_connect per manifest TCP connection and HTTP exchange. */
function viewOf(manifestPath: string, extra: Record<string, number> = {}): KernelView {
  type Conn = { client: { tuple: { remote: { port: number } } } };
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { tcp?: Conn[]; http?: Conn[] };
  const byPort: Record<string, number> = {};
  for (const t of [...(m.tcp ?? []), ...(m.http ?? [])]) byPort[t.client.tuple.remote.port] = (byPort[t.client.tuple.remote.port] ?? 0) + 1;
  for (const [p, n] of Object.entries(extra)) byPort[p] = (byPort[p] ?? 0) + n;
  const connections = Object.values(byPort).reduce((a, b) => a + b, 0);
  return { format: KERNEL_VIEW_FORMAT, version: 1, source: 'tracefs-kprobe', probe: 'tcp_connect', kernel: '6.1.0-test', connections, byPort, byDestination: {}, byComm: {}, lost: 0 };
}

test.after.each(cleanup);

test('a run without kernel-view.json: the workload check says the kernel view was not run, and still passes', async () => {
  const f = await simRun({ seed: 7 });
  const w = check(await checkAll(f), 'workload');
  assert.is(w.status, 'pass', evidenceText(w));
  assert.ok((w.figures as { kernelView: { notRun?: string } }).kernelView.notRun);
});

test('a guest kernel that counted the same connects as the manifest: workload passes with the kernel figures', async () => {
  const f = await simRun({ seed: 7 });
  writeFileSync(join(f.dir, 'kernel-view.json'), JSON.stringify(viewOf(f.manifest)));
  const w = check(await checkAll(f), 'workload');
  assert.is(w.status, 'pass', evidenceText(w));
  assert.is((w.figures as { kernelView: { status: string } }).kernelView.status, 'pass');
});

test('a guest kernel that saw one connect more on a workload port than the manifest says: workload fails on it', async () => {
  const f = await simRun({ seed: 7 });
  const m = JSON.parse(readFileSync(f.manifest, 'utf8')) as { tcp: { client: { tuple: { remote: { port: number } } } }[] };
  const port = m.tcp[0].client.tuple.remote.port;
  writeFileSync(join(f.dir, 'kernel-view.json'), JSON.stringify(viewOf(f.manifest, { [port]: 1 })));
  const w = check(await checkAll(f), 'workload');
  assert.is(w.status, 'fail');
  assert.match(evidenceText(w), `port ${port}`);
  assert.match(evidenceText(w), 'kernel-view');
});

test.run();
