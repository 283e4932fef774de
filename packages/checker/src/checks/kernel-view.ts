import { existsSync, readFileSync } from 'node:fs';
import { compareKernelView, KERNEL_VIEW_FORMAT, type KernelView } from '@flowmill/agent-runner';
import { runLayout } from '@flowmill/agent-runner/run-layout';
import type { Outcome } from '../framework.js';
import type { Manifest } from '../side-inputs.js';

/**
 * The guest kernel's own view, for runs recorded in a VM (`recipe run --vm`): a tracefs kprobe on tcp_connect
 * counted every connection the guest made, per destination port (agent-runner vm/kernel-view.ts writes
 * kernel-view.json). The manifest's TCP connections and HTTP exchanges to each of the workload's server ports must
 * match that count exactly (the kernel saw the connects the workload says it made, no more and no fewer); a ring
 * buffer that dropped entries can only undercount. Not an agent fact: a check of the manifest against a kernel that
 * is not ours, so the workload oracle itself is held against a real peer.
 *
 * Meant to be folded into the `workload` check when the file exists (`kernelViewOf(runDir)` then
 * `kernelViewOutcome(manifest, view)`); a run without the file is `not-run`.
 */
export function kernelViewOf(runDir: string): KernelView | undefined {
  const f = runLayout(runDir).path('kernelView');
  if (!existsSync(f)) return undefined;
  const v = JSON.parse(readFileSync(f, 'utf8')) as KernelView;
  if (v.format !== KERNEL_VIEW_FORMAT) throw new Error(`${f}: not a kernel view (format ${String(v.format)})`);
  return v;
}

export function kernelViewOutcome(m: Manifest, view: KernelView | undefined): Outcome {
  if (!view) return { status: 'not-run', reason: 'no kernel-view.json (only VM runs have one)' };
  const c = compareKernelView(m as Parameters<typeof compareKernelView>[0], view);
  const figures = { kernel: view.kernel, kernelConnects: view.connections, lost: view.lost, ports: c.items };
  if (c.ok) return { status: 'pass', figures };
  const bad = c.items.filter((i) => (view.lost > 0 ? i.kernel > i.manifest : i.kernel !== i.manifest));
  return {
    status: 'fail',
    reason: `the guest kernel counted other connects than the manifest on ${bad.length} port(s)`,
    evidence: bad.map((i) => ({ note: `${i.what} port ${i.port}: manifest ${i.manifest}, kernel tcp_connect ${i.kernel}`, ...i })),
    figures,
  };
}
