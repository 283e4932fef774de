import { RecipeError } from '../errors.js';
import type { Flow } from './flow.js';

export interface StepSpec<T> {
  /** Short id (`keys`, `servers`, `agent`, `workload`, `catch-up`, `stop`, `decode`, `check`). */
  id: string;
  /** What the progress line says. */
  title: string;
  /** A few words for the done line (ports, paths, counts). */
  detail?: (v: T) => string | undefined;
}

/**
 * Starts one step: a progress line, the step's work raced against the flow's abort signal (so Ctrl-C interrupts a
 * wait at once; whatever the step already started is on the teardown stack), its time, and errors tagged with the
 * step they came from.
 */
export async function runStep<T>(flow: Flow, spec: StepSpec<T>, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  flow.check();
  flow.current = spec.id;
  flow.index += 1;
  flow.reporter.emit({ event: 'step', step: spec.id, status: 'start', title: spec.title, index: flow.index, total: flow.total });
  const t0 = performance.now();
  try {
    const p = work(flow.signal);
    const v = await new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(flow.signal.reason);
      if (flow.signal.aborted) return onAbort();
      flow.signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => flow.signal.removeEventListener('abort', onAbort));
    });
    const ms = performance.now() - t0;
    flow.timings.push({ step: spec.id, ms, status: 'done' });
    flow.reporter.emit({ event: 'step', step: spec.id, status: 'done', title: spec.title, ms, detail: spec.detail?.(v) });
    return v;
  } catch (err) {
    const ms = performance.now() - t0;
    flow.timings.push({ step: spec.id, ms, status: 'failed' });
    if (err instanceof RecipeError && !err.step) err.step = spec.id;
    flow.reporter.emit({ event: 'step', step: spec.id, status: 'failed', title: spec.title, ms, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}
