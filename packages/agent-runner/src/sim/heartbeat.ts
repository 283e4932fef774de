import { TIMERS } from './timing.js';

/**
 * The heartbeat sender: a libuv repeat timer started at authentication, re-armed from the loop's cached time
 * (scheduling/interval_scheduler.cc:74-82, kernel_collector.cc@3598385a:271-277). While the hold-off callback
 * compiles and loads the probes (time T) the loop is blocked: heartbeat 1 runs right after it, and heartbeat 2 at
 * heartbeat 1's due time + 2 s, i.e. max(0, 2 s − T) later; every 2 s after that.
 */
export class Heartbeats {
  private dueMs = 0;
  private waiting = false;
  constructor(private readonly c: { after(ms: number, fn: () => void): void; nowMs(): number; loading(): boolean; send(): void }) {}

  start(): void {
    this.waiting = false;
    this.dueMs = this.c.nowMs() + TIMERS.heartbeatMs;
    this.c.after(TIMERS.heartbeatMs, () => this.tick());
  }

  private tick(): void {
    if (this.c.loading()) { this.waiting = true; return; }
    this.c.send();
    this.dueMs = this.c.nowMs() + TIMERS.heartbeatMs;
    this.c.after(TIMERS.heartbeatMs, () => this.tick());
  }

  /** The hold-off callback returned: the heartbeat that came due meanwhile runs now. */
  loadDone(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.c.send();
    this.dueMs += TIMERS.heartbeatMs;
    this.c.after(Math.max(0, this.dueMs - this.c.nowMs()), () => this.tick());
  }
}
