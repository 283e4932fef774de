import type { Reporter } from '../progress.js';

/** Something started that must be stopped: a server, a child process, an open file. */
export interface Stoppable {
  /** What it is, for progress lines (`agent`, `tls-sink`, ...). */
  name: string;
  /** Orderly stop: SIGTERM and wait, close listeners and flush files. */
  stop(): Promise<void>;
  /** Forced stop (SIGKILL the process group); must not throw, must be quick. */
  kill?(): void;
}

/**
 * The teardown stack: what was started is stopped in reverse order (the agent before the sink it writes to, the sink
 * before the files are hashed). Each stop gets a grace period, then `kill`. Something pushed after teardown has
 * begun (a server whose start was still pending when Ctrl-C came) is stopped at once, so nothing is left behind.
 */
export class Teardown {
  private items: Stoppable[] = [];
  /** Being stopped right now (a second Ctrl-C must reach it too). */
  private inFlight = new Set<Stoppable>();
  private late: Promise<void>[] = [];
  private state: 'open' | 'running' | 'done' = 'open';
  private running?: Promise<void>;

  constructor(private readonly reporter?: Reporter, private readonly graceMs = 5000) {}

  get size(): number {
    return this.items.length;
  }

  push(item: Stoppable): void {
    if (this.state === 'open') this.items.push(item);
    else this.late.push(this.stopOne(item));
  }

  /** Stops and removes one item now (the normal end of a step, e.g. stopping the agent after the workload). */
  async release(item: Stoppable): Promise<void> {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    await this.stopOne(item);
  }

  /** Stops everything left, newest first. Idempotent: a second call returns the same promise. */
  run(): Promise<void> {
    if (!this.running) {
      this.state = 'running';
      this.running = (async () => {
        while (this.items.length) await this.stopOne(this.items.pop()!);
        await Promise.allSettled(this.late);
        this.state = 'done';
      })();
    }
    return this.running;
  }

  /** The second Ctrl-C: kill whatever is still there, no waiting. */
  force(): void {
    for (const item of [...this.inFlight, ...this.items.splice(0).reverse()]) {
      try {
        item.kill?.();
        this.reporter?.emit({ event: 'teardown', what: item.name, status: 'killed' });
      } catch {
        /* forced: best effort */
      }
    }
    this.state = 'done';
  }

  private async stopOne(item: Stoppable): Promise<void> {
    const t0 = performance.now();
    this.inFlight.add(item);
    this.reporter?.emit({ event: 'teardown', what: item.name, status: 'stopping' });
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.graceMs);
    });
    try {
      const r = await Promise.race([item.stop().then(() => 'ok' as const), grace]);
      if (r === 'timeout') {
        item.kill?.();
        this.reporter?.emit({ event: 'teardown', what: item.name, status: 'killed', ms: performance.now() - t0 });
        return;
      }
      this.reporter?.emit({ event: 'teardown', what: item.name, status: 'stopped', ms: performance.now() - t0 });
    } catch (err) {
      item.kill?.();
      this.reporter?.emit({ event: 'info', message: `stopping ${item.name} failed: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(item);
    }
  }
}
