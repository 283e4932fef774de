import type { Reporter } from '../progress.js';
import { Teardown } from './teardown.js';

/**
 * The state one orchestration shares between its steps (concurrently's flow controllers share the command list):
 * an abort signal (Ctrl-C, SIGTERM, a child that died, the run's --timeout), the teardown stack, and the timings.
 */
export class Flow {
  private readonly controller = new AbortController();
  readonly teardown: Teardown;
  /** Milliseconds per finished step, in order. */
  readonly timings: { step: string; ms: number; status: 'done' | 'failed' }[] = [];
  /** The step running now, for error messages. */
  current?: string;
  index = 0;

  constructor(
    readonly reporter: Reporter,
    readonly total: number,
    opts: { graceMs?: number; timings?: Flow['timings'] } = {},
  ) {
    this.teardown = new Teardown(reporter, opts.graceMs);
    if (opts.timings) this.timings = opts.timings;
  }

  /**
   * A fresh flow for the steps after a failure (--keep-going decodes and checks what was recorded): same reporter,
   * numbering and timings, its own abort signal and teardown.
   */
  fork(): Flow {
    const f = new Flow(this.reporter, this.total, { timings: this.timings });
    f.index = this.index;
    return f;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the flow: the running step's waits reject with `reason`, and the caller tears down. First reason wins. */
  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Throws the abort reason if the flow was stopped (called between steps). */
  check(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
  }
}
