import { allChecks, DECODE_CHECK } from './checks/index.js';
import { UsageError } from './errors.js';
import type { CheckContext, Observer } from './framework.js';
import type { ResolvedInputs } from './inputs.js';
import type { CheckResult, InputKind } from './types.js';

/** A check that runs: what it needs and what it observes. */
export interface ActiveCheck { id: string; title: string; needs: InputKind[]; obs: Observer }

const INPUT_FLAG: Record<InputKind, string> = {
  wire: 'the wire capture (--wire)', record: 'the record file (--record)', bpf: 'the BPF dump (--bpf)',
  intake: 'an intake recording (--wire or --record)', manifest: 'the workload manifest (--manifest)', authzLog: 'the mock-authz log (--authz-log)',
};

function has(inputs: ResolvedInputs, k: InputKind): boolean {
  switch (k) {
    case 'wire': return inputs.wire.length > 0;
    case 'record': return inputs.record !== undefined;
    case 'bpf': return inputs.bpf !== undefined;
    case 'intake': return inputs.wire.length > 0 || inputs.record !== undefined;
    case 'manifest': return inputs.manifest !== undefined;
    case 'authzLog': return inputs.authzLog !== undefined;
  }
}

/** Refuses an unknown `--only` id; says whether a check id is selected. */
export function selector(only: string[] | undefined): (id: string) => boolean {
  const known = new Set(allChecks.map((c) => c.id));
  for (const id of only ?? []) if (!known.has(id)) throw new UsageError(`unknown check id: ${id}: expected one of ${[...known].join(', ')}`);
  return (id) => !only?.length || only.includes(id);
}

/**
 * Which checks run and what each observes; the others get their not-run result now, with the reason (not selected,
 * an input missing, the manifest unreadable, or the check's own `disabled`). `decode` is the runner's own.
 */
export function selectChecks(ctx: CheckContext, selected: (id: string) => boolean): { active: ActiveCheck[]; results: Map<string, CheckResult> } {
  const results = new Map<string, CheckResult>();
  const active: ActiveCheck[] = [];
  for (const c of allChecks) {
    if (c.id === DECODE_CHECK.id) continue;
    const notRun = (reason: string) => results.set(c.id, { id: c.id, title: c.title, status: 'not-run', reason });
    if (!selected(c.id)) { notRun('not selected (--only)'); continue; }
    const missing = c.needs.filter((k) => !has(ctx.inputs, k));
    if (missing.length) { notRun(`needs ${missing.map((k) => INPUT_FLAG[k]).join(' and ')}`); continue; }
    if (c.needs.includes('manifest') && !ctx.manifest) { notRun('the manifest did not parse (see decode)'); continue; }
    const off = c.disabled?.(ctx);
    if (off) { notRun(off); continue; }
    active.push({ id: c.id, title: c.title, needs: c.needs, obs: c.create(ctx) });
  }
  return { active, results };
}
