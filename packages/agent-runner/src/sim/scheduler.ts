/**
 * The simulated agent's timers, in the agent's own milliseconds. `RealScheduler` runs them on Node's timers,
 * multiplied by a time scale (a live sim talking to real sockets); `VirtualScheduler` runs them on a fake clock as
 * fast as the machine allows, in due order (the deterministic runs of `simulateRun`). The agent's logic is written
 * once against this interface.
 */
export interface Timer { readonly id: number }

export interface Scheduler {
  /** Agent milliseconds since the scheduler was made. */
  nowMs(): number;
  /** Calls `fn` once, `ms` agent milliseconds from now. */
  after(ms: number, fn: () => void): Timer;
  cancel(t: Timer): void;
}

/** Node timers × `scale` (0.05: a 2 s heartbeat every 100 ms of real time). */
export class RealScheduler implements Scheduler {
  private readonly t0 = performance.now();
  private next = 1;
  private readonly live = new Map<number, NodeJS.Timeout>();
  constructor(private readonly scale = 1) {}
  nowMs(): number { return (performance.now() - this.t0) / this.scale; }
  after(ms: number, fn: () => void): Timer {
    const id = this.next++;
    this.live.set(id, setTimeout(() => { this.live.delete(id); fn(); }, Math.max(0, ms * this.scale)));
    return { id };
  }
  cancel(t: Timer): void {
    const h = this.live.get(t.id);
    if (h) clearTimeout(h);
    this.live.delete(t.id);
  }
}

interface Due { at: number; id: number; fn: () => void }

/** A fake clock: time moves only when `run` takes the next due timer. Equal due times run in the order they were set. */
export class VirtualScheduler implements Scheduler {
  private now = 0;
  private next = 1;
  private queue: Due[] = [];
  nowMs(): number { return this.now; }
  after(ms: number, fn: () => void): Timer {
    const d: Due = { at: this.now + Math.max(0, ms), id: this.next++, fn };
    // binary search for the first entry due later (stable for equal times)
    let lo = 0, hi = this.queue.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.queue[mid].at <= d.at) lo = mid + 1; else hi = mid; }
    this.queue.splice(lo, 0, d);
    return { id: d.id };
  }
  cancel(t: Timer): void {
    const i = this.queue.findIndex((d) => d.id === t.id);
    if (i >= 0) this.queue.splice(i, 1);
  }
  /** Runs every timer due up to `untilMs` (and those they set within it), then leaves the clock at `untilMs`. */
  run(untilMs: number): void {
    while (this.queue.length && this.queue[0].at <= untilMs) {
      const d = this.queue.shift()!;
      this.now = d.at;
      d.fn();
    }
    if (untilMs > this.now) this.now = untilMs;
  }
  get pending(): number { return this.queue.length; }
}
