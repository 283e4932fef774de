import { type CheckDef } from '../framework.js';

/**
 * The otel kernel_collector_test.cc `binary` test's thresholds (docs/checker-facts.md §6; docs/agent-protocol.md §3.4):
 * lower bounds on intake message counts and bpf_log == 0. Only with `--preset upstream`.
 */
export const upstream: CheckDef = {
  id: 'upstream-thresholds',
  title: 'intake message counts meet the upstream kernel_collector_test.cc thresholds, bpf_log == 0',
  needs: ['intake'],
  disabled: (ctx) => (ctx.tol.upstream.enabled ? undefined : 'only with --preset upstream'),
  create(ctx) {
    const t = ctx.tol.upstream;
    const counts = new Map<string, number>();
    return {
      intake(r) {
        counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
      },
      finish() {
        const evidence: unknown[] = [];
        for (const [name, min] of Object.entries(t.minCounts)) {
          const have = counts.get(name) ?? 0;
          if (have < min) evidence.push({ name, need: `>= ${min}`, have });
        }
        const bpfLog = counts.get('bpf_log') ?? 0;
        if (bpfLog > t.maxBpfLog) evidence.push({ name: 'bpf_log', need: `<= ${t.maxBpfLog}`, have: bpfLog });
        const figures = { counts: Object.fromEntries([...Object.keys(t.minCounts), 'bpf_log'].map((n) => [n, counts.get(n) ?? 0])) };
        if (evidence.length) return { status: 'fail', reason: `${evidence.length} of ${Object.keys(t.minCounts).length + 1} thresholds not met: ${evidence.map((e) => (e as { name: string }).name).join(', ')}`, evidence, figures };
        return { status: 'pass', figures };
      },
    };
  },
};
